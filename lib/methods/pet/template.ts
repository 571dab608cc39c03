/**
 * PET's template language: a pattern string with an input slot `{text}` (`{text_a}` is the same slot) and, for
 * sentence pairs, `{text_b}`, one `[MASK]` slot and literal text, e.g. `{text}总之很[MASK]。`, FewCLUE's
 * `[MASK]满意。{text}` or PET's inference pattern `{text}？[MASK]，{text_b}`. The soft-prompt method's templates
 * also hold soft slots `[P]` (`{text}，[P][P][P][MASK]`): positions whose input embedding is a trained vector,
 * encoded as `[PAD]` placeholders (attended, unlike padding); PET's templates refuse them. A template is parsed once (bad
 * ones fail before any training) and encoded as one segment `[CLS] parts [SEP]` (token type 0 throughout, as
 * LM-BFF's templates are): literals tokenized alone, the mask slot expanded to as many `[MASK]` tokens as the
 * longest label word, and only the input texts truncated to fit, longest first.
 *
 * @example
 * ```ts
 * const t = parseTemplate("{text}总之很[MASK]。");
 * const { seqs, truncated } = encodePrompts(tok, t, ["物流很快"], { maskCount: 1, maxLength: 128 });
 * ```
 * @module
 */
import { type BertTokenizer, truncateLongestFirst } from "../../model/tokenizers/tokenizer.ts";
import { InputError } from "../../util/errors.ts";
import type { TextInput, TokenBatch, TokenSeq } from "../../model/batch.ts";
import { templateTexts } from "../prompt_inputs.ts";

/** One piece of a parsed template. */
export type TemplatePart =
  | { kind: "text" }
  | { kind: "text_b" }
  | { kind: "mask" }
  | { kind: "soft" }
  | { kind: "literal"; text: string };

/** A parsed template. */
export interface Template {
  /** The template string as written. */
  source: string;
  parts: TemplatePart[];
  /** True when the template has a `{text_b}` slot (inputs are pairs). */
  pair: boolean;
  /** Number of soft slots `[P]` (0 in a discrete template). */
  soft: number;
}

/**
 * Named templates: the article's, FewCLUE's EPRSTMT pattern and a few sentiment variants for single texts; for
 * sentence pairs (`pair-*`, paraphrase tasks such as BUSTM), PET's inference pattern and FewCLUE's.
 */
export const TEMPLATE_PRESETS: Readonly<Record<string, string>> = {
  /** The article's example prompt, "我很累，感觉很[MASK]". */
  article: "{text}感觉很[MASK]。",
  /** FewCLUE's PET pattern for EPRSTMT (with the 很/不 verbalizer it reads "很满意"/"不满意"). */
  fewclue: "[MASK]满意。{text}",
  /** "In short, it was very [MASK]." */
  zongzhi: "{text}总之很[MASK]。",
  /** A prefix pattern: "A [MASK] review:". */
  review: "这是一条[MASK]评。{text}",
  /** "Overall it is [MASK]." */
  zongti: "{text}总体来说很[MASK]。",
  /** PET's pattern for inference, "a? [MASK], b"; with `yes-no` it reads "a？是，b" / "a？不，b". */
  "pair-question": "{text}？[MASK]，{text_b}",
  /** "The two sentences mean [MASK]同: a; b", one mask: with `same-not` it reads 相同 (same) / 不同 (different). */
  "pair-same": "下面两个句子语义[MASK]同：{text}；{text_b}",
  /** FewCLUE's BUSTM pattern "The two sentences mean [MASK][MASK]: a; b", for the two-token `same-different`. */
  "pair-semantic": "下面两个句子语义[MASK]：{text}；{text_b}",
  /** PaddleNLP's FewCLUE BUSTM pattern 0 "[MASK]是一句话。a，b" ("is [very much] one sentence"), with `very-not`. */
  "pair-fewclue": "[MASK]是一句话。{text}，{text_b}",
};

const SLOTS = { "{text}": "text", "{text_a}": "text", "{text_b}": "text_b" } as const;

/** The soft slot of a template: one trained input vector. */
export const SOFT_SLOT = "[P]";

/**
 * Parse a template string; soft slots `[P]` only with `softSlots` (the soft-prompt method's templates).
 * @throws InputError naming the template: no `{text}` slot, no `[MASK]`, more than one `[MASK]`, a slot used
 *   twice, an unknown `{slot}`, an unmatched brace, or a soft slot where none is allowed.
 */
export function parseTemplate(source: string, { softSlots = false } = {}): Template {
  const bad = (problem: string) => new InputError(`template "${source}": ${problem}`, { field: "template" });
  const parts: TemplatePart[] = [];
  const seen = new Set<string>();
  let at = 0;
  for (const m of source.matchAll(/\{[^{}]*\}|\[MASK\]|\[P\]/g)) {
    if (m.index > at) parts.push(literal(source.slice(at, m.index), bad));
    at = m.index + m[0].length;
    if (m[0] === SOFT_SLOT) {
      if (!softSlots) {
        throw bad(`soft slots ${SOFT_SLOT} are trained vectors: use them with the soft-prompt method, not a discrete template`);
      }
      parts.push({ kind: "soft" });
      continue;
    }
    const kind = m[0] === "[MASK]" ? "mask" : SLOTS[m[0] as keyof typeof SLOTS];
    if (!kind) throw bad(`unknown slot ${m[0]}; known: {text} (or {text_a}), {text_b}, [MASK]`);
    if (seen.has(kind)) throw bad(`${kind === "text" ? "{text}" : m[0]} appears more than once`);
    seen.add(kind);
    parts.push({ kind });
  }
  if (at < source.length) parts.push(literal(source.slice(at), bad));
  if (!seen.has("text")) throw bad("no input slot {text}");
  if (!seen.has("mask")) throw bad("no [MASK] slot");
  return { source, parts, pair: seen.has("text_b"), soft: parts.filter((p) => p.kind === "soft").length };
}

