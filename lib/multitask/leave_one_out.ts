/**
 * Leave-one-task-out (ZeroPrompt's transfer experiment): for each mixture (one held-out task each) and each base
 * model, the held-out task zero-shot with every held-out wording before multitask training (base model), the
 * few-shot references at K = 16 (PET and fine-tuning on the held-out task; on a T5, the text-to-text method's
 * fine-tuning), multitask training on the mixture, and the same wordings after it (multitask model). The base
 * model's capabilities choose the methods and the objective (`backbone_path.ts`). Every stage resumes: grids from their results files, training
 * from its checkpoint, and a finished multitask model is kept, so running the same plan again continues where a
 * kill left it.
 */
import { type Grid } from "../experiments/grid.ts";
import { type CellRunner, finishedRows, runGrid } from "../experiments/grid_run.ts";
import { modelBaseName, type ResultRow } from "../experiments/results.ts";
import { type Budget, resultsPath } from "../experiments/setup.ts";
import { loadAnyModelFolder } from "../model/folder.ts";
import type { SourceOptions } from "../data/sources.ts";
import type { ProgressCallback } from "../train/progress.ts";
import { exists } from "../util/fs.ts";
import type { Mixture } from "./mixture.ts";
import { multitask } from "./train.ts";
import { wordingsGrid } from "./wordings_grid.ts";
import { multitaskPath } from "./backbone_path.ts";
import { zeropromptModelName } from "./model_name.ts";

/** One grid run of the plan: which grid, on which model folder, into which results file. */
export interface PlannedGrid {
  stage: "before" | "reference" | "after";
  grid: Grid;
  model: string;
  results: string;
}

/** The work for one held-out task and one base model. */
export interface LeaveOneOutCase {
  mixture: Mixture;
  base: string;
  /** The multitask model's folder (`<modelsDir>/<base>-zeroprompt-<task>`). */
  multitaskDir: string;
  grids: PlannedGrid[];
}

/** Options of {@link leaveOneOutPlan}. */
export interface PlanOptions {
  /** Folder of the multitask models. */
  modelsDir: string;
  /** A grid's results file with a model (default `resultsPath`: `results/grids/` at the full budget, as `deno task grid`). */
  results?: (gridName: string, modelDir: string) => string;
  /** Score the wordings and references on this dataset instead of the held-out task (ci: the demo reviews). */
  dataset?: string;
  /** The references' budget (default full: K = 16, five seeds). */
  budget?: Budget;
}

/** `grid` on `dataset` instead of its own, renamed after it (as `deno task grid --dataset` does). */
function onDataset(grid: Grid, dataset?: string): Grid {
  return dataset === undefined ? grid : { ...grid, name: `${grid.name}-${dataset}`, dataset };
}

/**
 * The cases of `mixtures` × `models` (base model folders), in that order, with their grids and results files.
 * @throws InputError naming a base model's config.json: missing, unreadable, or a backbone multitask training cannot take.
 */
export async function leaveOneOutPlan(mixtures: readonly Mixture[], models: readonly string[], o: PlanOptions): Promise<LeaveOneOutCase[]> {
  const path = o.results ?? resultsPath;
  const planned = (stage: PlannedGrid["stage"], grid: Grid, model: string) => ({ stage, grid, model, results: path(grid.name, model) });
  const paths = await Promise.all(models.map(multitaskPath));
  return mixtures.flatMap((mixture) =>
    models.map((base, m) => {
      const multitaskDir = `${o.modelsDir}/${zeropromptModelName(modelBaseName(base), mixture.heldout.task.name)}`;
      const wordings = onDataset(wordingsGrid(mixture, paths[m].wording), o.dataset);
      const reference = paths[m].references(o.budget ?? "full", o.dataset ?? mixture.heldout.task.name);
      const grids = [planned("before", wordings, base), planned("reference", reference, base), planned("after", wordings, multitaskDir)];
      return { mixture, base, multitaskDir, grids };
    })
  );
}

/** Options of {@link runLeaveOneOut}. */
export interface RunLeaveOneOutOptions {
  /** Training steps instead of each mixture's (a tiny run measures cost with this). */
  steps?: number;
  source?: SourceOptions;
  /** Start no grid cell and no training once past this time (ms since the epoch); rerun to go on. */
  deadline?: number;
  /** Told what each stage does, in one line. */
  onStage?: (line: string) => void;
  onProgress?: ProgressCallback;
  /** The grid cell runner (default: train and score; tests pass a fake). */
  runCell?: CellRunner;
  /** False: train and score nothing, only read the rows already there (PROMPTLAB_TRAIN=no). Default true. */
  train?: boolean;
}

/** What {@link runLeaveOneOut} did. */
export interface LeaveOneOutOutcome {
  /** False when it stopped early (deadline or Ctrl-C): rerun to go on. */
  done: boolean;
  /** True when training stopped on Ctrl-C (with a checkpoint). */
  interrupted: boolean;
  /** Multitask steps trained per multitask folder in this run (absent: already finished or not trained). */
  trained: Map<string, { steps: number; seconds: number }>;
  /** Every finished row of the plan's grids, as their results files hold them now. */
  rows: ResultRow[];
}

/** Whether `dir` holds a finished multitask model (weights written, no checkpoint left). */
async function finished(dir: string): Promise<boolean> {
  return await exists(`${dir}/model.safetensors`) && !(await exists(`${dir}/checkpoint`));
}

/**
 * Run the plan's cases one after another: the "before" and "reference" grids, multitask training (skipped when
 * finished, resumed from its checkpoint otherwise), then the "after" grid. Grid cells already in a results file
 * are not run again.
 */
export async function runLeaveOneOut(cases: readonly LeaveOneOutCase[], o: RunLeaveOneOutOptions = {}): Promise<LeaveOneOutOutcome> {
  const say = o.onStage ?? (() => {});
  const train = o.train ?? true;
  const trained = new Map<string, { steps: number; seconds: number }>();
  const rows: ResultRow[] = [];
  const past = () => o.deadline !== undefined && Date.now() > o.deadline;
  const grid = async (g: PlannedGrid) => {
    if (!train) {
      rows.push(...await finishedRows(g.grid, g.results));
      return;
    }
    say(`${g.stage}: ${g.grid.name} on ${modelBaseName(g.model)} -> ${g.results}`);
    const model = await loadAnyModelFolder(g.model);
    const opts = { model, results: g.results, source: o.source, deadline: o.deadline, runCell: o.runCell, progress: false as const };
    rows.push(...await runGrid(g.grid, opts));
  };
  for (const c of cases) {
    for (const g of c.grids.filter((g) => g.stage !== "after")) await grid(g);
    if (train && !(await finished(c.multitaskDir))) {
      if (past()) return { done: false, interrupted: false, trained, rows };
      say(`multitask: ${c.mixture.name} from ${modelBaseName(c.base)} -> ${c.multitaskDir}`);
      const r = await multitask({
        mixture: c.mixture,
        model: c.base,
        out: c.multitaskDir,
        steps: o.steps,
        source: o.source,
        onProgress: o.onProgress,
      });
      trained.set(c.multitaskDir, { steps: r.steps - r.resumedFrom, seconds: r.seconds });
      if (r.stopped) return { done: false, interrupted: r.interrupted, trained, rows };
    }
    for (const g of c.grids.filter((g) => g.stage === "after")) await grid(g);
    if (past()) return { done: false, interrupted: false, trained, rows };
  }
  return { done: true, interrupted: false, trained, rows };
}
