/**
 * T5 in the engine: parity with the independent PyTorch T5 of tools/t5_reference.py (encoder states, logits,
 * loss, gradients, greedy decoding, target log-likelihoods, relative-position buckets) on its committed
 * fixtures, a whole-model finite-difference check, dropout, the tokenizer, and bad T5 folders.
 */
import assert from "node:assert/strict";
import { Graph, type TensorData } from "../lib/engine/graph.ts";
import { gradients } from "../lib/engine/autodiff.ts";
import { gradcheck } from "../lib/engine/gradcheck.ts";
import { argmax } from "../lib/eval/metrics.ts";
import { CompiledGraph, feedsFor } from "../lib/engine/session.ts";
import * as op from "../lib/engine/ops.ts";
import { GraphParams } from "../lib/model/params.ts";
import { writeSafetensors } from "../lib/model/formats/safetensors.ts";
import { parseT5Config, type T5Config } from "../lib/model/t5/config.ts";
import { loadT5Folder } from "../lib/model/t5/folder.ts";
import { buildT5Decoder } from "../lib/model/t5/graph.ts";
import { buildT5Loss, shiftRight } from "../lib/model/t5/loss.ts";
import { relativePositionBucket } from "../lib/model/t5/relative_position.ts";
import { T5Runner } from "../lib/model/t5/runner.ts";
import { loadT5Tokenizer } from "../lib/model/t5/tokenizer.ts";
import { randomT5Weights, SHARED } from "../lib/model/t5/weights.ts";
import type { TensorMap } from "../lib/util/tensor.ts";
import { rejects } from "./_assert.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const VARIANTS = ["tiny-t5-v1_1", "tiny-t5"];

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  labels: number[][];
  decoder_input_ids: number[][];
  encoder_states: number[];
  logits: number[];
  loss: number;
  grads: Record<string, number[]>;
  greedy: number[][];
  candidates: number[][];
  candidate_log_likelihoods: number[][];
  relative_positions: number[];
  buckets_bidirectional: number[];
  buckets_causal: number[];
}

const readExpected = async (name: string): Promise<Expected> => JSON.parse(await Deno.readTextFile(`${FIXTURES}${name}/expected.json`));
const int64 = (rows: number[][]) => BigInt64Array.from(rows.flat(), BigInt);

/** Every |got - want| within atol + rtol·|want| (float32 against PyTorch's float32). */
function assertClose(got: ArrayLike<number>, want: readonly number[], what: string, atol: number, rtol = 1e-3) {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0, at = 0;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    if (excess > worst) [worst, at] = [excess, i];
  }
  assert.ok(worst <= 1, `${what}: element ${at} is ${got[at]}, PyTorch ${want[at]}`);
}

/** The rows of a [R, C] flattened array from the first row up to `rows`. */
const firstRows = (data: Float32Array, rows: number, cols: number) => data.subarray(0, rows * cols);

