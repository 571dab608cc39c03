/** Training curves (loss per step) and accuracy against trainable parameters. */
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
  STD_BAND,
  trainSizes,
} from "./context.ts";
import { noTriggerAccepted } from "./degenerate.ts";
import { methods } from "../methods/registry.ts";
import { METHOD_PALETTE, methodColourEncoding, methodName } from "./palette.ts";
import { ACCURACY_AXIS, chanceLayers, chanceRecords, chartByModel, type ChartSpec, tagParts, topLevel, VIEW_SIZE } from "./spec.ts";

/** Most points drawn per training curve: enough for its shape, small enough for a compact spec and SVG. */
export const MAX_CURVE_POINTS = 40;

/**
 * `losses` (one per step) as at most `max` points: the mean loss of each window of consecutive steps, at the
 * window's last step, rounded to 4 significant digits. Averaging, not picking every n-th step, also smooths
 * the batch-to-batch noise.
 */
export function windowMeans(losses: readonly number[], max = MAX_CURVE_POINTS): { step: number[]; loss: number[] } {
  const width = Math.max(1, Math.ceil(losses.length / max));
  const step: number[] = [], loss: number[] = [];
  for (let start = 0; start < losses.length; start += width) {
    const window = losses.slice(start, start + width);
    step.push(start + window.length);
    loss.push(Number((window.reduce((a, b) => a + b, 0) / window.length).toPrecision(4)));
  }
  return { step, loss };
}

/** A curve's panel: the method, and what its loss is where that is not a training loss (AutoPrompt's search). */
function panelName(r: ResultRow): string {
  return `${methodName(r)}: ${methods.get(r.method)?.display.loss ?? "training loss"}`;
}

/**
 * Training loss against step, a row of panels per method (each on its own y and x scale: AutoPrompt's
 * search loss is another quantity on another scale), a column per model when several; colour tells K apart
 * and line dash the seed. Each curve is drawn from {@link windowMeans}, one record per run flattened by the
 * chart, so that the spec stays small.
 */
export function trainingCurves(allRows: readonly ResultRow[], { title = "Training loss" } = {}): ChartSpec {
  const rows = chartRows(allRows).filter((r) => r.losses.length), ctx = chartContext(rows);
  const values = rows.map((r) => ({
    model: modelName(r),
    panel: panelName(r),
    K: r.k ?? r.split,
    seed: r.seed ?? r.index,
    ...windowMeans(r.losses),
  }));
  const order = METHOD_PALETTE.map(([name]) => name);
  const panels = [...new Set(rows.map(panelName))].sort((a, b) => rank(order, a) - rank(order, b));
  const ks = trainSizes(values.map((v) => v.K));
  const steps = [...new Set(rows.map((r) => r.losses.length))].sort((a, b) => a - b);
  const window = Math.max(...rows.map((r) => Math.ceil(r.losses.length / MAX_CURVE_POINTS)), 1);
  const lines = [
    `one line per run · colour: examples per class (K) · dash: seed (${seedsText(ctx)})`,
    "a row per method, each on its own scales · no band: single runs",
    `loss averaged over windows of up to ${window} steps (≤ ${MAX_CURVE_POINTS} points per run)`,
  ];
  const caption: Caption = {
    what: "Training loss per step of every trained run, a row of panels per method, each on its own scales. " +
      "AutoPrompt trains no weights: its panel shows the trigger search's loss per iteration, another quantity.",
    data: `${dataLine(ctx)}; ${seedsText(ctx)}; K ${ks.join(", ")}; ${steps.join(" / ")} steps per run.`,
    perPoint:
      `one run per line; each point is the mean loss over a window of up to ${window} consecutive steps (at most ${MAX_CURVE_POINTS} points per run).`,
    band: null,
    flags: [],
  };
  return chartByModel({ title: chartTitle(title, ctx, lines), caption }, values, {
    transform: [{ flatten: ["step", "loss"] }],
    mark: { type: "line", strokeWidth: 1.2, opacity: 0.8 },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step (AutoPrompt: search iteration)" },
      y: { field: "loss", type: "quantitative", title: "loss", scale: { zero: false } },
      color: { field: "K", type: "ordinal", title: "K", sort: ks, scale: { scheme: "viridis" } },
      strokeDash: { field: "seed", type: "ordinal", title: "seed" },
      detail: { field: "seed" },
    },
  }, {
    row: "panel",
    rowSort: panels,
    resolve: { scale: { x: "independent", y: "independent" } },
    size: { width: VIEW_SIZE.width, height: 160 },
  });
}

function rank(order: readonly string[], panel: string): number {
  const i = order.findIndex((name) => panel.startsWith(`${name}:`));
  return i < 0 ? order.length : i;
}

/** Whether `method` trains no weights but picks discrete tokens: its `trainableParams` counts token slots. */
function picksTokens(method: string): boolean {
  return methods.get(method)?.trains === "tokens";
}