/** The template written out part by part: `{text}`, `{text_b}`, `[MASK]`, `[P]` per soft slot (after expansion), literals. */
export function templateText(template: Template): string {
  const slot = { text: "{text}", text_b: "{text_b}", mask: "[MASK]", soft: SOFT_SLOT } as const;
  return template.parts.map((p) => (p.kind === "literal" ? p.text : slot[p.kind])).join("");
}

/** `template` with its one soft slot repeated `count` times (`{text}[P][MASK]` holding 20 trained vectors). */
export function expandSoftSlot(template: Template, count: number): Template {
  if (template.soft !== 1) throw new Error(`expandSoftSlot: template "${template.source}" has ${template.soft} soft slots, not one`);
  const parts = template.parts.flatMap((p): TemplatePart[] => (p.kind === "soft" ? Array.from({ length: count }, () => p) : [p]));
  return { ...template, parts, soft: count };
}

function literal(text: string, bad: (problem: string) => InputError): TemplatePart {
  if (/[{}]/.test(text)) throw bad(`unmatched brace in "${text}"`);
  return { kind: "literal", text };
}

/** A template given as a preset name or a template string. */
export function resolveTemplate(nameOrSource: string): Template {
  return parseTemplate(TEMPLATE_PRESETS[nameOrSource] ?? nameOrSource);
}

/** Options of {@link encodePrompts}. */
export interface PromptEncodeOptions {
  /** `[MASK]` tokens the mask slot expands to (the longest label word's token count). */
  maskCount: number;
  /** Longest sequence in tokens, `[CLS]` and `[SEP]` included. */
  maxLength: number;
}

/**
 * Tokens a template needs besides its inputs: `[CLS]`, `[SEP]`, the literals and the masks. A template with
 * nothing left for the input at `maxLength` is an input error.
 */
export function templateOverhead(tok: BertTokenizer, template: Template, { maskCount, maxLength }: PromptEncodeOptions): number {
  const literals = template.parts.reduce((n, p) => n + (p.kind === "literal" ? tok.encodeText(p.text).length : 0), 0);
  const overhead = 2 + literals + maskCount + template.soft;
  if (overhead >= maxLength) {
    throw new InputError(
      `template "${template.source}" with ${maskCount} mask(s) takes ${overhead} of ${maxLength} tokens, leaving none for the text`,
      {
        field: "template",
      },
    );
  }
  return overhead;
}

/**
 * Encode inputs with a template. The input texts (never the template) are cut from their end to fit
 * `maxLength`, longest first between `text` and `text_b`; `truncated` counts the inputs cut. A `[MASK]` (or
 * `[PAD]`) typed in an input becomes `[UNK]`, so the template's mask (and soft) slots hold the only masks (and
 * placeholders) of a sequence.
 * @throws InputError naming the template: a pair for a template without `{text_b}`, or a single text for one with it.
 */
export function encodePrompts(
  tok: BertTokenizer,
  template: Template,
  inputs: readonly TextInput[],
  opts: PromptEncodeOptions,
): { seqs: TokenSeq[]; truncated: number } {
  const budget = opts.maxLength - templateOverhead(tok, template, opts);
  const { cls, sep, mask, unk, pad } = tok.specialIds;
  const literals = template.parts.map((p) => (p.kind === "literal" ? tok.encodeText(p.text) : []));
  const encode = (s: string) => tok.encodeText(s).map((id) => (id === mask || id === pad ? unk : id));
  let truncated = 0;
  const seqs = inputs.map((input) => {
    const [a, b] = templateTexts(input, template, "{text_b}").map(encode);
    if (truncateLongestFirst(a, b, budget)) truncated++;
    const ids = [cls];
    template.parts.forEach((p, i) => {
      if (p.kind === "text") ids.push(...a);
      else if (p.kind === "text_b") ids.push(...b);
      else if (p.kind === "mask") { for (let j = 0; j < opts.maskCount; j++) ids.push(mask); }
      else if (p.kind === "soft") ids.push(pad);
      else ids.push(...literals[i]);
    });
    ids.push(sep);
    return { ids };
  });
  return { seqs, truncated };
}

/**
 * Flat row indices (b·L + l) of the `[MASK]` tokens of a packed batch, `maskCount` per row in order; padding
 * rows point at their first token (their scores are discarded).
 * @throws when a real row does not hold exactly `maskCount` masks (it was not encoded by {@link encodePrompts}).
 */
export function maskRows(b: TokenBatch, maskId: number, maskCount: number): BigInt64Array {
  const out = new BigInt64Array(b.batch * maskCount);
  const id = BigInt(maskId);
  for (let r = 0; r < b.batch; r++) {
    let found = 0;
    for (let l = 0; l < b.seqLen && r < b.real; l++) {
      if (b.inputIds[r * b.seqLen + l] !== id) continue;
      if (found === maskCount) throw new Error(`maskRows: row ${r} holds more than ${maskCount} masks`);
      out[r * maskCount + found++] = BigInt(r * b.seqLen + l);
    }
    if (r < b.real && found !== maskCount) throw new Error(`maskRows: row ${r} holds ${found} masks, expected ${maskCount}`);
    for (; found < maskCount; found++) out[r * maskCount + found] = BigInt(r * b.seqLen);
  }
  return out;
}
