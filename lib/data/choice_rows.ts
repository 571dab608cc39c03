/**
 * How methods read a multiple-choice row (`Task.choices`, CHID): as the sentence pair of the texts before and
 * after its blank, its candidates beside them. A prompt method puts its `[MASK]` slot between the two
 * (`{text}[MASK]{text_b}`); a classifier puts each candidate there.
 */
import { IDIOM_BLANK } from "./fewclue_formats.ts";
import type { TextRow } from "./types.ts";

/**
 * `row` with `text` the part before its blank and `textB` the part after (the loader checked that there is
 * exactly one blank; a row without one keeps its whole text before the blank).
 */
export function blankPair<R extends TextRow>(row: R): R {
  const at = row.text.indexOf(IDIOM_BLANK);
  if (at < 0) return { ...row, textB: "" };
  return { ...row, text: row.text.slice(0, at), textB: row.text.slice(at + IDIOM_BLANK.length) };
}

/** The text of a multiple-choice pair (`blankPair`) with `candidate` written into its blank. */
export function filledText(row: { readonly text: string; readonly textB?: string }, candidate: string): string {
  return row.text + candidate + (row.textB ?? "");
}
