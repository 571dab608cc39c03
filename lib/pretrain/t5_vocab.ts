/**
 * The tokenizer of a T5 the kit pre-trains from scratch. No SentencePiece trainer runs offline, so the kit writes
 * the `tokenizer.json` that SentencePiece's conversion would produce for a character-level Unigram model: every
 * character seen at least `minFreq` times in the corpus is a piece scored by its log relative frequency, with
 * `▁` (Metaspace's word boundary) as a piece of its own; `<pad>`=0, `</s>`=1, `<unk>`=2 first, the sentinels
 * `<extra_id_N>` last (`<extra_id_0>` the very last id, as T5's vocabularies place them). Characters, as the
 * kit's BERT vocabulary has them, so that masked LM and span corruption compare on the same units; unlike
 * BERT's, the pieces keep case and accents (nothing is normalised but runs of spaces), so text round-trips.
 * @module
 */
import { addedTokens } from "../model/tokenizers/wordpiece.ts";

/** Sentinels of a kit-made T5, as many as T5's own vocabularies have. */
export const T5_SENTINELS = 100;

/** Special pieces at ids 0, 1, 2. */
const SPECIALS = ["<pad>", "</s>", "<unk>"] as const;

/** SentencePiece's word-boundary mark, which Metaspace puts for spaces and before each text. */
const SPACE = "\u2581";

/** Options of {@link t5TokenizerFiles}. */
export interface T5VocabOptions {
  /** Keep characters seen at least this often. */
  minFreq: number;
  /** Number of sentinels (default {@link T5_SENTINELS}). */
  sentinels?: number;
}

/**
 * Unigram pieces of `texts` with their scores (log relative frequencies): specials, then `▁` and the characters
 * by descending frequency (ties by code point, deterministic), then the sentinels from `<extra_id_{n−1}>` down
 * to `<extra_id_0>`.
 */
export function t5Pieces(texts: Iterable<string>, { minFreq, sentinels = T5_SENTINELS }: T5VocabOptions): [string, number][] {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const ch of SPACE + text.replace(/ +/g, SPACE)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  const kept = [...counts].filter(([, n]) => n >= minFreq)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const total = kept.reduce((s, [, n]) => s + n, 0);
  return [
    ...SPECIALS.map((p): [string, number] => [p, 0]),
    ...kept.map(([p, n]): [string, number] => [p, Math.log(n / total)]),
    ...Array.from({ length: sentinels }, (_, i): [string, number] => [`<extra_id_${sentinels - 1 - i}>`, 0]),
  ];
}

/**
 * `tokenizer.json` (as transformers' T5 converter writes it) and `tokenizer_config.json` of Unigram `pieces`
 * ({@link t5Pieces}).
 */
export function t5TokenizerFiles(pieces: readonly [string, number][]): Record<string, string> {
  const sentinels = pieces.filter(([p]) => p.startsWith("<extra_id_")).map(([p]) => p);
  const metaspace = { type: "Metaspace", replacement: SPACE, prepend_scheme: "always", split: true };
  const A = { Sequence: { id: "A", type_id: 0 } }, eos = { SpecialToken: { id: "</s>", type_id: 0 } };
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens([...SPECIALS, ...sentinels], (t) => pieces.findIndex(([p]) => p === t)),
    normalizer: { type: "Replace", pattern: { Regex: " {2,}" }, content: " " },
    pre_tokenizer: metaspace,
    post_processor: {
      type: "TemplateProcessing",
      single: [A, eos],
      pair: [A, eos, { Sequence: { id: "B", type_id: 0 } }, eos],
      special_tokens: { "</s>": { id: "</s>", ids: [1], tokens: ["</s>"] } },
    },
    decoder: metaspace,
    model: { type: "Unigram", unk_id: 2, vocab: pieces, byte_fallback: false },
  };
  const config = {
    tokenizer_class: "T5Tokenizer",
    eos_token: "</s>",
    unk_token: "<unk>",
    pad_token: "<pad>",
    extra_ids: sentinels.length,
    additional_special_tokens: sentinels.slice().reverse(),
    model_max_length: 512,
  };
  return {
    "tokenizer.json": JSON.stringify(tokenizer, null, 1) + "\n",
    "tokenizer_config.json": JSON.stringify(config, null, 2) + "\n",
  };
}
