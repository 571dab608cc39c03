/**
 * The model-size axis: test accuracy against the base model's parameter count (log axis), one line per method
 * through the models of a family, a panel per K. A row's size is the `parameters` its model reference records;
 * rows written before sizes were recorded take it from a map of model name → size (`lookUpModelSizes` finds
 * the family's), and are left out, with a note, when it has none. A T5's rows (the text-to-text method, the one
 * method that runs on it) sit at the T5's size among the BERTs', their points drawn as triangles: the mark's
 * shape tells the pre-training objective, span corruption against the BERTs' masked LM.
 * @module
 */
import { modelName, type ResultRow } from "../experiments/results.ts";
import type { Caption } from "./caption.ts";
import {
  chanceLevel,
  chartContext,
  chartRows,
  chartTitle,
  dataLine,
  meansWithBand,
  runsPerPoint,
  seedsText,
  settingText,
  STD_BAND,
  trainSizes,
} from "./context.ts";
import {
  degenerateFlags,
  identicalSeedFlags,
  NO_TRIGGER_MARK,
  NO_TRIGGER_SHAPE,
  noTriggerAccepted,
  noTriggerFlags,
  noTriggerLayer,
} from "./degenerate.ts";
import { methodColourEncoding, methodName } from "./palette.ts";
import { text2text } from "../methods/text2text/text2text.ts";
import { ACCURACY_AXIS, chanceLayers, type ChartSpec, onlyPart, tagParts, topLevel, VIEW_SIZE } from "./spec.ts";

/** Sizes of models by name, for rows that do not record their model's. */
export type ModelSizes = ReadonlyMap<string, number>;

/** Options of {@link accuracyVsModelSize}. */
export interface ModelSizeChartOptions {
  /** What the chart shows (the dataset is added). */
  title?: string;
  /** Sizes of the models whose rows lack `model.parameters` (e.g. from `lookUpModelSizes`). */
  sizes?: ModelSizes;
}

/** Width of each K panel: three side by side stay readable on a page. */
const PANEL_WIDTH = 260;

/**
 * The size of `r`'s model: as recorded, else from `sizes`; undefined when neither knows it, or when it is no
 * positive count (a model without weights, as test stand-ins are, has no place on a log axis).
 */
function sizeOf(r: ResultRow, sizes: ModelSizes): number | undefined {
  const size = r.model.parameters ?? sizes.get(r.model.name);
  return size !== undefined && size > 0 ? size : undefined;
}

/** Each model's size as `rows` (recorded or from `sizes`) give it, for the models with one, smallest first. */
export function modelSizes(rows: readonly ResultRow[], sizes: ModelSizes = new Map()): Map<string, number> {
  const known = new Map<string, number>();
  for (const r of rows) {
    const size = sizeOf(r, sizes);
    if (size !== undefined && !known.has(modelName(r))) known.set(modelName(r), size);
  }
  return new Map([...known].sort(([a, x], [b, y]) => x - y || a.localeCompare(b)));
}

/** The pre-training objectives the chart tells apart, with their point shapes. */
const OBJECTIVES = { "masked LM (BERT)": "circle", "span corruption (T5)": "triangle-up" } as const;

/**
 * The pre-training objective of `r`'s model: span corruption for a text-to-text method's row (it runs on a T5
 * only, and the kit's T5s are pre-trained with span corruption), masked LM for every encoder method's.
 */
function objectiveOf(r: ResultRow): keyof typeof OBJECTIVES {
  return r.method === text2text.name ? "span corruption (T5)" : "masked LM (BERT)";
}

/** A panel's name: `K = 16`, `zero-shot`, or a FewCLUE split's name. */
function panelOf(r: ResultRow): string {
  return r.zeroShot ? "zero-shot" : r.k === null ? r.split : `K = ${r.k}`;
}

/**
 * The x domain: the sizes' range, widened about its middle to at least a factor of two, not rounded to powers
 * of ten. A family spread over a decade fills the panel; models of nearly one size (4.38M and 4.44M) are drawn
 * nearly at one place, as they are, instead of at the panel's two edges.
 */
