/**
 * Sensitivity to a numeric hyper-parameter: P-tuning v2 accuracy against prefix length, AutoPrompt against
 * trigger count. Mean line over seeds, every seed's point shown.
 */
import { groupSummaries } from "../experiments/stats.ts";
import { modelName, type ResultRow } from "../experiments/results.ts";
import { ACCURACY_AXIS, chartByModel, type ChartSpec, onlyPart, tagParts } from "./spec.ts";

/** Options of {@link paramSensitivity}. */
export interface SensitivityOptions {
  /** Method whose rows are drawn (registry name). */
  method: string;
  /** The numeric option on the x axis, e.g. `prefixLength` or `triggers`. */
  param: string;
  title?: string;
  /** Axis title; default the option name. */
  axisTitle?: string;
  /** Log-2 x axis (prefix lengths 1..128); default true. */
  log?: boolean;
}

/** Accuracy against `param` for `method`'s trained rows, one line per K; a panel per model when several. */
export function paramSensitivity(rows: readonly ResultRow[], o: SensitivityOptions): ChartSpec {
  const points = rows
    .filter((r) => r.method === o.method && !r.zeroShot && typeof r.params[o.param] === "number")
    .map((r) => ({ model: modelName(r), value: r.params[o.param] as number, K: r.k === null ? r.split : `K=${r.k}`, seed: r.seed, accuracy: r.accuracy }));
  const means = groupSummaries(points, ["model", "value", "K"], "accuracy");
  const values = tagParts({ mean: means, seed: points });
  const x = {
    field: "value",
    type: "quantitative",
    title: o.axisTitle ?? o.param,
    scale: o.log === false ? { zero: false } : { type: "log", base: 2 },
    axis: { values: [...new Set(points.map((p) => p.value))] },
  };
  const color = { field: "K", type: "nominal", title: "train size" };
  return chartByModel(o.title ?? `${o.method}: accuracy vs ${o.param}`, values, {
    layer: [
      { transform: onlyPart("mean"), mark: { type: "line", point: true }, encoding: { x, y: { field: "mean", type: "quantitative", ...ACCURACY_AXIS }, color } },
      {
        transform: onlyPart("seed"),
        mark: { type: "point", opacity: 0.5 },
        encoding: { x, y: { field: "accuracy", type: "quantitative" }, color, tooltip: [{ field: "seed" }, { field: "accuracy", format: ".3f" }] },
      },
    ],
  });
}

/** P-tuning v2's prefix-length sweep. */
export function prefixLengthChart(rows: readonly ResultRow[]): ChartSpec {
  return paramSensitivity(rows, { method: "ptuning-v2", param: "prefixLength", axisTitle: "prefix length", title: "P-tuning v2: prefix length" });
}

/** AutoPrompt's trigger-count sweep. */
export function triggerCountChart(rows: readonly ResultRow[]): ChartSpec {
  return paramSensitivity(rows, { method: "autoprompt", param: "triggers", axisTitle: "trigger tokens", title: "AutoPrompt: trigger count", log: false });
}
