/**
 * AutoPrompt's template: `{sentence}` (and `{sentence_b}` for sentence pairs), trigger slots `[T]` and one
 * prediction slot `[P]` (encoded as `[MASK]`) between literal text, e.g. `{sentence}[T][T][T][P]。`, or for pairs
 * AutoPrompt's inference layout `{sentence}[P][T][T][T]{sentence_b}` (the triggers between the two sentences).
 * Encoded once per example as one segment `[CLS] parts [SEP]` with the triggers left as `[MASK]`; a trigger
 * set is then written into the ids at the recorded slot positions, so trying a candidate trigger costs no
 * re-tokenization.
 *
 * @example
 * ```ts
 * const t = parseAutoTemplate("{sentence}[T][T][P]。");
 * const { seqs } = encodeAutoPrompts(tok, t, ["物流很快"], 128);
 * const ids = withTriggers(seqs[0], [101, 102]).ids;
 * ```
 * @module
 */
import type { InputKind } from "../../data/types.ts";
import { type BertTokenizer, truncateLongestFirst } from "../../model/tokenizers/tokenizer.ts";
import { InputError } from "../../util/errors.ts";
import type { TextInput, TokenSeq } from "../../model/batch.ts";
import { templateTexts } from "../prompt_inputs.ts";

/** One piece of a parsed template. */
export type AutoTemplatePart =
  | { kind: "sentence" }
  | { kind: "sentence_b" }
  | { kind: "trigger" }
  | { kind: "predict" }
  | { kind: "literal"; text: string };

/** A parsed AutoPrompt template. */
export interface AutoTemplate {
  source: string;
  parts: AutoTemplatePart[];
  /** Number of `[T]` slots. */
  triggers: number;
  /** True when the template has a `{sentence_b}` slot (inputs are sentence pairs). */
  pair: boolean;
}

/** An encoded example: ids with `[MASK]` at the trigger slots, and where the slots are. */
export interface PromptSeq extends TokenSeq {
  /** Index in `ids` of each trigger slot, in template order. */
  triggerPos: number[];
  /** Index in `ids` of the prediction slot (its first mask where it has several). */
  predictPos: number;
  /** A multiple-choice row's candidates' token ids (`pet/choice_scores.ts`), read at its prediction masks. */
  candidates?: number[][];
}

const SLOT = /\{sentence\}|\{sentence_b\}|\[T\]|\[P\]/g;
const KINDS: Record<string, AutoTemplatePart["kind"]> = {
  "{sentence}": "sentence",
  "{sentence_b}": "sentence_b",
  "[T]": "trigger",
  "[P]": "predict",
};

/**
 * Parse a template.
 * @throws InputError naming the template: no `{sentence}`, not exactly one `[P]`, `{sentence}` or
 *   `{sentence_b}` twice, or no `[T]` (AutoPrompt with nothing to search is a manual prompt).
 */
export function parseAutoTemplate(source: string): AutoTemplate {
  const bad = (problem: string) => new InputError(`template "${source}": ${problem}`, { field: "template" });
  const parts: AutoTemplatePart[] = [];
  let at = 0;
  for (const m of source.matchAll(SLOT)) {
    if (m.index! > at) parts.push({ kind: "literal", text: source.slice(at, m.index) });
    parts.push({ kind: KINDS[m[0]] } as AutoTemplatePart);
    at = m.index! + m[0].length;
  }
  if (at < source.length) parts.push({ kind: "literal", text: source.slice(at) });
  const count = (kind: AutoTemplatePart["kind"]) => parts.filter((p) => p.kind === kind).length;
  if (count("sentence") !== 1) throw bad("needs exactly one {sentence} slot");
  if (count("predict") !== 1) throw bad("needs exactly one [P] (prediction) slot");
  if (count("sentence_b") > 1) throw bad("has {sentence_b} more than once");
  if (count("trigger") === 0) throw bad("needs at least one [T] (trigger) slot");
  return { source, parts, triggers: count("trigger"), pair: count("sentence_b") === 1 };
}

/**
 * The default template with `n` trigger slots: `{sentence}[T]…[T][P]。` for single texts; for sentence pairs
 * AutoPrompt's inference layout, the prediction and trigger slots between the sentences, `{sentence}[P][T]…[T]{sentence_b}`.
 */
export function defaultTemplate(n: number, inputs: InputKind = "text"): string {
  const triggers = "[T]".repeat(n);
  return inputs === "pair" ? `{sentence}[P]${triggers}{sentence_b}` : `{sentence}${triggers}[P]。`;
}

/**
 * Encode `inputs` into `template`; only the sentences are cut to fit `maxLength` (special tokens included),
 * longest first between the two of a pair. `truncated` counts the cut ones. `[P]` becomes `predictMasks`
 * masks (a multiple-choice row's candidates are read at several).
 * @throws InputError when the template alone leaves no room for the sentence, or when it is written for the
 *   other kind of input (a pair for a template without `{sentence_b}`, or the reverse).
 */
export function encodeAutoPrompts(
  tok: BertTokenizer,
  template: AutoTemplate,
  inputs: readonly TextInput[],
  maxLength: number,
  predictMasks = 1,
): { seqs: PromptSeq[]; truncated: number } {
  const { mask } = tok.specialIds;
  const literals = template.parts.map((p) => (p.kind === "literal" ? tok.encodeText(p.text) : []));
  const width = (p: AutoTemplatePart, i: number) =>
    p.kind === "literal" ? literals[i].length : p.kind.startsWith("sentence") ? 0 : p.kind === "predict" ? predictMasks : 1;
  const fixed = 2 + template.parts.reduce((n, p, i) => n + width(p, i), 0);
  const room = maxLength - fixed;
  if (room < 1) {
    throw new InputError(`template "${template.source}" leaves no room for the sentence in ${maxLength} tokens`, { field: "template" });
  }
  let truncated = 0;
  const seqs = inputs.map((input) => {
    const [a, b] = templateTexts(input, template, "{sentence_b}").map((t) => tok.encodeText(t));
    if (truncateLongestFirst(a, b, room)) truncated++;
    const ids = [tok.specialIds.cls];
    const triggerPos: number[] = [];
    let predictPos = -1;
    template.parts.forEach((p, i) => {
      if (p.kind === "sentence") ids.push(...a);
      else if (p.kind === "sentence_b") ids.push(...b);
      else if (p.kind === "literal") ids.push(...literals[i]);
      else {
        if (p.kind === "trigger") triggerPos.push(ids.length);
        else predictPos = ids.length;
        for (let j = 0; j < width(p, i); j++) ids.push(mask);
      }
    });
    ids.push(tok.specialIds.sep);
    return { ids, triggerPos, predictPos };
  });
  return { seqs, truncated };
}

/** `seq` with `triggers` (one id per slot) written into its ids. */
export function withTriggers(seq: PromptSeq, triggers: readonly number[]): PromptSeq {
  const ids = seq.ids.slice();
  seq.triggerPos.forEach((p, j) => (ids[p] = triggers[j]));
  return { ...seq, ids };
}

/** The template with its triggers written in and `[P]` as `[MASK]`, for people: `{sentence}很好吗就[MASK]。`. */
export function renderPrompt(template: AutoTemplate, triggerTokens: readonly string[]): string {
  let j = 0;
  return template.parts.map((p) =>
    p.kind === "sentence" || p.kind === "sentence_b"
      ? `{${p.kind}}`
      : p.kind === "literal"
      ? p.text
      : p.kind === "predict"
      ? "[MASK]"
      : triggerTokens[j++]
  ).join("");
}
