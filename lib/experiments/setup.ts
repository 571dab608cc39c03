/**
 * Settings notebooks and scripts share, from the environment (`lib/util/config.ts` reads and documents it):
 * the budget (`PROMPTLAB_BUDGET`), the model (`PROMPTLAB_MODEL`: default the kit's own
 * `models/promptlab-bert-zh-mini` once its weights exist, else the reference `../shared/models/zh-review-bert-tiny`),
 * where grid results and figures go (`PROMPTLAB_RUNS`, `PROMPTLAB_FIGURES`: `results/grids/` and `figures/` at the
 * full budget, committed; `runs/ci/` at the ci budget, ignored), and whether grids train (`PROMPTLAB_TRAIN`).
 * @module
 */
import { fileURLToPath } from "node:url";
import * as config from "../util/config.ts";
import { modelBaseName } from "./results.ts";

export { type Budget, budget, trainMissing } from "../util/config.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

/** The kit's own pre-trained model, and the reference model beside the repository. */
export const EMBEDDED_MODEL = `${repoRoot}/models/promptlab-bert-zh-mini`;
export const REFERENCE_MODEL = `${repoRoot}/../shared/models/zh-review-bert-tiny`;

/** `PROMPTLAB_MODEL`, else the embedded model when its weights exist, else the reference model. */
export function defaultModelDir(): string {
  const chosen = config.modelDir();
  if (chosen) return chosen;
  try {
    Deno.statSync(`${EMBEDDED_MODEL}/model.safetensors`);
    return EMBEDDED_MODEL;
  } catch {
    return REFERENCE_MODEL;
  }
}

/** A folder under the current budget: `<root>/<budget>` when a root is set, else the full or ci default. */
function budgetDir(root: string | undefined, full: string, ci: string): string {
  const b = config.budget();
  if (root) return `${root}/${b}`;
  return `${repoRoot}/${b === "full" ? full : ci}`;
}

/**
 * The results file of grid `name` run with the model in `modelDir` (default {@link defaultModelDir}), one file
 * per model: `results/grids/<name>-<model>.jsonl` at the full budget, `runs/ci/<name>-<model>.jsonl` at ci.
 */
export function resultsPath(name: string, modelDir = defaultModelDir()): string {
  return `${budgetDir(config.runsRoot(), "results/grids", "runs/ci")}/${name}-${modelBaseName(modelDir)}.jsonl`;
}

/** Where notebooks export figures: `figures/<name>/` at the full budget, `runs/ci/figures/<name>/` at ci. */
export function figuresDir(name: string): string {
  return `${budgetDir(config.figuresRoot(), "figures", "runs/ci/figures")}/${name}`;
}
