/**
 * Run a grid: every cell not yet in the results file (or its shards) is trained, scored on the task's test
 * set, and appended as one row as soon as it finishes, so an interrupted grid resumes where it stopped.
 *
 * @example
 * ```ts
 * const model = await loadModelFolder(defaultModelDir());
 * const rows = await runGrid(grid, { model, results: "runs/ci/demo.jsonl" });
 * ```
 * @module
 */
import type { SourceOptions } from "../data/sources.ts";
import type { Task } from "../data/types.ts";
import type { ProgressCallback } from "../methods/types.ts";
import type { AnyModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { relativePaths } from "../util/paths.ts";
import { type Cell, cellSplit, describeCell, expandGrid, type Grid, type Shard, shardCells } from "./grid.ts";
import { checkGrid, gridTask } from "./grid_check.ts";
import { type GridProgress, gridProgress } from "./grid_progress.ts";
import {
  appendResult,
  type FailedRow,
  isFailed,
  loadRecords,
  loadResults,
  type ModelRef,
  modelRef,
  type ResultRow,
  SHARD_HINT,
  shardPath,
} from "./results.ts";
import { settleStale } from "./grid_stale.ts";
import { codeProvenance } from "./provenance.ts";
import { lockFile } from "../util/file_lock.ts";
import { runSplit, splitName, type SplitResult } from "./split_run.ts";

/** What running one cell yields (the rest of its row is the cell and the run's context). */
export type CellOutcome =
  & Omit<SplitResult, "split" | "wallSeconds" | "confusion" | "labels">
  & Partial<Pick<SplitResult, "confusion" | "labels">>;

/** What a cell runs with besides itself. */
export interface CellContext {
  model: AnyModelFolder;
  /** The grid's task (`gridTask`): a registered dataset, or local files read once for every cell. */
  task: Task;
  source?: SourceOptions;
  onProgress?: ProgressCallback;
}

/** Trains and scores one cell; replaceable (tests use a fake). */
export type CellRunner = (cell: Cell, context: CellContext) => Promise<CellOutcome>;

/** Options of {@link runGrid}. */
export interface RunGridOptions {
  model: AnyModelFolder;
  /** Results path (`.jsonl`); a shard writes its own file beside it (see `shardPath`). */
  results: string;
  shard?: Shard;
  source?: SourceOptions;
  /** The grid's file, named in validation errors. */
  gridFile?: string;
  /** Grid progress; default a terminal bar or log lines on stderr; false for none. */
  progress?: GridProgress | false;
  /** Training progress of the running cell. */
  onProgress?: ProgressCallback;
  /** Called with each new done row. */
  onRow?: (row: ResultRow) => void;
  /** Called with each cell that failed (default: a warning on stderr); the grid goes on. */
  onFailure?: (row: FailedRow) => void;
  /** Run again the cells whose last record is a failure (default: leave them, as recorded). */
  retryFailed?: boolean;
  /**
   * Run again the finished cells whose data no longer hashes to their row's `dataFingerprint`, their rows set
   * aside (`grid_stale.ts`); default: refuse such a grid with an InputError. Checked with the default runner only.
   */
  rerunStale?: boolean;
  /** Told when another process holds the results file's lock and this one waits (default: stderr). */
  onWait?: (message: string) => void;
  /** Default {@link trainCell}, which also validates the whole grid on the model and data before the first cell. */
  runCell?: CellRunner;
  /** False: train nothing, return only the rows the results already hold (re-plotting). Default true. */
  train?: boolean;
  /** Start no cell after this time (ms since the epoch), e.g. a batch job's time limit; a rerun resumes. */
  deadline?: number;
  /** Skip corrupt lines of existing results (reported through `onSkip`; default a warning) instead of failing. */
  skipCorrupt?: boolean;
  onSkip?: (error: InputError) => void;
}

/** The split name of a cell: `zero_shot`, `k8_seed1` or `fewclue_0`. */
export function cellSplitName(cell: Cell): string {
  return splitName(cellSplit(cell));
}

/** Train `cell.method` on the cell's split through the one run path, {@link runSplit}. */
export const trainCell: CellRunner = async (cell, { model, task, source, onProgress }) => {
  const { split: _split, wallSeconds: _wall, ...outcome } = await runSplit({
    method: cell.method,
    options: cell.options,
    dataset: task,
    split: cellSplit(cell),
    model,
    source,
    onProgress,
  });
  return outcome;
};

/**
 * Run order: zero-shot cells first (seconds each, no training), then every method, parameter point and K under
 * the lowest seed (or FewCLUE split) before any under the next, so a grid stopped half-way already has every
 * curve, at fewer seeds. Stable within a seed.
 */
function seedFirst(cells: Cell[]): Cell[] {
  const rank = (c: Cell) => c.zeroShot ? -Infinity : c.seed ?? c.index ?? -Infinity;
  return cells.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
}

/** The cells shard `s` runs (all without one), in run order: shard `i/n` takes every n-th cell from i. */
export function shardCellsOf(grid: Grid, s?: Shard): Cell[] {
  // Shards stripe the run order itself, so that together they finish every curve under a seed before the next.
  return shardCells(seedFirst(expandGrid(grid)), s);
}

/**
 * Run the cells of `grid` (of `opts.shard` only, when given) that no results file has yet, appending a row
 * per finished cell in {@link seedFirst} order. A cell that throws or diverges is appended as a failed row
 * (status "failed", with the reason) and the grid goes on; a rerun retries it only with `retryFailed`. With the
 * default runner the whole grid is validated on the model and data before the first cell (`grid_check.ts`).
 * The file written is locked (`util/file_lock.ts`): a second process on it waits, then runs only what is left.
 * Returns every done row of the grid's cells found afterwards, in cell order (all shards').
 * @throws InputError when the grid is invalid, the results already hold rows of another model, or (default
 *   runner) a finished row's data fingerprint no longer matches its cell's data and `rerunStale` is not set.
 */
export async function runGrid(grid: Grid, opts: RunGridOptions): Promise<ResultRow[]> {
  const { model, results } = opts;
  const runCell = opts.runCell ?? trainCell;
  const ref = await modelRef(model);
  const code = await codeProvenance();
  const read = { skipCorrupt: opts.skipCorrupt, onSkip: opts.onSkip ?? ((e: InputError) => console.error(`warning: ${e.message}`)) };
  const out = shardPath(results, opts.shard);
  /** The cells of this shard still to run, after what the results hold now. */
  const pending = async (warn: boolean) => {
    const records = await loadRecords(results, warn ? read : { ...read, onSkip: undefined });
    const other = records.find((r) => r.model.fingerprint !== ref.fingerprint);
    if (other) {
      const named = (m: ModelRef) => `${m.name} (${m.fingerprint})`;
      throw new InputError(`holds rows of model ${named(other.model)}, not of ${named(ref)}; use another results file`, {
        file: results,
      });
    }
    const skip = new Set(records.filter((r) => !isFailed(r) || !opts.retryFailed).map((r) => r.key));
    return opts.train === false ? [] : shardCellsOf(grid, opts.shard).filter((c) => !skip.has(c.key));
  };
  let todo = await pending(true);
  let task: Task | undefined;
  if (!opts.runCell && opts.train !== false) {
    // Finished rows must still be of the grid's data: refused, or set aside and run again (`rerunStale`).
    task = await gridTask(grid, opts.gridFile);
    const mine = new Set(shardCellsOf(grid, opts.shard).map((c) => c.key));
    const finished = (await loadResults(results, read)).filter((r) => mine.has(r.key));
    if (await settleStale(results, finished, { task, source: opts.source, rerun: opts.rerunStale })) todo = await pending(false);
  }
  const lock = todo.length ? await lockFile(out, { onWait: opts.onWait, hint: SHARD_HINT }) : undefined;
  const progress = opts.progress === false ? undefined : opts.progress ?? gridProgress();
  try {
    if (lock) {
      todo = await pending(false); // another writer may have finished some while this one waited
      if (todo.length) task ??= await gridTask(grid, opts.gridFile);
      if (task && !opts.runCell) await checkGrid(grid, { model, task, source: opts.source, file: opts.gridFile });
    }
    const onFailure = opts.onFailure ??
      ((r: FailedRow) => console.error(`\ncell failed: ${describeCell(r as Cell)}: ${r.error} (recorded in ${out}; the grid goes on)`));
    for (const [i, cell] of todo.entries()) {
      if (opts.deadline !== undefined && Date.now() >= opts.deadline) {
        console.error(`deadline reached: ${todo.length - i} cells left for a rerun`);
        break;
      }
      progress?.start(describeCell(cell), i, todo.length);
      const t0 = performance.now();
      const context = { grid: grid.name, split: cellSplitName(cell), model: ref };
      let outcome: CellOutcome | undefined, error: string | undefined;
      try {
        outcome = await runCell(cell, { model, task: task!, source: opts.source, onProgress: opts.onProgress });
      } catch (err) {
        // The reason is written to the results file: paths in it relative, as everywhere the kit writes.
        error = relativePaths(err instanceof Error ? err.message.split("\n")[0] : String(err));
      }
      const wallSeconds = (performance.now() - t0) / 1000, finishedAt = new Date().toISOString();
      if (outcome) {
        const row: ResultRow = { ...cell, ...context, ...outcome, wallSeconds, finishedAt, code };
        await appendResult(out, row);
        opts.onRow?.(row);
      } else {
        const row: FailedRow = { ...cell, ...context, status: "failed", error: error!, wallSeconds, finishedAt, code };
        await appendResult(out, row);
        onFailure(row);
      }
      progress?.finish(`${describeCell(cell)}${outcome ? "" : " FAILED"}`, i + 1, todo.length, wallSeconds);
    }
  } finally {
    progress?.end();
    await lock?.release();
  }
  return await finishedRows(grid, results, { skipCorrupt: opts.skipCorrupt });
}

/**
 * The done rows of `grid`'s cells that `results` (and its shards) hold, in cell order; none when the file does
 * not exist. For showing a grid run elsewhere or with another model without training anything.
 */
export async function finishedRows(grid: Grid, results: string, opts: { skipCorrupt?: boolean } = {}): Promise<ResultRow[]> {
  const byKey = new Map((await loadResults(results, { skipCorrupt: opts.skipCorrupt })).map((r) => [r.key, r]));
  return expandGrid(grid).flatMap((c) => byKey.get(c.key) ?? []);
}
