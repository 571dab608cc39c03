/**
 * Token sequences packed into fixed-shape batches: the row count is fixed per graph and the length is
 * padded up to a bucket, so a handful of compiled sessions serve a whole run.
 */
import type { TensorData } from "../engine/graph.ts";
import { type BertTokenizer, truncateLongestFirst } from "./tokenizers/tokenizer.ts";

/** Padded sequence lengths; a batch takes the smallest that fits its longest row. */
export const LENGTH_BUCKETS = [16, 32, 64, 128, 256, 512] as const;

/**
 * The finer lengths of forward-only scoring batches (`predictBatches`). Without dropout a row's outputs do not
 * depend on how far it is padded, so scoring can pad less at the cost of a few more compiled sessions;
 * training keeps {@link LENGTH_BUCKETS}, since its dropout masks are drawn over the padded shape.
 */
export const SCORING_LENGTH_BUCKETS = [16, 32, 48, 64, 96, 128, 192, 256, 384, 512] as const;

/** One token sequence, special tokens included. */
export interface TokenSeq {
  ids: number[];
  /** Token type per id; default all 0. */
  typeIds?: number[];
}

/** A padded batch ready to feed a BERT graph. */
export interface TokenBatch {
  batch: number;
  seqLen: number;
  inputIds: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  attentionMask: Float32Array;
  /** Rows holding real sequences (the rest are padding rows up to `batch`). */
  real: number;
}

/** The smallest of `buckets` holding `length` tokens, capped at `maxLength`. */
export function bucketFor(length: number, maxLength: number, buckets: readonly number[] = LENGTH_BUCKETS): number {
  return Math.min(buckets.find((b) => b >= length) ?? maxLength, maxLength);
}

/**
 * Pad `seqs` to `batch` rows of one bucket length (or `seqLen` when given); the buckets are
 * {@link LENGTH_BUCKETS} unless `buckets` says otherwise.
 * @throws when a sequence is longer than the chosen length (callers truncate first).
 */
export function packBatch(
  seqs: readonly TokenSeq[],
  { batch = seqs.length, seqLen, maxLength = 512, padId = 0, buckets }: {
    batch?: number;
    seqLen?: number;
    maxLength?: number;
    padId?: number;
    buckets?: readonly number[];
  } = {},
): TokenBatch {
  if (seqs.length > batch) throw new Error(`packBatch: ${seqs.length} sequences for ${batch} rows`);
  const L = seqLen ?? bucketFor(Math.max(1, ...seqs.map((s) => s.ids.length)), maxLength, buckets);
  const inputIds = new BigInt64Array(batch * L).fill(BigInt(padId));
  const tokenTypeIds = new BigInt64Array(batch * L);
  const attentionMask = new Float32Array(batch * L);
  seqs.forEach((s, r) => {
    if (s.ids.length > L) throw new Error(`packBatch: a sequence of ${s.ids.length} tokens exceeds length ${L}`);
    s.ids.forEach((id, j) => {
      inputIds[r * L + j] = BigInt(id);
      tokenTypeIds[r * L + j] = BigInt(s.typeIds?.[j] ?? 0);
      attentionMask[r * L + j] = 1;
    });
  });
  return { batch, seqLen: L, inputIds, tokenTypeIds, attentionMask, real: seqs.length };
}

/** The three token feeds of a BERT graph. */
export function tokenFeeds(b: TokenBatch): Record<string, TensorData> {
  return { input_ids: b.inputIds, token_type_ids: b.tokenTypeIds, attention_mask: b.attentionMask };
}

/** One input of a method: a text, or a sentence pair (`textB` set), as data rows carry them. */
export type TextInput = string | { readonly text: string; readonly textB?: string };

/** The first text of `input` and its second one (undefined for a single text). */
export function inputTexts(input: TextInput): [string, string | undefined] {
  return typeof input === "string" ? [input, undefined] : [input.text, input.textB];
}

/**
 * BERT's input for each text or pair: `[CLS] a [SEP]`, or `[CLS] a [SEP] b [SEP]` with token type 0 up to
 * the first `[SEP]` and 1 after it, as Hugging Face encodes pairs. Inputs over `maxLength` are cut
 * longest-first ({@link truncateLongestFirst}); `truncated` counts the cut ones so the caller can report it
 * (nothing is dropped silently).
 */
export function encodeTexts(tok: BertTokenizer, inputs: readonly TextInput[], maxLength: number): { seqs: TokenSeq[]; truncated: number } {
  let truncated = 0;
  const { cls, sep } = tok.specialIds;
  const seqs = inputs.map((input): TokenSeq => {
    const [text, textB] = inputTexts(input);
    const a = tok.encodeText(text), b = textB === undefined ? [] : tok.encodeText(textB);
    if (truncateLongestFirst(a, b, maxLength - (textB === undefined ? 2 : 3))) truncated++;
    if (textB === undefined) return { ids: [cls, ...a, sep] };
    return { ids: [cls, ...a, sep, ...b, sep], typeIds: [...a.map(() => 0), 0, 0, ...b.map(() => 1), 1] };
  });
  return { seqs, truncated };
}

/** Split `items` into consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