function sizeDomain(sizes: readonly number[]): Record<string, unknown> {
  if (!sizes.length) return {};
  const lo = Math.min(...sizes), hi = Math.max(...sizes);
  const mid = Math.sqrt(lo * hi), half = Math.max(Math.sqrt(hi / lo), Math.SQRT2);
  return { domain: [mid / half, mid * half], nice: false };
}

/** Sizes to label on the axis: ascending, each at least 1.3 times the last kept, so labels do not overlap. */
function spacedTicks(sizes: readonly number[]): number[] {
  const ticks: number[] = [];
  for (const n of [...sizes].sort((a, b) => a - b)) if (!ticks.length || n >= 1.3 * ticks[ticks.length - 1]) ticks.push(n);
  return ticks;
}

/** 4,380,427 → "4.38M". */
function shortCount(n: number): string {
  return n >= 1e6 ? `${Number((n / 1e6).toPrecision(3))}M` : n >= 1e3 ? `${Number((n / 1e3).toPrecision(3))}k` : String(n);
}

/**
 * Mean test accuracy against the parameters of the base model (pooler excluded; log axis), one line per method
 * (and parameter setting) through the models' sizes, a ±1 sample-std band over seeds, every seed's point, a
 * panel per K, the chance level. Rows whose model has no known size are left out and named in the subtitle
 * and caption.
 */
