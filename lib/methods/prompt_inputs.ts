/**
 * How a prompt template (PET's, AutoPrompt's) meets a task's inputs: a template with one input slot takes single
 * texts, one with a second slot (`{text_b}`, `{sentence_b}`) takes sentence pairs. The other kind is an input
 * error: when the method is created for a task (before any data is read), and for each input when it is encoded.
 * Also the kind of one input, and a kind read back from a file.
 */
import type { InputKind } from "../data/types.ts";
import { inputTexts, type TextInput } from "../model/batch.ts";
import { InputError, type InputLocation } from "../util/errors.ts";

/** What the checks need of a parsed template. */
export interface SlottedTemplate {
  source: string;
  /** Whether the template has a second input slot. */
  pair: boolean;
}

function mismatch(template: SlottedTemplate, secondSlot: string): InputError {
  const problem = template.pair
    ? `has a second input slot ${secondSlot}: it needs text pairs, but the inputs are single texts; use a template without ${secondSlot}`
    : `has one input slot, but the inputs are sentence pairs; use a template with a ${secondSlot} slot for the second sentence`;
  return new InputError(`template "${template.source}" ${problem}`, { field: "template" });
}

/** Whether `input` is a single text or a sentence pair. */
export function inputKindOf(input: TextInput): InputKind {
  return inputTexts(input)[1] === undefined ? "text" : "pair";
}

/**
 * A recorded kind of input (`method.json`'s `extra.inputs`, an export's `config.json` `promptlab.inputs`);
 * undefined when absent (written before the kind was recorded).
 * @throws InputError at `where` for anything but `"text"` or `"pair"`.
 */
export function recordedInputKind(value: unknown, where: InputLocation): InputKind | undefined {
  if (value === undefined) return undefined;
  if (value !== "text" && value !== "pair") {
    throw new InputError(`must be "text" (single texts) or "pair" (sentence pairs), got ${JSON.stringify(value)}`, where);
  }
  return value;
}

/** What `template` takes: sentence pairs when it has a second input slot, single texts otherwise. */
export function templateInputs(template: SlottedTemplate): InputKind {
  return template.pair ? "pair" : "text";
}

/** @throws InputError naming the template when it is written for the other kind of input than `inputs`. */
export function checkTemplateInputs(template: SlottedTemplate, inputs: InputKind, secondSlot: string): void {
  if (templateInputs(template) !== inputs) throw mismatch(template, secondSlot);
}

/**
 * The two texts of `input` for `template` (the second empty for a single-text template).
 * @throws InputError naming the template when the input is a pair and the template is not, or the reverse.
 */
export function templateTexts(input: TextInput, template: SlottedTemplate, secondSlot: string): [string, string] {
  checkTemplateInputs(template, inputKindOf(input), secondSlot);
  const [text, textB] = inputTexts(input);
  return [text, textB ?? ""];
}
