/** Template sensitivity: PET accuracy per discrete template and verbalizer, zero-shot beside trained. */
import { groupSummaries } from "../experiments/stats.ts";
import { modelName, type ResultRow } from "../experiments/results.ts";
import { ACCURACY_AXIS, chartByModel, type ChartSpec } from "./spec.ts";

/**
 * Mean accuracy (bar) and ±1 std (error bar) per template × verbalizer, zero-shot and trained side by side; a
 * panel per model when the rows hold several.
 */
export function templateSensitivity(rows: readonly ResultRow[], { method = "pet", title = "PET: template and verbalizer" } = {}): ChartSpec {
  const points = rows.filter((r) => r.method === method).map((r) => ({
    model: modelName(r),
    pattern: `${r.params.template ?? r.options.template ?? "?"} / ${r.params.verbalizer ?? r.options.verbalizer ?? "?"}`,
    setting: r.zeroShot ? "zero-shot" : `trained K=${r.k ?? r.split}`,
    accuracy: r.accuracy,
  }));
  const means = groupSummaries(points, ["model", "pattern", "setting"], "accuracy").map((s) => ({
    ...s,
    low: s.mean - (s.std ?? 0),
    high: s.mean + (s.std ?? 0),
  }));
  const x = { field: "pattern", type: "nominal", title: "template / verbalizer", axis: { labelAngle: -30 } };
  const enc = { x, xOffset: { field: "setting" }, color: { field: "setting", type: "nominal", title: "" } };
  return chartByModel(title, means, {
    layer: [
      { mark: "bar", encoding: { ...enc, y: { field: "mean", type: "quantitative", ...ACCURACY_AXIS } } },
      { mark: { type: "rule", color: "black" }, encoding: { ...enc, color: undefined, y: { field: "low", type: "quantitative" }, y2: { field: "high" } } },
    ],
  });
}