for (const variant of VARIANTS) {
  Deno.test(`parity ${variant}: encoder states, logits, loss and gradients match the PyTorch T5`, async () => {
    const { config, weights } = await loadT5Folder(`${FIXTURES}${variant}`);
    const want = await readExpected(variant);
    assert.deepEqual(shiftRight(want.labels, config), want.decoder_input_ids);
    const [B, S, T] = [want.input_ids.length, want.input_ids[0].length, want.labels[0].length];
    const checked = [...Object.keys(want.grads).filter((n) => !n.includes("[")), SHARED];
    const g = new Graph();
    const params = new GraphParams(g, weights, (n) => checked.includes(n));
    const { t5, loss } = buildT5Loss(g, config, params.get, { batch: B, srcLen: S, tgtLen: T, train: false });
    const grads = gradients(loss, checked.map(params.get));
    const outputs = {
      loss,
      states: t5.encoder.states,
      logits: t5.decoder.logits,
      ...Object.fromEntries(checked.map((n, i) => [`grad:${n}`, grads[i]])),
    };
    const compiled = await CompiledGraph.compile(g, outputs);
    const given = {
      input_ids: int64(want.input_ids),
      attention_mask: Float32Array.from(want.attention_mask.flat()),
      decoder_input_ids: int64(want.decoder_input_ids),
      labels: int64(want.labels),
    };
    const out = await compiled.run(feedsFor(compiled, given, weights));
    await compiled.release();
    assertClose(out.states as Float32Array, want.encoder_states, "encoder states", 1e-4);
    assertClose(out.logits as Float32Array, want.logits, "logits", 1e-4);
    assertClose(out.loss as Float32Array, [want.loss], "loss", 1e-5);
    for (const name of checked) {
      const got = out[`grad:${name}`] as Float32Array;
      if (name === SHARED) assertClose(firstRows(got, 64, config.d_model), want.grads["shared.weight[:64]"], name, 1e-6);
      else assertClose(got, want.grads[name], name, 1e-6);
    }
  });

  Deno.test(`parity ${variant}: greedy decoding and the log-likelihood of candidate targets match PyTorch`, async () => {
    const { config, weights } = await loadT5Folder(`${FIXTURES}${variant}`);
    const want = await readExpected(variant);
    const t5 = new T5Runner(config, weights);
    const batch = { inputIds: want.input_ids, attentionMask: want.attention_mask };
    assert.deepEqual(await t5.greedy(batch, 6), want.greedy);
    const scores = await t5.logLikelihoods(batch, want.candidates);
    // PyTorch's are [candidate][input].
    want.candidates.forEach((_, c) => assertClose(scores.map((row) => row[c]), want.candidate_log_likelihoods[c], `candidate ${c}`, 1e-3));
    await t5.release();
  });

  Deno.test(`${variant}: greedy decoding with the key/value cache gives the ids of the whole-sequence decoder without it`, async () => {
    const { config, weights, tokenizer } = await loadT5Folder(`${FIXTURES}${variant}`);
    const texts = ["这个手机很好", "质量很差，不推荐", "好", "我很喜欢".repeat(40), "<extra_id_0> 很好 <extra_id_1>", "快递很快，服务满意"];
    const batch = tokenizer.encodeBatch(texts);
    const [B, S, T] = [texts.length, batch.inputIds[0].length, 24];
    const t5 = new T5Runner(config, weights);
    const cached = await t5.greedy(batch, T);
    // Without a cache: the fixed-shape decoder over all T positions, fed the ids so far (padding after them),
    // the next id read at the current position; rows done with </s> go on with <pad>.
    const g = new Graph();
    const { logits } = buildT5Decoder(g, config, new GraphParams(g, weights, () => false).get, { batch: B, srcLen: S, tgtLen: T });
    const decoder = await CompiledGraph.compile(g, { logits });
    const rows = texts.map(() => [config.decoder_start_token_id, ...new Array(T - 1).fill(config.pad_token_id)]);
    const done = texts.map(() => false);
    const encoderStates = await t5.encode(batch);
    for (let t = 0; t + 1 < T; t++) {
      const given = {
        encoder_states: encoderStates,
        attention_mask: Float32Array.from(batch.attentionMask.flat()),
        decoder_input_ids: BigInt64Array.from(rows.flat(), BigInt),
      };
      const out = (await decoder.run(feedsFor(decoder, given, weights))).logits as Float32Array;
      rows.forEach((row, b) => {
        const at = (b * T + t) * config.vocab_size;
        row[t + 1] = done[b] ? config.pad_token_id : argmax(Array.from(out.subarray(at, at + config.vocab_size)));
        done[b] ||= row[t + 1] === config.eos_token_id;
      });
    }
    await Promise.all([decoder.release(), t5.release()]);
    // The whole-sequence decoder yields T − 1 ids (its last position is never read); compare those.
    assert.deepEqual(cached.map((ids) => ids.slice(0, T - 1)), rows.map((row) => row.slice(1)));
    assert.ok(cached.some((ids) => ids.slice(0, T - 1).every((id) => id !== config.eos_token_id)), "a row decodes all T − 1 steps");
  });

  Deno.test(`parity ${variant}: relative-position buckets of both directions match HF's function`, async () => {
    const { config } = await loadT5Folder(`${FIXTURES}${variant}`);
    const want = await readExpected(variant);
    const { relative_attention_num_buckets: n, relative_attention_max_distance: d } = config;
    assert.deepEqual(want.relative_positions.map((r) => relativePositionBucket(r, true, n, d)), want.buckets_bidirectional);
    assert.deepEqual(want.relative_positions.map((r) => relativePositionBucket(r, false, n, d)), want.buckets_causal);
  });
}

