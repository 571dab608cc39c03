/**
 * Sensitivity to a numeric hyper-parameter: P-tuning v2 accuracy against prefix length, AutoPrompt against
 * trigger count. Mean line with a ±1 sample-std band over seeds, every seed's point, the chance level.
 */
import { modelName, type ResultRow } from "../experiments/results.ts";
import { autoprompt } from "../methods/autoprompt/autoprompt.ts";
import { softPrompt } from "../methods/soft_prompt/soft_prompt.ts";
import { ptuningV2 } from "../methods/classifier/ptuning_v2.ts";
import type { MethodFactory, SweepFigure } from "../methods/types.ts";
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
  STD_BAND,
  trainSizes,
} from "./context.ts";
import { degenerateFlags, identicalSeedFlags, NO_TRIGGER_MARK, noTriggerAccepted, noTriggerFlags, noTriggerLayer } from "./degenerate.ts";
import { methodColourEncoding, methodName } from "./palette.ts";
import { ACCURACY_AXIS, chanceLayers, chanceRecords, chartByModel, type ChartSpec, onlyPart, tagParts } from "./spec.ts";

/** Options of {@link paramSensitivity}. */
export interface SensitivityOptions {
  /** Method whose rows are drawn (registry name). */
  method: string;
  /** The numeric option on the x axis, e.g. `prefixLength` or `triggers`. */
  param: string;
  /** What the chart shows (the dataset is added); default "<method>: accuracy vs <param>". */
  title?: string;
  /** Axis title; default the option name. */
  axisTitle?: string;
  /** Log-2 x axis (prefix lengths 1..128); default true. */
  log?: boolean;
}

/** `K=16` for sampled rows, the split name for FewCLUE ones. */
function trainSize(r: ResultRow): string {
  return r.k === null ? r.split : `K=${r.k}`;
}

/**
 * Accuracy against `param` for `method`'s trained rows in the method's fixed colour; several K are told apart
 * by line dash and point shape (with a legend), one K is named in the subtitle. A panel per model when several.
 */
