/**
 * Leave-one-task-out as a table (`figures/zeroprompt/transfer_table.md`): per base model and held-out task, the
 * zero-shot mean over the held-out wordings before and after multitask training, the range over those wordings
 * and how many of them collapsed onto one class, beside the few-shot references at K = 16. The numbers behind
 * `transfer.*` and `spread.*`, in the form a write-up quotes.
 * @module
 */
import type { ResultRow } from "../experiments/results.ts";
import { CHANCE_MARK, COLLAPSE_MARK, degenerateCounts, marksLegends, marksText } from "../eval/marks.ts";
import { percent } from "../util/format.ts";
import { meansWithBand } from "./context.ts";
import { wordingSpreads } from "./zeroprompt_spread.ts";
import { type Phase, referenceSeries, zeropromptRows } from "./zeroprompt_rows.ts";
import { MEAN_OF_TASKS } from "./zeroprompt_transfer.ts";

/** "61.2 ± 7.8": a mean and its sample std in percent (the std left out for a single value). */
function meanText(m: { mean: number; std: number | null }): string {
  return `${percent(m.mean)}${m.std !== null ? ` ± ${percent(m.std)}` : ""}`;
}

/**
 * The table as Markdown: one line per base model and held-out task (smallest model first), then the mean of the
 * tasks per model (each task weighing the same). A phase cell reads "mean ± std over wordings (range; ⚠ collapsed
 * of wordings; ≈ at chance of wordings)"; a reference cell "mean ± std over seeds", with ⚠n when n of its runs
 * collapsed and ≈n when n others are at chance.
 */
export function zeropromptMarkdown(allRows: readonly ResultRow[]): string {
  const { wordings, references, bases } = zeropromptRows(allRows);
  const tasks = [...new Set(wordings.map((w) => w.task))];
  const phases = meansWithBand(
    wordings.map((w) => ({ model: w.base, task: w.task, phase: w.phase, accuracy: w.row.accuracy })),
    ["model", "task", "phase"],
    "accuracy",
  );
  const spreads = wordingSpreads(allRows);
  const methods = [...new Set(references.map(referenceSeries))];
  const refs = meansWithBand(
    references.map((r) => ({ model: r.base, task: r.dataset, method: referenceSeries(r), accuracy: r.accuracy })),
    ["model", "task", "method"],
    "accuracy",
  );
  const phaseCell = (model: string, task: string, phase: Phase) => {
    const m = phases.find((p) => p.model === model && p.task === task && p.phase === phase);
    const s = spreads.find((p) => p.model === model && p.task === task && p.phase === phase);
    if (!m || !s) return "—";
    const marks = [
      ...(s.collapsed > 0 ? [`${COLLAPSE_MARK} ${s.collapsed} of ${s.wordings} collapsed`] : []),
      ...(s.atChance > 0 ? [`${CHANCE_MARK} ${s.atChance} of ${s.wordings} at chance`] : []),
    ];
    return `${meanText(m)} (range ${percent(s.max - s.min)}; ${marks.length ? marks.join("; ") : `${s.wordings} wordings`})`;
  };
  const refCell = (model: string, task: string, method: string) => {
    const m = refs.find((r) => r.model === model && r.task === task && r.method === method);
    const counts = degenerateCounts(references.filter((r) => r.base === model && r.dataset === task && referenceSeries(r) === method));
    return m ? `${meanText(m)}${marksText(counts)}` : "—";
  };
  const lines = [
    `| base model | held-out task | zero-shot before | zero-shot after | ${methods.join(" | ")} |`,
    `|---|---|---|---|${methods.map(() => "---|").join("")}`,
  ];
  for (const model of bases) {
    for (const task of tasks) {
      const cells = [phaseCell(model, task, "before"), phaseCell(model, task, "after"), ...methods.map((m) => refCell(model, task, m))];
      lines.push(`| ${model} | ${task} | ${cells.join(" | ")} |`);
    }
    if (tasks.length > 1) {
      // Each task's mean weighs the same, as the figure's "mean of tasks" column.
      const meanOf = (values: (number | undefined)[]) =>
        values.every((v) => v !== undefined) ? percent(values.reduce((a: number, b) => a + b!, 0) / values.length) : "—";
      const phaseMean = (phase: Phase) =>
        meanOf(tasks.map((t) => phases.find((p) => p.model === model && p.task === t && p.phase === phase)?.mean));
      const refMean = (method: string) =>
        meanOf(tasks.map((t) => refs.find((r) => r.model === model && r.task === t && r.method === method)?.mean));
      lines.push(`| ${model} | ${MEAN_OF_TASKS} | ${phaseMean("before")} | ${phaseMean("after")} | ${methods.map(refMean).join(" | ")} |`);
    }
  }
  // The marks are symbols, not words: their legends go under the table whenever a cell carries them (every
  // spread and reference group has a cell).
  for (const legend of marksLegends([...spreads, degenerateCounts(references)])) lines.push("", legend);
  return lines.join("\n") + "\n";
}
