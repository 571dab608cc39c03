/**
 * The kit's main job, `deno task demo`: all four methods on a small grid over the embedded model and the
 * embedded demo dataset (or any dataset and model folder), a summary table and the few-shot-curve figure.
 */
import type { SourceOptions } from "../data/sources.ts";
import { loadModelFolder } from "../model/folder.ts";
import { exportChart } from "../figures/export.ts";
import { fewShotCurve } from "../charts/fewshot_curve.ts";
import type { Grid } from "./grid.ts";
import { runGrid } from "./grid_run.ts";
import { modelBaseName, type ResultRow } from "./results.ts";
import { type SummaryRow, summaryTable } from "./stats.ts";

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

/** Training sizes that keep the demo near ten minutes on two cores with the embedded model. */
const DEMO_LOOP = { steps: 60, evalEvery: 20, batchSize: 16, maxLength: 64 };

/** The demo grid: every method at each K and seed, PET also zero-shot. */
export function demoGrid(dataset: string, k: readonly number[], seeds: readonly number[]): Grid {
  return {
    name: "demo",
    dataset,
    protocol: { kind: "sampled", k: [0, ...k.filter((x) => x > 0)], seeds: [...seeds] },
    methods: [
      { method: "finetune", options: { ...DEMO_LOOP, lr: 5e-5 } },
      { method: "pet", options: { ...DEMO_LOOP, lr: 5e-5 }, zeroShot: { mode: "zero-shot" } },
      { method: "autoprompt", options: { iterations: 8, numCand: 8, batchSize: 16, accumulationSteps: 1, maxLength: 64 } },
      { method: "ptuning-v2", options: { ...DEMO_LOOP, steps: 100, prefixLength: 8 } },
    ],
  };
}

/** Run (or resume) the demo grid and export its few-shot curve. */
export async function runDemo(o: DemoOptions): Promise<{ rows: ResultRow[]; summary: SummaryRow[]; figures: string[] }> {
  const model = await loadModelFolder(o.model);
  const rows = await runGrid(demoGrid(o.dataset, o.k, o.seeds), { model, results: o.results, source: o.source });
  const figures = await exportChart(fewShotCurve(rows, { title: `Few-shot curves: ${o.dataset}, ${modelBaseName(model.dir)}` }), o.figures, "fewshot_curve");
  return { rows, summary: summaryTable(rows), figures };
}
