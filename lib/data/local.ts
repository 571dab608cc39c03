/** Bring-your-own data: a JSON Lines or CSV file with named text and label columns. */
import { InputError } from "../util/errors.ts";
import { parseCsv } from "./parse_csv.ts";
import { parseJsonl } from "./parse_jsonl.ts";
import type { ColumnSpec } from "./records.ts";
import { fixedSplitTask, readLocalText } from "./tasks.ts";
import type { Row, Task } from "./types.ts";

/** Options of {@link localTask}. */
export interface LocalDataOptions {
  /** Labelled file (`.jsonl`/`.json` as JSON Lines, or `.csv` with a header row). */
  train: string;
  /** Optional labelled test file; without it, `train` is cut by the fixed split rule (split.ts). */
  test?: string;
  /** Text column. */
  text: string;
  /** Label column. */
  label: string;
  /** Optional id column. */
  id?: string;
  /** Allowed labels in class order; other values are errors. Default: the labels seen, in order of appearance. */
  labels?: string[];
  /** Task name; default `local`. */
  name?: string;
}

async function readLabelled(path: string, spec: ColumnSpec): Promise<Row[]> {
  const text = await readLocalText(path);
  if (/\.jsonl?$/i.test(path)) return parseJsonl(text, path, spec).rows as Row[];
  if (/\.csv$/i.test(path)) return parseCsv(text, path, spec).rows as Row[];
  throw new InputError("unknown format: use a .jsonl, .json (JSON Lines) or .csv file", { file: path });
}

/** A task over local files; labels name themselves in both languages. */
export async function localTask(opts: LocalDataOptions): Promise<Task> {
  const spec: ColumnSpec = { text: opts.text, label: opts.label, id: opts.id, labels: opts.labels };
  const train = await readLabelled(opts.train, spec);
  const test = opts.test === undefined ? undefined : await readLabelled(opts.test, spec);
  const labels = opts.labels ?? [...new Set([...train, ...(test ?? [])].map((r) => r.label))];
  const names = Object.fromEntries(labels.map((l) => [l, l]));
  const base = {
    name: opts.name ?? "local",
    description: `local file ${opts.train}${opts.test ? ` (test: ${opts.test})` : ""}`,
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
