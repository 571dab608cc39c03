/**
 * One colour per method, the same in every figure: a reader who learnt that P-tuning v2 is green in one chart
 * finds it green in the next. Methods are shown by display name ("P-tuning v2", not `ptuning-v2`); a grid's
 * own label (a variant such as "PET 模板") keeps its label and takes the next spare colour. Names and colours
 * are the registry's (each method's `display`).
 * @module
 */
import type { ResultRow } from "../experiments/results.ts";
import { methods } from "../methods/registry.ts";

/** Suffix of a method's zero-shot series, drawn as a dashed rule. */
export const ZERO_SHOT_SUFFIX = " (zero-shot)";

/**
 * The fixed display name → colour mapping of the registered methods, in registration order, each method's
 * zero-shot series after it where it has one.
 */
export const METHOD_PALETTE: readonly (readonly [string, string])[] = [...methods.values()].flatMap(({ display: d }) => [
  [d.name, d.colour] as const,
  ...(d.zeroShotColour ? [[`${d.name}${ZERO_SHOT_SUFFIX}`, d.zeroShotColour] as const] : []),
]);

/** Colours for labels outside {@link METHOD_PALETTE}, in order of first appearance. */
const SPARE_COLOURS = ["#b8860b", "#9d755d", "#ff9da6", "#17becf", "#7f7f7f", "#bcbd22", "#e377c2", "#8c564b"];

/** A row's method as figures name it: the grid's label when it set one, else the method's display name. */
export function methodName(row: Pick<ResultRow, "method" | "label" | "zeroShot">): string {
  const base = row.label !== row.method ? row.label : methods.get(row.method)?.display.name ?? row.method;
  return row.zeroShot ? `${base}${ZERO_SHOT_SUFFIX}` : base;
}

/** The fixed colour of a method display name, or undefined for a label outside the palette. */
export function methodColour(name: string): string | undefined {
  return METHOD_PALETTE.find(([n]) => n === name)?.[1];
}

/**
 * The colour scale of the methods of `rows`: the fixed palette first, then every other name (grid labels) with a
 * spare colour in order of first appearance. Every figure's scale starts with the same domain → range pairs,
 * and figures drawn from the same rows agree on the rest too.
 */
export function methodScale(rows: readonly ResultRow[]): { domain: string[]; range: string[] } {
  const extra = [...new Set(rows.map(methodName))].filter((n) => methodColour(n) === undefined);
  return {
    domain: [...METHOD_PALETTE.map(([n]) => n), ...extra],
    range: [...METHOD_PALETTE.map(([, c]) => c), ...extra.map((_, i) => SPARE_COLOURS[i % SPARE_COLOURS.length])],
  };
}

/**
 * A colour encoding of the `method` field on the scale of {@link methodScale}(`rows`: all rows given to the
 * chart, before it picks some); the legend lists only the `present` names, in scale order. `symbols` sets the
 * legend symbol to match the marks (`stroke` for lines and rules, where zero-shot series are dashed like their
 * rules).
 */
export function methodColourEncoding(
  rows: readonly ResultRow[],
  present: Iterable<string>,
  { symbols = "circle" as "circle" | "stroke" } = {},
): Record<string, unknown> {
  const scale = methodScale(rows);
  const drawn = new Set(present);
  const shown = scale.domain.filter((n) => drawn.has(n));
  const legend: Record<string, unknown> = { values: shown, symbolOpacity: 1 };
  if (symbols === "stroke") {
    Object.assign(legend, {
      symbolType: "stroke",
      symbolStrokeWidth: 2.5,
      symbolSize: 300,
      // A zero-shot series is a dashed rule in the plot: its legend symbol is dashed too.
      encode: { symbols: { update: { strokeDash: { signal: `indexof(datum.value, '${ZERO_SHOT_SUFFIX}') >= 0 ? [5, 3] : [1, 0]` } } } },
    });
  }
  return { field: "method", type: "nominal", title: "method", scale, legend };
}