Deno.test("buckets at t5-base's defaults (32 buckets, 128 distance): exact near, logarithmic far, capped beyond", () => {
  const b = (r: number, bi: boolean) => relativePositionBucket(r, bi, 32, 128);
  assert.deepEqual([b(0, true), b(-1, true), b(1, true), b(-7, true), b(-8, true), b(-127, true), b(-1000, true)], [
    0,
    1,
    17,
    7,
    8,
    15,
    15,
  ]);
  assert.deepEqual([b(5, false), b(-15, false), b(-16, false), b(-127, false), b(-128, false), b(-5000, false)], [0, 15, 16, 31, 31, 31]);
});

Deno.test("config: mT5 reads as T5 v1.1 (gated GELU, untied), HF's defaults fill the rest", () => {
  const c = parseT5Config({
    model_type: "mt5",
    feed_forward_proj: "gated-gelu",
    tie_word_embeddings: false,
    num_layers: 8,
    num_decoder_layers: null,
  });
  assert.deepEqual([c.act, c.gated, c.tie_word_embeddings, c.num_decoder_layers], ["gelu_new", true, false, 8]);
  assert.deepEqual([c.d_model, c.d_kv, c.num_heads, c.relative_attention_num_buckets, c.layer_norm_epsilon], [512, 64, 8, 32, 1e-6]);
  const original = parseT5Config({ model_type: "t5" });
  assert.deepEqual([original.act, original.gated, original.tie_word_embeddings, original.decoder_start_token_id], ["relu", false, true, 0]);
});

const tiny = (overrides: Record<string, unknown>): T5Config =>
  parseT5Config({
    model_type: "t5",
    vocab_size: 11,
    d_model: 8,
    d_kv: 3,
    d_ff: 6,
    num_layers: 1,
    num_decoder_layers: 2,
    num_heads: 2,
    relative_attention_num_buckets: 6,
    relative_attention_max_distance: 8,
    ...overrides,
  });

for (const proj of ["gated-gelu", "relu"]) {
  Deno.test(`whole-model gradient check on a tiny random T5 (${proj}, ${proj === "relu" ? "tied" : "untied"} head)`, async () => {
    const config = tiny({ feed_forward_proj: proj, tie_word_embeddings: proj === "relu" });
    const weights = randomT5Weights(config, 4);
    const B = 2, S = 4, T = 3;
    const labels = [[3, 5, -100], [7, 2, 9]];
    const feeds: Record<string, TensorData> = {
      input_ids: int64([[1, 4, 6, 0], [2, 8, 3, 10]]),
      attention_mask: Float32Array.from([1, 1, 1, 0, 1, 1, 1, 1]),
      decoder_input_ids: int64(shiftRight(labels, config)),
      labels: int64(labels),
    };
    for (const [name, w] of weights) feeds[name] = w.data;
    const checked = [
      SHARED,
      "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
      "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
      "decoder.block.1.layer.1.EncDecAttention.v.weight",
      `encoder.block.0.layer.1.DenseReluDense.${proj === "relu" ? "wi" : "wi_1"}.weight`,
      "decoder.final_layer_norm.weight",
    ];
    const report = await gradcheck({
      feeds,
      build(g) {
        const params = new GraphParams(g, weights, () => true);
        const { loss } = buildT5Loss(g, config, params.get, { batch: B, srcLen: S, tgtLen: T, train: false });
        return { inputs: checked.map(params.get), out: loss };
      },
    }, { eps: 1e-2, atol: 2e-4, rtol: 3e-2, samples: 8 });
    assert.ok(report.passed, JSON.stringify(report.worst));
  });
}

