/**
 * The stage-2 ladder (`grids/stage2_ladder-*.json`): accuracy against the number of trained weights, one point per
 * rung and K, from the discrete prompt through soft prompts of growing length and depth to fine-tuning, which is
 * drawn as the ceiling the article says prompting turns into.
 * @module
 */
import type { ResultRow } from "../experiments/results.ts";
import { LADDER_RUNGS } from "../experiments/presets.ts";
import { finetune } from "../methods/classifier/finetune.ts";
import type { Caption } from "./caption.ts";
import { chanceLevel, chartContext, chartRows, chartTitle, dataLine, meansWithBand, runsPerPoint, seedsText, STD_BAND } from "./context.ts";
import { chanceOf } from "../eval/chance.ts";
import { collapseOf } from "../eval/collapse.ts";
import { CHANCE_RING, chanceRingLayer, degenerateFlags, identicalSeedFlags } from "./degenerate.ts";
import { methodColourEncoding, methodName } from "./palette.ts";
import { ACCURACY_AXIS, chanceLayers, type ChartSpec, onlyPart, tagParts, topLevel, VIEW_SIZE } from "./spec.ts";

/** Wide enough for the rung labels beside the points. */
const WIDTH = 560;

/** A row's K as the chart names it: `zero-shot` or `K = 16`. */
function kOf(r: ResultRow): string {
  return r.zeroShot ? "zero-shot" : `K = ${r.k ?? r.split}`;
}

/** Axis ticks: 0 and the powers of ten up to `max` (a symlog axis's own ticks crowd its top decade). */
function decades(max: number): number[] {
  const ticks = [0];
  for (let t = 1; t <= max; t *= 10) ticks.push(t);
  return ticks;
}

/** Position of a rung name in the article's order (zero-shot first; labels outside {@link LADDER_RUNGS} last). */
function rungIndex(name: string, zeroShot: boolean): number {
  const i = LADDER_RUNGS.findIndex((rung) => name.startsWith(rung));
  return (i < 0 ? LADDER_RUNGS.length : i) * 2 + (zeroShot ? 0 : 1);
}

/**
 * Mean test accuracy (± 1 sample std over seeds) against trained weights (symmetric-log axis, so the discrete
 * prompt's zero-shot cells, which train nothing, sit at 0), one point per rung and K (shape), each rung labelled
 * at its point of the largest K, fine-tuning's mean per K as a dashed ceiling, the chance level; a ring marks a mean
 * with runs collapsed onto one class, a dashed ring one with runs at chance, which the caption names.
 */
