/**
 * FewCLUE records whose text is not one plain field: CSL's keyword list and CLUEWSC's two marked spans, each
 * turned into a sentence pair's second text (`sentence2`), and CHID's idiom blank with its candidates, checked
 * before the usual column checks of `records.ts`.
 */
import { InputError } from "../util/errors.ts";
import type { RawRecord } from "./records.ts";

/** Joins CSL's keywords into one text: the Chinese enumeration comma, as the abstracts themselves list terms. */
export const KEYWORD_SEPARATOR = "、";

/**
 * A CSL record with its `keyword` list joined into `sentence2` (the abstract `abst` stays the first text).
 * @throws InputError naming file, line and field: `keyword` missing, not a list, or holding a non-string or empty item.
 */
export function cslRecord(rec: RawRecord, file: string): RawRecord {
  const where = { file, line: rec.line, field: "keyword" };
  const keywords = rec.values.keyword;
  if (!Array.isArray(keywords) || keywords.length === 0) {
    throw new InputError(`must be a non-empty list of keywords, got ${JSON.stringify(keywords)}`, where);
  }
  const bad = keywords.find((k) => typeof k !== "string" || !k.trim());
  if (bad !== undefined) throw new InputError(`every keyword must be a non-empty string, got ${JSON.stringify(bad)}`, where);
  return { line: rec.line, values: { ...rec.values, sentence2: keywords.map((k: string) => k.trim()).join(KEYWORD_SEPARATOR) } };
}

/** The two spans of a CLUEWSC row: span 1 a candidate referent, span 2 the pronoun. */
export interface WscSpans {
  referent: string;
  pronoun: string;
}

/** The question CLUEWSC's templates ask about a row: does the pronoun refer to the candidate? */
export function wscQuestion({ referent, pronoun }: WscSpans): string {
  return `“${pronoun}”指的是“${referent}”`;
}

function span(rec: RawRecord, text: string, target: Record<string, unknown>, n: 1 | 2, file: string): string {
  const indexField = `span${n}_index`, textField = `span${n}_text`;
  const index = target[indexField], spanText = target[textField];
  if (typeof spanText !== "string" || !spanText) {
    throw new InputError(`must be a non-empty string, got ${JSON.stringify(spanText)}`, {
      file,
      line: rec.line,
      field: `target.${textField}`,
    });
  }
  if (!Number.isInteger(index) || text.slice(index as number, (index as number) + spanText.length) !== spanText) {
    const found = Number.isInteger(index) ? `"${text.slice(index as number, (index as number) + spanText.length)}"` : JSON.stringify(index);
    throw new InputError(`span "${spanText}" is not at index ${JSON.stringify(index)} of the text (found ${found})`, {
      file,
      line: rec.line,
      field: `target.${indexField}`,
    });
  }
  return spanText;
}

/**
 * A CLUEWSC record with its spans checked against its text and named in `sentence2` ({@link wscQuestion}).
 * @throws InputError naming file, line and field: no `target` object, a span text missing, or a span index
 *   where the text does not hold that span.
 */
export function cluewscRecord(rec: RawRecord, file: string): RawRecord {
  const { text, target } = rec.values;
  if (typeof text !== "string") {
    throw new InputError(`text must be a string, got ${JSON.stringify(text)}`, { file, line: rec.line, field: "text" });
  }
  if (typeof target !== "object" || target === null || Array.isArray(target)) {
    throw new InputError(`must be an object with span1_index, span1_text, span2_index, span2_text`, {
      file,
      line: rec.line,
      field: "target",
    });
  }
  const spans = {
    referent: span(rec, text, target as Record<string, unknown>, 1, file),
    pronoun: span(rec, text, target as Record<string, unknown>, 2, file),
  };
  return { line: rec.line, values: { ...rec.values, sentence2: wscQuestion(spans) } };
}

/** CHID's blank: the one place in `content` where a candidate idiom goes. */
export const IDIOM_BLANK = "#idiom#";

/**
 * A CHID record checked: `content` holds exactly one {@link IDIOM_BLANK}, `candidates` is a list of at least two
 * distinct non-empty strings, and `answer` (where present) an index into it.
 * @throws InputError naming file, line and field (`content`, `candidates` or `answer`).
 */
export function chidRecord(rec: RawRecord, file: string): RawRecord {
  const at = (field: string) => ({ file, line: rec.line, field });
  const { content, candidates, answer } = rec.values;
  if (typeof content !== "string") throw new InputError(`must be a string, got ${JSON.stringify(content)}`, at("content"));
  const blanks = content.split(IDIOM_BLANK).length - 1;
  if (blanks !== 1) throw new InputError(`must hold exactly one ${IDIOM_BLANK} blank, found ${blanks}`, at("content"));
  if (
    !Array.isArray(candidates) || candidates.length < 2 || candidates.some((c) => typeof c !== "string" || !c.trim()) ||
    new Set(candidates).size !== candidates.length
  ) {
    throw new InputError(`must be a list of at least two distinct non-empty strings, got ${JSON.stringify(candidates)}`, at("candidates"));
  }
  if (answer !== undefined && !(Number.isInteger(answer) && (answer as number) >= 0 && (answer as number) < candidates.length)) {
    throw new InputError(
      `must be the index of the right candidate, 0..${candidates.length - 1}, got ${JSON.stringify(answer)}`,
      at("answer"),
    );
  }
  return rec;
}
