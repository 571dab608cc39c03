/**
 * What every chart spec shares: the Vega-Lite type, a font with Chinese glyphs, and a size that exported
 * figures keep (so PNG dimensions are predictable).
 * @module
 */
import type { TopLevelSpec } from "vega-lite";

/** A Vega-Lite spec as the chart functions return it: one view, or one panel per model. */
export type ChartSpec = TopLevelSpec;

/** A font family that has Chinese glyphs (Debian's fonts-wqy-microhei), then generic fallbacks. */
export const CHART_FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif";

/** The size of one view (of each panel when a chart is faceted). */
export const VIEW_SIZE = { width: 480, height: 300 } as const;

/** What every chart's top level carries: schema, title, background and the font with Chinese glyphs. */
function topLevel(title: string): Record<string, unknown> {
  return { $schema: "https://vega.github.io/schema/vega-lite/v6.json", title, background: "white", config: { font: CHART_FONT, view: { stroke: null } } };
}

/** Title, size and shared configuration around the chart-specific part. */
export function chart(title: string, body: Record<string, unknown>): ChartSpec {
  return { ...topLevel(title), ...VIEW_SIZE, ...body } as ChartSpec;
}

/**
 * A chart of `values` (records with a `model` field): one view when they hold one model, else one panel per
 * model side by side, on shared axes; `row` also splits panels by that field. `view` is the view's
 * mark/encoding or layer part (no data of its own).
 */
export function chartByModel(title: string, values: readonly Record<string, unknown>[], view: Record<string, unknown>,
  { row, rowSort = "ascending" }: { row?: string; rowSort?: "ascending" | "descending" } = {},
): ChartSpec {
  const data = { values };
  const models = new Set(values.map((v) => v.model)).size;
  const facet = {
    ...(models > 1 ? { column: { field: "model", type: "nominal", title: "model" } } : {}),
    ...(row ? { row: { field: row, type: "nominal", title: null, sort: rowSort } } : {}),
  };
  if (!Object.keys(facet).length) return chart(title, { data, ...view });
  return { ...topLevel(title), data, facet, spec: { ...VIEW_SIZE, ...view } } as ChartSpec;
}

/** A percentage axis for accuracies in [0, 1]. */
export const ACCURACY_AXIS = { title: "accuracy", axis: { format: ".0%" }, scale: { zero: false } } as const;

/** Records of several layers as one data set (a facet needs a single one), each tagged with its layer's `part`. */
export function tagParts(byPart: Record<string, readonly object[]>): Record<string, unknown>[] {
  return Object.entries(byPart).flatMap(([part, records]) => records.map((r) => ({ ...r, part })));
}

/** The transform a layer uses to keep its own records of a {@link tagParts} data set. */
export function onlyPart(part: string): Record<string, unknown>[] {
  return [{ filter: `datum.part === '${part}'` }];
}
