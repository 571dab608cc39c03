/** Loading what experiments use: labelled splits, few-shot protocols, and per-split statistics. */
import { InputError } from "../util/errors.ts";
import { sampleFewShot } from "./fewshot.ts";
import { getTask } from "./registry.ts";
import type { SourceOptions } from "./sources.ts";
import type { Row, Split, Task, TextRow } from "./types.ts";

/** A registered dataset's name, or a task (e.g. from `localTask`). */
export type TaskRef = string | Task;

function taskOf(ref: TaskRef): Task {
  return typeof ref === "string" ? getTask(ref) : ref;
}

/** The texts of any split, labelled or not. */
export async function loadTexts(ref: TaskRef, split: string, opts?: SourceOptions): Promise<TextRow[]> {
  return (await taskOf(ref).read(split, opts)).rows;
}

/** The rows of a labelled split; an input error for unlabelled ones. */
export async function loadSplit(ref: TaskRef, split: string, opts?: SourceOptions): Promise<Row[]> {
  const task = taskOf(ref);
  const data = await task.read(split, opts);
  if (!data.labelled) throw new InputError(`split "${split}" of dataset "${task.name}" has no labels`);
  return data.rows as Row[];
}

/**
 * How train and dev sets are made: `sampled` draws K per class from the task's pool (see
 * {@link sampleFewShot}); `official` uses FewCLUE's `train_<index>`/`dev_<index>` (or `few_all`, their
 * union).
 */
export type FewShotProtocol =
  | { kind: "sampled"; k: number; seed: number; devK?: number }
  | { kind: "official"; index: number | "few_all" };

/** Train, dev and test rows of one few-shot run. */
export interface FewShotData {
  task: Task;
  train: Row[];
  dev: Row[];
  /** The task's reported test split. */
  test: Row[];
}

/** Load the train/dev/test rows of one few-shot run of `ref` under `protocol`. */
export async function loadFewShot(ref: TaskRef, protocol: FewShotProtocol, opts?: SourceOptions): Promise<FewShotData> {
  const task = taskOf(ref);
  const test = await loadSplit(task, task.test, opts);
  if (protocol.kind === "official") {
    const { index } = protocol;
    if (!task.official || (index !== "few_all" && !(Number.isInteger(index) && index >= 0 && index < task.official.count))) {
      throw new InputError(
        task.official
          ? `official split index must be 0..${task.official.count - 1} or "few_all", got ${index}`
          : `dataset "${task.name}" has no official few-shot splits; use the sampled protocol`,
      );
    }
    const [train, dev] = await Promise.all(["train", "dev"].map((s) => loadSplit(task, `${s}_${index}`, opts)));
    return { task, train, dev, test };
  }
  const pool = (await Promise.all(task.pool.map((s) => loadSplit(task, s, opts)))).flat();
  const { train, dev } = sampleFewShot(pool, {
    k: protocol.k,
    devK: protocol.devK,
    seed: protocol.seed,
    labels: task.labels,
    exclude: test,
  });
  return { task, train, dev, test };
}

/** Row count, and label counts of a labelled split (every label, in class order). */
export interface SplitStats {
  rows: number;
  labels?: Record<string, number>;
}

/** Statistics of every split of a dataset; `dropped` counts source rows left out (see {@link Split}). */
export interface DatasetStats {
  dataset: string;
  splits: Record<string, SplitStats>;
  dropped?: Record<string, number>;
}

function splitStats(task: Task, split: Split): SplitStats {
  if (!split.labelled) return { rows: split.rows.length };
  const labels = Object.fromEntries(task.labels.map((l) => [l, 0]));
  for (const r of split.rows as Row[]) labels[r.label]++;
  return { rows: split.rows.length, labels };
}

/** Row and label counts of every split of `ref`. */
export async function datasetStats(ref: TaskRef, opts?: SourceOptions): Promise<DatasetStats> {
  const task = taskOf(ref);
  const stats: DatasetStats = { dataset: task.name, splits: {} };
  for (const name of task.splits) {
    const split = await task.read(name, opts);
    stats.splits[name] = splitStats(task, split);
    for (const [reason, n] of Object.entries(split.dropped)) (stats.dropped ??= {})[reason] = n;
  }
  return stats;
}
