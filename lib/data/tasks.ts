/**
 * The kinds of task the registry is made of: FewCLUE (one JSON Lines file per split), fixed-split (one
 * labelled file cut by the rule of split.ts) and embedded JSON Lines files shipped in `data/`.
 */
import { InputError } from "../util/errors.ts";
import { fetchSource, type ResolvedSourceOptions, resolveSourceOptions, type SourceOptions } from "./sources.ts";
import type { SourceFile } from "./manifest.ts";
import { parseJsonl, type PrepareRecord } from "./parse_jsonl.ts";
import type { ColumnSpec } from "./records.ts";
import { fixedSplit } from "./split.ts";
import type { Row, Split, Task } from "./types.ts";

/** Labels of a task and their names. */
export type LabelSet = Pick<Task, "labels" | "labelNamesZh" | "labelNamesEn">;

/** Same/Different meaning, BUSTM's 1/0: the labels of paraphrase tasks, so pair prompts transfer between them. */
export const PARAPHRASE: LabelSet = {
  labels: ["Same", "Different"],
  labelNamesZh: { Same: "相同", Different: "不同" },
  labelNamesEn: { Same: "same meaning", Different: "different meaning" },
};

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

/** The FewCLUE JSON Lines layout of a single-text task: `{"id", "sentence", "label"?}`. */
export function fewclueSpec(labelled: boolean, labels: readonly string[]): ColumnSpec {
  return { text: "sentence", id: "id", ...(labelled ? { label: "label", labels } : {}) };
}

/** The FewCLUE JSON Lines layout of a sentence-pair task: `{"id", "sentence1", "sentence2", "label"?}`. */
export function fewcluePairSpec(labelled: boolean, labels: readonly string[], labelMap: Record<string, string>): ColumnSpec {
  return { text: "sentence1", textB: "sentence2", id: "id", ...(labelled ? { label: "label", labels, labelMap } : {}) };
}

/**
 * A FewCLUE task: each split is one pinned file, read with `spec(labelled)` after `prepare` rewrites each
 * record (when given); `unlabelledSplits` have no labels. Rows are single texts unless `base.pair`.
 */
export function fewclueTask(
  base:
    & Pick<Task, "name" | "description" | "pool" | "test" | "evalSplits" | "unlabeled" | "official" | "pair" | "prompt" | "choices">
    & LabelSet,
  files: Record<string, SourceFile>,
  unlabelledSplits: string[],
  spec: (labelled: boolean) => ColumnSpec = (labelled) => fewclueSpec(labelled, base.labels),
  prepare?: PrepareRecord,
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
      const { rows, dropped } = parseJsonl(decodeUtf8(src.bytes, src.path), src.path, spec(labelled), prepare);
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
  base: Pick<Task, "name" | "description" | "pair"> & LabelSet,
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
