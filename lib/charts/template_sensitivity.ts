/** Template sensitivity: PET accuracy per discrete template and verbalizer, zero-shot beside trained. */
import { groupSummaries } from "../experiments/stats.ts";
import { modelName, type ResultRow } from "../experiments/results.ts";
import { TEMPLATE_PRESETS } from "../methods/pet/template.ts";
import { VERBALIZER_PRESETS } from "../methods/pet/verbalizer.ts";
import { ACCURACY_AXIS, chartByModel, type ChartSpec } from "./spec.ts";

/** A template or verbalizer as written: a preset's pattern or words ("很/不"), else the value itself. */
function written(kind: "template" | "verbalizer", value: unknown): string {
  if (typeof value !== "string") return value === undefined ? "?" : JSON.stringify(value);
  if (kind === "template") return TEMPLATE_PRESETS[value] ?? value;
  const spec = VERBALIZER_PRESETS[value];
  return spec ? Object.values(spec).map((w) => [w].flat().join("|")).join("/") : value;
}

/**
 * Mean accuracy (bar) and ±1 std (error bar) per template (x) and verbalizer (colour), zero-shot and trained in
 * separate rows of panels (zero-shot on top); a column per model when the rows hold several. Templates and words are shown as
 * written, so the Chinese patterns can be read off the figure.
 */
export function templateSensitivity(rows: readonly ResultRow[], { method = "pet", title = "PET: template and verbalizer" } = {}): ChartSpec {
  const points = rows.filter((r) => r.method === method).map((r) => ({
    model: modelName(r),
    template: written("template", r.params.template ?? r.options.template),
    verbalizer: written("verbalizer", r.params.verbalizer ?? r.options.verbalizer),
    setting: r.zeroShot ? "zero-shot" : `trained K=${r.k ?? r.split}`,
    accuracy: r.accuracy,
  }));
  const means = groupSummaries(points, ["model", "template", "verbalizer", "setting"], "accuracy").map((s) => ({
    ...s,
    low: s.mean - (s.std ?? 0),
    high: s.mean + (s.std ?? 0),
  }));
  const x = { field: "template", type: "nominal", title: "template", axis: { labelAngle: -30, labelLimit: 240 } };
  const enc = { x, xOffset: { field: "verbalizer" }, color: { field: "verbalizer", type: "nominal", title: "verbalizer" } };
  return chartByModel(title, means, {
    layer: [
      { mark: "bar", encoding: { ...enc, y: { field: "mean", type: "quantitative", ...ACCURACY_AXIS } } },
      { mark: { type: "rule", color: "black" }, encoding: { ...enc, color: undefined, y: { field: "low", type: "quantitative" }, y2: { field: "high" } } },
    ],
  }, { row: "setting", rowSort: "descending" }); // "zero-shot" above "trained K=…"
}
