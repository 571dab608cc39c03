/**
 * Degenerate runs, flagged so a figure does not pass them off as results: an AutoPrompt run whose search
 * never accepted a trigger (every slot still its initial `[MASK]`, so the prompt and its score are the same
 * whatever the seed), runs whose predictions collapsed onto one class (`eval/collapse.ts`: their accuracy is
 * that class's share), runs at chance (`eval/chance.ts`: no better than the majority class), and groups whose
 * seeds all scored exactly the same.
 * @module
 */
import { chanceOf, chanceText } from "../eval/chance.ts";
import { collapseOf, collapseText } from "../eval/collapse.ts";
import type { ResultRow } from "../experiments/results.ts";
import { methods } from "../methods/registry.ts";
import { formatRange } from "./context.ts";

/** The prompt an AutoPrompt row reports in its notes (`prompt: {sentence}商[MASK][MASK][MASK]。`), if any. */
function reportedPrompt(row: Pick<ResultRow, "notes">): string | undefined {
  return row.notes.find((n) => n.startsWith("prompt: "))?.slice("prompt: ".length);
}

/**
 * True when a row of a method that searches prompt tokens (AutoPrompt) kept every trigger slot at `[MASK]`: its
 * prompt holds one `[MASK]` per slot (`trainableParams` counts the slots) plus the prediction slot.
 */
export function noTriggerAccepted(row: Pick<ResultRow, "method" | "notes" | "trainableParams">): boolean {
  const prompt = methods.get(row.method)?.trains === "tokens" ? reportedPrompt(row) : undefined;
  return prompt !== undefined && prompt.split("[MASK]").length - 1 === row.trainableParams + 1;
}

/**
 * One note per group (`name`) of the rows `flagged` picks, ordered by model and K: the group's name, `problem`,
 * the runs it holds ({@link runsText}), and `detail` of its rows.
 */
function groupFlags(
  rows: readonly ResultRow[],
  name: (r: ResultRow) => string,
  flagged: (r: ResultRow) => boolean,
  problem: string,
  detail: (rs: ResultRow[]) => string,
): string[] {
  const groups = new Map<string, ResultRow[]>();
  const ordered = rows.filter(flagged).sort((a, b) => a.model.name.localeCompare(b.model.name) || (a.k ?? 0) - (b.k ?? 0));
  for (const r of ordered) {
    const id = name(r);
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  return [...groups].map(([id, rs]) => `${id}: ${problem} in ${runsText(rs)} (${detail(rs)})`);
}

/**
 * Which runs of a group a flag names: "seeds 1–3", "split 0", or for FewCLUE's zero-shot cells, which have
 * neither (nothing is sampled: one run scored on the test set), "the zero-shot run".
 */
function runsText(rs: readonly ResultRow[]): string {
  if (rs.every((r) => r.seed === null && r.index === null)) return rs.length > 1 ? `${rs.length} zero-shot runs` : "the zero-shot run";
  const seeds = [...new Set(rs.map((r) => r.seed ?? r.index ?? 0))].sort((a, b) => a - b);
  const which = rs[0].seed === null && rs[0].index !== null ? "split" : "seed";
  return `${which}${seeds.length > 1 ? "s" : ""} ${formatRange(seeds)}`;
}

/** The note a figure's caption carries for each group of rows with no trigger accepted. */
export function noTriggerFlags(rows: readonly ResultRow[], name: (r: ResultRow) => string): string[] {
  return groupFlags(rows, name, noTriggerAccepted, "no trigger accepted", () => "prompt left at its [MASK] start; marked ×");
}

/**
 * The note a figure's caption carries for each group of rows whose predictions collapsed onto one class, with
 * the share of the most collapsed run: such a point is that class's share of the test set, not a method working.
 */
export function collapseFlags(rows: readonly ResultRow[], name: (r: ResultRow) => string): string[] {
  return groupFlags(rows, name, (r) => collapseOf(r) !== undefined, "predictions collapsed onto one class", (rs) => {
    const worst = rs.map((r) => collapseOf(r)!).reduce((a, b) => (b.share > a.share ? b : a));
    return `${collapseText(worst)}; the score is that class's share`;
  });
}

/**
 * The note a figure's caption carries for each group of rows at chance that did not collapse, with the run
 * closest to significance (smallest p-value): such a point is no better than always answering the test set's
 * most frequent class, however spread its predictions.
 */
export function chanceFlags(rows: readonly ResultRow[], name: (r: ResultRow) => string): string[] {
  return groupFlags(rows, name, (r) => chanceOf(r) !== undefined, "no better than the majority class", (rs) => {
    const best = rs.map((r) => chanceOf(r)!).reduce((a, b) => (b.pValue < a.pValue ? b : a));
    return `${rs.length > 1 ? "best " : ""}${chanceText(best)}; the score is no result`;
  });
}

/**
 * The caption notes of every degenerate group a chart shows: {@link collapseFlags}, then {@link chanceFlags}
 * (a row is in at most one of them).
 */
export function degenerateFlags(rows: readonly ResultRow[], name: (r: ResultRow) => string): string[] {
  return [...collapseFlags(rows, name), ...chanceFlags(rows, name)];
}

/** The legend of {@link chanceRingLayer}, for a chart's subtitle. */
export const CHANCE_RING = "dashed ring: a mean with runs no better than the majority class (caption)";

/**
 * A dashed ring around the points of `transform` with `datum.atChance`: means holding runs at chance, drawn
 * wider than a collapse's solid ring so that a mean with both shows both.
 */
export function chanceRingLayer(transform: readonly object[], x: unknown, y: unknown): Record<string, unknown> {
  return {
    transform: [...transform, { filter: "datum.atChance" }],
    mark: { type: "point", shape: "circle", filled: false, size: 520, color: "black", strokeWidth: 1.2, strokeDash: [3, 2] },
    encoding: { x, y },
  };
}

/** The legend entry of a crossed-out seed. */
export const NO_TRIGGER_MARK = "AutoPrompt seed with no trigger accepted";

/** An × drawn as a path, so that its legend symbol is the same × (a chart sharing the shape channel maps it too). */
export const NO_TRIGGER_SHAPE = "M-1,-1L1,1M-1,1L1,-1";

/**
 * The layer crossing out seeds with no trigger accepted: records of part `flagged` with `x` and `yField`;
 * its one-entry shape legend explains the ×. Nothing when no seed is flagged.
 */
export function noTriggerLayer(flaggedCount: number, x: Record<string, unknown>, yField: string): Record<string, unknown>[] {
  if (!flaggedCount) return [];
  const shape = {
    datum: NO_TRIGGER_MARK,
    type: "nominal",
    title: null,
    scale: { domain: [NO_TRIGGER_MARK], range: [NO_TRIGGER_SHAPE] },
    legend: { symbolStrokeColor: "black", symbolStrokeWidth: 2, labelLimit: 400, orient: "bottom", direction: "horizontal" },
  };
  return [{
    transform: [{ filter: "datum.part === 'flagged'" }],
    mark: { type: "point", filled: false, color: "black", strokeWidth: 2, size: 40, opacity: 0.85 },
    encoding: { x, y: { field: yField, type: "quantitative" }, shape },
  }];
}

/** Notes for groups of two or more seeds that all scored the same `metric` (std 0): worth a second look. */
export function identicalSeedFlags(groups: readonly { label: string; n: number; std: number | null }[]): string[] {
  return groups.filter((g) => g.n > 1 && g.std === 0).map((g) => `${g.label}: all ${g.n} seeds scored exactly the same (std 0)`);
}
