/**
 * Bring-your-own data: a JSON Lines or CSV file with named text (or two texts of a pair) and label columns;
 * with a dev and a test file, FewCLUE's split 0; or a folder in FewCLUE's layout, its official splits.
 */
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { parseCsv } from "./parse_csv.ts";
import { parseJsonl } from "./parse_jsonl.ts";
import type { ColumnSpec } from "./records.ts";
import { fixedSplitTask, readLocalText } from "./tasks.ts";
import type { Row, Task, TextRow } from "./types.ts";

/** Options of {@link localTask}. */
export interface LocalDataOptions {
  /**
   * Labelled file (`.jsonl`/`.json` as JSON Lines, or `.csv` with a header row), or a folder in FewCLUE's
   * layout: `train_<i>.json` and `dev_<i>.json` for i = 0, 1, … (FewCLUE split i) and `test_public.json`.
   */
  train: string;
  /** Optional labelled test file; without it, `train` is cut by the fixed split rule (split.ts). */
  test?: string;
  /** Optional labelled dev file (needs `test`): `train` and `dev` are then FewCLUE split 0 (`train_0`, `dev_0`). */
  dev?: string;
  /** Text column (a pair's first sentence). */
  text: string;
  /** Second text column: rows are sentence pairs, encoded `[CLS] text [SEP] textB [SEP]`. */
  textB?: string;
  /** Label column. */
  label: string;
  /** Optional id column. */
  id?: string;
  /**
   * Allowed labels in class order; other values are errors. Default: the labels of the train file in order of
   * appearance, so a test row with a label the train file lacks is an error naming its line.
   */
  labels?: string[];
  /** Task name, as results record it; default the train file's name ({@link localDataName}). */
  name?: string;
}

/** The name a local dataset has by default: its train file's name without folder and extension. */
export function localDataName(train: string): string {
  const path = train.replace(/\/+$/, "");
  return path.slice(path.lastIndexOf("/") + 1).replace(/\.(csv|jsonl?)$/i, "");
}

/**
 * The rows of a local file (labelled when `spec.label` is set); a file without any row is an error, not an
 * empty dataset.
 */
export async function readLocalRows(path: string, spec: ColumnSpec): Promise<TextRow[]> {
  const parse = /\.jsonl?$/i.test(path) ? parseJsonl : /\.csv$/i.test(path) ? parseCsv : null;
  if (!parse) throw new InputError("unknown format: use a .jsonl, .json (JSON Lines) or .csv file", { file: path });
  const text = await readLocalText(path);
  const { rows } = parse(text, path, spec);
  if (!rows.length) throw new InputError(text.trim() ? "no data rows, only a header" : "empty file: no rows", { file: path });
  return rows;
}

/**
 * The classes of a local dataset: `opts.labels`, else those of its training rows in order of appearance.
 * @throws InputError naming `file` and the label column when the rows hold fewer than two classes.
 */
function classesOf(opts: LocalDataOptions, train: readonly Row[], file: string): string[] {
  const labels = opts.labels ?? [...new Set(train.map((r) => r.label))];
  const present = new Set(train.map((r) => r.label));
  if (labels.length < 2 || present.size < 2) {
    const one = [...present].map((l) => `"${l}"`).join(", ");
    throw new InputError(
      `holds only the label ${one} in column "${opts.label}": a classifier needs at least two classes (its accuracy would be 1.0)`,
      {
        file,
        field: opts.label,
      },
    );
  }
  return labels;
}

/** The fields every local task has: its name, kind of input and labels (which name themselves in both languages). */
function localBase(opts: LocalDataOptions, labels: string[], description: string) {
  const names = Object.fromEntries(labels.map((l) => [l, l]));
  return {
    name: opts.name ?? localDataName(opts.train),
    description,
    ...(opts.textB === undefined ? {} : { pair: true }),
    labels,
    labelNamesZh: names,
    labelNamesEn: names,
  };
}

/**
 * A local task with FewCLUE's official splits `train_<i>`/`dev_<i>` and a test set: the `official` protocol runs
 * them, the sampled one draws from their union.
 */
