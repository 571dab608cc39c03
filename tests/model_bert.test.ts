/** The BERT graph: parity with PyTorch, whole-model gradients, hooks, and a bert-base-chinese-shaped model. */
import assert from "node:assert/strict";
import { Graph, type TensorData } from "../lib/engine/graph.ts";
import * as op from "../lib/engine/ops.ts";
import { crossEntropy } from "../lib/engine/layers.ts";
import { gradcheck } from "../lib/engine/gradcheck.ts";
import { CompiledGraph } from "../lib/engine/session.ts";
import { buildBert } from "../lib/model/bert/graph.ts";
import { GraphParams } from "../lib/model/params.ts";
import { parseBertConfig } from "../lib/model/bert/config.ts";
import { bertBaseChineseConfig, randomBertWeights, writeRandomModelFolder } from "../lib/model/bert/random.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { checkParity } from "../lib/model/bert/parity.ts";
import { GradientStep } from "../lib/engine/gradient_step.ts";
import { AdamW } from "../lib/train/adamw.ts";
import { shared, sharedTest } from "./_shared.ts";

const tiny = parseBertConfig({
  vocab_size: 20,
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 12,
  max_position_embeddings: 16,
});

const ids = (B: number, L: number, vocab: number) => BigInt64Array.from({ length: B * L }, (_, i) => BigInt((i * 7 + 3) % vocab));

sharedTest(
  "parity: zh-review-bert-tiny matches PyTorch (hidden, logits, loss, every gradient, prefix case)",
  "fixtures/zh-review-bert-tiny.json",
  async () => {
    const report = await checkParity(shared("models/zh-review-bert-tiny"), shared("fixtures/zh-review-bert-tiny.json"));
    const failed = Object.entries(report.entries).filter(([, e]) => !e.passed);
    assert.deepEqual(failed, []);
    assert.ok(Object.keys(report.entries).length > 60, "every parameter gradient was compared");
  },
);

Deno.test("whole-model gradient check on a tiny random BERT: MLM + pooler loss, prefix and soft embeddings", async () => {
  const weights = randomBertWeights(tiny, 1);
  for (const w of weights.values()) for (let i = 0; i < w.data.length; i++) w.data[i] *= 10; // away from N(0, 0.02)'s near-linear regime
  const B = 2, L = 5, P = 2;
  const feeds: Record<string, TensorData> = {
    input_ids: ids(B, L, 20),
    token_type_ids: new BigInt64Array(B * L),
    attention_mask: Float32Array.from([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]),
    prefix: Float32Array.from({ length: 2 * 2 * B * 2 * P * 4 }, (_, i) => Math.sin(i)),
    embed_override: Float32Array.from({ length: B * L * 8 }, (_, i) => Math.cos(i)),
    embed_override_mask: Float32Array.from([0, 1, 0, 0, 0, 0, 0, 1, 0, 0]),
  };
  for (const [name, w] of weights) feeds[name] = w.data;
  const checked = [
    "bert.embeddings.word_embeddings.weight",
    "bert.encoder.layer.0.attention.self.query.weight",
    "bert.encoder.layer.1.output.LayerNorm.weight",
    "bert.pooler.dense.weight",
    "cls.predictions.transform.dense.bias",
  ];
  const report = await gradcheck({
    feeds,
    build(g) {
      const params = new GraphParams(g, weights, () => true);
      const prefix = g.input("prefix", [4, B, 2, P, 4]);
      const bert = buildBert(g, tiny, params.get, { batch: B, seqLen: L, train: false, prefix, embedOverride: true });
      const logits = bert.mlmLogits(g.constant("rows", BigInt64Array.from([1n, 7n]), [2]));
      const mlm = crossEntropy(logits, g.constant("targets", BigInt64Array.from([4n, 9n]), [2]));
      const out = op.add(mlm, op.reduceMean(bert.pooled(), [0, 1]));
      return { inputs: [...checked.map(params.get), prefix, bert.embedOverride!], out };
    },
  }, { eps: 1e-2, atol: 2e-4, rtol: 3e-2, samples: 8 });
  assert.ok(report.passed, JSON.stringify(report.worst));
});

