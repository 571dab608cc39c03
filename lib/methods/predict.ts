/** Batched inference shared by the methods' predictors. */
import { argmax } from "../eval/metrics.ts";
import { chunks, packBatch, type TokenBatch, type TokenSeq } from "../model/batch.ts";

/**
 * Run `run` over `seqs` in fixed-size batches (the last one padded with empty rows) and collect one row of
 * class probabilities per sequence.
 *
 * @param run returns row-major class probabilities (or logits, with `softmax: true`) for a whole batch.
 */
export async function predictBatches(
  seqs: readonly TokenSeq[],
  batchSize: number,
  maxLength: number,
  numClasses: number,
  run: (batch: TokenBatch) => Promise<Float32Array>,
  { softmax = false } = {},
): Promise<number[][]> {
  const out: number[][] = [];
  for (const part of chunks(seqs, batchSize)) {
    const values = await run(packBatch(part, { batch: batchSize, maxLength }));
    for (let r = 0; r < part.length; r++) {
      const row = Array.from(values.subarray(r * numClasses, (r + 1) * numClasses));
      out.push(softmax ? softmaxRow(row) : row);
    }
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

/** Accuracy of probability rows against gold class indices. */
export function accuracyOf(proba: readonly number[][], gold: readonly number[]): number {
  let correct = 0;
  proba.forEach((p, i) => (correct += argmax(p) === gold[i] ? 1 : 0));
  return proba.length ? correct / proba.length : 0;
}