export function accuracyVsModelSize(allRows: readonly ResultRow[], o: ModelSizeChartOptions = {}): ChartSpec {
  const usable = chartRows(allRows);
  const sizes = modelSizes(usable, o.sizes);
  const order = [...sizes.keys()];
  const rows = usable.filter((r) => sizes.has(modelName(r))).sort((a, b) => order.indexOf(modelName(a)) - order.indexOf(modelName(b)));
  const unsized = [...new Set(usable.map(modelName))].filter((m) => !sizes.has(m));
  const ctx = chartContext(rows);
  const points = rows.map((r) => ({
    model: modelName(r),
    parameters: sizes.get(modelName(r))!,
    method: methodName(r),
    setting: settingText(r).trim(),
    objective: objectiveOf(r),
    panel: panelOf(r),
    seed: r.seed ?? r.index,
    accuracy: r.accuracy,
    flagged: noTriggerAccepted(r),
  }));
  const means = meansWithBand(points, ["model", "parameters", "method", "setting", "objective", "panel"], "accuracy");
  const flagged = points.filter((p) => p.flagged);
  const panels = trainSizes(rows.map((r) => r.zeroShot ? -1 : r.k ?? r.split)).map((k) =>
    k === -1 ? "zero-shot" : typeof k === "number" ? `K = ${k}` : k
  );
  const chance = chanceLevel(ctx);
  const values = tagParts({
    mean: means,
    seed: points,
    flagged,
    chance: chance === null ? [] : panels.map((panel) => ({ panel, chance })),
  });
  const x = {
    field: "parameters",
    type: "quantitative",
    title: "base model parameters (log scale)",
    scale: { type: "log", padding: 16, ...sizeDomain([...sizes.values()]) },
    axis: { values: spacedTicks([...sizes.values()]), format: ".3~s", labelAngle: 0 },
  };
  const color = methodColourEncoding(usable, points.map((p) => p.method), { symbols: "stroke" });
  // Vega-Lite merges the shape channel's scales across layers: the no-trigger cross, when drawn, is in this one.
  const shapes: Record<string, string> = flagged.length ? { ...OBJECTIVES, [NO_TRIGGER_MARK]: NO_TRIGGER_SHAPE } : OBJECTIVES;
  const shape = {
    field: "objective",
    type: "nominal",
    title: "pre-training",
    scale: { domain: Object.keys(shapes), range: Object.values(shapes) },
    // Stroked symbols: the cross is a path with no fill.
    legend: { symbolStrokeColor: "black", symbolStrokeWidth: 2, labelLimit: 400, orient: "bottom", direction: "horizontal" },
  };
  const tooltip = [
    { field: "model" },
    { field: "parameters", format: "," },
    { field: "method" },
    { field: "setting" },
    { field: "objective", title: "pre-training" },
    { field: "panel", title: "K" },
    { field: "mean", format: ".1%" },
    {
      field: "std",
      format: ".1%",
    },
    { field: "n" },
  ];
  const layer: Record<string, unknown>[] = [
    {
      transform: onlyPart("mean"),
      mark: { type: "area", opacity: 0.15 },
      encoding: {
        x,
        y: { field: "low", type: "quantitative", ...ACCURACY_AXIS },
        y2: { field: "high" },
        color,
        detail: { field: "setting" },
      },
    },
    {
      transform: onlyPart("mean"),
      mark: { type: "line", strokeWidth: 2 },
      encoding: { x, y: { field: "mean", type: "quantitative" }, color, detail: { field: "setting" } },
    },
    {
      // Before the means: the shape legend takes this layer's unfilled symbols, which draw the cross too.
      transform: onlyPart("seed"),
      mark: { type: "point", opacity: 0.35, size: 18 },
      encoding: {
        x,
        y: { field: "accuracy", type: "quantitative" },
        color,
        shape,
        tooltip: [{ field: "model" }, { field: "method" }, { field: "seed" }, { field: "accuracy", format: ".1%" }],
      },
    },
    {
      transform: onlyPart("mean"),
      mark: { type: "point", filled: true, size: 50, opacity: 1 },
      encoding: { x, y: { field: "mean", type: "quantitative" }, color, shape, tooltip },
    },
    ...noTriggerLayer(flagged.length, x, "accuracy"),
    ...chanceLayers(chance, PANEL_WIDTH),
  ];
  const modelsBySize = [...sizes].map(([m, n]) => `${m} ${shortCount(n)}`).join(", ");
  const left = unsized.length ? `left out (model size unknown): ${unsized.join(", ")}` : "";
  const lines = [
    `${seedsText(ctx)} per point · line: mean · band: ${STD_BAND} · faint dots: single seeds`,
    `x: parameters of the base model, pooler excluded (${modelsBySize || "none"}) · a panel per K · colour: method · shape: pre-training`,
    [chance ? `dotted: chance = 1/${ctx.classes}` : "", flagged.length ? `×: ${NO_TRIGGER_MARK}` : "", left].filter(Boolean).join(" · "),
  ].filter(Boolean);
  const caption: Caption = {
    what:
      "Test accuracy against the size of the base model (parameters, pooler excluded; log axis), one line per method through the models, " +
      "a panel per number of examples per class (K); circles mark masked-LM models (BERT), triangles span-corruption ones (T5)." +
      (chance ? ` The dotted line is chance accuracy, 1/${ctx.classes}.` : ""),
    data: `${dataLine(ctx)}; sizes ${modelsBySize || "none"}; ${seedsText(ctx)}.`,
    perPoint: `${runsPerPoint(means, ctx)}.`,
    band: `${STD_BAND}; faint dots are the single seeds.`,
    flags: [
      ...unsized.map((m) => `${m}: left out, its rows record no model size and none was found under models/ or given`),
      ...noTriggerFlags(rows, (r) => `${modelName(r)} · ${methodName(r)} · ${panelOf(r)}`),
      ...degenerateFlags(rows, (r) => `${modelName(r)} · ${methodName(r)} · ${panelOf(r)}`),
      ...identicalSeedFlags(
        means.map((m) => ({ ...m, label: `${m.model} · ${m.method}${m.setting ? ` ${m.setting}` : ""} · ${m.panel}` })),
      ),
    ],
  };
  const facet = { column: { field: "panel", type: "nominal", title: null, sort: panels, header: { labelFontSize: 12 } } };
  const spec: Record<string, unknown> = {
    ...topLevel({ title: chartTitle(o.title ?? "Accuracy vs model size", ctx, lines), caption }),
    data: { values },
    facet,
    spec: { width: PANEL_WIDTH, height: VIEW_SIZE.height, layer },
  };
  return spec as unknown as ChartSpec; // a facet by K of hand-built layers, checked by compiling it in the tests
}
