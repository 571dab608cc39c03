/**
 * Gradient accumulation: a batch run as several passes, each weighted by its masked tokens, gives the
 * gradient and loss of the whole batch in one pass; a single pass goes through untouched; batches are cut
 * into passes of one row count.
 */
import assert from "node:assert/strict";
import { mlmLoss } from "../lib/model/bert/mlm_graph.ts";
import { mlmFeeds } from "../lib/model/masking.ts";
import { maskBatch, maskCapacity, type MlmBatch } from "../lib/model/masking.ts";
import { packBatch } from "../lib/model/batch.ts";
import { parseBertConfig } from "../lib/model/bert/config.ts";
import { randomBertWeights } from "../lib/model/bert/random.ts";
import { GradientStep } from "../lib/engine/gradient_step.ts";
import { GradAccumulator } from "../lib/train/grad_accumulator.ts";
import { microBatches } from "../lib/pretrain/mlm_batches.ts";
import { Rng } from "../lib/util/rng.ts";

const config = parseBertConfig({
  vocab_size: 60,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 16,
});
const vocab = { vocabSize: 60, maskId: 4, special: new Set([0, 1, 2, 3, 4]) };
const L = 16, PART_ROWS = 3;

/** Sequences of random lengths (one part with short rows, so the parts' masked counts differ). */
function sequences(rng: Rng, n: number) {
  return Array.from(
    { length: n },
    (_, r) => ({ ids: [2, ...Array.from({ length: (r < PART_ROWS ? 3 : 12) + rng.int(3) }, () => 5 + rng.int(55)), 3] }),
  );
}

/** Two masked parts, and the same tokens and masked positions as one batch of all their rows. */
function partsAndWhole(): { parts: MlmBatch[]; whole: MlmBatch } {
  const rng = new Rng(7);
  const seqs = sequences(rng, 2 * PART_ROWS);
  const parts = [seqs.slice(0, PART_ROWS), seqs.slice(PART_ROWS)].map((s) =>
    maskBatch(packBatch(s, { batch: PART_ROWS, seqLen: L }), rng, vocab)
  );
  const cap = maskCapacity(PART_ROWS, L);
  const whole = packBatch(seqs, { batch: 2 * PART_ROWS, seqLen: L });
  whole.inputIds.set(parts[0].tokens.inputIds, 0);
  whole.inputIds.set(parts[1].tokens.inputIds, PART_ROWS * L);
  // The masked slots of both parts side by side; the second part's positions shifted by its row offset.
  const shift = BigInt(PART_ROWS * L);
  const rows = new BigInt64Array(2 * cap), targets = new BigInt64Array(2 * cap), weights = new Float32Array(2 * cap);
  parts.forEach((p, k) => {
    targets.set(p.targets, k * cap);
    weights.set(p.weights, k * cap);
    p.rows.forEach((v, i) => (rows[k * cap + i] = p.weights[i] ? v + BigInt(k) * shift : 0n));
  });
  return {
    parts,
    whole: { tokens: whole, rows, targets, weights, masked: parts[0].masked + parts[1].masked },
  };
}

const step = (rows: number, capacity: number, weights: ReturnType<typeof randomBertWeights>) =>
  GradientStep.build((g) => {
    const { params, loss } = mlmLoss(g, config, weights, rows, L, capacity, false);
    return { params, loss };
  });

