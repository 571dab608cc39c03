/** Few-shot curves: test accuracy against examples per class, one line per method with a ±1 std band. */
import { groupSummaries } from "../experiments/stats.ts";
import { modelName, type ResultRow } from "../experiments/results.ts";
import { ACCURACY_AXIS, chartByModel, type ChartSpec, onlyPart, tagParts } from "./spec.ts";

/**
 * Mean accuracy per method and K on a log-2 K axis, a ±1 std band over seeds, every seed's point, and each
 * method's zero-shot accuracy as a dashed horizontal rule (K = 0 has no place on a log axis). Rows of several
 * models give one panel per model. `metric` macroF1 draws macro-F1 instead (for imbalanced test sets, where
 * accuracy's chance level is the majority share).
 */
export function fewShotCurve(rows: readonly ResultRow[], { title = "Few-shot curves", metric = "accuracy" as "accuracy" | "macroF1" } = {}): ChartSpec {
  const axis = { ...ACCURACY_AXIS, title: metric === "macroF1" ? "macro-F1" : "accuracy" };
  const trained = rows.filter((r) => !r.zeroShot && r.k !== null);
  const points = trained.map((r) => ({ model: modelName(r), method: r.label, k: r.k, score: r[metric] }));
  const means = groupSummaries(points, ["model", "method", "k"], "score").map((s) => ({
    ...s,
    low: s.mean - (s.std ?? 0),
    high: s.mean + (s.std ?? 0),
  }));
  const zero = rows.filter((r) => r.zeroShot).map((r) => ({ model: modelName(r), method: `${r.label} (zero-shot)`, score: r[metric] }));
  const values = tagParts({ mean: means, seed: points, zero });
  const x = { field: "k", type: "quantitative", title: "examples per class (K)", scale: { type: "log", base: 2 }, axis: { values: [...new Set(points.map((p) => p.k))] } };
  // Full-opacity legend symbols: the faint band and per-seed points would otherwise set them.
  const color = { field: "method", type: "nominal", title: "method", legend: { symbolOpacity: 1 } };
  const layer: Record<string, unknown>[] = [
    { transform: onlyPart("mean"), mark: { type: "area", opacity: 0.2 }, encoding: { x, y: { field: "low", type: "quantitative", ...axis }, y2: { field: "high" }, color } },
    { transform: onlyPart("mean"), mark: { type: "line", point: true }, encoding: { x, y: { field: "mean", type: "quantitative", ...axis }, color } },
    { transform: onlyPart("seed"), mark: { type: "point", opacity: 0.35, size: 20 }, encoding: { x, y: { field: "score", type: "quantitative" }, color } },
  ];
  if (zero.length) {
    layer.push({ transform: onlyPart("zero"), mark: { type: "rule", strokeDash: [4, 4] }, encoding: { y: { field: "score", type: "quantitative" }, color } });
  }
  return chartByModel(title, values, { layer });
}
