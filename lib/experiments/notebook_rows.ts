/**
 * What a notebook does with its grid: run it with the chosen model (or only read it, `PROMPTLAB_TRAIN=no`),
 * then add the rows of the same grid run with the kit's other model, where its results exist, so charts show
 * the two side by side; or run it with every model of a family in turn (the model-size notebook). Rows with
 * predictor variants come with a row per variant (`variant_rows.ts`).
 * @module
 */
import { type AnyModelFolder, loadAnyModelFolder, type ModelFolder } from "../model/folder.ts";
import type { Grid } from "./grid.ts";
import { finishedRows, runGrid } from "./grid_run.ts";
import { modelBaseName, modelName, type ResultRow } from "./results.ts";
import { withVariantRows } from "./variant_rows.ts";
import { EMBEDDED_MODEL, REFERENCE_MODEL, repoRelative, resultsPath, trainMissing } from "./setup.ts";

/** Rows of `grid` with `model`, from its own results file: trained where missing unless PROMPTLAB_TRAIN=no. */
function modelRows(grid: Grid, model: AnyModelFolder): Promise<ResultRow[]> {
  return runGrid(grid, { model, results: resultsPath(grid.name, model.dir), train: trainMissing() });
}

/** Rows of `grid`: `model`'s (trained where missing unless PROMPTLAB_TRAIN=no), then the other model's. */
export async function notebookRows(grid: Grid, model: ModelFolder): Promise<ResultRow[]> {
  const own = await modelRows(grid, model);
  const others = [EMBEDDED_MODEL, REFERENCE_MODEL].filter((dir) => modelBaseName(dir) !== modelBaseName(model.dir));
  return withVariantRows([...own, ...(await Promise.all(others.map((dir) => finishedRows(grid, resultsPath(grid.name, dir))))).flat()]);
}

/**
 * Rows of `grid` with each model folder of `dirs` in turn (the model family, or a T5 with the text-to-text
 * grid), one results file per model, each trained where missing unless PROMPTLAB_TRAIN=no.
 */
export async function familyRows(grid: Grid, dirs: readonly string[]): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const dir of dirs) rows.push(...await modelRows(grid, await loadAnyModelFolder(dir))); // one model in memory at a time
  return withVariantRows(rows);
}

/**
 * Markdown lines naming, per model, how many runs of `grid` the rows hold and their results file (relative),
 * and the model's size where its rows record it.
 */
export function describeRows(grid: Grid, rows: readonly ResultRow[]): string {
  const lines = [...Map.groupBy(rows.filter((r) => !r.variant), modelName)].map(([name, runs]) => {
    const size = runs[0].model.parameters === undefined ? "" : `, ${runs[0].model.parameters.toLocaleString("en")} parameters`;
    return `- \`${name}\`${size}: ${runs.length} runs of \`${grid.name}\` (\`${repoRelative(resultsPath(grid.name, name))}\`)`;
  });
  return lines.length ? lines.join("\n") : `- no runs of \`${grid.name}\` yet`;
}
