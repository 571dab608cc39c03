/**
 * Figure export: every chart the results support, written as `<name>.vl.json` (the Vega-Lite spec),
 * `<name>.svg`, `<name>.png`, `<name>.pdf` and `<name>.caption.md` (what it shows, data, n per point, band,
 * flagged runs) under stable names, rendered headlessly.
 *
 * @example
 * ```ts
 * const files = await exportFigures(await loadResults("runs/full/comparison.jsonl"), "figures/comparison");
 * ```
 * @module
 */
import { fewShotCurve } from "../charts/fewshot_curve.ts";
import { benchmarkMarkdown, benchmarkTable, difficultyChart } from "../charts/benchmark.ts";
import { benchmarkCostMarkdown } from "../charts/benchmark_cost.ts";
import { ladderChart } from "../charts/ladder.ts";
import { accuracyVsModelSize, type ModelSizes, modelSizes } from "../charts/model_size.ts";
import { sweepChart } from "../charts/param_sensitivity.ts";
import { captionMarkdown } from "../charts/caption.ts";
import { chartRows } from "../charts/context.ts";
import { renderSvg, svgToPdf, svgToPng } from "../charts/render.ts";
import type { ChartSpec } from "../charts/spec.ts";
import { templateSensitivity } from "../charts/template_sensitivity.ts";
import { hasZeropromptRows } from "../charts/zeroprompt_rows.ts";
import { zeropromptSpread } from "../charts/zeroprompt_spread.ts";
import { zeropromptTransfer } from "../charts/zeroprompt_transfer.ts";
import { zeropromptMarkdown } from "../charts/zeroprompt_table.ts";
import { accuracyVsParams, trainingCurves } from "../charts/training.ts";
import { lookUpModelSizes } from "../experiments/model_family.ts";
import { BENCHMARK_GRID, LADDER_GRID } from "../experiments/presets.ts";
import { codeText } from "../experiments/provenance.ts";
import type { ResultRow } from "../experiments/results.ts";
import { finetune } from "../methods/classifier/finetune.ts";
import { pet } from "../methods/pet/pet.ts";
import { methods as registered } from "../methods/registry.ts";
import { summaryMarkdown, summaryTable } from "../experiments/stats.ts";
import { writeFileAtomic } from "../util/atomic.ts";

/**
 * Chart name → spec for each chart `rows` have data for; the ladder for rows of a stage-2 ladder grid, the
 * benchmark table and the difficulty chart for FewCLUE benchmark rows of several tasks, ZeroPrompt's `transfer` and
 * `spread` for rows of the held-out wordings grids (`zeroprompt_wordings-*`, with `zeroprompt_fewshot-*` beside them). `sizes` gives the sizes of models whose rows record
 * none (`lookUpModelSizes`); accuracy against model size is drawn when the rows span more than one size.
 */
export function figuresFor(allRows: readonly ResultRow[], { sizes = new Map() as ModelSizes } = {}): Map<string, ChartSpec> {
  const rows = chartRows(allRows);
  const figures = new Map<string, ChartSpec>();
  const methods = new Set(rows.filter((r) => !r.zeroShot).map((r) => r.method));
  const swept = (method: string, param: string) => new Set(rows.filter((r) => r.method === method).map((r) => r.params[param])).size > 1;
  if (new Set(rows.filter((r) => !r.zeroShot).map((r) => r.k)).size > 1) {
    figures.set("fewshot_curve", fewShotCurve(rows));
    figures.set("fewshot_curve_macro_f1", fewShotCurve(rows, { title: "Few-shot curves (macro-F1)", metric: "macroF1" }));
  }
  for (const m of registered.values()) {
    for (const s of m.sweeps) if (swept(m.name, s.param)) figures.set(s.figure, sweepChart(rows, m.name, s));
  }
  if (swept(pet.name, "template") || swept(pet.name, "verbalizer")) figures.set("template_sensitivity", templateSensitivity(rows));
  // Training curves and accuracy against weights compare runs of one task; a benchmark's tasks get their own figures.
  const oneTask = new Set(rows.map((r) => r.dataset)).size === 1;
  if (oneTask && rows.some((r) => r.losses.length)) figures.set("training_loss", trainingCurves(rows.filter((r) => r.losses.length)));
  if (oneTask && methods.size > 1) figures.set("accuracy_vs_params", accuracyVsParams(rows));
  if (rows.some((r) => r.grid.startsWith(`${LADDER_GRID}-`))) figures.set("ladder", ladderChart(rows));
  if (hasZeropromptRows(rows)) {
    figures.set("transfer", zeropromptTransfer(rows));
    figures.set("spread", zeropromptSpread(rows));
  }
  if (isBenchmark(rows)) {
    figures.set("benchmark_table", benchmarkTable(rows));
    if (rows.some((r) => r.method === finetune.name)) figures.set("difficulty", difficultyChart(rows));
  }
  if (new Set(modelSizes(rows, sizes).values()).size > 1) figures.set("accuracy_vs_model_size", accuracyVsModelSize(rows, { sizes }));
  return figures;
}

