/**
 * The text-to-text method's prompt: a template with `{text}` (and `{text_b}` for sentence pairs) around a
 * sentinel `<extra_id_0>` where the answer goes, and one target string per label, `<extra_id_0>` followed by
 * the label word. That is the form span corruption trains a T5 on (the input marks the missing span with a
 * sentinel, the target repeats the sentinel and fills it in), so a pre-trained T5 can score the label words
 * zero-shot; fine-tuning keeps the same targets.
 * @module
 */
import type { TaskPrompt } from "../../data/types.ts";
import { inputTexts, type TextInput } from "../../model/batch.ts";
import type { TextBatch, TextToTextTokenizer } from "../../model/text_to_text.ts";
import { InputError } from "../../util/errors.ts";
import { VERBALIZER_PRESETS, type VerbalizerSpec } from "../pet/verbalizer.ts";
import { checkTemplateInputs, inputKindOf, type SlottedTemplate } from "../prompt_inputs.ts";

/** The sentinel marking the answer in prompts and opening every target. */
export const ANSWER = "<extra_id_0>";
const TEXT = "{text}", TEXT_B = "{text_b}";
/** The input slots; `{text_a}` is `{text}`, as in PET's templates. */
const SLOTS: Readonly<Record<string, 0 | 1>> = { [TEXT]: 0, "{text_a}": 0, [TEXT_B]: 1 };
/** Encoder inputs are padded to a multiple of this many tokens: fewer compiled shapes. */
const LENGTH_BUCKET = 16;

/** A checked template. */
export interface Text2TextTemplate extends SlottedTemplate {
  /** Literal text and input slots (0: the text, 1: the second text of a pair) in template order. */
  pieces: (string | 0 | 1)[];
}

/**
 * Parse `source`: literals, `{text}` (or `{text_a}`) and, for sentence pairs, `{text_b}`, in any order.
 * @throws InputError naming option `template`: no `{text}` slot, a slot written twice.
 */
export function parseText2TextTemplate(source: string): Text2TextTemplate {
  const pieces = source.split(/(\{text\}|\{text_a\}|\{text_b\})/).filter(Boolean).map((p) => (Object.hasOwn(SLOTS, p) ? SLOTS[p] : p));
  const slots = pieces.filter((p) => typeof p === "number");
  if (!slots.includes(0)) throw new InputError(`template "${source}" has no ${TEXT} slot`, { field: "template" });
  if (new Set(slots).size !== slots.length) {
    throw new InputError(`template "${source}" has an input slot more than once`, { field: "template" });
  }
  return { source, pair: slots.includes(1), pieces };
}

/** The prompt of `texts` (one or two) in `template`. */
function fill(template: Text2TextTemplate, texts: readonly string[]): string {
  return template.pieces.map((p) => (typeof p === "number" ? texts[p] ?? "" : p)).join("");
}

/**
 * Ids of each input's prompt, at most `maxLength` with the end token: an input too long loses characters at
 * the end of its longest text (never the template, whose sentinel is the answer's place).
 * @throws InputError naming the template when an input is of the other kind, or the template alone is too long.
 */
export function encodePrompts(
  tok: Pick<TextToTextTokenizer, "encode">,
  template: Text2TextTemplate,
  inputs: readonly TextInput[],
  maxLength: number,
): number[][] {
  return fitPrompts(tok, template, inputs, maxLength).map((p) => p.ids);
}

/** The prompt texts whose ids {@link encodePrompts} gives: the template filled with each input, cut as it cuts. */
export function promptTexts(
  tok: Pick<TextToTextTokenizer, "encode">,
  template: Text2TextTemplate,
  inputs: readonly TextInput[],
  maxLength: number,
): string[] {
  return fitPrompts(tok, template, inputs, maxLength).map((p) => p.text);
}

