/**
 * Multiple choice on the [CLS] head (fine-tuning, P-tuning v2; option `multipleChoice`): each candidate is
 * written into the row's blank (`data/choice_rows.ts`) and the filled text, one sequence, gets one logit from a
 * head of one output; a softmax over the row's candidates gives its probabilities, and training is the
 * cross-entropy of that softmax. The filled text rather than a (context, candidate) pair: the idiom is read in
 * its place, as PET reads it at the blank, and the candidates' sequences differ only there.
 */
import { filledText } from "../../data/choice_rows.ts";
import type { TextRow } from "../../data/types.ts";
import type { TextInput } from "../../model/batch.ts";
import { InputError } from "../../util/errors.ts";
import { softmaxRow } from "../predict.ts";

/** The option turning a classifier method into a multiple-choice scorer. */
export interface MultipleChoiceOption {
  /** Score each candidate of a multiple-choice row (`TextRow.choices`) with a one-output head; default false. */
  multipleChoice: boolean;
}

/** Outputs of the head: one logit per candidate with `multipleChoice`, else one per class. */
export function headClasses(labels: readonly string[], o: Partial<MultipleChoiceOption>): number {
  return o.multipleChoice ? 1 : labels.length;
}

/** @throws InputError unless `multipleChoice` is a boolean. */
export function checkMultipleChoice(o: MultipleChoiceOption): void {
  if (typeof o.multipleChoice !== "boolean") {
    throw new InputError(`must be true or false, got ${JSON.stringify(o.multipleChoice)}`, { field: "multipleChoice" });
  }
}

/**
 * The `count` filled texts of each input, input by input (candidate order).
 * @throws InputError for an input without `count` candidates.
 */
export function candidateTexts(inputs: readonly TextInput[], count: number): string[] {
  return inputs.flatMap((input) => {
    const row = typeof input === "string" ? { text: input } : (input as TextRow);
    if (row.choices?.length !== count) {
      throw new InputError(`multipleChoice needs ${count} candidates per input, got ${row.choices?.length ?? "none"}`, {
        field: "choices",
      });
    }
    return row.choices.map((c) => filledText(row, c));
  });
}

/** Probabilities per row from one logit per candidate sequence (`count` consecutive sequences a row). */
export function candidateProba(logits: readonly number[][], count: number): number[][] {
  return Array.from({ length: logits.length / count }, (_, r) => softmaxRow(logits.slice(r * count, (r + 1) * count).map((l) => l[0])));
}

/**
 * Refuse to export a multiple-choice predictor: a text-classification folder gives class probabilities of one
 * text, and this head scores the candidates of a row.
 * @throws InputError naming `saved`'s method.json when `multipleChoice` is set.
 */
export function refuseChoiceExport(o: Partial<MultipleChoiceOption>, saved: string): void {
  if (o.multipleChoice) {
    throw new InputError("a multiple-choice predictor scores a row's candidates; a text-classification export cannot", {
      file: `${saved}/method.json`,
      field: "options.multipleChoice",
    });
  }
}
