/**
 * What every chart spec shares: the Vega-Lite type, a font with Chinese glyphs, and a size that exported
 * figures keep (so PNG dimensions are predictable).
 * @module
 */
import type { TopLevelSpec } from "vega-lite";

/** A Vega-Lite spec as the chart functions return it. */
export type ChartSpec = TopLevelSpec & { width: number; height: number };

/** A font family that has Chinese glyphs (Debian's fonts-wqy-microhei), then generic fallbacks. */
export const CHART_FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif";

/** Title, size and shared configuration around the chart-specific part. */
export function chart(title: string, body: Record<string, unknown>, size = { width: 480, height: 300 }): ChartSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    ...size,
    background: "white",
    config: { font: CHART_FONT, view: { stroke: null } },
    ...body,
  } as ChartSpec;
}

/** A percentage axis for accuracies in [0, 1]. */
export const ACCURACY_AXIS = { title: "accuracy", axis: { format: ".0%" }, scale: { zero: false } } as const;
