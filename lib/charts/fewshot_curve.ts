/** Few-shot curves: test accuracy against examples per class, one line per method with a ±1 std band. */
import { modelName, type ResultRow } from "../experiments/results.ts";
import type { Caption } from "./caption.ts";
import {
  chanceLevel,
  chartContext,
  chartRows,
  chartTitle,
  dataLine,
  meansWithBand,
  runsPerPoint,
  seedsText,
  settingText,
  STD_BAND,
  trainSizes,
} from "./context.ts";
import { degenerateFlags, identicalSeedFlags, NO_TRIGGER_MARK, noTriggerAccepted, noTriggerFlags, noTriggerLayer } from "./degenerate.ts";
import { methodColourEncoding, methodName } from "./palette.ts";
import { ACCURACY_AXIS, chanceLayers, chanceRecords, chartByModel, type ChartSpec, onlyPart, tagParts } from "./spec.ts";

/**
 * Mean score per method and K on a log-2 K axis, a ±1 sample-std band over seeds, every seed's point, each
 * method's zero-shot score as a dashed horizontal rule (K = 0 has no place on a log axis), and the chance
 * level for accuracy. AutoPrompt seeds that never accepted a trigger are crossed out. Rows of several models
 * give one panel per model. `metric` macroF1 draws macro-F1 instead (for imbalanced test sets, where
 * accuracy's chance level is the majority share).
 */
export function fewShotCurve(
  allRows: readonly ResultRow[],
  { title = "Few-shot curves", metric = "accuracy" as "accuracy" | "macroF1" } = {},
): ChartSpec {
  const rows = chartRows(allRows), ctx = chartContext(rows);
  const metricName = metric === "macroF1" ? "macro-F1" : "accuracy";
  const axis = { ...ACCURACY_AXIS, title: metricName };
  const trained = rows.filter((r) => !r.zeroShot && r.k !== null);
  const points = trained.map((r) => ({
    model: modelName(r),
    method: methodName(r),
    k: r.k,
    seed: r.seed,
    score: r[metric],
    flagged: noTriggerAccepted(r),
  }));
  const means = meansWithBand(points, ["model", "method", "k"], "score");
  const zeroRows = rows.filter((r) => r.zeroShot);
  const zero = meansWithBand(
    zeroRows.map((r) => ({ model: modelName(r), method: methodName(r), score: r[metric] })),
    ["model", "method"],
    "score",
  );
  const flagged = points.filter((p) => p.flagged);
  const chance = metric === "accuracy" ? chanceLevel(ctx) : null;
  const values = tagParts({ mean: means, seed: points, zero, flagged, chance: chanceRecords(ctx.models, chance) });
  const ks = trainSizes(points.map((p) => p.k));
  const x = {
    field: "k",
    type: "quantitative",
    title: "examples per class (K, log scale)",
    scale: { type: "log", base: 2 },
    axis: { values: ks },
  };
  const color = methodColourEncoding(rows, [...means, ...zero].map((m) => m.method), { symbols: "stroke" });
  const tooltip = [{ field: "method" }, { field: "k", title: "K" }, { field: "mean", format: ".1%" }, { field: "std", format: ".1%" }, {
    field: "n",
  }];
  const layer: Record<string, unknown>[] = [
    {
      transform: onlyPart("mean"),
      mark: { type: "area", opacity: 0.15 },
      encoding: { x, y: { field: "low", type: "quantitative", ...axis }, y2: { field: "high" }, color },
    },
    {
      transform: onlyPart("mean"),
      mark: { type: "line", point: true, strokeWidth: 2 },
      encoding: { x, y: { field: "mean", type: "quantitative" }, color, tooltip },
    },
    {
      transform: onlyPart("seed"),
      mark: { type: "point", opacity: 0.35, size: 18 },
      encoding: {
        x,
        y: { field: "score", type: "quantitative" },
        color,
        tooltip: [{ field: "method" }, { field: "seed" }, { field: "score", format: ".1%" }],
      },
    },
  ];
  layer.push(...noTriggerLayer(flagged.length, x, "score"));
  if (zero.length) {
    layer.push({
      transform: onlyPart("zero"),
      mark: { type: "rule", strokeDash: [5, 3], strokeWidth: 2 },
      encoding: { y: { field: "mean", type: "quantitative" }, color },
    });
  }
  layer.push(...chanceLayers(chance));
  const marks = [
    `${seedsText(ctx)} per K · line: mean · band: ${STD_BAND} · faint dots: single seeds`,
    [
      zero.length ? "dashed rule: zero-shot (K = 0)" : "",
      chance ? `dotted: chance = 1/${ctx.classes} classes` : "",
      flagged.length ? `×: ${NO_TRIGGER_MARK}` : "",
    ]
      .filter(Boolean).join(" · "),
  ].filter(Boolean);
  const name = (r: ResultRow) => `${modelName(r)} · ${methodName(r)}${settingText(r)} · K=${r.k}`;
  const caption: Caption = {
    what: `Test ${metricName} against examples per class K (log₂ axis), one line per method.` +
      (zero.length ? " Zero-shot scores are dashed horizontal rules (K = 0 has no place on a log axis)." : "") +
      (chance ? ` The dotted line is chance accuracy, 1/${ctx.classes} for ${ctx.classes} classes.` : ""),
    data: `${dataLine(ctx)}; ${seedsText(ctx)}.`,
    perPoint: `${runsPerPoint(means, ctx)}.`,
    band: `${STD_BAND}; faint dots are the single seeds.`,
    flags: [
      ...noTriggerFlags(trained, name),
      ...degenerateFlags(rows, (r) => (r.zeroShot ? `${modelName(r)} · ${methodName(r)}${settingText(r)} · zero-shot` : name(r))),
      ...identicalSeedFlags(means.map((m) => ({ ...m, label: `${m.model} · ${m.method} · K=${m.k}` }))),
    ],
  };
  return chartByModel({ title: chartTitle(title, ctx, marks), caption }, values, { layer });
}
