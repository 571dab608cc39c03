/**
 * Settings notebooks and scripts share, from the environment:
 *
 * - `PROMPTLAB_BUDGET` — `ci` (default: every notebook in a few minutes, on the embedded demo data) or `full`
 *   (the article's sizes on EPRSTMT; hours).
 * - `PROMPTLAB_MODEL` — a BERT model folder; default the kit's own `models/promptlab-bert-zh-mini` once its
 *   weights exist, else the reference `../shared/models/zh-review-bert-tiny`.
 * - `PROMPTLAB_RUNS` — where grid results are cached, one folder per budget below it; by default `results/grids/`
 *   at the full budget (committed: the kit's published results) and `runs/ci/` at the ci budget (ignored).
 * - `PROMPTLAB_FIGURES` — where notebooks export figures, likewise; by default `figures/` at the full budget and
 *   `runs/ci/figures/` at the ci budget.
 * - `PROMPTLAB_TRAIN` — `yes` (default) trains the cells a results file lacks; `no` only shows what it holds.
 * @module
 */
import { fileURLToPath } from "node:url";
import { InputError } from "../util/errors.ts";
import { modelBaseName } from "./results.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

/** How big the notebooks' experiments are. */
export type Budget = "ci" | "full";

/** `PROMPTLAB_BUDGET`, `ci` when unset. */
export function budget(): Budget {
  const b = Deno.env.get("PROMPTLAB_BUDGET") ?? "ci";
  if (b !== "ci" && b !== "full") throw new InputError(`must be "ci" or "full", got "${b}"`, { field: "PROMPTLAB_BUDGET" });
  return b;
}

/** The kit's own pre-trained model, and the reference model beside the repository. */
export const EMBEDDED_MODEL = `${repoRoot}/models/promptlab-bert-zh-mini`;
export const REFERENCE_MODEL = `${repoRoot}/../shared/models/zh-review-bert-tiny`;

/** `PROMPTLAB_MODEL`, else the embedded model when its weights exist, else the reference model. */
export function defaultModelDir(): string {
  const chosen = Deno.env.get("PROMPTLAB_MODEL");
  if (chosen) return chosen;
  try {
    Deno.statSync(`${EMBEDDED_MODEL}/model.safetensors`);
    return EMBEDDED_MODEL;
  } catch {
    return REFERENCE_MODEL;
  }
}

/** A folder under the current budget: `<$variable>/<budget>` when set, else the full or ci default. */
function budgetDir(variable: string, full: string, ci: string): string {
  const root = Deno.env.get(variable);
  if (root) return `${root}/${budget()}`;
  return `${repoRoot}/${budget() === "full" ? full : ci}`;
}

/**
 * The results file of grid `name` run with the model in `modelDir` (default {@link defaultModelDir}), one file
 * per model: `results/grids/<name>-<model>.jsonl` at the full budget, `runs/ci/<name>-<model>.jsonl` at ci.
 */
export function resultsPath(name: string, modelDir = defaultModelDir()): string {
  return `${budgetDir("PROMPTLAB_RUNS", "results/grids", "runs/ci")}/${name}-${modelBaseName(modelDir)}.jsonl`;
}

/** Where notebooks export figures: `figures/<name>/` at the full budget, `runs/ci/figures/<name>/` at ci. */
export function figuresDir(name: string): string {
  return `${budgetDir("PROMPTLAB_FIGURES", "figures", "runs/ci/figures")}/${name}`;
}

/** `PROMPTLAB_TRAIN`: whether grids train the cells their results file lacks (`yes`, default) or not (`no`). */
export function trainMissing(): boolean {
  const t = Deno.env.get("PROMPTLAB_TRAIN") ?? "yes";
  if (t !== "yes" && t !== "no") throw new InputError(`must be "yes" or "no", got "${t}"`, { field: "PROMPTLAB_TRAIN" });
  return t === "yes";
}
