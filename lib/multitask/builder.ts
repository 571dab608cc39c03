/**
 * The mixture builder: the labelled training rows each mixture task contributes. Only training splits are read
 * (a task's pool less its evaluation splits: FewCLUE's train_few_all, a fixed-split set's train), and a row goes
 * when one of its sentences is in any registered task's evaluation split or anywhere in the held-out task, so no
 * dev or test text of any task, and nothing of the held-out task, enters training (the leakage rule of
 * `docs/zeroprompt.md`). Larger tasks are cut to a seeded sample of `examplesPerTask` rows.
 */
import { listTasks } from "../data/registry.ts";
import type { SourceOptions } from "../data/sources.ts";
import { textKey } from "../data/split.ts";
import type { Row, Task } from "../data/types.ts";
import { decontaminate, sentences } from "../data/unlabeled.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import type { Mixture } from "./mixture.ts";

/** One task's rows in the mixture, and what was left out of them. */
export interface TaskRows {
  task: Task;
  rows: Row[];
  /** Training rows read before anything was left out. */
  read: number;
  /** Rows holding an evaluation sentence of some task or a sentence of the held-out task. */
  decontaminated: number;
  duplicates: number;
}

/** The splits a task trains on: its few-shot pool less its evaluation splits. */
export function trainingSplits(task: Task): string[] {
  return task.pool.filter((s) => !task.evalSplits.includes(s));
}

/** Every sentence that must not be trained on: each task's evaluation splits and every split of `heldout`. */
export async function bannedSentences(heldout: Task, source?: SourceOptions): Promise<Set<string>> {
  const banned = new Set<string>();
  const add = async (task: Task, splits: readonly string[]) => {
    for (const split of splits) {
      for (const row of (await task.read(split, source)).rows) for (const s of sentences(row)) banned.add(textKey(s));
    }
  };
  for (const task of listTasks()) await add(task, task.name === heldout.name ? task.splits : task.evalSplits);
  return banned;
}

/**
 * The rows of each mixture task, in the mixture's order.
 * @throws InputError naming the mixture file when a task has no row left.
 */
export async function buildMixtureRows(mixture: Mixture, source?: SourceOptions): Promise<TaskRows[]> {
  const banned = await bannedSentences(mixture.heldout.task, source);
  const out: TaskRows[] = [];
  for (const { task } of mixture.tasks) {
    const entry: TaskRows = { task, rows: [], read: 0, decontaminated: 0, duplicates: 0 };
    const seen = new Set<string>();
    for (const split of trainingSplits(task)) {
      for (const row of decontaminate((await task.read(split, source)).rows as Row[], banned, seen, entry)) entry.rows.push(row);
    }
    if (entry.rows.length === 0) {
      throw new InputError(`"${task.name}" has no training row left once evaluation and held-out text is removed`, {
        file: mixture.file,
        field: `tasks.${task.name}`,
      });
    }
    if (entry.rows.length > mixture.examplesPerTask) {
      entry.rows = new Rng(mixture.seed).fork(`examples:${task.name}`).shuffle(entry.rows).slice(0, mixture.examplesPerTask);
    }
    out.push(entry);
  }
  return out;
}
