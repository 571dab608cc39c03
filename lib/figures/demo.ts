/**
 * The kit's main job, `deno task demo`: the demo grid (`experiments/demo.ts`) over the embedded model and the
 * embedded demo dataset (or any dataset and model folder), a summary table and the few-shot-curve figure.
 */
import type { SourceOptions } from "../data/sources.ts";
import { loadModelFolder } from "../model/folder.ts";
import { fewShotCurve } from "../charts/fewshot_curve.ts";
import { demoGrid } from "../experiments/demo.ts";
import { runGrid } from "../experiments/grid_run.ts";
import { codeText } from "../experiments/provenance.ts";
import { modelBaseName, type ResultRow } from "../experiments/results.ts";
import { type SummaryRow, summaryTable } from "../experiments/stats.ts";
import { exportChart } from "./export.ts";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  model: string;
  dataset: string;
  k: number[];
  seeds: number[];
  /** Results file (resumed when re-run). */
  results: string;
  /** Folder for the figure. */
  figures: string;
  source?: SourceOptions;
}

/** Run (or resume) the demo grid and export its few-shot curve. */
export async function runDemo(o: DemoOptions): Promise<{ rows: ResultRow[]; summary: SummaryRow[]; figures: string[] }> {
  const model = await loadModelFolder(o.model);
  const rows = await runGrid(demoGrid(o.dataset, o.k, o.seeds), { model, results: o.results, source: o.source });
  const curve = fewShotCurve(rows, { title: `Few-shot curves: ${o.dataset}, ${modelBaseName(model.dir)}` });
  const figures = await exportChart(curve, o.figures, "fewshot_curve", { code: codeText(rows) });
  return { rows, summary: summaryTable(rows), figures };
}
