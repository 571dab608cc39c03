/**
 * Grid results files: JSON Lines, one row per finished cell (done, with its scores, or failed, with the reason),
 * each write atomic (the whole file is rewritten through a temporary file and renamed), so an interrupted run
 * leaves a complete file; one writer at a time (`util/file_lock.ts`). Shards write
 * `<base>.shard-<i>-of-<n>.jsonl` beside `<base>.jsonl`; loading the base merges them all.
 * @module
 */
import type { ModelFolder } from "../model/folder.ts";
import { baseParameterCount } from "../model/parameter_count.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { modelFingerprint } from "./fingerprint.ts";
import type { Cell, Shard } from "./grid.ts";
import type { CodeProvenance } from "./provenance.ts";
import type { SplitResult } from "./split_run.ts";

/**
 * What one finished cell produced: the cell itself, its {@link SplitResult} (scores and cost) and the run's
 * context. Rows written before confusion matrices were recorded lack `confusion` and `labels`.
 */
export interface ResultRow extends Omit<Cell, "options">, Omit<SplitResult, "confusion" | "labels"> {
  grid: string;
  options: Record<string, unknown>;
  confusion?: number[][];
  labels?: string[];
  model: ModelRef;
  finishedAt: string;
  /** The code that made the row (`provenance.ts`); absent only on rows written before rows recorded it. */
  code?: CodeProvenance;
  /** Set on a row derived from another's predictor variant (`variant_rows.ts`): the variant's name. */
  variant?: string;
}

/**
 * The model a row was run with: its folder's name, a hash of its config and weights, and its size. No path: a
 * results file reads the same on every machine. Rows written before carried `dir` (a path) instead of `name`;
 * reading derives the name from its last part.
 */
export interface ModelRef {
  name: string;
  fingerprint: string;
  /**
   * The base model's parameters, pooler excluded (`baseParameterCount`). Rows written before sizes were
   * recorded lack it: readers look it up (`model_family.ts`) or leave the row out of size charts.
   */
  parameters?: number;
}

/** The {@link ModelRef} new rows record for `model`. */
export async function modelRef(model: Pick<ModelFolder, "dir" | "weights">): Promise<ModelRef> {
  return { name: modelBaseName(model.dir), fingerprint: await modelFingerprint(model.dir), parameters: baseParameterCount(model.weights) };
}

/**
 * A cell that failed (an exception, or a diverged run): recorded so the grid goes on and a rerun does not
 * repeat it unless asked (`--retry-failed`). Tables and figures never see these rows.
 */
export interface FailedRow extends Omit<Cell, "options"> {
  grid: string;
  options: Record<string, unknown>;
  split: string;
  status: "failed";
  /** Why, in one line. */
  error: string;
  wallSeconds: number;
  model: ModelRef;
  finishedAt: string;
  /** As {@link ResultRow.code}. */
  code?: CodeProvenance;
}

/** One line of a results file. */
export type ResultRecord = ResultRow | FailedRow;

/** Whether a record is a failed cell. */
export function isFailed(r: ResultRecord): r is FailedRow {
  return "status" in r && r.status === "failed";
}

/** Options of {@link readResultsFile}. */
export interface ReadOptions {
  /** Skip lines that do not parse (each reported through `onSkip`) instead of failing. */
  skipCorrupt?: boolean;
  onSkip?: (error: InputError) => void;
}

/** Fields a line needs to be a done row, or a failed one. */
const REQUIRED = { done: ["key", "method", "accuracy"], failed: ["key", "method", "error"] } as const;

/**
 * Parse one results file: done and failed rows, in line order. A line that is neither is an InputError with
 * file and line, unless skipped.
 */
export async function readResultsFile(path: string, opts: ReadOptions = {}): Promise<ResultRecord[]> {
  const rows: ResultRecord[] = [];
  const lines = (await Deno.readTextFile(path)).split("\n");
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let error: string | undefined, row: Record<string, unknown> | undefined;
    try {
      row = JSON.parse(line);
      if (!row || typeof row !== "object" || Array.isArray(row)) error = "not a result row (not an object)";
      else if (row.status !== undefined && row.status !== "failed") {
        error = `not a result row (unknown status ${JSON.stringify(row.status)})`;
      } else {
        const missing = REQUIRED[row.status === "failed" ? "failed" : "done"].filter((f) => row![f] === undefined);
        if (missing.length) error = `not a result row (missing ${missing.join(", ")})`;
      }
    } catch (err) {
      error = `corrupt results line: ${(err as Error).message}`;
    }
    if (!error) return void rows.push(withModelName(row!) as unknown as ResultRecord);
    const e = new InputError(`${error}${opts.skipCorrupt ? "; skipped" : "; pass skipCorrupt (--skip-corrupt) to skip it"}`, {
      file: path,
      line: i + 1,
    });
    if (!opts.skipCorrupt) throw e;
    opts.onSkip?.(e);
  });
  return rows;
}

