/**
 * T5's span corruption (google-research/text-to-text-transfer-transformer, `preprocessors.py`): a noise mask of
 * alternating non-noise and noise spans (`random_spans_noise_mask`), the input keeping the non-noise tokens with
 * each noise span replaced by a unique sentinel (`noise_span_to_unique_sentinel`), the target holding each
 * sentinel followed by its span (`nonnoise_span_to_unique_sentinel`); both end with `</s>`.
 *
 * @example
 * ```ts
 * const { inputs, targets } = spanCorrupt(ids, new Rng(7), { sentinel: (i) => tok.sentinel(i), eos: tok.eos });
 * ```
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** T5's defaults: 15% of the tokens in spans of mean length 3. */
export const SPAN_CORRUPTION = { noiseDensity: 0.15, meanNoiseSpanLength: 3 } as const;

/** Round half to even, as `tf.round` and `np.round` in the reference do (2.5 -> 2, 3.5 -> 4). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The reference's counts for a sequence of `length` tokens: noise tokens `round(length·density)` kept within
 * [1, length − 1], and noise spans `round(noise / mean span)`, at least 1 (a length below 2 counts as 2).
 */
export function noiseCounts(length: number, o = SPAN_CORRUPTION): { noise: number; spans: number } {
  const n = Math.max(length, 2);
  const noise = Math.min(Math.max(roundHalfEven(n * o.noiseDensity), 1), n - 1);
  return { noise, spans: Math.max(roundHalfEven(noise / o.meanNoiseSpanLength), 1) };
}

/**
 * `items` cut into `segments` non-empty runs at random (`_random_segmentation`): segment starts are a shuffle of
 * `segments − 1` ones among the `items − 1` gaps. Returns the run lengths in order.
 */
function randomSegmentation(items: number, segments: number, rng: Rng): number[] {
  const starts = rng.shuffle(Array.from({ length: items - 1 }, (_, i) => i < segments - 1));
  const lengths = [1];
  for (const start of starts) {
    if (start) lengths.push(1);
    else lengths[lengths.length - 1]++;
  }
  return lengths;
}

/**
 * Which of `length` tokens are noise (`random_spans_noise_mask`): a non-noise span first, then noise and non-noise
 * spans alternating, ending with a noise span; the span lengths drawn from `rng` (noise spans first).
 */
export function randomSpansNoiseMask(length: number, rng: Rng, o = SPAN_CORRUPTION): boolean[] {
  const { noise, spans } = noiseCounts(length, o);
  const n = Math.max(length, 2);
  const noiseLengths = randomSegmentation(noise, spans, rng);
  const keptLengths = randomSegmentation(n - noise, spans, rng);
  const mask: boolean[] = [];
  for (let s = 0; s < spans; s++) {
    for (let i = 0; i < keptLengths[s]; i++) mask.push(false);
    for (let i = 0; i < noiseLengths[s]; i++) mask.push(true);
  }
  return mask.slice(0, length);
}

/**
 * `ids` with each run of masked tokens replaced by the next sentinel (`noise_span_to_unique_sentinel`, the
 * sentinels in order from `sentinel(0)`).
 */
function spansToSentinels(ids: readonly number[], mask: readonly boolean[], sentinel: (i: number) => number): number[] {
  const out: number[] = [];
  let spans = 0;
  ids.forEach((id, i) => {
    if (!mask[i]) out.push(id);
    else if (i === 0 || !mask[i - 1]) out.push(sentinel(spans++));
  });
  return out;
}

/** What {@link spanCorrupt} needs of the tokenizer. */
export interface SpanVocab {
  /** Id of `<extra_id_i>`. */
  sentinel: (i: number) => number;
  eos: number;
}

/** One span-corrupted example. */
export interface SpanExample {
  /** Non-noise tokens with a sentinel per noise span, then `</s>`. */
  inputs: number[];
  /** Each sentinel followed by its noise span, then `</s>`. */
  targets: number[];
}

/** Span-corrupt the token ids of one text (without `</s>`), the spans drawn from `rng`. */
export function spanCorrupt(ids: readonly number[], rng: Rng, vocab: SpanVocab, o = SPAN_CORRUPTION): SpanExample {
  const mask = randomSpansNoiseMask(ids.length, rng, o);
  return {
    inputs: [...spansToSentinels(ids, mask, vocab.sentinel), vocab.eos],
    targets: [...spansToSentinels(ids, mask.map((m) => !m), vocab.sentinel), vocab.eos],
  };
}

/**
 * Longest inputs and targets {@link spanCorrupt} makes of texts up to `length` tokens: the fixed shapes of a
 * length bucket's graph (exact from 2 tokens on; a 1-token text makes 2 and 2).
 */
export function spanCorruptedCapacity(length: number, o = SPAN_CORRUPTION): { inputs: number; targets: number } {
  let inputs = 2, targets = 2;
  for (let l = 2; l <= length; l++) {
    const { noise, spans } = noiseCounts(l, o);
    inputs = Math.max(inputs, l - noise + spans + 1);
    targets = Math.max(targets, noise + spans + 1);
  }
  return { inputs, targets };
}
