/**
 * ZeroPrompt's template robustness (`figures/zeroprompt/spread.*`): the zero-shot accuracy of every held-out
 * wording of each held-out task, before and after multitask training: the article's complaint that a few
 * characters of a discrete prompt move the result, measured as the spread over wordings.
 * @module
 */
import type { ResultRow } from "../experiments/results.ts";
import { chanceOf } from "../eval/chance.ts";
import { collapseOf } from "../eval/collapse.ts";
import type { Caption } from "./caption.ts";
import { chartContext, chartTitle, dataLine } from "./context.ts";
import { degenerateFlags } from "./degenerate.ts";
import { ACCURACY_AXIS, type ChartSpec, topLevel } from "./spec.ts";
import { baseModelsContext, MULTITASK_MODELS_NOTE, type Phase, zeropromptRows } from "./zeroprompt_rows.ts";

const PHASES: Phase[] = ["before", "after"];

/** The spread of one task, model and phase: the range (max − min) over its wordings. */
export interface WordingSpread {
  model: string;
  task: string;
  phase: Phase;
  wordings: number;
  /** Wordings whose predictions collapsed onto one class: their scores are a class share, so a narrow range of them is no robustness. */
  collapsed: number;
  /** Wordings at chance that did not collapse (`eval/chance.ts`): no better than the majority class either. */
  atChance: number;
  min: number;
  max: number;
}

/** The range of zero-shot accuracy over the held-out wordings per base model, task and phase. */
export function wordingSpreads(allRows: readonly ResultRow[]): WordingSpread[] {
  const groups = new Map<string, WordingSpread>();
  for (const w of zeropromptRows(allRows).wordings) {
    const key = `${w.base}|${w.task}|${w.phase}`;
    const g = groups.get(key) ??
      { model: w.base, task: w.task, phase: w.phase, wordings: 0, collapsed: 0, atChance: 0, min: Infinity, max: -Infinity };
    groups.set(key, {
      ...g,
      wordings: g.wordings + 1,
      collapsed: g.collapsed + (collapseOf(w.row) ? 1 : 0),
      atChance: g.atChance + (chanceOf(w.row) ? 1 : 0),
      min: Math.min(g.min, w.row.accuracy),
      max: Math.max(g.max, w.row.accuracy),
    });
  }
  return [...groups.values()];
}

/**
 * A panel per held-out task (columns) and base model (rows): before and after (x), a box of the wordings'
 * accuracies (median, quartiles, whiskers to min and max) with every wording as a dot over it (a cross: its
 * predictions collapsed onto one class).
 */
export function zeropromptSpread(allRows: readonly ResultRow[], { title = "ZeroPrompt: spread over held-out wordings" } = {}): ChartSpec {
  const { wordings, bases } = zeropromptRows(allRows);
  const ctx = baseModelsContext(chartContext(wordings.map((w) => w.row)), bases);
  const values = wordings.map((w) => ({
    model: w.base,
    task: w.task,
    phase: w.phase,
    wording: w.wording,
    template: String(w.row.options.template ?? ""),
    accuracy: w.row.accuracy,
    collapsed: collapseOf(w.row) ? "collapsed onto one class" : "scored",
  }));
  const tasks = [...new Set(values.map((v) => v.task))];
  // Wordings side by side in their mixture's order ("held-out wording 2" before "… 10").
  const wordingOrder = [...new Set(values.map((v) => v.wording))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const x = { field: "phase", type: "nominal", title: null, sort: PHASES, axis: { labelAngle: 0 } };
  const y = { field: "accuracy", type: "quantitative", ...ACCURACY_AXIS };
  const layer = [
    {
      mark: { type: "boxplot", extent: "min-max", size: 28, opacity: 0.35, median: { color: "black" } },
      encoding: { x, y, color: { field: "phase", type: "nominal", sort: PHASES, scale: { range: ["#9e9e9e", "#1f3a93"] }, legend: null } },
    },
    {
      mark: { type: "point", filled: true, size: 36, opacity: 0.85 },
      encoding: {
        x,
        xOffset: { field: "wording", type: "nominal", sort: wordingOrder },
        y,
        shape: {
          field: "collapsed",
          type: "nominal",
          title: null,
          scale: { domain: ["scored", "collapsed onto one class"], range: ["circle", "cross"] },
        },
        color: { value: "#222" },
        tooltip: [{ field: "model" }, { field: "task" }, { field: "phase" }, { field: "wording" }, { field: "template" }, {
          field: "accuracy",
          format: ".1%",
        }],
      },
    },
  ];
  const spreads = wordingSpreads(allRows);
  const spreadText = spreads.map((s) =>
    `${s.model} · ${s.task} · ${s.phase}: ${(100 * (s.max - s.min)).toFixed(1)} points over ${s.wordings} wordings` +
    (s.collapsed > 0 ? ` (${s.collapsed} collapsed)` : "") + (s.atChance > 0 ? ` (${s.atChance} at chance)` : "")
  );
  const caption: Caption = {
    what: "Zero-shot accuracy of each held-out wording (template and label words none of the mixture's tasks used) of each " +
      "held-out task, before (base model) and after multitask prompted training (ZeroPrompt), one panel per task and base " +
      "model. A narrower box after training means the prompt's exact characters matter less: the robustness ZeroPrompt " +
      "claims — unless the wordings collapsed onto one class (crosses): their scores are that class's share of the test " +
      "set, so a narrow box of crosses is a model that stopped reading the text, not a robust one. " +
      `Range (max − min) per panel and phase: ${spreadText.join("; ") || "none"}.`,
    data: `${dataLine(ctx)}; ${MULTITASK_MODELS_NOTE}.`,
    perPoint: "One zero-shot run per wording (no seeds: zero-shot PET trains nothing); the box summarises the wordings of a panel.",
    band: "box: quartiles of the wordings with the median; whiskers: their min and max (the spread).",
    flags: degenerateFlags(wordings.map((w) => w.row), (r) => `${r.model.name} · ${r.dataset} · ${r.label}`),
  };
  const lines = ["dots: one held-out wording each (cross: collapsed onto one class) · box: their quartiles, whiskers min–max"];
  const header = { labelFontSize: 12 };
  const facet = {
    column: { field: "task", type: "nominal", title: "held-out task", sort: tasks, header },
    row: { field: "model", type: "nominal", title: "base model", sort: bases, header },
  };
  const spec = { ...topLevel({ title: chartTitle(title, { ...ctx, datasets: tasks }, lines), caption }), data: { values }, facet };
  return { ...spec, spec: { width: 140, height: 220, layer } } as unknown as ChartSpec; // hand-built layers, compiled in the tests
}
