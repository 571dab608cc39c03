/**
 * What a notebook does with its grid: run it with the chosen model (or only read it, `PROMPTLAB_TRAIN=no`),
 * then add the rows of the same grid run with the kit's other model, where its results exist, so charts show
 * the two side by side.
 * @module
 */
import type { ModelFolder } from "../model/folder.ts";
import type { Grid } from "./grid.ts";
import { finishedRows, runGrid } from "./grid_run.ts";
import { modelBaseName, modelName, type ResultRow } from "./results.ts";
import { EMBEDDED_MODEL, REFERENCE_MODEL, repoRelative, resultsPath, trainMissing } from "./setup.ts";

/** Rows of `grid`: `model`'s (trained where missing unless PROMPTLAB_TRAIN=no), then the other model's. */
export async function notebookRows(grid: Grid, model: ModelFolder): Promise<ResultRow[]> {
  const own = await runGrid(grid, { model, results: resultsPath(grid.name, model.dir), train: trainMissing() });
  const others = [EMBEDDED_MODEL, REFERENCE_MODEL].filter((dir) => modelBaseName(dir) !== modelBaseName(model.dir));
  return [...own, ...(await Promise.all(others.map((dir) => finishedRows(grid, resultsPath(grid.name, dir))))).flat()];
}

/** Markdown lines naming, per model, how many runs of `grid` the rows hold and their results file (relative). */
export function describeRows(grid: Grid, rows: readonly ResultRow[]): string {
  const lines = [...Map.groupBy(rows, modelName)].map(([name, runs]) =>
    `- \`${name}\`: ${runs.length} runs of \`${grid.name}\` (\`${repoRelative(resultsPath(grid.name, name))}\`)`
  );
  return lines.length ? lines.join("\n") : `- no runs of \`${grid.name}\` yet`;
}
