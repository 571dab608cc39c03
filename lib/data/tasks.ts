/**
 * The kinds of task the registry is made of: FewCLUE (one JSON Lines file per split), fixed-split (one
 * labelled file cut by the rule of split.ts) and embedded JSON Lines files shipped in `data/`.
 */
import { InputError } from "../util/errors.ts";
import { fetchSource, type ResolvedSourceOptions, resolveSourceOptions, type SourceOptions } from "./sources.ts";
import type { SourceFile } from "./manifest.ts";
import { parseJsonl } from "./parse_jsonl.ts";
import type { ColumnSpec } from "./records.ts";
import { fixedSplit } from "./split.ts";
import type { Row, Split, Task } from "./types.ts";

/** Labels of a task and their names. */
export type LabelSet = Pick<Task, "labels" | "labelNamesZh" | "labelNamesEn">;

/** Positive/Negative, as in EPRSTMT, so prompts written for one sentiment task transfer to the others. */
export const SENTIMENT: LabelSet = {
  labels: ["Positive", "Negative"],
  labelNamesZh: { Positive: "正面", Negative: "负面" },
  labelNamesEn: { Positive: "positive", Negative: "negative" },
};

/** Decode UTF-8 strictly, naming the file when it is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputError("not valid UTF-8 text", { file });
  }
}

/** Read a local file as text; a missing or unreadable file is an input error naming it. */
export async function readLocalText(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new InputError(`cannot read (${(err as Error).message})`, { file: path });
  }
  return decodeUtf8(bytes, path);
}

function unknownSplit(task: string, split: string, splits: string[]): InputError {
  return new InputError(`dataset "${task}" has no split "${split}" (splits: ${splits.join(", ")})`);
}

/** The FewCLUE JSON Lines layout: `{"id", "sentence", "label"?}`. */
export function fewclueSpec(labelled: boolean, labels: readonly string[]): ColumnSpec {
  return { text: "sentence", id: "id", ...(labelled ? { label: "label", labels } : {}) };
}

/** A FewCLUE task: each split is one pinned file; `unlabelledSplits` have no labels. */
export function fewclueTask(
  base: Pick<Task, "name" | "description" | "pool" | "test" | "evalSplits" | "unlabeled" | "official"> & LabelSet,
  files: Record<string, SourceFile>,
  unlabelledSplits: string[],
): Task {
  const splits = Object.keys(files);
  return {
    ...base,
    splits,
    async read(split, opts) {
      const file = files[split];
      if (!file) throw unknownSplit(base.name, split, splits);
      const src = await fetchSource(file, opts);
      const labelled = !unlabelledSplits.includes(split);
      const { rows, dropped } = parseJsonl(decodeUtf8(src.bytes, src.path), src.path, fewclueSpec(labelled, base.labels));
      return { labelled, rows, dropped };
    },
  };
}

/** Labelled rows of one source file, with the counts of rows left out while reading it. */
export interface SourceRows {
  rows: Row[];
  dropped: Record<string, number>;
}

/**
 * A task over one labelled file without an official split: splits `train` and `test` by the fixed rule.
 * The file is read and split once per set of source options.
 */
export function fixedSplitTask(
  base: Pick<Task, "name" | "description"> & LabelSet,
  readRows: (opts: ResolvedSourceOptions) => Promise<SourceRows>,
): Task {
  const memo = new Map<string, Promise<{ train: Row[]; test: Row[]; dropped: Record<string, number> }>>();
  const load = (opts?: SourceOptions) => {
    const resolved = resolveSourceOptions(opts);
    const key = JSON.stringify(resolved);
    let p = memo.get(key);
    if (!p) {
      p = readRows(resolved).then(({ rows, dropped }) => {
        const split = fixedSplit(rows, base.name);
        return { ...split, dropped: { ...dropped, ...split.dropped } };
      });
      p.catch(() => memo.delete(key));
      memo.set(key, p);
    }
    return p;
  };
  return {
    ...base,
    splits: ["train", "test"],
    pool: ["train"],
    test: "test",
    evalSplits: ["test"],
    unlabeled: ["train"],
    async read(split, opts): Promise<Split> {
      if (split !== "train" && split !== "test") throw unknownSplit(base.name, split, ["train", "test"]);
      const data = await load(opts);
      // Copies, so a caller editing its rows cannot change what the next caller reads.
      return { labelled: true, rows: data[split].slice(), dropped: { ...data.dropped } };
    },
  };
}

/** A task over local JSON Lines files, one per split (the embedded demo set). */
export function jsonlFilesTask(
  base: Pick<Task, "name" | "description" | "pool" | "test" | "evalSplits" | "unlabeled"> & LabelSet,
  files: Record<string, string>,
  spec: ColumnSpec,
): Task {
  const splits = Object.keys(files);
  return {
    ...base,
    splits,
    async read(split) {
      const path = files[split];
      if (!path) throw unknownSplit(base.name, split, splits);
      const { rows, dropped } = parseJsonl(await readLocalText(path), path, spec);
      return { labelled: true, rows, dropped };
    },
  };
}