export function ladderChart(allRows: readonly ResultRow[], { title = "Stage 2 as a ladder: accuracy vs trained weights" } = {}): ChartSpec {
  const rows = chartRows(allRows).sort((a, b) =>
    rungIndex(methodName(a), a.zeroShot) - rungIndex(methodName(b), b.zeroShot) || (a.k ?? 0) - (b.k ?? 0)
  );
  const ctx = chartContext(rows);
  const points = rows.map((r) => ({ method: methodName(r), K: kOf(r), params: r.trainableParams, accuracy: r.accuracy }));
  const groupsWith = (flagged: (r: ResultRow) => unknown) => new Set(rows.filter(flagged).map((r) => `${methodName(r)} · ${kOf(r)}`));
  const collapsed = groupsWith(collapseOf), atChance = groupsWith(chanceOf);
  const means = meansWithBand(points, ["method", "K", "params"], "accuracy")
    .map((m) => ({ ...m, collapsed: collapsed.has(`${m.method} · ${m.K}`), atChance: atChance.has(`${m.method} · ${m.K}`) }));
  const ks = [...new Set(points.map((p) => p.K))];
  // One label per rung, at its point of the largest K (the last in row order).
  // Labels of points in the top decade go to their left, so they stay inside the plot.
  const maxParams = Math.max(...points.map((p) => p.params));
  // Alternate rungs are labelled above and below their point, so neighbours of similar accuracy stay readable.
  const labels = [...new Map(means.map((m) => [m.method, m])).values()].map((m, i) => ({
    ...m,
    left: m.params * 10 > maxParams,
    below: i % 2 === 1,
  }));
  const ceiling = means.filter((m) => rows.some((r) => r.method === finetune.name && methodName(r) === m.method))
    .map((m) => ({ ...m, text: `fine-tuning ceiling, ${m.K}` }));
  const chance = chanceLevel(ctx);
  const values = tagParts({ mean: means, label: labels, ceiling, chance: chance === null ? [] : [{ chance }] });
  const x = {
    field: "params",
    type: "quantitative",
    title: "trained weights (symmetric log scale; 0: nothing trained)",
    scale: { type: "symlog" },
    // Vega's "~s" gives a whole axis one SI prefix ("0M" for 1,000): each tick is formatted alone.
    axis: { values: decades(maxParams), labelExpr: "datum.value ? format(datum.value, '~s') : '0'", labelAngle: 0 },
  };
  const rungs = [...new Set(means.map((m) => m.method))];
  const color = methodColourEncoding(allRows, rungs);
  color.legend = { ...color.legend as object, values: rungs, labelLimit: 320 };
  color.title = "rung"; // the legend lists the rungs in the ladder's order
  const shape = { field: "K", type: "nominal", title: "examples per class", sort: ks };
  const tooltip = [{ field: "method", title: "rung" }, { field: "K" }, { field: "params", format: ",", title: "trained" }, {
    field: "mean",
    format: ".1%",
  }, {
    field: "std",
    format: ".1%",
  }, { field: "n" }];
  const layer: Record<string, unknown>[] = [
    {
      transform: onlyPart("ceiling"),
      mark: { type: "rule", color: "#444", strokeDash: [6, 4], strokeWidth: 1.2 },
      encoding: { y: { field: "mean", type: "quantitative" } },
    },
    {
      transform: onlyPart("ceiling"),
      mark: { type: "text", align: "left", baseline: "bottom", dx: 2, dy: -2, color: "#444", fontSize: 10 },
      encoding: { x: { value: 0 }, y: { field: "mean", type: "quantitative" }, text: { field: "text" } },
    },
    {
      transform: onlyPart("mean"),
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: { x, y: { field: "low", type: "quantitative", ...ACCURACY_AXIS }, y2: { field: "high" }, color },
    },
    {
      transform: onlyPart("mean"),
      mark: { type: "point", filled: true, size: 80, opacity: 0.9 },
      encoding: { x, y: { field: "mean", type: "quantitative" }, color, shape, tooltip },
    },
    {
      transform: [...onlyPart("mean"), { filter: "datum.collapsed" }],
      mark: { type: "point", shape: "circle", filled: false, size: 320, color: "black", strokeWidth: 1.5 },
      encoding: { x, y: { field: "mean", type: "quantitative" } },
    },
    chanceRingLayer(onlyPart("mean"), x, { field: "mean", type: "quantitative" }),
    ...[false, true].flatMap((left) =>
      [false, true].map((below) => ({
        transform: [...onlyPart("label"), { filter: `datum.left === ${left} && datum.below === ${below}` }],
        mark: { type: "text", align: left ? "right" : "left", dx: left ? -9 : 9, dy: below ? 12 : -6, fontSize: 10 },
        encoding: { x, y: { field: "mean", type: "quantitative" }, text: { field: "method" }, color },
      }))
    ),
    ...chanceLayers(chance, WIDTH),
  ];
  const lines = [
    `${seedsText(ctx)} per point · bar: ${STD_BAND} · colour: rung · shape: K`,
    [
      "dashed: fine-tuning's mean (the ceiling)",
      chance ? `dotted: chance = 1/${ctx.classes}` : "",
      collapsed.size ? "ring: a mean with runs collapsed onto one class (caption)" : "",
      atChance.size ? CHANCE_RING : "",
    ].filter(Boolean).join(" · "),
  ];
  const caption: Caption = {
    what: "The article's stage 2 as a ladder: mean test accuracy against the number of trained weights (symmetric-log axis; the " +
      "zero-shot discrete prompt trains none), one point per rung and K. The rungs go from the discrete prompt (PET, zero-shot " +
      "and trained) to trained vectors at the input read at [MASK] (P = 3, then 20), the same vectors at every layer, the [CLS] " +
      "classifier instead of [MASK] (P-tuning v2), and fine-tuning, whose mean per K is the dashed ceiling. The article's claim, " +
      "that along stage 2 prompting turns into fine-tuning, reads as the rungs climbing to that line as they train more weights." +
      (chance ? ` The dotted line is chance accuracy, 1/${ctx.classes}.` : ""),
    data: `${dataLine(ctx)}; ${seedsText(ctx)}.`,
    perPoint: `${runsPerPoint(means, ctx)}.`,
    band: `${STD_BAND}, drawn as a vertical bar.`,
    flags: [
      ...degenerateFlags(rows, (r) => `${methodName(r)} · ${kOf(r)}`),
      ...identicalSeedFlags(means.map((m) => ({ ...m, label: `${m.method} · ${m.K}` }))),
    ],
  };
  const spec: Record<string, unknown> = {
    ...topLevel({ title: chartTitle(title, ctx, lines), caption }),
    data: { values },
    width: WIDTH,
    height: VIEW_SIZE.height,
    layer,
  };
  return spec as unknown as ChartSpec; // hand-built layers, checked by compiling it in the tests
}
