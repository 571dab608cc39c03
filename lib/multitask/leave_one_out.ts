/**
 * Leave-one-task-out (ZeroPrompt's transfer experiment): for each mixture (one held-out task each) and each base
 * model, the held-out task zero-shot with every held-out wording before multitask training (base model), the
 * few-shot references at K = 16 (PET and fine-tuning on the held-out task), multitask training on the mixture,
 * and the same wordings after it (multitask model). Every stage resumes: grids from their results files, training
 * from its checkpoint, and a finished multitask model is kept, so running the same plan again continues where a
 * kill left it.
 */
import { type Grid } from "../experiments/grid.ts";
import { type CellRunner, runGrid } from "../experiments/grid_run.ts";
import { zeropromptFewShotGrid } from "../experiments/presets.ts";
import { modelBaseName } from "../experiments/results.ts";
import { loadModelFolder } from "../model/folder.ts";
import type { SourceOptions } from "../data/sources.ts";
import type { ProgressCallback } from "../train/progress.ts";
import { exists } from "../util/fs.ts";
import type { Mixture } from "./mixture.ts";
import { multitask } from "./train.ts";
import { wordingsGrid } from "./wordings_grid.ts";
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

/** Where {@link leaveOneOutPlan} puts what it makes. */
export interface PlanDirs {
  /** Results files (`<grid>-<model>.jsonl`, as `deno task grid` names them). */
  resultsDir: string;
  /** Multitask model folders. */
  modelsDir: string;
}

/** The cases of `mixtures` × `models` (base model folders), in that order, with their grids and results files. */
export function leaveOneOutPlan(mixtures: readonly Mixture[], models: readonly string[], dirs: PlanDirs): LeaveOneOutCase[] {
  const results = (grid: Grid, model: string) => `${dirs.resultsDir}/${grid.name}-${modelBaseName(model)}.jsonl`;
  return mixtures.flatMap((mixture) =>
    models.map((base) => {
      const multitaskDir = `${dirs.modelsDir}/${zeropromptModelName(modelBaseName(base), mixture.heldout.task.name)}`;
      const wordings = wordingsGrid(mixture);
      const reference = zeropromptFewShotGrid(mixture.heldout.task.name);
      const grids: PlannedGrid[] = [
        { stage: "before", grid: wordings, model: base, results: results(wordings, base) },
        { stage: "reference", grid: reference, model: base, results: results(reference, base) },
        { stage: "after", grid: wordings, model: multitaskDir, results: results(wordings, multitaskDir) },
      ];
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
}

/** What {@link runLeaveOneOut} did. */
export interface LeaveOneOutOutcome {
  /** False when it stopped early (deadline or Ctrl-C): rerun to go on. */
  done: boolean;
  /** True when training stopped on Ctrl-C (with a checkpoint). */
  interrupted: boolean;
  /** Multitask steps trained per multitask folder in this run (0: already finished). */
  trained: Map<string, { steps: number; seconds: number }>;
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
  const trained = new Map<string, { steps: number; seconds: number }>();
  const past = () => o.deadline !== undefined && Date.now() > o.deadline;
  const grid = async (g: PlannedGrid) => {
    say(`${g.stage}: ${g.grid.name} on ${modelBaseName(g.model)} -> ${g.results}`);
    const model = await loadModelFolder(g.model);
    await runGrid(g.grid, { model, results: g.results, source: o.source, deadline: o.deadline, runCell: o.runCell, progress: false });
  };
  for (const c of cases) {
    for (const g of c.grids.filter((g) => g.stage !== "after")) await grid(g);
    if (!(await finished(c.multitaskDir))) {
      if (past()) return { done: false, interrupted: false, trained };
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
      if (r.stopped) return { done: false, interrupted: r.interrupted, trained };
    }
    for (const g of c.grids.filter((g) => g.stage === "after")) await grid(g);
    if (past()) return { done: false, interrupted: false, trained };
  }
  return { done: true, interrupted: false, trained };
}
