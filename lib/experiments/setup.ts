/**
 * Settings notebooks and scripts share, from the environment:
 *
 * - `PROMPTLAB_BUDGET` — `ci` (default: every notebook in a few minutes, on the embedded demo data) or `full`
 *   (the article's sizes on EPRSTMT; hours).
 * - `PROMPTLAB_MODEL` — a BERT model folder; default the kit's own `models/promptlab-bert-zh-mini` once its
 *   weights exist, else the reference `../shared/models/zh-review-bert-tiny`.
 * - `PROMPTLAB_RUNS` — where grid results are cached; default `runs/` in the repository, one folder per budget.
 * - `PROMPTLAB_FIGURES` — where notebooks export figures; default `figures/` in the repository.
 * @module
 */
import { fileURLToPath } from "node:url";
import { InputError } from "../util/errors.ts";

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

/** The results file of grid `name` under the current budget: `<runs>/<budget>/<name>.jsonl`. */
export function resultsPath(name: string): string {
  return `${Deno.env.get("PROMPTLAB_RUNS") ?? `${repoRoot}/runs`}/${budget()}/${name}.jsonl`;
}

/** Where notebooks export figures: `figures/<budget>/<name>/`. */
export function figuresDir(name: string): string {
  return `${Deno.env.get("PROMPTLAB_FIGURES") ?? `${repoRoot}/figures`}/${budget()}/${name}`;
}
