/**
 * ZeroPrompt's transfer (`figures/zeroprompt/transfer.*`): zero-shot accuracy on each held-out task before and
 * after multitask training on the other tasks, per base model, with the few-shot methods at K = 16 on the same
 * task as reference marks.
 * @module
 */
import type { ResultRow } from "../experiments/results.ts";
import { chanceOf } from "../eval/chance.ts";
import { collapseOf } from "../eval/collapse.ts";
import type { Caption } from "./caption.ts";
import { chanceLevel, chartContext, chartTitle, dataLine, meansWithBand, STD_BAND } from "./context.ts";
import { CHANCE_RING, chanceRingLayer, degenerateFlags } from "./degenerate.ts";
import { methodColour, methodName } from "./palette.ts";
import { ACCURACY_AXIS, chartByModel, type ChartSpec, onlyPart, tagParts } from "./spec.ts";
import { baseModelsContext, MULTITASK_MODELS_NOTE, type Phase, referenceSeries, zeropromptRows } from "./zeroprompt_rows.ts";

/** The x position averaging the held-out tasks. */
export const MEAN_OF_TASKS = "mean of tasks";

/** Colours of the zero-shot phases: grey before, the kit's dark blue after. */
const PHASE_COLOURS: Record<Phase, string> = { before: "#9e9e9e", after: "#1f3a93" };

/** A mean per (model, task, series) with its band. */
type Mean = { model: string; task: string; series: string; mean: number; std: number | null; n: number; low: number; high: number };

/**
 * Per held-out task (x) and base model (a panel each): the mean zero-shot accuracy over the held-out wordings
 * before (grey) and after (blue) multitask training, joined by a line and each with a ± 1 std bar over the
 * wordings; the few-shot references at K = 16 (PET and fine-tuning on a BERT, text-to-text fine-tuning on a T5) as
 * ticks in their method colours (mean over seeds); a tick of chance per task; and, with several tasks, their mean.
 * A ring marks a phase with a wording whose predictions collapsed onto one class (the caption names them).
 */
