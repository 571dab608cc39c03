/**
 * The evaluation grid of a mixture's held-out task: one zero-shot method entry per held-out wording (template and
 * label words), so that `deno task grid FILE --model DIR` on the model before and after multitask training
 * records a results row per wording, as every grid does (the spread is over these rows). On an encoder the
 * wording is PET's (template and verbalizer); on a text-to-text model it is the text-to-text method's reading of
 * it (`[MASK]` as the sentinel, the first word of each label as its target).
 */
import { type Grid, type GridMethod, parseGrid } from "../experiments/grid.ts";
import { pet } from "../methods/pet/pet.ts";
import { text2text } from "../methods/text2text/text2text.ts";
import { taskPrompt } from "../methods/text2text/prompt.ts";
import type { Mixture, Wording } from "./mixture.ts";

/** The prefix of every held-out wordings grid's name, by which charts know its rows. */
export const WORDINGS_GRID = "zeroprompt_wordings";

/** A held-out wording as a zero-shot grid entry of one method. */
export type WordingEntry = (w: Wording) => Omit<GridMethod, "label" | "grid">;

/** Zero-shot PET with the wording's template and words (an encoder with a masked-LM head). */
export const petWording: WordingEntry = (w) => ({
  method: pet.name,
  options: { template: w.template, verbalizer: w.words },
  zeroShot: { mode: "zero-shot" },
});

/** Zero-shot text-to-text with the wording as that method reads a PET prompt (an encoder-decoder). */
export const text2textWording: WordingEntry = (w) => ({
  method: text2text.name,
  options: taskPrompt(w),
  zeroShot: { ...text2text.presets.zeroShot },
});

/** The grid's name for a mixture: `zeroprompt_wordings-<mixture name>`, made file-name-safe. */
export function wordingsGridName(mixture: Pick<Mixture, "name">): string {
  return `${WORDINGS_GRID}-${mixture.name.replace(/[^\w.-]+/g, "_")}`;
}

/** Zero-shot on the held-out task's test set with each held-out wording of `mixture` (by `entry`, PET's by default), checked as a grid file is. */
export function wordingsGrid(mixture: Mixture, entry: WordingEntry = petWording): Grid {
  return parseGrid({
    name: wordingsGridName(mixture),
    dataset: mixture.heldout.task.name,
    protocol: { kind: "sampled", k: [0], seeds: [1] },
    methods: mixture.heldout.wordings.map((w, i) => ({ label: `held-out wording ${i + 1}`, ...entry(w) })),
  });
}