Deno.test("the last layer run on a few rows equals the full last layer at those rows (prefix, padding, rows of several examples)", async () => {
  const weights = randomBertWeights(tiny, 3);
  const B = 3, L = 5, P = 2;
  const rows = BigInt64Array.from([0n, 7n, 3n, 14n, 7n, 10n]); // rows of all three examples, out of order, one twice
  const g = new Graph();
  const params = new GraphParams(g, weights, () => false);
  const prefix = g.input("prefix", [4, 1, 2, P, 4]);
  const bert = buildBert(g, tiny, params.get, { batch: B, seqLen: L, train: false, prefix });
  const at = g.constant("rows", rows, [rows.length]);
  const compiled = await CompiledGraph.compile(g, { pruned: bert.hiddenAt(at), full: op.gather(bert.hidden, at) });
  const r = await compiled.run({
    input_ids: ids(B, L, 20),
    token_type_ids: new BigInt64Array(B * L),
    attention_mask: Float32Array.from([1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]),
    prefix: Float32Array.from({ length: 2 * 2 * 2 * P * 4 }, (_, i) => Math.sin(i)),
  });
  await compiled.release();
  const pruned = r.pruned as Float32Array, full = r.full as Float32Array;
  assert.equal(pruned.length, rows.length * 8);
  const worst = Math.max(...pruned.map((x, i) => Math.abs(x - full[i])));
  assert.ok(worst < 1e-5, `max |pruned - full| = ${worst}`);
  // Not trivially equal: the rows differ from each other.
  assert.ok(Math.abs(pruned[0] - pruned[8]) > 1e-3);
});

Deno.test("dropout: seeded masks, fresh per seed, keep rate 1 - p, scaled by 1 / (1 - p)", async () => {
  const g = new Graph();
  const x = g.input("x", [200, 100]);
  const seed = g.input("seed", [], "uint32");
  const { dropout } = await import("../lib/engine/layers.ts");
  const y = dropout(x, 0.1, seed, 0), y2 = dropout(x, 0.1, seed, 1);
  const c = await CompiledGraph.compile(g, { y, y2 });
  const ones = new Float32Array(20000).fill(1);
  const a = await c.run({ x: ones, seed: Uint32Array.of(5) });
  const b = await c.run({ x: ones, seed: Uint32Array.of(5) });
  const d = await c.run({ x: ones, seed: Uint32Array.of(6) });
  assert.deepEqual(a.y, b.y);
  assert.notDeepEqual(a.y, d.y);
  assert.notDeepEqual(a.y, a.y2, "two sites draw different masks");
  const ya = a.y as Float32Array;
  const kept = ya.filter((v) => v !== 0);
  assert.ok(Math.abs(kept.length / ya.length - 0.9) < 0.01, `keep rate ${kept.length / ya.length}`);
  assert.ok(kept.every((v) => Math.abs(v - 1 / 0.9) < 1e-6));
  await c.release();
});

/** A prefix-only step on a frozen tiny BERT: its graph's inputs, loss and gradients. */
async function prefixOnlyStep(weights: ReturnType<typeof randomBertWeights>) {
  let frozenInputs: string[] = [];
  const step = await GradientStep.build((g) => {
    const params = new GraphParams(g, weights, () => false);
    const prefix = g.input("prefix", [4, 1, 2, 3, 4]);
    const bert = buildBert(g, tiny, params.get, { batch: 2, seqLen: 4, train: true, prefix });
    const loss = op.reduceMean(op.mul(bert.pooled(), bert.pooled()), [0, 1]);
    frozenInputs = [...params.frozenInputs.keys()];
    return { loss, params, wrt: { prefix } };
  });
  assert.deepEqual(step.trainable, []);
  const r = await step.run(weights, {
    input_ids: ids(2, 4, 20),
    token_type_ids: new BigInt64Array(8),
    attention_mask: new Float32Array(8).fill(1),
    dropout_seed: Uint32Array.of(1),
    prefix: new Float32Array(4 * 2 * 3 * 4).fill(0.1),
  });
  await step.release();
  return { frozenInputs, r };
}

Deno.test("frozen weights become graph constants: a prefix-only step returns no backbone gradients", async () => {
  const { frozenInputs, r } = await prefixOnlyStep(randomBertWeights(tiny, 2));
  assert.deepEqual(frozenInputs, []);
  assert.deepEqual([...r.grads.keys()], ["prefix"]);
  assert.ok(r.grads.get("prefix")!.data.some((v) => v !== 0));
});

