/** Batched inference shared by the methods' predictors. */
import { argmax } from "../eval/metrics.ts";
import { chunks, packBatch, SCORING_LENGTH_BUCKETS, type TextInput, type TokenBatch, type TokenSeq } from "../model/batch.ts";
import type { Predictor, Readings } from "./types.ts";

/**
 * Run `run` over `seqs` in fixed-size batches and collect one row of class probabilities per sequence, in input
 * order. Batches are cut from the sequences sorted by length (stable), so short ones share a short length
 * bucket instead of padding to the longest text of an input-order batch, and padded to the finer
 * `SCORING_LENGTH_BUCKETS` (scoring has no dropout); the last batch is padded with empty rows so every batch
 * has `batchSize` rows.
 *
 * @param run returns row-major class probabilities (or logits, with `softmax: true`) for a whole batch;
 *   `part` holds the batch's sequences, row by row.
 */
export async function predictBatches<S extends TokenSeq>(
  seqs: readonly S[],
  batchSize: number,
  maxLength: number,
  numClasses: number,
  run: (batch: TokenBatch, part: readonly S[]) => Promise<Float32Array>,
  { softmax = false } = {},
): Promise<number[][]> {
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].ids.length - seqs[b].ids.length);
  const out: number[][] = new Array(seqs.length);
  for (const idx of chunks(order, batchSize)) {
    const part = idx.map((i) => seqs[i]);
    const values = await run(packBatch(part, { batch: batchSize, maxLength, buckets: SCORING_LENGTH_BUCKETS }), part);
    idx.forEach((i, r) => {
      const row = Array.from(values.subarray(r * numClasses, (r + 1) * numClasses));
      out[i] = softmax ? softmaxRow(row) : row;
    });
  }
  return out;
}

/** Numerically stable softmax of one row. */
export function softmaxRow(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Log-softmax of one row of logits (float64, stable), e.g. a vocabulary's logits read from a runtime's output. */
export function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const logZ = max + Math.log(sum);
  return Float64Array.from(logits, (x) => x - logZ);
}

/** Accuracy of probability rows against gold class indices. */
export function accuracyOf(proba: readonly number[][], gold: readonly number[]): number {
  let correct = 0;
  proba.forEach((p, i) => (correct += argmax(p) === gold[i] ? 1 : 0));
  return proba.length ? correct / proba.length : 0;
}

/** `predictor`'s probabilities of `inputs` and its variants' readings, from one pass (none for a predictor without variants). */
export function readingsOf(predictor: Predictor, inputs: readonly TextInput[]): Promise<Readings> {
  return predictor.predictReadings?.(inputs) ?? predictor.predictProba(inputs).then((proba) => ({ proba, variants: [] }));
}
