/**
 * A corpus's size in a model's tokens: every text encoded with the tokenizer, counted whole and as
 * pre-training reads it (cut to the longest sequence with `[CLS]` and `[SEP]`), and the share of `[UNK]`s (a
 * vocabulary built from one corpus meets characters of another it never kept).
 */
import type { BertTokenizer } from "../model/tokenizers/tokenizer.ts";
import type { Corpus } from "./corpus.ts";

/** What {@link corpusTokens} counts. */
export interface CorpusTokens {
  texts: number;
  characters: number;
  /** Tokens of every text, uncut, special tokens left out. */
  tokens: number;
  /** Tokens pre-training sees: each text cut to `maxLength` with its two special tokens. */
  trainedTokens: number;
  /** `[UNK]` tokens among `tokens`. */
  unknown: number;
}

/** Count `corpus`'s texts (training and held-out) in `tokenizer`'s tokens. */
export function corpusTokens(corpus: Pick<Corpus, "train" | "heldout">, tokenizer: BertTokenizer, maxLength: number): CorpusTokens {
  const counts: CorpusTokens = { texts: 0, characters: 0, tokens: 0, trainedTokens: 0, unknown: 0 };
  const unk = tokenizer.specialIds.unk;
  for (const text of [...corpus.heldout, ...corpus.train]) {
    const ids = tokenizer.encodeText(text);
    counts.texts++;
    counts.characters += text.length;
    counts.tokens += ids.length;
    counts.trainedTokens += Math.min(ids.length, maxLength - 2) + 2;
    counts.unknown += ids.filter((id) => id === unk).length;
  }
  return counts;
}