Deno.test("a model over PROMPTLAB_CONSTANT_WEIGHTS_MB feeds its frozen weights as inputs: same loss and gradients, still none for them", async () => {
  const weights = randomBertWeights(tiny, 2);
  const asConstants = await prefixOnlyStep(weights);
  Deno.env.set("PROMPTLAB_CONSTANT_WEIGHTS_MB", "0");
  try {
    const asInputs = await prefixOnlyStep(weights);
    assert.ok(asInputs.frozenInputs.includes("bert.encoder.layer.1.output.dense.weight"), asInputs.frozenInputs.join(", "));
    assert.deepEqual([...asInputs.r.grads.keys()], ["prefix"]);
    assert.equal(asInputs.r.loss, asConstants.r.loss);
    assert.deepEqual(asInputs.r.grads.get("prefix")!.data, asConstants.r.grads.get("prefix")!.data);
    Deno.env.set("PROMPTLAB_CONSTANT_WEIGHTS_MB", "lots");
    assert.throws(() => new GraphParams(new Graph(), weights, () => false), /PROMPTLAB_CONSTANT_WEIGHTS_MB.*"lots"/);
  } finally {
    Deno.env.delete("PROMPTLAB_CONSTANT_WEIGHTS_MB");
  }
});

Deno.test("a random model of bert-base-chinese's shape, with its original gamma/beta names, loads and trains", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = bertBaseChineseConfig();
    await writeRandomModelFolder(dir, config, { seed: 3, naming: "original" });
    const model = await loadModelFolder(dir);
    assert.ok(model.poolerInitialized && model.decoderTied);
    assert.equal(model.weights.get("bert.encoder.layer.11.output.LayerNorm.weight")!.shape[0], 768);
    const B = 2, L = 16;
    const step = await GradientStep.build((g) => {
      const params = new GraphParams(g, model.weights, () => true);
      const bert = buildBert(g, model.config, params.get, { batch: B, seqLen: L, train: true });
      const logits = bert.mlmLogits(g.constant("rows", BigInt64Array.from([3n, 20n]), [2]));
      return { loss: crossEntropy(logits, g.constant("targets", BigInt64Array.from([100n, 2000n]), [2])), params };
    });
    const feeds = {
      input_ids: ids(B, L, 21128),
      token_type_ids: new BigInt64Array(B * L),
      attention_mask: new Float32Array(B * L).fill(1),
      dropout_seed: Uint32Array.of(0),
    };
    const opt = new AdamW(model.weights, { lr: 1e-4, weightDecay: 0.01 });
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await step.run(model.weights, feeds);
      losses.push(r.loss);
      // Every weight but the pooler (unused by an MLM loss) is trained.
      assert.deepEqual([...r.grads.keys()].sort(), [...model.weights.keys()].filter((n) => !n.includes("pooler")).sort());
      opt.step(r.grads);
    }
    assert.ok(losses.every(Number.isFinite) && losses[2] < losses[0], `losses ${losses}`);
    await step.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dropout masks are uncorrelated between neighbouring elements, sites and seeds", async () => {
  const g = new Graph();
  const x = g.input("x", [100000]);
  const seed = g.input("seed", [], "uint32");
  const { dropout } = await import("../lib/engine/layers.ts");
  const c = await CompiledGraph.compile(g, { a: dropout(x, 0.5, seed, 0), b: dropout(x, 0.5, seed, 1) });
  const ones = new Float32Array(100000).fill(1);
  const r1 = await c.run({ x: ones, seed: Uint32Array.of(7) }), r2 = await c.run({ x: ones, seed: Uint32Array.of(8) });
  const kept = (v: TensorData) => Array.from(v as Float32Array, (e) => (e > 0 ? 1 : 0));
  const [a, b, a2] = [kept(r1.a), kept(r1.b), kept(r2.a)];
  // For independent fair coins, agreement is 0.5 with a standard deviation of about 0.0016 here.
  const agree = (p: number[], q: number[]) => p.reduce((s, v, i) => s + (v === q[i] ? 1 : 0), 0) / p.length;
  for (
    const [what, rate] of [["neighbours", agree(a.slice(1), a.slice(0, -1))], ["sites", agree(a, b)], ["seeds", agree(a, a2)]] as const
  ) {
    assert.ok(Math.abs(rate - 0.5) < 0.01, `${what}: agreement ${rate}`);
  }
  await c.release();
});
