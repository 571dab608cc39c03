/**
 * Masked-LM batches: length-bucketed, a fixed number of tokens per batch, and dynamic masking (15% of the
 * real tokens, 80% [MASK] / 10% random / 10% kept) drawn afresh each time a batch is used.
 *
 * Every random choice is a function of (seed, epoch) or (seed, step), so a run resumed from a checkpoint
 * sees exactly the batches and masks an uninterrupted run would.
 */
import { hash32, Rng } from "../util/rng.ts";
import { type TokenBatch, type TokenSeq, packBatch } from "../methods/batch.ts";

/** Sequence lengths of the buckets; a text goes to the smallest that holds it. */
export const MLM_BUCKETS = [32, 64, 128] as const;

/** A batch's place in the data order, saved in checkpoints. */
export interface DataPosition {
  epoch: number;
  /** Index of the next batch within the epoch. */
  index: number;
}

/** Mix integers into a seed. */
export function mixSeed(...parts: number[]): number {
  return parts.reduce((h, p) => hash32((h ^ (p >>> 0)) >>> 0), 0x2545f491);
}

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

/** Ids that masking leaves alone and never samples as random replacements. */
export interface MaskingVocab {
  vocabSize: number;
  maskId: number;
  /** Special ids ([PAD], [CLS], [SEP], [UNK], [MASK]); never masked, never drawn. */
  special: ReadonlySet<number>;
}

/** A masked batch: the corrupted tokens and the rows/targets/weights of the loss (fixed count, padded). */
export interface MlmBatch {
  tokens: TokenBatch;
  /** Flat indices b·L + l of the masked positions [capacity]. */
  rows: BigInt64Array;
  targets: BigInt64Array;
  /** 1 for a real masked position, 0 for padding. */
  weights: Float32Array;
  masked: number;
}

/** Masked positions a batch of `rows` x `length` can have: the loss graph's static size. */
export function maskCapacity(rows: number, length: number, rate = 0.15): number {
  return Math.max(1, Math.ceil(rate * rows * length));
}

/**
 * Mask `round(rate · n)` of the n maskable tokens (at least one), chosen uniformly without replacement;
 * each becomes [MASK] (80%), a random non-special token (10%) or stays (10%).
 */
export function maskBatch(tokens: TokenBatch, rng: Rng, vocab: MaskingVocab, rate = 0.15): MlmBatch {
  const ids = tokens.inputIds.slice();
  const candidates: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (tokens.attentionMask[i] === 1 && !vocab.special.has(Number(ids[i]))) candidates.push(i);
  }
  const capacity = maskCapacity(tokens.batch, tokens.seqLen, rate);
  const count = Math.min(capacity, candidates.length, Math.max(1, Math.round(rate * candidates.length)));
  const rows = new BigInt64Array(capacity), targets = new BigInt64Array(capacity), weights = new Float32Array(capacity);
  for (let k = 0; k < count; k++) {
    const j = k + rng.int(candidates.length - k);
    [candidates[k], candidates[j]] = [candidates[j], candidates[k]];
    const pos = candidates[k];
    rows[k] = BigInt(pos);
    targets[k] = ids[pos];
    weights[k] = 1;
    const r = rng.next();
    if (r < 0.8) ids[pos] = BigInt(vocab.maskId);
    else if (r < 0.9) {
      let t: number;
      do t = rng.int(vocab.vocabSize); while (vocab.special.has(t));
      ids[pos] = BigInt(t);
    }
  }
  return { tokens: { ...tokens, inputIds: ids }, rows, targets, weights, masked: count };
}

/** Pack a bucket's sequences into its fixed shape. */
export function packBucket(seqs: readonly TokenSeq[], rows: number, length: number, padId: number): TokenBatch {
  return packBatch(seqs, { batch: rows, seqLen: length, padId });
}
