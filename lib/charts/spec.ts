/**
 * What every chart spec shares: the Vega-Lite type, a title with subtitle lines, the caption (in `usermeta`),
 * a font with Chinese glyphs, and a size that exported figures keep (so PNG dimensions are predictable).
 * @module
 */
import type { TopLevelSpec } from "vega-lite";

/** A Vega-Lite spec as the chart functions return it: one view, or one panel per model. */
export type ChartSpec = TopLevelSpec;

/** A font family that has Chinese glyphs (Debian's fonts-wqy-microhei), then generic fallbacks. */
export const CHART_FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif";

/** The size of one view (of each panel when a chart is faceted). */
export const VIEW_SIZE = { width: 480, height: 300 } as const;

/** A figure's caption. */
export interface Caption {
  /** What is drawn, in a sentence or two. */
  what: string;
  /** Dataset, test split and size, models, seeds. */
  data: string;
  /** Runs behind each point (e.g. "5 seeds; each scored on 610 test rows"). */
  perPoint: string;
  /** What a band or error bar is; null when the figure has none. */
  band: string | null;
  /** Degenerate or suspicious cells, one line each. */
  flags: string[];
}

/** A chart's title (naming the dataset), its subtitle lines and its caption. */
export interface ChartHead {
  title: { text: string; subtitle: string[] };
  caption: Caption;
}

/** What every chart's top level carries: schema, title, caption, background and the font with Chinese glyphs. */
export function topLevel({ title, caption }: ChartHead): Record<string, unknown> {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { ...title, anchor: "start", subtitleColor: "#555", subtitleFontSize: 11, subtitlePadding: 4, offset: 12 },
    usermeta: { caption },
    background: "white",
    config: { font: CHART_FONT, view: { stroke: null } },
  };
}

/** Title, caption, size and shared configuration around the chart-specific part. */
export function chart(head: ChartHead, body: Record<string, unknown>): ChartSpec {
  return { ...topLevel(head), ...VIEW_SIZE, ...body } as ChartSpec;
}

/** Options of {@link chartByModel}. */
export interface PanelOptions {
  /** Also split panels into rows by this field. */
  row?: string;
  rowSort?: "ascending" | "descending" | string[];
  /** Row header title (default none). */
  rowTitle?: string | null;
  /** Vega-Lite `resolve`, e.g. an independent y scale per row. */
  resolve?: Record<string, unknown>;
  /** Size of each panel (default {@link VIEW_SIZE}). */
  size?: { width: number; height: number };
}

/**
 * A chart of `values` (records with a `model` field): one view when they hold one model, else one panel per
 * model side by side, on shared axes; `row` also splits panels by that field. `view` is the view's
 * mark/encoding or layer part (no data of its own).
 */
export function chartByModel(
  head: ChartHead,
  values: readonly Record<string, unknown>[],
  view: Record<string, unknown>,
  o: PanelOptions = {},
): ChartSpec {
  const data = { values };
  const models = new Set(values.map((v) => v.model)).size;
  const facet = {
    ...(models > 1 ? { column: { field: "model", type: "nominal", title: "model", header: { labelFontSize: 12 } } } : {}),
    ...(o.row
      ? { row: { field: o.row, type: "nominal", title: o.rowTitle ?? null, sort: o.rowSort ?? "ascending", header: { labelFontSize: 12 } } }
      : {}),
  };
  const size = o.size ?? VIEW_SIZE;
  if (!Object.keys(facet).length) return { ...topLevel(head), ...size, data, ...view } as ChartSpec;
  return { ...topLevel(head), data, facet, spec: { ...size, ...view }, ...(o.resolve ? { resolve: o.resolve } : {}) } as ChartSpec;
}

/** A percentage axis for accuracies in [0, 1], fitted to the data (not from 0). */
export const ACCURACY_AXIS = { title: "accuracy", axis: { format: ".0%" }, scale: { zero: false, nice: false, padding: 8 } } as const;

/** Records of several layers as one data set (a facet needs a single one), each tagged with its layer's `part`. */
export function tagParts(byPart: Record<string, readonly object[]>): Record<string, unknown>[] {
  return Object.entries(byPart).flatMap(([part, records]) => records.map((r) => ({ ...r, part })));
}

/** The transform a layer uses to keep its own records of a {@link tagParts} data set. */
export function onlyPart(part: string): Record<string, unknown>[] {
  return [{ filter: `datum.part === '${part}'` }];
}

/** One `chance` record per model (part "chance" of {@link tagParts}); none when chance is unknown. */
export function chanceRecords(models: readonly string[], chance: number | null): Record<string, unknown>[] {
  return chance === null ? [] : models.map((model) => ({ model, chance }));
}

/**
 * A dotted grey rule at the chance level with a "chance" label at the right end of a `width`-wide view, drawn
 * from the `chance` part of the data.
 */
export function chanceLayers(chance: number | null, width: number = VIEW_SIZE.width): Record<string, unknown>[] {
  if (chance === null) return [];
  const y = { field: "chance", type: "quantitative" };
  const label = `chance (1/${Math.round(1 / chance)})`;
  return [
    { transform: onlyPart("chance"), mark: { type: "rule", color: "#888", strokeDash: [2, 3], strokeWidth: 1.2 }, encoding: { y } },
    {
      transform: onlyPart("chance"),
      mark: { type: "text", align: "right", baseline: "bottom", dx: -2, dy: -2, color: "#666", fontSize: 10 },
      encoding: { x: { value: width }, y, text: { value: label } },
    },
  ];
}
