/**
 * The evaluation grid of a mixture's held-out task: zero-shot PET with each held-out wording (template and label
 * words), one method entry per wording, so that `deno task grid FILE --model DIR` on the model before and after
 * multitask training records a results row per wording, as every grid does (the spread is over these rows).
 */
import { type Grid, parseGrid } from "../experiments/grid.ts";
import { pet } from "../methods/pet/pet.ts";
import type { Mixture } from "./mixture.ts";

/** The prefix of every held-out wordings grid's name, by which charts know its rows. */
export const WORDINGS_GRID = "zeroprompt_wordings";

/** The grid's name for a mixture: `zeroprompt_wordings-<mixture name>`, made file-name-safe. */
export function wordingsGridName(mixture: Pick<Mixture, "name">): string {
  return `${WORDINGS_GRID}-${mixture.name.replace(/[^\w.-]+/g, "_")}`;
}

/** Zero-shot PET on the held-out task's test set with each held-out wording of `mixture`, checked as a grid file is. */
export function wordingsGrid(mixture: Mixture): Grid {
  return parseGrid({
    name: wordingsGridName(mixture),
    dataset: mixture.heldout.task.name,
    protocol: { kind: "sampled", k: [0], seeds: [1] },
    methods: mixture.heldout.wordings.map((w, i) => ({
      method: pet.name,
      label: `held-out wording ${i + 1}`,
      options: { template: w.template, verbalizer: w.words },
      zeroShot: { mode: "zero-shot" },
    })),
  });
}