/** Whether `rows` are FewCLUE benchmark rows of more than one task (`grids/fewclue_benchmark-<task>.json`). */
function isBenchmark(rows: readonly ResultRow[]): boolean {
  return rows.some((r) => r.grid.startsWith(`${BENCHMARK_GRID}-`)) && new Set(rows.map((r) => r.dataset)).size > 1;
}

/** Options of {@link exportChart}. */
export interface ExportChartOptions {
  /** PNG pixels per SVG unit (default 2). */
  scale?: number;
  /** Which code made the rows drawn (`codeText`), for the caption. */
  code?: string;
}

/** Write one chart as `<dir>/<name>.{vl.json,svg,png,pdf,caption.md}`; returns the five paths. */
export async function exportChart(
  spec: ChartSpec,
  dir: string,
  name: string,
  { scale = 2, code }: ExportChartOptions = {},
): Promise<string[]> {
  const svg = await renderSvg(spec);
  const files: [string, string | Uint8Array][] = [
    // Compact: a spec of a full grid holds thousands of records.
    [`${dir}/${name}.vl.json`, JSON.stringify(spec) + "\n"],
    [`${dir}/${name}.svg`, svg],
    [`${dir}/${name}.png`, svgToPng(svg, { scale })],
    [`${dir}/${name}.pdf`, await svgToPdf(svg)],
    [`${dir}/${name}.caption.md`, captionMarkdown(spec, code)],
  ];
  for (const [path, content] of files) await writeFileAtomic(path, content);
  return files.map(([path]) => path);
}

/**
 * Export every chart of {@link figuresFor} to `dir`, and `summary.md`, the {@link summaryTable} of `rows` as
 * Markdown (with benchmark rows also `benchmark_table.md` and `benchmark_cost.md`, what the grid's cells cost);
 * returns the written paths. Models whose rows record no size are looked up by name under
 * `opts.modelsDir` (default `models/`). No rows write nothing, so a grid not yet run for this model leaves an
 * earlier export of the folder as it was instead of an empty table beside charts of other rows.
 */
export async function exportFigures(
  rows: readonly ResultRow[],
  dir: string,
  opts: { scale?: number; modelsDir?: string } = {},
): Promise<string[]> {
  if (!rows.length) return [];
  const written: string[] = [];
  const sizes = await lookUpModelSizes(chartRows(rows), opts.modelsDir);
  const code = codeText(chartRows(rows));
  for (const [name, spec] of figuresFor(rows, { sizes })) written.push(...await exportChart(spec, dir, name, { ...opts, code }));
  await writeFileAtomic(`${dir}/summary.md`, summaryMarkdown(summaryTable(rows)));
  written.push(`${dir}/summary.md`);
  if (hasZeropromptRows(rows)) {
    await writeFileAtomic(`${dir}/transfer_table.md`, zeropromptMarkdown(rows));
    written.push(`${dir}/transfer_table.md`);
  }
  if (isBenchmark(chartRows(rows))) {
    await writeFileAtomic(`${dir}/benchmark_table.md`, benchmarkMarkdown(rows));
    await writeFileAtomic(`${dir}/benchmark_cost.md`, benchmarkCostMarkdown(rows));
    written.push(`${dir}/benchmark_table.md`, `${dir}/benchmark_cost.md`);
  }
  return written;
}
