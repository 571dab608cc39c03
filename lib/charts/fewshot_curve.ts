/** Few-shot curves: test accuracy against examples per class, one line per method with a ±1 std band. */
import { groupSummaries } from "../experiments/stats.ts";
import type { ResultRow } from "../experiments/results.ts";
import { ACCURACY_AXIS, chart, type ChartSpec } from "./spec.ts";

/**
 * Mean accuracy per method and K on a log-2 K axis, a ±1 std band over seeds, every seed's point, and each
 * method's zero-shot accuracy as a dashed horizontal rule (K = 0 has no place on a log axis).
 */
export function fewShotCurve(rows: readonly ResultRow[], { title = "Few-shot curves" } = {}): ChartSpec {
  const trained = rows.filter((r) => !r.zeroShot && r.k !== null);
  const points = trained.map((r) => ({ method: r.label, k: r.k, accuracy: r.accuracy }));
  const means = groupSummaries(points, ["method", "k"], "accuracy").map((s) => ({
    ...s,
    low: s.mean - (s.std ?? 0),
    high: s.mean + (s.std ?? 0),
  }));
  const zero = rows.filter((r) => r.zeroShot).map((r) => ({ method: `${r.label} (zero-shot)`, accuracy: r.accuracy }));
  const x = { field: "k", type: "quantitative", title: "examples per class (K)", scale: { type: "log", base: 2 }, axis: { values: [...new Set(points.map((p) => p.k))] } };
  // Full-opacity legend symbols: the faint band and per-seed points would otherwise set them.
  const color = { field: "method", type: "nominal", title: "method", legend: { symbolOpacity: 1 } };
  const layer: Record<string, unknown>[] = [
    { data: { values: means }, mark: { type: "area", opacity: 0.2 }, encoding: { x, y: { field: "low", type: "quantitative", ...ACCURACY_AXIS }, y2: { field: "high" }, color } },
    { data: { values: means }, mark: { type: "line", point: true }, encoding: { x, y: { field: "mean", type: "quantitative", ...ACCURACY_AXIS }, color } },
    { data: { values: points }, mark: { type: "point", opacity: 0.35, size: 20 }, encoding: { x, y: { field: "accuracy", type: "quantitative" }, color } },
  ];
  if (zero.length) {
    layer.push({
      data: { values: zero },
      mark: { type: "rule", strokeDash: [4, 4] },
      encoding: { y: { field: "accuracy", type: "quantitative" }, color },
    });
  }
  return chart(title, { layer });
}