Deno.test("gradient accumulation: passes weighted by masked tokens give the whole batch's loss and gradients", async () => {
  const weights = randomBertWeights(config, 3);
  const { parts, whole } = partsAndWhole();
  assert.notEqual(parts[0].masked, parts[1].masked, "the parts must differ in masked count for the weighting to matter");
  const cap = maskCapacity(PART_ROWS, L);
  const [partStep, wholeStep] = await Promise.all([step(PART_ROWS, cap, weights), step(2 * PART_ROWS, 2 * cap, weights)]);
  try {
    const sum = new GradAccumulator();
    for (const p of parts) {
      const r = await partStep.run(weights, mlmFeeds(p));
      sum.add(r.loss, r.grads, p.masked);
    }
    const acc = sum.result();
    const ref = await wholeStep.run(weights, mlmFeeds(whole));
    assert.ok(Math.abs(acc.loss - ref.loss) < 1e-5 * ref.loss, `loss ${acc.loss} vs ${ref.loss}`);
    // An unweighted mean of the parts is measurably off: the check can tell the weighting apart.
    const plain = new GradAccumulator();
    for (const p of parts) plain.add((await partStep.run(weights, mlmFeeds(p))).loss, new Map(), 1);
    assert.ok(Math.abs(plain.result().loss - ref.loss) > 1e-3, "equal weights should not match");
    for (const [name, g] of ref.grads) {
      const a = acc.grads.get(name)!.data;
      let err = 0, norm = 0;
      g.data.forEach((v, i) => {
        err = Math.max(err, Math.abs(a[i] - v));
        norm = Math.max(norm, Math.abs(v));
      });
      assert.ok(err <= 1e-5 * norm + 1e-7, `${name}: max error ${err} (max |g| ${norm})`);
    }
  } finally {
    await partStep.release();
    await wholeStep.release();
  }
});

Deno.test("gradient accumulation: one pass goes through bit for bit", () => {
  const g = new Float32Array([0.1, -0.3, 1e-7]);
  const sum = new GradAccumulator();
  sum.add(0.7, new Map([["w", { shape: [3], data: g.slice() }]]), 13);
  const r = sum.result();
  assert.equal(r.loss, 0.7);
  assert.deepEqual(r.grads.get("w")!.data, g);
  assert.throws(() => new GradAccumulator().add(1, new Map(), 0), /weight must be > 0/);
});

Deno.test("gradient accumulation: several parts give the arithmetic of scaling and summing pass by pass, bit for bit", () => {
  const rng = new Rng(5);
  const part = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const parts = [[part(7), part(3)], [part(7)], [part(7), part(3)]]; // the second part has no gradient for "b"
  const weights = [3, 5, 2];
  // The reference: the first part scaled by its weight in a pass of its own, each later part added times its
  // weight, the sum divided by the total weight; every pass stores float32.
  const ref = parts[0].map((g) => Float32Array.from(g, (x) => x * weights[0]));
  parts.slice(1).forEach((p, k) => p.forEach((g, t) => g.forEach((x, i) => (ref[t][i] += weights[k + 1] * x))));
  ref.forEach((g) => g.forEach((x, i) => (g[i] = x * (1 / 10))));
  const sum = new GradAccumulator();
  parts.forEach((p, k) => sum.add(k, new Map(p.map((g, t) => [["a", "b"][t], { shape: [g.length], data: g.slice() }])), weights[k]));
  const r = sum.result();
  assert.deepEqual([r.grads.get("a")!.data, r.grads.get("b")!.data], ref);
  assert.equal(r.loss, (0 * 3 + 1 * 5 + 2 * 2) / 10);
  assert.throws(() => sum.add(1, new Map([["c", { shape: [1], data: part(1) }]]), 1), /"c" missing from the first part/);
});

Deno.test("micro-batches: a batch cut into passes of one row count, at most maxTokens each", () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => i);
  assert.deepEqual(microBatches(rows(256), 256, 32, 2048).parts.map((p) => p.length), [64, 64, 64, 64]);
  assert.deepEqual(microBatches(rows(64), 64, 128, 8192), { parts: [rows(64)], rows: 64 });
  // 5 rows of 128 in passes of 256 tokens: 3 passes of 2 rows, the last one short.
  assert.deepEqual(microBatches(rows(5), 5, 128, 256), { parts: [[0, 1], [2, 3], [4]], rows: 2 });
  // A row longer than the budget still runs, one row a pass; a bucket's last batch has fewer sequences.
  assert.deepEqual(microBatches(rows(3), 4, 128, 64), { parts: [[0], [1], [2]], rows: 1 });
});