/** The training loss of the v1.1 fixture's batch with dropout on (seed `seed`), or off. */
async function fixtureLoss(config: T5Config, weights: TensorMap, seed?: number): Promise<number> {
  const want = await readExpected("tiny-t5-v1_1");
  const [B, S, T] = [want.input_ids.length, want.input_ids[0].length, want.labels[0].length];
  const g = new Graph();
  const params = new GraphParams(g, weights, () => false);
  const { loss } = buildT5Loss(g, config, params.get, { batch: B, srcLen: S, tgtLen: T, train: seed !== undefined });
  const compiled = await CompiledGraph.compile(g, { loss: op.reshape(loss, [1]) });
  const given: Record<string, TensorData> = {
    input_ids: int64(want.input_ids),
    attention_mask: Float32Array.from(want.attention_mask.flat()),
    decoder_input_ids: int64(want.decoder_input_ids),
    labels: int64(want.labels),
  };
  if (seed !== undefined) given.dropout_seed = Uint32Array.of(seed);
  const out = Number((await compiled.run(feedsFor(compiled, given, weights))).loss[0]);
  await compiled.release();
  return out;
}

Deno.test("dropout in training: a seed gives one loss, another seed another, rate 0 gives the evaluation loss", async () => {
  const { config, weights } = await loadT5Folder(`${FIXTURES}tiny-t5-v1_1`);
  const want = await readExpected("tiny-t5-v1_1");
  const evaluation = await fixtureLoss(config, weights);
  assert.ok(Math.abs(evaluation - want.loss) < 1e-4);
  const [a, a2, b] = [await fixtureLoss(config, weights, 1), await fixtureLoss(config, weights, 1), await fixtureLoss(config, weights, 2)];
  assert.equal(a, a2);
  assert.notEqual(a, b);
  assert.ok(Math.abs(a - evaluation) > 1e-3, `dropout changed nothing: ${a} vs ${evaluation}`);
  assert.ok(Math.abs((await fixtureLoss({ ...config, dropout_rate: 0 }, weights, 1)) - evaluation) < 1e-6);
});

Deno.test("tokenizer: Unigram pieces with </s> closing, sentinels at the last ids, decoding back to the text", async () => {
  const tok = await loadT5Tokenizer(`${FIXTURES}tiny-t5`);
  assert.deepEqual([tok.pad, tok.eos, tok.unk], [0, 1, 2]);
  assert.equal(tok.sentinelIds.length, 16);
  assert.equal(tok.sentinel(0), tok.vocabSize - 1);
  assert.equal(tok.sentinel(15), tok.vocabSize - 16);
  const vocab: [string, number][] = JSON.parse(await Deno.readTextFile(`${FIXTURES}tiny-t5/tokenizer.json`)).model.vocab;
  const pieces = (ids: number[]) => ids.map((i) => vocab[i][0]);
  // The best Unigram path: whole words (log-probability -4 or -5) over their characters (-7 each).
  const ids = tok.encode("质量很好，快递不错。");
  assert.deepEqual(pieces(ids), ["▁质量", "很好", "，", "快递", "不错", "。", "</s>"]);
  assert.equal(tok.decode(ids), "质量很好，快递不错。");
  assert.deepEqual(pieces(tok.encode("质量<extra_id_0>快递", { eos: false })), ["▁质量", "<extra_id_0>", "▁快递"]);
  assert.deepEqual(pieces(tok.encode("ħ好")), ["▁", "<unk>", "好", "</s>"]);
  const batch = tok.encodeBatch(["好", "质量很好，快递不错。"], 5);
  assert.deepEqual(batch.attentionMask.map((r) => r.reduce((a, b) => a + b)), [batch.inputIds[0].indexOf(tok.eos) + 1, 5]);
  assert.equal(batch.inputIds[1][4], tok.eos, "a cut row keeps its </s>");
  await rejects(() => tok.sentinel(16), "tiny-t5/tokenizer.json", /no sentinel <extra_id_16> \(the vocabulary has 16\)/);
});

/** A copy of a fixture folder under a temporary folder, to be spoilt by a test. */
async function copyFixture(variant: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "t5-" });
  for await (const e of Deno.readDir(`${FIXTURES}${variant}`)) await Deno.copyFile(`${FIXTURES}${variant}/${e.name}`, `${dir}/${e.name}`);
  return dir;
}

