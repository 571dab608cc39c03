/** Training curves (loss per step) and accuracy against trainable parameters. */
import { groupSummaries } from "../experiments/stats.ts";
import { modelName, type ResultRow } from "../experiments/results.ts";
import { ACCURACY_AXIS, chartByModel, type ChartSpec } from "./spec.ts";

/** Training loss against step, one line per trained cell, coloured by method; a panel per model when several. */
export function trainingCurves(rows: readonly ResultRow[], { title = "Training loss" } = {}): ChartSpec {
  const values = rows.flatMap((r) => r.losses.map((loss, i) => ({ model: modelName(r), method: r.label, run: `${r.label} ${r.split} ${JSON.stringify(r.params)}`, step: i + 1, loss })));
  return chartByModel(title, values, {
    mark: { type: "line", opacity: 0.6, strokeWidth: 1 },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: { field: "loss", type: "quantitative", title: "training loss", scale: { zero: false } },
      color: { field: "method", type: "nominal" },
      detail: { field: "run" },
    },
  });
}

/**
 * Mean accuracy against trainable parameters (log axis), one point per method, parameter point and K; one panel
 * per model when the rows hold several.
 */
export function accuracyVsParams(rows: readonly ResultRow[], { title = "Accuracy vs trainable parameters" } = {}): ChartSpec {
  const points = rows.filter((r) => r.trainableParams > 0).map((r) => ({
    model: modelName(r),
    method: r.label,
    setting: `${JSON.stringify(r.params)} ${r.k === null ? r.split : `K=${r.k}`}`,
    params: r.trainableParams,
    accuracy: r.accuracy,
  }));
  const means = groupSummaries(points, ["model", "method", "setting", "params"], "accuracy");
  return chartByModel(title, means, {
    mark: { type: "point", filled: true, size: 80 },
    encoding: {
      x: { field: "params", type: "quantitative", title: "trainable parameters", scale: { type: "log" }, axis: { format: "~s" } },
      y: { field: "mean", type: "quantitative", ...ACCURACY_AXIS },
      color: { field: "method", type: "nominal" },
      tooltip: [{ field: "setting" }, { field: "n" }, { field: "mean", format: ".3f" }],
    },
  });
}
