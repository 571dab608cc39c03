/** A mixture as JSON: what a run records, what its resume must match, and what its model card lists. */
import type { LabelWords, Mixture, MixtureOptions } from "./mixture.ts";

/** The recorded form of a mixture (tasks by name). */
export interface MixtureRecord extends MixtureOptions {
  name: string;
  tasks: { task: string; templates: readonly string[]; words: LabelWords }[];
  heldout: { task: string; wordings: { template: string; words: LabelWords }[] };
}

/** `mixture` as JSON (its content, not where the file lies), with `steps` in place of its own when given. */
export function mixtureRecord(mixture: Mixture, steps?: number): MixtureRecord {
  const { tasks, heldout, file: _file, ...options } = mixture;
  return {
    ...options,
    steps: steps ?? mixture.steps,
    tasks: tasks.map((t) => ({ task: t.task.name, templates: t.templates, words: t.words })),
    heldout: { task: heldout.task.name, wordings: [...heldout.wordings] },
  };
}
