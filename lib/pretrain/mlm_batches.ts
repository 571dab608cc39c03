/**
 * Masked-LM batches: length-bucketed, a fixed number of tokens per batch; their masks are drawn afresh each
 * time a batch is used (`model/masking.ts`).
 *
 * Every random choice is a function of (seed, epoch) or (seed, step), so a run resumed from a checkpoint
 * sees exactly the batches and masks an uninterrupted run would.
 */
import { mixSeed, Rng } from "../util/rng.ts";
import { packBatch, type TokenBatch, type TokenSeq } from "../model/batch.ts";

/** Sequence lengths of the buckets; a text goes to the smallest that holds it. */
export const MLM_BUCKETS = [32, 64, 128] as const;

/**
 * The batches of an epoch: each bucket's sequences shuffled and cut into batches of
 * `tokensPerBatch / length` rows (the last one padded with empty rows), then every batch shuffled.
 */
export class BucketedBatches {
  readonly #buckets: { length: number; rows: number; seqs: TokenSeq[] }[];

  constructor(seqs: readonly TokenSeq[], private readonly tokensPerBatch: number, private readonly seed: number, maxLength = 128) {
    const lengths = MLM_BUCKETS.filter((l) => l <= maxLength);
    this.#buckets = lengths.map((length) => ({ length, rows: Math.max(1, Math.floor(tokensPerBatch / length)), seqs: [] as TokenSeq[] }));
    for (const s of seqs) {
      const b = this.#buckets.find((b) => b.length >= s.ids.length) ?? this.#buckets.at(-1)!;
      b.seqs.push(s.ids.length > b.length ? { ids: s.ids.slice(0, b.length) } : s);
    }
  }

  /** The (batch rows, length) shapes batches can have. */
  get shapes(): { rows: number; length: number }[] {
    return this.#buckets.filter((b) => b.seqs.length).map(({ rows, length }) => ({ rows, length }));
  }

  /** The batches of `epoch`, in training order. */
  epoch(epoch: number): { seqs: TokenSeq[]; rows: number; length: number }[] {
    const out: { seqs: TokenSeq[]; rows: number; length: number }[] = [];
    this.#buckets.forEach((b, i) => {
      const order = new Rng(mixSeed(this.seed, epoch, i)).shuffle(b.seqs);
      for (let at = 0; at < order.length; at += b.rows) out.push({ seqs: order.slice(at, at + b.rows), rows: b.rows, length: b.length });
    });
    return new Rng(mixSeed(this.seed, epoch, 0x5eed)).shuffle(out);
  }
}

/** Pack a bucket's sequences into its fixed shape. */
export function packBucket(seqs: readonly TokenSeq[], rows: number, length: number, padId: number): TokenBatch {
  return packBatch(seqs, { batch: rows, seqLen: length, padId });
}

/**
 * A batch of `rows` rows cut into passes of at most `maxTokens` padded tokens (at least one row each), all
 * of one row count so that they share one compiled graph; a part may end with empty rows.
 */
export function microBatches<T>(seqs: readonly T[], rows: number, length: number, maxTokens: number): { parts: T[][]; rows: number } {
  const count = Math.ceil(rows / Math.max(1, Math.floor(maxTokens / length)));
  const partRows = Math.ceil(rows / count);
  const parts: T[][] = [];
  for (let at = 0; at < seqs.length; at += partRows) parts.push(seqs.slice(at, at + partRows));
  return { parts, rows: partRows };
}