/**
 * Mean accuracy against trainable parameters (log axis), one point per method, parameter point and K (shape),
 * in the methods' fixed colours. Methods that pick discrete tokens (AutoPrompt's trigger slots) are drawn apart
 * in a narrow panel of their own: a trigger slot is not a trainable weight. A pair of panels per model.
 */
export function accuracyVsParams(allRows: readonly ResultRow[], { title = "Accuracy vs trainable parameters" } = {}): ChartSpec {
  const usable = chartRows(allRows);
  const rows = usable.filter((r) => !r.zeroShot && r.trainableParams > 0), ctx = chartContext(rows);
  const points = rows.map((r) => ({
    model: modelName(r),
    method: methodName(r),
    kind: picksTokens(r.method) ? "discrete" : "weights",
    setting: JSON.stringify(r.params),
    K: r.k ?? r.split,
    params: r.trainableParams,
    accuracy: r.accuracy,
    flagged: noTriggerAccepted(r),
  }));
  const means = meansWithBand(points, ["model", "method", "kind", "setting", "K", "params"], "accuracy");
  const chance = chanceLevel(ctx);
  const values = tagParts({ mean: means, chance: chanceRecords(ctx.models, chance) });
  const ks = trainSizes(points.map((p) => p.K));
  const color = methodColourEncoding(usable, points.map((p) => p.method));
  const y = { field: "mean", type: "quantitative", ...ACCURACY_AXIS, title: "mean accuracy" };
  const shape = { field: "K", type: "nominal", title: "examples per class (K)", sort: ks, legend: { titleLimit: 300 } };
  const tooltip = [{ field: "method" }, { field: "K" }, { field: "setting" }, { field: "params", title: "trainable" }, {
    field: "mean",
    format: ".1%",
  }, { field: "n" }];
  const dots = { mark: { type: "point", filled: true, size: 70, opacity: 0.85 }, encoding: { y, color, shape, tooltip } };
  const discrete = points.some((p) => p.kind === "discrete");
  const panel = (
    model: string,
    kind: string,
  ) => [{ filter: `datum.model === ${JSON.stringify(model)} && (datum.part === 'chance' || datum.kind === '${kind}')` }];
  const chanceRule = chance === null ? [] : [chanceLayers(chance)[0]];
  const concat: Record<string, unknown>[] = ctx.models.flatMap((model) => [
    {
      title: model,
      ...VIEW_SIZE,
      transform: panel(model, "weights"),
      layer: [
        {
          ...dots,
          transform: [{ filter: "datum.part === 'mean'" }],
          encoding: {
            ...dots.encoding,
            x: {
              field: "params",
              type: "quantitative",
              title: "trainable weights (log scale)",
              scale: { type: "log" },
              axis: { format: "~s" },
            },
          },
        },
        ...chanceLayers(chance),
      ],
    },
    ...(discrete
      ? [{
        title: { text: "AutoPrompt", subtitle: "0 weights trained", subtitleFontSize: 10 },
        width: 110,
        height: VIEW_SIZE.height,
        transform: panel(model, "discrete"),
        layer: [
          {
            ...dots,
            transform: [{ filter: "datum.part === 'mean'" }],
            encoding: { ...dots.encoding, x: { field: "params", type: "ordinal", title: "trigger tokens", axis: { labelAngle: 0 } } },
          },
          ...chanceRule,
        ],
      }]
      : []),
  ]);
  const flaggedCells = means.filter((m) => points.some((p) => p.flagged && p.model === m.model && p.method === m.method && p.K === m.K))
    .sort((a, b) => a.model.localeCompare(b.model) || a.method.localeCompare(b.method) || Number(a.K) - Number(b.K));
  const lines = [
    `${seedsText(ctx)} per point (mean) · shape: K · colour: method${chance ? ` · dotted: chance = 1/${ctx.classes}` : ""}`,
    ...(discrete ? ["AutoPrompt trains no weights: its trigger tokens are discrete vocabulary slots, drawn apart"] : []),
  ];
  const caption: Caption = {
    what: "Mean test accuracy against the number of trained weights (log axis), one point per method, parameter setting and K. " +
      (discrete
        ? "AutoPrompt is drawn apart: it updates no weights, and its trainableParams count is the number of discrete trigger tokens it picks from the vocabulary."
        : ""),
    data: `${dataLine(ctx)}; ${seedsText(ctx)}.`,
    perPoint: `${runsPerPoint(means, ctx)}.`,
    band: `none drawn; ${STD_BAND} is in the few-shot curves and summary.md.`,
    flags: flaggedCells.map((m) =>
      `${m.model} · ${m.method} · K=${m.K}: mean includes seeds with no trigger accepted (see the few-shot curve's ×)`
    ),
  };
  const spec: Record<string, unknown> = {
    ...topLevel({ title: chartTitle(title, ctx, lines), caption }),
    data: { values },
    hconcat: concat,
    resolve: { scale: { y: "shared" } },
  };
  return spec as unknown as ChartSpec; // an hconcat of hand-built panels, checked by compiling it in the tests
}