function officialTask(base: ReturnType<typeof localBase>, splits: Record<string, Row[]>, test: Row[]): Task {
  const all: Record<string, Row[]> = { ...splits, test };
  const names = Object.keys(splits);
  return {
    ...base,
    splits: Object.keys(all),
    pool: names,
    test: "test",
    evalSplits: ["test"],
    unlabeled: names,
    official: { count: names.length / 2 },
    read(split) {
      const rows = all[split];
      if (!rows) {
        return Promise.reject(new InputError(`dataset "${base.name}" has no split "${split}" (splits: ${Object.keys(all).join(", ")})`));
      }
      return Promise.resolve({ labelled: true, rows: rows.slice(), dropped: {} });
    },
  };
}

/** A folder in FewCLUE's layout ({@link LocalDataOptions.train}) as a task of its official splits. */
async function folderTask(opts: LocalDataOptions, spec: ColumnSpec): Promise<Task> {
  const dir = opts.train.replace(/\/+$/, "");
  let count = 0;
  while (await exists(`${dir}/train_${count}.json`) && await exists(`${dir}/dev_${count}.json`)) count++;
  if (count === 0) throw new InputError("is not a FewCLUE-layout folder: it has no train_0.json and dev_0.json", { file: dir });
  const testFile = `${dir}/test_public.json`;
  if (!(await exists(testFile))) throw new InputError("has no test_public.json, the test set of a FewCLUE-layout folder", { file: dir });
  const indices = Array.from({ length: count }, (_, i) => i);
  const trains = await Promise.all(indices.map((i) => readLocalRows(`${dir}/train_${i}.json`, spec) as Promise<Row[]>));
  const labels = classesOf(opts, trains.flat(), `${dir}/train_0.json`);
  const labelled = { ...spec, labels };
  const splits: Record<string, Row[]> = {};
  for (const i of indices) {
    splits[`train_${i}`] = trains[i];
    splits[`dev_${i}`] = await readLocalRows(`${dir}/dev_${i}.json`, labelled) as Row[];
  }
  const test = await readLocalRows(testFile, labelled) as Row[];
  return officialTask(localBase(opts, labels, `local FewCLUE-layout folder ${dir} (${count} splits)`), splits, test);
}

/** A task over local files; labels name themselves in both languages. */
export async function localTask(opts: LocalDataOptions): Promise<Task> {
  const repeated = opts.labels?.find((l, i) => opts.labels!.indexOf(l) !== i);
  if (repeated !== undefined) throw new InputError(`label "${repeated}" listed twice`, { field: "labels" });
  const spec: ColumnSpec = { text: opts.text, textB: opts.textB, label: opts.label, id: opts.id, labels: opts.labels };
  if ((await Deno.stat(opts.train).catch(() => null))?.isDirectory) return folderTask(opts, spec);
  const train = await readLocalRows(opts.train, spec) as Row[];
  const labels = classesOf(opts, train, opts.train);
  if (opts.dev !== undefined && opts.test === undefined) {
    throw new InputError("needs a test file too: the train and dev files are FewCLUE split 0, scored on the test file", { field: "dev" });
  }
  const test = opts.test === undefined ? undefined : await readLocalRows(opts.test, { ...spec, labels }) as Row[];
  const files = [opts.dev && `dev: ${opts.dev}`, opts.test && `test: ${opts.test}`].filter(Boolean).join(", ");
  const base = localBase(opts, labels, `local file ${opts.train}${files ? ` (${files})` : ""}`);
  if (opts.dev !== undefined) {
    const dev = await readLocalRows(opts.dev, { ...spec, labels }) as Row[];
    return officialTask(base, { train_0: train, dev_0: dev }, test!);
  }
  const task = fixedSplitTask(base, () => Promise.resolve({ rows: train, dropped: {} }));
  if (!test) return task;
  // A given test file is used as is; the train file is the pool.
  return {
    ...task,
    read(split) {
      if (split === "train") return Promise.resolve({ labelled: true, rows: train, dropped: {} });
      return split === "test" ? Promise.resolve({ labelled: true, rows: test, dropped: {} }) : task.read(split);
    },
  };
}