export function paramSensitivity(allRows: readonly ResultRow[], o: SensitivityOptions): ChartSpec {
  const usable = chartRows(allRows);
  const rows = usable.filter((r) => r.method === o.method && !r.zeroShot && typeof r.params[o.param] === "number");
  const ctx = chartContext(rows);
  const points = rows.map((r) => ({
    model: modelName(r),
    method: methodName(r),
    value: r.params[o.param] as number,
    K: trainSize(r),
    seed: r.seed,
    accuracy: r.accuracy,
    flagged: noTriggerAccepted(r),
  }));
  const means = meansWithBand(points, ["model", "method", "value", "K"], "accuracy");
  const chance = chanceLevel(ctx);
  const flagged = points.filter((p) => p.flagged);
  const values = tagParts({ mean: means, seed: points, flagged, chance: chanceRecords(ctx.models, chance) });
  const axisTitle = o.axisTitle ?? o.param;
  const x = {
    field: "value",
    type: "quantitative",
    title: `${axisTitle}${o.log === false ? "" : " (log scale)"}`,
    scale: o.log === false ? { zero: false } : { type: "log", base: 2 },
    axis: { values: [...new Set(points.map((p) => p.value))].sort((a, b) => a - b) },
  };
  const sizes = trainSizes(rows.map((r) => r.k ?? r.split)).map((k) => typeof k === "number" ? `K=${k}` : k);
  const color = { ...methodColourEncoding(usable, points.map((p) => p.method)), legend: null };
  // Several K in one chart: dash and shape tell them apart; one K needs no legend (the subtitle names it).
  const byK = sizes.length > 1
    ? {
      strokeDash: { field: "K", type: "nominal", title: "examples per class", sort: sizes },
      shape: { field: "K", type: "nominal", title: "examples per class", sort: sizes },
    }
    : {};
  const tooltip = [
    { field: "K" },
    { field: "value", title: axisTitle },
    { field: "mean", format: ".1%" },
    { field: "std", format: ".1%" },
    { field: "n" },
  ];
  const what = o.title ?? `${o.method}: accuracy vs ${o.param}`;
  const lines = [
    `${sizes.length === 1 ? `${sizes[0]} examples per class · ` : ""}${seedsText(ctx)} per point`,
    `line: mean · band: ${STD_BAND}`,
    ["faint dots: single seeds", chance ? `dotted: chance = 1/${ctx.classes}` : "", flagged.length ? `×: ${NO_TRIGGER_MARK}` : ""].filter(
      Boolean,
    ).join(" · "),
  ];
  const caption: Caption = {
    what:
      `Test accuracy of ${points[0]?.method ?? o.method} against ${axisTitle}${
        sizes.length > 1 ? ", one line per train size" : ` at ${sizes[0] ?? "?"}`
      }.` +
      (chance ? ` The dotted line is chance accuracy, 1/${ctx.classes}.` : ""),
    data: `${dataLine(ctx)}; ${seedsText(ctx)}.`,
    perPoint: `${runsPerPoint(means, ctx)}.`,
    band: `${STD_BAND}; faint dots are the single seeds.`,
    flags: [
      ...noTriggerFlags(rows, (r) => `${modelName(r)} · ${axisTitle} ${r.params[o.param]} · ${trainSize(r)}`),
      ...degenerateFlags(rows, (r) => `${modelName(r)} · ${axisTitle} ${r.params[o.param]} · ${trainSize(r)}`),
      ...identicalSeedFlags(means.map((m) => ({ ...m, label: `${m.model} · ${axisTitle} ${m.value} · ${m.K}` }))),
    ],
  };
  return chartByModel({ title: chartTitle(what, ctx, lines), caption }, values, {
    layer: [
      {
        transform: onlyPart("mean"),
        mark: { type: "area", opacity: 0.18 },
        encoding: { x, y: { field: "low", type: "quantitative", ...ACCURACY_AXIS }, y2: { field: "high" }, color, detail: { field: "K" } },
      },
      {
        transform: onlyPart("mean"),
        mark: { type: "line", point: { filled: true, size: 50 }, strokeWidth: 2 },
        encoding: { x, y: { field: "mean", type: "quantitative" }, color, ...byK, tooltip },
      },
      {
        transform: onlyPart("seed"),
        mark: { type: "point", opacity: 0.4, size: 20 },
        encoding: {
          x,
          y: { field: "accuracy", type: "quantitative" },
          color,
          tooltip: [{ field: "K" }, { field: "seed" }, { field: "accuracy", format: ".1%" }],
        },
      },
      ...noTriggerLayer(flagged.length, x, "accuracy"),
      ...chanceLayers(chance),
    ],
  });
}

/** The figure of `sweep`, one of method `method`'s registered `sweeps`. */
export function sweepChart(rows: readonly ResultRow[], method: string, sweep: SweepFigure): ChartSpec {
  const { param, title, axisTitle, log } = sweep;
  return paramSensitivity(rows, { method, param, title, axisTitle, log });
}

/** The registered sweep of `param` by `factory`. */
function registeredSweep(factory: Pick<MethodFactory, "name" | "sweeps">, param: string): SweepFigure {
  const sweep = factory.sweeps?.find((s) => s.param === param);
  if (!sweep) throw new Error(`method "${factory.name}" registers no sweep of ${param}`);
  return sweep;
}

/** P-tuning v2's prefix-length sweep. */
export function prefixLengthChart(rows: readonly ResultRow[]): ChartSpec {
  return sweepChart(rows, ptuningV2.name, registeredSweep(ptuningV2, "prefixLength"));
}

/** The soft prompt's prompt-length sweep (vectors at the input), the ladder's length question. */
export function promptLengthChart(rows: readonly ResultRow[]): ChartSpec {
  return sweepChart(rows, softPrompt.name, registeredSweep(softPrompt, "promptLength"));
}

/** AutoPrompt's trigger-count sweep. */
export function triggerCountChart(rows: readonly ResultRow[]): ChartSpec {
  return sweepChart(rows, autoprompt.name, registeredSweep(autoprompt, "triggers"));
}
