/**
 * Dynamic masking for masked-LM training and evaluation: 15% of the real tokens of a batch, each replaced by
 * [MASK] (80%), a random token (10%) or kept (10%), as BERT does. Used by pre-training, PET's auxiliary
 * objective and the held-out masked-LM score.
 */
import type { Rng } from "../util/rng.ts";
import { type TokenBatch, tokenFeeds } from "./batch.ts";
import type { BertTokenizer } from "./tokenizers/tokenizer.ts";

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

/** Masking vocabulary of a tokenizer. */
export function maskingVocab(tok: BertTokenizer): MaskingVocab {
  const { cls, sep, pad, mask, unk } = tok.specialIds;
  return { vocabSize: tok.vocabSize, maskId: mask, special: new Set([cls, sep, pad, mask, unk]) };
}

/** Feeds of a masked batch (the weights are fed by the caller). */
export function mlmFeeds(b: MlmBatch) {
  return { ...tokenFeeds(b.tokens), rows: b.rows, targets: b.targets, weights: b.weights };
}