function fitPrompts(
  tok: Pick<TextToTextTokenizer, "encode">,
  template: Text2TextTemplate,
  inputs: readonly TextInput[],
  maxLength: number,
): { text: string; ids: number[] }[] {
  const overhead = tok.encode(fill(template, [])).length;
  if (overhead > maxLength - 2) {
    throw new InputError(`template "${template.source}" takes ${overhead} tokens, too many for maxLength ${maxLength}`, {
      field: "template",
    });
  }
  return inputs.map((input) => {
    checkTemplateInputs(template, inputKindOf(input), TEXT_B);
    const texts = inputTexts(input).filter((t) => t !== undefined) as string[];
    let text = fill(template, texts), ids = tok.encode(text);
    // Cut characters from the longest text until the prompt fits: a Chinese character is about one token.
    while (ids.length > maxLength) {
      const longest = texts.indexOf(texts.reduce((a, b) => (b.length > a.length ? b : a)));
      texts[longest] = texts[longest].slice(0, Math.max(0, texts[longest].length - (ids.length - maxLength)));
      text = fill(template, texts);
      ids = tok.encode(text);
    }
    return { text, ids };
  });
}

/**
 * Rows of ids as an encoder batch of `rows` rows (missing ones a lone end token), padded to a
 * multiple of {@link LENGTH_BUCKET}.
 */
export function padBatch(tok: TextToTextTokenizer, ids: readonly (readonly number[])[], rows: number): TextBatch {
  const pad = tok.pad, all = [...ids, ...new Array(rows - ids.length).fill([tok.eos])];
  const length = Math.ceil(Math.max(...all.map((r) => r.length)) / LENGTH_BUCKET) * LENGTH_BUCKET;
  return {
    inputIds: all.map((r) => [...r, ...new Array(length - r.length).fill(pad)]),
    attentionMask: all.map((r) => [...new Array(r.length).fill(1), ...new Array(length - r.length).fill(0)]),
  };
}

/** Label → its target word, or the name of a PET verbalizer with one word per label. */
export type TargetSpec = Readonly<Record<string, string>> | string;

/**
 * Each label's target string, in `labels` order: {@link ANSWER} and the label's word.
 * @throws InputError naming option `targets`: an unknown preset or one with several words for a label, a label
 *   without a word, a word for another label, a word that is empty or encodes to an unknown token.
 */
export function targetStrings(tok: TextToTextTokenizer, labels: readonly string[], spec: TargetSpec): string[] {
  const words = typeof spec === "string" ? presetWords(spec) : spec;
  if (typeof words !== "object" || words === null || Array.isArray(words)) {
    throw new InputError(`must map each label to its word, got ${JSON.stringify(spec)}`, { field: "targets" });
  }
  for (const label of Object.keys(words)) {
    if (!labels.includes(label)) throw new InputError(`has a word for "${label}", not one of [${labels.join(", ")}]`, { field: "targets" });
  }
  return labels.map((label) => {
    const word = words[label];
    if (typeof word !== "string" || !word.trim()) {
      throw new InputError(`needs a non-empty word for label "${label}", got ${JSON.stringify(word)}`, { field: `targets.${label}` });
    }
    if (tok.encode(word, { eos: false }).includes(tok.unk)) {
      throw new InputError(`"${word}" has a character the tokenizer does not know`, { field: `targets.${label}` });
    }
    return ANSWER + word;
  });
}

/** A PET verbalizer preset as one word per label. */
function presetWords(name: string): Record<string, string> {
  const preset: VerbalizerSpec | undefined = VERBALIZER_PRESETS[name];
  if (!preset) {
    throw new InputError(`unknown preset "${name}"; known: ${Object.keys(VERBALIZER_PRESETS).join(", ")}`, { field: "targets" });
  }
  return Object.fromEntries(
    Object.entries(preset).map(([label, words]) => {
      const list = typeof words === "string" ? [words] : words;
      if (list.length !== 1) {
        throw new InputError(`preset "${name}" has ${list.length} words for "${label}"; give one`, { field: "targets" });
      }
      return [label, list[0]];
    }),
  );
}

/** A task's own prompt (a PET template with `[MASK]`, label words) in this method's terms: the sentinel, the first words. */
export function taskPrompt({ template, words }: TaskPrompt): { template: string; targets: Record<string, string> } {
  return {
    template: template.replace("[MASK]", ANSWER),
    targets: Object.fromEntries(Object.entries(words).map(([label, list]) => [label, list[0]])),
  };
}
