/**
 * Cutting a text to a number of WordPiece tokens as text, for runtimes that truncate differently from the kit:
 * transformers.js 4.3.1 cuts a sequence after adding special tokens, dropping the final `[SEP]`, where the kit
 * (like Hugging Face Python) cuts the text and keeps it. Handing such a runtime text already cut the kit's way
 * makes its truncation a no-op.
 */
import { inputTexts, type TextInput } from "../batch.ts";
import { truncateLongestFirst } from "./tokenizer.ts";

/** The tokenizer calls {@link cutText} needs (transformers.js' `PreTrainedTokenizer` has them). */
export interface TextTokenizer {
  tokenize(text: string): string[];
}

/**
 * `text` cut to its first `maxTokens` WordPiece tokens, written so that tokenizing it again gives exactly
 * those tokens: continuations (`##x`) glued to their word, words spaced apart. A greedy WordPiece split of a
 * word's prefix ending at a token boundary is the prefix of the word's split, so the tokens come back as they
 * were. `map` may replace tokens first (PET turns a typed `[MASK]` into `[UNK]`).
 */
export function cutText(tok: TextTokenizer, text: string, maxTokens: number, map: (token: string) => string = (t) => t): string {
  const raw = tok.tokenize(text);
  const tokens = raw.map(map);
  if (tokens.length <= maxTokens && tokens.every((t, i) => t === raw[i])) return text;
  return tokens.slice(0, maxTokens).map((t) => (t.startsWith("##") ? t.slice(2) : ` ${t}`)).join("").trim();
}

/**
 * The text of `input`, or both texts of a pair, cut to `maxTokens` WordPiece tokens in all as the kit cuts
 * them: a pair longest-first ({@link truncateLongestFirst}), each text written as {@link cutText} writes it.
 * @returns the first text and the second (undefined for a single text).
 */
export function cutInput(
  tok: TextTokenizer,
  input: TextInput,
  maxTokens: number,
  map?: (token: string) => string,
): [string, string | undefined] {
  const [a, b] = inputTexts(input);
  if (b === undefined) return [cutText(tok, a, maxTokens, map), undefined];
  const ta = tok.tokenize(a), tb = tok.tokenize(b);
  truncateLongestFirst(ta, tb, maxTokens);
  return [cutText(tok, a, ta.length, map), cutText(tok, b, tb.length, map)];
}