const editConfig = async (dir: string, edit: (c: Record<string, unknown>) => void) => {
  const c = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  edit(c);
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(c));
};

Deno.test("sharded safetensors load to the same weights as the whole file", async () => {
  const dir = await copyFixture("tiny-t5-v1_1");
  const { weights } = await loadT5Folder(dir);
  await Deno.remove(`${dir}/model.safetensors`);
  const names = [...weights.keys()], half = names.length >> 1;
  const shards = [names.slice(0, half), names.slice(half)];
  const files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  for (const [i, part] of shards.entries()) await writeSafetensors(`${dir}/${files[i]}`, new Map(part.map((n) => [n, weights.get(n)!])));
  const weight_map = Object.fromEntries(shards.flatMap((part, i) => part.map((n) => [n, files[i]])));
  await Deno.writeTextFile(`${dir}/model.safetensors.index.json`, JSON.stringify({ weight_map }));
  const sharded = await loadT5Folder(dir);
  assert.deepEqual([...sharded.weights.keys()].sort(), [...names].sort());
  for (const n of names) assert.deepEqual(sharded.weights.get(n)!.data, weights.get(n)!.data);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pytorch_model.bin with tied aliases: embed_tokens and lm_head dropped, shared kept", async () => {
  const { ignored, weights } = await loadT5Folder(`${FIXTURES}tiny-t5`);
  assert.deepEqual(ignored.sort(), ["decoder.embed_tokens.weight", "encoder.embed_tokens.weight", "lm_head.weight"]);
  assert.ok(weights.has(SHARED) && !weights.has("lm_head.weight"));
});

Deno.test("bad T5 folders: an InputError naming the file and what is wrong", async (t) => {
  const cases: [string, string, (dir: string) => Promise<void>, string, RegExp][] = [
    ["a BERT config", "tiny-t5-v1_1", (d) => editConfig(d, (c) => (c.model_type = "bert")), "config.json", /model_type.*not a T5 config/],
    [
      "d_kv × num_heads off the weights",
      "tiny-t5-v1_1",
      (d) => editConfig(d, (c) => (c.d_kv = 4)),
      "config.json",
      /d_kv 4 × num_heads 4 = 16 but the weights' q\/k\/v have 32 rows/,
    ],
    ["an absurd size", "tiny-t5-v1_1", (d) => editConfig(d, (c) => (c.num_layers = 1e9)), "config.json", /num_layers.*larger than any T5/],
    [
      "a layer count off the weights",
      "tiny-t5",
      (d) => editConfig(d, (c) => (c.num_decoder_layers = 3)),
      "config.json",
      /num_decoder_layers 3 but the weights hold 2 decoder blocks/,
    ],
    [
      "an unknown feed-forward",
      "tiny-t5",
      (d) => editConfig(d, (c) => (c.feed_forward_proj = "swiglu")),
      "config.json",
      /feed_forward_proj.*unsupported/,
    ],
    [
      "spiece.model without tokenizer.json",
      "tiny-t5",
      async (d) => {
        await Deno.remove(`${d}/tokenizer.json`);
        await Deno.writeFile(`${d}/spiece.model`, new Uint8Array(8));
      },
      "spiece.model",
      /T5TokenizerFast\.from_pretrained\(.*\)\.save_pretrained/,
    ],
    [
      "a missing decoder tensor",
      "tiny-t5-v1_1",
      async (d) => {
        const { weights } = await loadT5Folder(d);
        weights.delete("decoder.block.1.layer.1.EncDecAttention.k.weight");
        await writeSafetensors(`${d}/model.safetensors`, weights);
      },
      "model.safetensors",
      /decoder\.block\.1\.layer\.1\.EncDecAttention\.k\.weight.*missing from the weights/,
    ],
  ];
  for (const [title, variant, spoil, file, problem] of cases) {
    await t.step(title, async () => {
      const dir = await copyFixture(variant);
      await spoil(dir);
      await rejects(() => loadT5Folder(dir), `${dir}/${file}`, problem);
      await Deno.remove(dir, { recursive: true });
    });
  }
});
