/** Bring-your-own data: a JSON Lines or CSV file with named text (or two texts of a pair) and label columns. */
import { InputError } from "../util/errors.ts";
import { parseCsv } from "./parse_csv.ts";
import { parseJsonl } from "./parse_jsonl.ts";
import type { ColumnSpec } from "./records.ts";
import { fixedSplitTask, readLocalText } from "./tasks.ts";
import type { Row, Task, TextRow } from "./types.ts";

/** Options of {@link localTask}. */
export interface LocalDataOptions {
  /** Labelled file (`.jsonl`/`.json` as JSON Lines, or `.csv` with a header row). */
  train: string;
  /** Optional labelled test file; without it, `train` is cut by the fixed split rule (split.ts). */
  test?: string;
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
  return train.slice(train.lastIndexOf("/") + 1).replace(/\.(csv|jsonl?)$/i, "");
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

/** A task over local files; labels name themselves in both languages. */
export async function localTask(opts: LocalDataOptions): Promise<Task> {
  const repeated = opts.labels?.find((l, i) => opts.labels!.indexOf(l) !== i);
  if (repeated !== undefined) throw new InputError(`label "${repeated}" listed twice`, { field: "labels" });
  const spec: ColumnSpec = { text: opts.text, textB: opts.textB, label: opts.label, id: opts.id, labels: opts.labels };
  const train = await readLocalRows(opts.train, spec) as Row[];
  const labels = opts.labels ?? [...new Set(train.map((r) => r.label))];
  const present = new Set(train.map((r) => r.label));
  if (labels.length < 2 || present.size < 2) {
    const one = [...present].map((l) => `"${l}"`).join(", ");
    throw new InputError(`holds only the label ${one} in column "${opts.label}": a classifier needs at least two classes (its accuracy would be 1.0)`, {
      file: opts.train,
      field: opts.label,
    });
  }
  const test = opts.test === undefined ? undefined : await readLocalRows(opts.test, { ...spec, labels }) as Row[];
  const names = Object.fromEntries(labels.map((l) => [l, l]));
  const base = {
    name: opts.name ?? localDataName(opts.train),
    description: `local file ${opts.train}${opts.test ? ` (test: ${opts.test})` : ""}`,
    ...(opts.textB === undefined ? {} : { pair: true }),
    labels,
    labelNamesZh: names,
    labelNamesEn: names,
  };
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
