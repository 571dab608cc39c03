/**
 * Settings notebooks and scripts share, from the environment (`lib/util/config.ts` reads and documents it):
 * the budget (`PROMPTLAB_BUDGET`), the model (`PROMPTLAB_MODEL`: default the kit's own
 * `models/promptlab-bert-zh-L4-H256` once its weights exist, else the reference `../shared/models/zh-review-bert-tiny`),
 * where grid results and figures go (`PROMPTLAB_RUNS`, `PROMPTLAB_FIGURES`: `results/grids/` and `figures/` at the
 * full budget, committed; `runs/ci/` at the ci budget, ignored), and whether grids train (`PROMPTLAB_TRAIN`).
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelFolder } from "../model/folder.ts";
import * as config from "../util/config.ts";
import { modelFingerprint } from "./fingerprint.ts";
import { modelBaseName } from "./results.ts";

export { type Budget, budget, trainMissing } from "../util/config.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

/** The folder of the kit's own pre-trained models: the embedded default and the model family (`model_family.ts`). */
export const MODELS_DIR = `${repoRoot}/models`;

/** The kit's own pre-trained model, and the reference model beside the repository. */
export const EMBEDDED_MODEL = `${MODELS_DIR}/promptlab-bert-zh-L4-H256`;
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

/** Where models trained by a grid-like run go: `models/<name>/` at the full budget, `runs/ci/models/<name>/` at ci. */
export function trainedModelsDir(name: string): string {
  return `${budgetDir(config.runsRoot(), "models", "runs/ci/models")}/${name}`;
}

/** `path` relative to the repository root, as notebooks print paths (no machine's folders in committed output). */
export function repoRelative(path: string): string {
  return relative(repoRoot, path) || ".";
}

/** What each budget's numbers are, for the line that heads every notebook. */
const BUDGET_NOTES: Record<config.Budget, string> = {
  ci: "embedded demo data, a few training steps, one or two seeds: a quick check that everything runs. " +
    "Accuracies near chance (50%) are expected; the findings the text describes are the `full` budget's " +
    "(`PROMPTLAB_BUDGET=full`).",
  full: "the article's protocol: EPRSTMT (FewCLUE), each method's own training defaults, five seeds per point.",
};

/**
 * The Markdown a notebook's first cell shows: the budget that produced its numbers and what that budget is,
 * whether missing grid cells are trained (left out with `grid: false`, for a notebook that runs no grid), and
 * the model (or each of several, e.g. a model family) by folder name and content fingerprint (never a path).
 */
export async function notebookHeader(
  model: Pick<ModelFolder, "dir"> | readonly Pick<ModelFolder, "dir">[],
  { grid = true } = {},
): Promise<string> {
  const b = config.budget();
  const models = "dir" in model ? [model] : model;
  const named = await Promise.all(
    models.map(async (m) => `\`${modelBaseName(m.dir)}\` (fingerprint \`${await modelFingerprint(m.dir)}\`)`),
  );
  const training = config.trainMissing()
    ? "cells missing from the results file are trained (`PROMPTLAB_TRAIN=no` only reads results)"
    : "`PROMPTLAB_TRAIN=no`: results are read, nothing is trained";
  return [
    `- **Budget \`${b}\`** (\`PROMPTLAB_BUDGET\`): ${BUDGET_NOTES[b]}`,
    ...(grid ? [`- **Training:** ${training}.`] : []),
    `- **Model${models.length > 1 ? "s" : ""}:** ${named.join(", ")}.`,
  ].join("\n");
}