export function zeropromptTransfer(allRows: readonly ResultRow[], { title = "ZeroPrompt: zero-shot on unseen tasks" } = {}): ChartSpec {
  const { wordings, references, bases } = zeropromptRows(allRows);
  const rows = [...wordings.map((w) => w.row), ...references];
  const ctx = baseModelsContext(chartContext(rows), bases);
  const points = wordings.map((w) => ({ model: w.base, task: w.task, series: w.phase, accuracy: w.row.accuracy }));
  const phaseMeans: Mean[] = meansWithBand(points, ["model", "task", "series"], "accuracy");
  const tasks = [...new Set(points.map((p) => p.task))];
  // The mean of tasks: each task's mean weighs the same, whatever its number of wordings.
  const overall: Mean[] = tasks.length > 1
    ? meansWithBand(phaseMeans.map((m) => ({ ...m, accuracy: m.mean })), ["model", "series"], "accuracy")
      .map((m) => ({ ...m, task: MEAN_OF_TASKS, std: null, low: m.mean, high: m.mean }))
    : [];
  const phasesWith = (flagged: (r: ResultRow) => unknown) =>
    new Set(wordings.filter((w) => flagged(w.row)).map((w) => `${w.base}|${w.task}|${w.phase}`));
  const collapsed = phasesWith(collapseOf), atChance = phasesWith(chanceOf);
  const means = [...phaseMeans, ...overall].map((m) => {
    const key = `${m.model}|${m.task}|${m.series}`;
    return { ...m, collapsed: collapsed.has(key), atChance: atChance.has(key) };
  });
  const refPoints = references.map((r) => ({
    model: r.base,
    task: r.dataset,
    series: referenceSeries(r),
    accuracy: r.accuracy,
  }));
  const refs = meansWithBand(refPoints, ["model", "task", "series"], "accuracy");
  const links = bases.flatMap((model) =>
    [...tasks, MEAN_OF_TASKS].flatMap((task) => {
      const at = (phase: Phase) => means.find((m) => m.model === model && m.task === task && m.series === phase)?.mean;
      const before = at("before"), after = at("after");
      return before === undefined || after === undefined ? [] : [{ model, task, before, after }];
    })
  );
  const chance = tasks.flatMap((task) => {
    const level = chanceLevel(chartContext(rows.filter((r) => r.dataset === task)));
    return level === null ? [] : bases.map((model) => ({ model, task, chance: level }));
  });
  const refSeries = [...new Set(refs.map((r) => r.series))];
  const refMethods = [...new Set(references.map((r) => methodName(r)))];
  const ks = `K = ${[...new Set(references.map((r) => r.k))].join(", ") || "none"}`;
  const series = ["before", "after", ...refSeries];
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: {
      domain: series,
      range: [PHASE_COLOURS.before, PHASE_COLOURS.after, ...refSeries.map((s) => methodColour(s.replace(/, K = .*$/, "")) ?? "#444")],
    },
    legend: { values: series, labelLimit: 240 },
  };
  const x = { field: "task", type: "nominal", title: "held-out task", sort: [...tasks, MEAN_OF_TASKS], axis: { labelAngle: 0 } };
  const y = { field: "mean", type: "quantitative", ...ACCURACY_AXIS };
  const tooltip = [{ field: "model" }, { field: "task" }, { field: "series" }, { field: "mean", format: ".1%" }, {
    field: "std",
    format: ".1%",
  }, {
    field: "n",
  }];
  const layer = [
    {
      transform: onlyPart("chance"),
      mark: { type: "tick", color: "#bbb", thickness: 1.2, size: 40 },
      encoding: { x, y: { field: "chance", type: "quantitative" } },
    },
    {
      transform: onlyPart("link"),
      mark: { type: "rule", color: "#555", strokeWidth: 1.5 },
      encoding: { x, y: { field: "before", type: "quantitative" }, y2: { field: "after" } },
    },
    { transform: onlyPart("ref"), mark: { type: "tick", thickness: 2.5, size: 30 }, encoding: { x, y, color, tooltip } },
    {
      transform: onlyPart("mean"),
      mark: { type: "rule", strokeWidth: 1.2 },
      encoding: { x, y: { field: "low", type: "quantitative" }, y2: { field: "high" }, color },
    },
    { transform: onlyPart("mean"), mark: { type: "point", filled: true, size: 90, opacity: 1 }, encoding: { x, y, color, tooltip } },
    {
      transform: [...onlyPart("mean"), { filter: "datum.collapsed" }],
      mark: { type: "point", shape: "circle", filled: false, size: 320, color: "black", strokeWidth: 1.5 },
      encoding: { x, y },
    },
    chanceRingLayer(onlyPart("mean"), x, y),
  ];
  const wordingCounts = [...new Set(phaseMeans.map((m) => m.n))].sort((a, b) => a - b);
  const flags = degenerateFlags(wordings.map((w) => w.row), (r) => `${r.model.name} · ${r.dataset} · ${r.label}`);
  const caption: Caption = {
    what: "Zero-shot accuracy on each held-out task, which multitask training never saw, before (grey: the base model) and " +
      "after (blue: the model trained on the mixture of the other tasks) ZeroPrompt's multitask prompted training, " +
      "scored with the held-out wordings (templates and label words none of the mixture's tasks used), one panel per " +
      "base model. The line joins before and after: transfer shows as a line going up. Ticks in the methods' colours " +
      `are few-shot references on the same task (${
        new Intl.ListFormat("en").format(refMethods) || "none"
      }, ${ks}); the thin grey tick is chance.` +
      (overall.length ? ` "${MEAN_OF_TASKS}" averages the tasks' means, each task weighing the same.` : ""),
    data: `${dataLine(ctx)}; ${MULTITASK_MODELS_NOTE}.`,
    perPoint: `Before/after: the mean over ${wordingCounts.join("–")} held-out wordings (one zero-shot run each) of a task; ` +
      `references: the mean over their seeds (${refs.length ? [...new Set(refs.map((r) => r.n))].join("–") : 0} per tick).`,
    band:
      `before/after: mean ± 1 sample std (n − 1) over the held-out wordings (not seeds); references: means only (${STD_BAND} in summary.md).`,
    flags,
  };
  const lines = [`grey: zero-shot before multitask training · blue: after · ticks: few-shot references, ${ks} · thin grey tick: chance`];
  if (collapsed.size) lines.push("ring: a wording's predictions collapsed onto one class (caption)");
  if (atChance.size) lines.push(CHANCE_RING);
  const values = tagParts({ mean: means, ref: refs, link: links, chance });
  const spec = chartByModel({ title: chartTitle(title, { ...ctx, datasets: tasks }, lines), caption }, values, { layer }, {
    size: { width: 90 * (tasks.length + (overall.length ? 1 : 0)) + 60, height: 300 },
  }) as { facet?: { column?: Record<string, unknown> } };
  if (spec.facet?.column) spec.facet.column.sort = bases; // panels smallest model first
  return spec as ChartSpec;
}
