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
import { loadFewShot, loadSplit } from "../data/load.ts";
import { getTask } from "../data/registry.ts";
import type { SourceOptions } from "../data/sources.ts";
import { metricsFromProba } from "../eval/metrics.ts";
import { getMethod } from "../methods/registry.ts";
import type { ProgressCallback } from "../methods/types.ts";
import type { ModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { dataFingerprint, modelFingerprint } from "./fingerprint.ts";
import { type Cell, expandGrid, type Grid, type Shard, shardCells } from "./grid.ts";
import { type GridProgress, gridProgress } from "./grid_progress.ts";
import { appendResult, loadResults, type ResultRow, shardPath } from "./results.ts";

/** What running one cell yields (the rest of its row is the cell and the run's context). */
export type CellOutcome = Pick<
  ResultRow,
  "accuracy" | "macroF1" | "n" | "trainSize" | "trainableParams" | "steps" | "bestStep" | "losses" | "dev" | "dataFingerprint" | "notes"
>;

/** Trains and scores one cell; replaceable (tests use a fake). */
export type CellRunner = (cell: Cell, model: ModelFolder, source: SourceOptions | undefined, onProgress?: ProgressCallback) => Promise<CellOutcome>;

/** Options of {@link runGrid}. */
export interface RunGridOptions {
  model: ModelFolder;
  /** Results path (`.jsonl`); a shard writes its own file beside it (see `shardPath`). */
  results: string;
  shard?: Shard;
  source?: SourceOptions;
  /** Grid progress; default a terminal bar or log lines on stderr; false for none. */
  progress?: GridProgress | false;
  /** Training progress of the running cell. */
  onProgress?: ProgressCallback;
  /** Called with each new row. */
  onRow?: (row: ResultRow) => void;
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
export function splitName(cell: Cell): string {
  if (cell.zeroShot) return "zero_shot";
  return cell.protocol === "fewclue" ? `fewclue_${cell.index}` : `k${cell.k}_seed${cell.seed}`;
}

/** Train `cell.method` on the cell's few-shot split (nothing for zero-shot) and score it on the test set. */
export const trainCell: CellRunner = async (cell, model, source, onProgress) => {
  const task = getTask(cell.dataset);
  const data = cell.zeroShot
    ? { train: [], dev: [], test: await loadSplit(task, task.test, source) }
    : await loadFewShot(task, cell.protocol === "fewclue" ? { kind: "official", index: cell.index! } : { kind: "sampled", k: cell.k!, seed: cell.seed! }, source);
  const method = getMethod(cell.method).create(model, task.labels, cell.options);
  const { predictor, record } = await method.fit(data.train, data.dev, { onProgress });
  const proba = await predictor.predictProba(data.test.map((r) => r.text));
  const m = metricsFromProba(data.test.map((r) => r.label), proba, predictor.labels);
  return {
    accuracy: m.accuracy,
    macroF1: m.macroF1,
    n: m.n,
    trainSize: data.train.length,
    trainableParams: record.trainableParams,
    steps: record.steps,
    bestStep: record.bestStep,
    losses: record.losses,
    dev: record.dev,
    dataFingerprint: await dataFingerprint(data),
    notes: record.notes,
  };
};

/** A short description of a cell for progress lines. */
function describe(cell: Cell): string {
  const params = Object.entries(cell.params).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return [cell.label, splitName(cell), ...params].join(" ");
}

/**
 * Run order: zero-shot cells first (seconds each, no training), then every method, parameter point and K under
 * the lowest seed (or FewCLUE split) before any under the next, so a grid stopped half-way already has every
 * curve, at fewer seeds. Stable within a seed.
 */
function seedFirst(cells: Cell[]): Cell[] {
  const rank = (c: Cell) => c.zeroShot ? -Infinity : c.seed ?? c.index ?? -Infinity;
  return cells.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
}

/**
 * Run the cells of `grid` (of `opts.shard` only, when given) that no results file has yet, appending a row
 * per finished cell (in {@link seedFirst} order; shard `i/n` takes every n-th cell of that order from i).
 * Returns every row of the grid's cells found afterwards, in cell order (all shards').
 * @throws InputError when the results already hold rows of another model: they would be mixed.
 */
export async function runGrid(grid: Grid, opts: RunGridOptions): Promise<ResultRow[]> {
  const { model, results } = opts;
  const runCell = opts.runCell ?? trainCell;
  const fingerprint = await modelFingerprint(model.dir);
  const cells = expandGrid(grid);
  const read = { skipCorrupt: opts.skipCorrupt, onSkip: opts.onSkip ?? ((e: InputError) => console.error(`warning: ${e.message}`)) };
  const previous = await loadResults(results, read);
  const other = previous.find((r) => r.model.fingerprint !== fingerprint);
  if (other) {
    throw new InputError(`holds rows of model ${other.model.dir} (${other.model.fingerprint}), not of ${model.dir} (${fingerprint}); use another results file`, {
      file: results,
    });
  }
  const finished = new Set(previous.map((r) => r.key));
  // Shards stripe the run order itself, so that together they finish every curve under a seed before the next.
  const todo = opts.train === false ? [] : shardCells(seedFirst(cells), opts.shard).filter((c) => !finished.has(c.key));
  const out = shardPath(results, opts.shard);
  const progress = opts.progress === false ? undefined : opts.progress ?? gridProgress();
  try {
    for (const [i, cell] of todo.entries()) {
      if (opts.deadline !== undefined && Date.now() >= opts.deadline) {
        console.error(`deadline reached: ${todo.length - i} cells left for a rerun`);
        break;
      }
      progress?.start(describe(cell), i, todo.length);
      const t0 = performance.now();
      const outcome = await runCell(cell, model, opts.source, opts.onProgress);
      const wallSeconds = (performance.now() - t0) / 1000;
      const row: ResultRow = {
        ...cell,
        grid: grid.name,
        split: splitName(cell),
        ...outcome,
        wallSeconds,
        model: { dir: model.dir, fingerprint },
        finishedAt: new Date().toISOString(),
      };
      await appendResult(out, row);
      opts.onRow?.(row);
      progress?.finish(describe(cell), i + 1, todo.length, wallSeconds);
    }
  } finally {
    progress?.end();
  }
  return await finishedRows(grid, results, { skipCorrupt: opts.skipCorrupt });
}

/**
 * The rows of `grid`'s cells that `results` (and its shards) hold, in cell order; none when the file does not
 * exist. For showing a grid run elsewhere or with another model without training anything.
 */
export async function finishedRows(grid: Grid, results: string, opts: { skipCorrupt?: boolean } = {}): Promise<ResultRow[]> {
  const byKey = new Map((await loadResults(results, { skipCorrupt: opts.skipCorrupt })).map((r) => [r.key, r]));
  return expandGrid(grid).flatMap((c) => byKey.get(c.key) ?? []);
}
