/**
 * A dataset as users name it, on the command line (`run`, `grid`, `data`) and in grid files: a registered
 * dataset's name, or a local `.csv`/`.jsonl` file with its text (and, for sentence pairs, second text) and label
 * columns ({@link LocalDataOptions}).
 *
 * @example
 * ```ts
 * // deno task cli run --dataset reviews.csv --text review --label label ...
 * const spec = datasetFromFlags("reviews.csv", { text: "review", label: "label" });
 * const task = await datasetTask(spec); // task.name === "reviews"
 * ```
 * @module
 */
import { InputError } from "../util/errors.ts";
import type { FlagSpecs } from "../util/flags.ts";
import { localDataName, type LocalDataOptions, localTask } from "./local.ts";
import { getTask } from "./registry.ts";
import type { Task } from "./types.ts";

/** A registered dataset's name, or local files. */
export type DatasetSpec = string | LocalDataOptions;

/** The flags that describe a local dataset file, beside the flag (or argument) naming it. */
export const LOCAL_DATA_FLAGS = {
  text: { type: "string", value: "COL", help: "a local dataset file's text column" },
  "text-b": { type: "string", value: "COL", help: "a local dataset file's second text column: rows are sentence pairs" },
  label: { type: "string", value: "COL", help: "a local dataset file's label column" },
  test: { type: "string", value: "FILE", help: "a local labelled test file (else the file is split by the fixed rule)" },
  dev: {
    type: "string",
    value: "FILE",
    help: "a local labelled dev file: with --test, the train and dev files are FewCLUE split 0 (--protocol fewclue)",
  },
  labels: { type: "strings", help: "a local file's labels in class order (else those of the file, in order of appearance)" },
} as const satisfies FlagSpecs;

/** Values of {@link LOCAL_DATA_FLAGS}. */
export interface LocalDataFlags {
  text?: string;
  "text-b"?: string;
  label?: string;
  test?: string;
  dev?: string;
  labels?: string[];
}

/** The columns of FewCLUE's single-text files, which a FewCLUE-layout folder reads unless told otherwise. */
const FEWCLUE_COLUMNS = { text: "sentence", label: "label" };

/** Whether a dataset argument names a data file (by its extension) rather than a registered dataset. */
export function isDataFile(arg: string): boolean {
  return /\.(csv|jsonl?)$/i.test(arg);
}

/**
 * The dataset `arg` names (the value of flag `field`, or of a positional of that name) with the local-data
 * flags: a data file that exists, with `--text` and `--label`, is a local dataset; a folder in FewCLUE's layout
 * (`train_<i>.json`, `dev_<i>.json`, `test_public.json`) is one whose columns default to FewCLUE's `sentence`
 * and `label`; anything else is a registered name, which takes none of the local-data flags. No `arg`: none,
 * and no local-data flag either.
 * @throws InputError naming the flag: a data file that does not exist or lacks `--text`/`--label`, or a
 *   local-data flag given with a registered name or without a dataset.
 */
export function datasetFromFlags(arg: string, flags: LocalDataFlags, field?: string): DatasetSpec;
export function datasetFromFlags(arg: string | undefined, flags: LocalDataFlags, field?: string): DatasetSpec | undefined;
export function datasetFromFlags(arg: string | undefined, flags: LocalDataFlags, field = "--dataset"): DatasetSpec | undefined {
  const given = (Object.keys(LOCAL_DATA_FLAGS) as (keyof LocalDataFlags)[]).filter((f) => flags[f] !== undefined);
  if (arg === undefined) {
    if (given.length) throw new InputError(`belongs to a local dataset file: give ${field} FILE too`, { field: `--${given[0]}` });
    return undefined;
  }
  if (pathKind(arg) === "folder") {
    const fileFlag = (["test", "dev"] as const).find((f) => flags[f] !== undefined);
    if (fileFlag) {
      throw new InputError(`a FewCLUE-layout folder holds its own splits (train_<i>.json, dev_<i>.json, test_public.json)`, {
        field: `--${fileFlag}`,
      });
    }
    const textB = flags["text-b"] === undefined ? {} : { textB: flags["text-b"] };
    return {
      train: arg,
      text: flags.text ?? FEWCLUE_COLUMNS.text,
      ...textB,
      label: flags.label ?? FEWCLUE_COLUMNS.label,
      labels: flags.labels,
    };
  }
  if (!isDataFile(arg)) {
    if (given.length) {
      throw new InputError(`belongs to a local dataset file (.csv or .jsonl); "${arg}" is a dataset name`, { field: `--${given[0]}` });
    }
    return arg;
  }
  if (pathKind(arg) !== "file") {
    throw new InputError(`no such file "${arg}" (a dataset file must exist; a registered dataset is a name)`, { field });
  }
  const missing = (["text", "label"] as const).find((f) => flags[f] === undefined);
  if (missing) {
    throw new InputError(`required with a local dataset file: give --${missing} COL, its ${missing} column`, { field: `--${missing}` });
  }
  const textB = flags["text-b"] === undefined ? {} : { textB: flags["text-b"] };
  const dev = flags.dev === undefined ? {} : { dev: flags.dev };
  return { train: arg, test: flags.test, ...dev, text: flags.text!, ...textB, label: flags.label!, labels: flags.labels };
}

/** The task `spec` names: the registered dataset, or the local files read and checked. */
export function datasetTask(spec: DatasetSpec): Promise<Task> {
  return typeof spec === "string" ? Promise.resolve(getTask(spec)) : localTask(spec);
}

/** The dataset's name in results: the registered name, or the local one ({@link localDataName} by default). */
export function datasetName(spec: DatasetSpec): string {
  return typeof spec === "string" ? spec : spec.name ?? localDataName(spec.train);
}

/** What is at `path`: a file, a folder, or nothing readable. */
function pathKind(path: string): "file" | "folder" | undefined {
  try {
    const stat = Deno.statSync(path);
    return stat.isFile ? "file" : stat.isDirectory ? "folder" : undefined;
  } catch {
    return undefined;
  }
}
