/**
 * Grid results files: JSON Lines, one row per finished cell, each write atomic (the whole file is rewritten
 * through a temporary file and renamed), so an interrupted run leaves a complete file. Shards write
 * `<base>.shard-<i>-of-<n>.jsonl` beside `<base>.jsonl`; loading the base merges them all.
 * @module
 */
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import type { Cell, Shard } from "./grid.ts";

/** What one finished cell produced: the cell itself, its scores and cost, and where its inputs came from. */
export interface ResultRow extends Omit<Cell, "options"> {
  grid: string;
  options: Record<string, unknown>;
  /** Split name, e.g. `k8_seed1`, `zero_shot` or `fewclue_0`. */
  split: string;
  accuracy: number;
  macroF1: number;
  /** Test rows scored. */
  n: number;
  trainSize: number;
  trainableParams: number;
  steps: number;
  bestStep: number;
  wallSeconds: number;
  /** Training loss per step. */
  losses: number[];
  /** Dev accuracy at each evaluation. */
  dev: { step: number; accuracy: number }[];
  /** The model folder and a hash of its config and weights. */
  model: { dir: string; fingerprint: string };
  /** Hash of the cell's train, dev and test rows. */
  dataFingerprint: string;
  notes: string[];
  finishedAt: string;
}

/** Options of {@link readResults}. */
export interface ReadOptions {
  /** Skip lines that do not parse (each reported through `onSkip`) instead of failing. */
  skipCorrupt?: boolean;
  onSkip?: (error: InputError) => void;
}

const REQUIRED: (keyof ResultRow)[] = ["key", "method", "accuracy"];

/** Parse one results file. A line that is not a row is an InputError with file and line, unless skipped. */
export async function readResultsFile(path: string, opts: ReadOptions = {}): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const lines = (await Deno.readTextFile(path)).split("\n");
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let error: string | undefined, row: ResultRow | undefined;
    try {
      row = JSON.parse(line);
      const missing = REQUIRED.filter((f) => row![f] === undefined);
      if (!row || typeof row !== "object" || missing.length) error = `not a result row (missing ${missing.join(", ") || "everything"})`;
    } catch (err) {
      error = `corrupt results line: ${(err as Error).message}`;
    }
    if (!error) return void rows.push(row!);
    const e = new InputError(`${error}${opts.skipCorrupt ? "; skipped" : "; pass skipCorrupt (--skip-corrupt) to skip it"}`, {
      file: path,
      line: i + 1,
    });
    if (!opts.skipCorrupt) throw e;
    opts.onSkip?.(e);
  });
  return rows;
}

/** `runs/x.jsonl` → `runs/x`. */
function stem(path: string): string {
  return path.replace(/\.jsonl$/, "");
}

/** The last part of a model folder's path, which names the model in file names and charts. */
export function modelBaseName(dir: string): string {
  return dir.replace(/\/+$/, "").split("/").pop() || dir;
}

/** A row's model as a short name: its folder's name (the full path and fingerprint stay in `model`). */
export function modelName(row: Pick<ResultRow, "model">): string {
  return modelBaseName(row.model.dir);
}

/** The file shard `s` writes for results path `base` (the base itself without a shard). */
export function shardPath(base: string, s?: Shard): string {
  return s && s.count > 1 ? `${stem(base)}.shard-${s.index}-of-${s.count}.jsonl` : base;
}

/** `base` and every shard file beside it that exist, in name order. */
export async function resultFiles(base: string): Promise<string[]> {
  const dir = base.includes("/") ? base.slice(0, base.lastIndexOf("/")) : ".";
  const name = stem(base).slice(stem(base).lastIndexOf("/") + 1);
  const shard = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.shard-\\d+-of-\\d+\\.jsonl$`);
  const found: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && (`${dir}/${e.name}` === base || e.name === base || shard.test(e.name))) found.push(`${dir}/${e.name}`);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return found.sort();
}

/** Rows of `files`, one per model and cell (the first found), in file then line order. */
async function readDistinct(files: Iterable<string>, opts: ReadOptions): Promise<ResultRow[]> {
  const seen = new Set<string>(), rows: ResultRow[] = [];
  for (const file of files) {
    for (const row of await readResultsFile(file, opts)) {
      const id = `${row.model.fingerprint}\u0000${row.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push(row);
    }
  }
  return rows;
}

/**
 * Rows of `base` and its shards, merged: one row per cell (the first found), in file then line order.
 * Missing files give no rows.
 */
export async function loadResults(base: string, opts: ReadOptions = {}): Promise<ResultRow[]> {
  return readDistinct(await resultFiles(base), opts);
}

/**
 * Rows of several results files (each merged with its shards), one per model and cell: a shard named beside
 * its base, as a shell glob (`results/grids/<grid>-*.jsonl`) names it, is read once. A path with no results
 * file is an error naming it.
 */
export async function loadResultSets(paths: readonly string[], opts: ReadOptions = {}): Promise<ResultRow[]> {
  const files = new Set<string>();
  for (const path of paths) {
    const found = await resultFiles(path);
    if (!found.length) throw new InputError("no result rows (nothing run yet?)", { file: path });
    found.forEach((f) => files.add(f));
  }
  return readDistinct(files, opts);
}

/** Append `row` to `path`, rewriting the file atomically so a crash never leaves half a line. */
export async function appendResult(path: string, row: ResultRow): Promise<void> {
  const old = await Deno.readTextFile(path).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  });
  await writeFileAtomic(path, `${old}${old && !old.endsWith("\n") ? "\n" : ""}${JSON.stringify(row)}\n`);
}