/** A row written before models were named: `model.dir` becomes `model.name`, in its place. */
function withModelName(row: Record<string, unknown>): Record<string, unknown> {
  const model = row.model as { dir?: unknown; name?: unknown; fingerprint?: unknown } | undefined;
  if (!model || typeof model.dir !== "string" || model.name !== undefined) return row;
  return { ...row, model: { name: modelBaseName(model.dir), fingerprint: model.fingerprint } };
}

/** `runs/x.jsonl` → `runs/x`. */
function stem(path: string): string {
  return path.replace(/\.jsonl$/, "");
}

/** The last part of a model folder's path, which names the model in file names and charts. */
export function modelBaseName(dir: string): string {
  return dir.replace(/\/+$/, "").split("/").pop() || dir;
}

/** A row's model as a short name: its folder's name (the fingerprint tells models of one name apart). */
export function modelName(row: Pick<ResultRow, "model">): string {
  return row.model.name;
}

/** What a second writer of a results file is told while it waits for the first (`util/file_lock.ts`). */
export const SHARD_HINT = "run other cells with --shard i/n, which write their own files";

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

/** The identity of a record: its model and cell (rows of several models may share a file set). */
export function recordId(r: Pick<ResultRecord, "model" | "key">): string {
  return `${r.model.fingerprint}\u0000${r.key}`;
}

/**
 * One record per model and cell of `files`, in file then line order of first appearance: the first done row
 * when there is one, else the cell's last failed row.
 */
async function readDistinct(files: Iterable<string>, opts: ReadOptions): Promise<ResultRecord[]> {
  const byId = new Map<string, ResultRecord>();
  for (const file of files) {
    for (const row of await readResultsFile(file, opts)) {
      const id = recordId(row), seen = byId.get(id);
      // A done row is final; a failed one gives way to any later record of its cell (in the first's place).
      if (!seen || isFailed(seen)) byId.set(id, row);
    }
  }
  return [...byId.values()];
}

/**
 * Every cell's record in `base` and its shards, merged: its done row, or its last failed row when it has none.
 * Missing files give none.
 */
export async function loadRecords(base: string, opts: ReadOptions = {}): Promise<ResultRecord[]> {
  return readDistinct(await resultFiles(base), opts);
}

/**
 * Done rows of `base` and its shards, merged: one row per cell (the first found), in file then line order;
 * failed cells left out. Missing files give no rows.
 */
export async function loadResults(base: string, opts: ReadOptions = {}): Promise<ResultRow[]> {
  return doneRows(await loadRecords(base, opts));
}

/**
 * Done rows of several results files (each merged with its shards), one per model and cell: a shard named
 * beside its base, as a shell glob (`results/grids/<grid>-*.jsonl`) names it, is read once. A path with no
 * results file is an error naming it. Failed cells are left out.
 */
export async function loadResultSets(paths: readonly string[], opts: ReadOptions = {}): Promise<ResultRow[]> {
  const files = new Set<string>();
  for (const path of paths) {
    const found = await resultFiles(path);
    if (!found.length) throw new InputError("no result rows (nothing run yet?)", { file: path });
    found.forEach((f) => files.add(f));
  }
  return doneRows(await readDistinct(files, opts));
}

function doneRows(records: readonly ResultRecord[]): ResultRow[] {
  return records.filter((r): r is ResultRow => !isFailed(r));
}

/**
 * Append `row` to `path`, rewriting the file atomically so a crash never leaves half a line. Only the holder
 * of the file's lock (`util/file_lock.ts`) may append: two unlocked writers would lose each other's rows.
 */
export async function appendResult(path: string, row: ResultRecord): Promise<void> {
  const old = await Deno.readTextFile(path).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  });
  await writeFileAtomic(path, `${old}${old && !old.endsWith("\n") ? "\n" : ""}${JSON.stringify(row)}\n`);
}
