/**
 * Predictions that collapse onto one class: a run that answers (nearly) the same class for every input scores
 * the share of that class, which on a balanced task reads like a weak method rather than no method at all. A
 * run counts as collapsed when one class takes more than {@link COLLAPSE_SHARE} of its predictions, or when its
 * macro-F1 is no better than that of always answering one class.
 * @module
 */
import { percent } from "../util/format.ts";
import type { Metrics } from "./metrics.ts";

/** Share of the predictions one class may take before the run counts as collapsed. */
export const COLLAPSE_SHARE = 0.9;

/** Predicted-class counts of scored predictions: the column sums of the confusion matrix, by label. */
export function predictedCounts({ confusion, labels }: Pick<Metrics, "confusion" | "labels">): Record<string, number> {
  return Object.fromEntries(labels.map((l, c) => [l, confusion.reduce((sum, row) => sum + row[c], 0)]));
}

/**
 * The best macro-F1 a constant answer reaches on this gold distribution: answering class c everywhere gives c
 * an F1 of 2·n_c / (n + n_c) and every other class 0, averaged over the classes present.
 */
export function oneClassMacroF1({ confusion }: Pick<Metrics, "confusion">): number {
  const gold = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const n = gold.reduce((a, b) => a + b, 0), present = gold.filter((g) => g > 0).length;
  if (!n) return 0;
  return Math.max(...gold.map((g) => (2 * g) / (n + g) / (present + (g > 0 ? 0 : 1))));
}

/** How a run's predictions collapsed: the class most predicted and its share of the predictions. */
export interface Collapse {
  label: string;
  share: number;
}

/**
 * A scored run as results record it: its predicted-class counts, or the confusion matrix they come from (rows
 * written before `predicted` was recorded), or both.
 */
export interface ScoredRun {
  macroF1: number;
  predicted?: Record<string, number>;
  confusion?: number[][];
  labels?: string[];
}

/**
 * The collapse of a scored run ({@link COLLAPSE_SHARE}, or macro-F1 at the one-class level, which needs the
 * confusion matrix), or undefined when its predictions spread over the classes or it records neither counts
 * nor confusion.
 */
export function collapseOf(run: ScoredRun): Collapse | undefined {
  const { confusion, labels } = run;
  const byLabel = run.predicted ?? (confusion && labels ? predictedCounts({ confusion, labels }) : undefined);
  const counts = Object.entries(byLabel ?? {});
  const total = counts.reduce((a, [, c]) => a + c, 0);
  if (!total) return undefined;
  const [label, top] = counts.reduce((a, b) => (b[1] > a[1] ? b : a));
  const share = top / total;
  const atOneClass = confusion !== undefined && run.macroF1 <= oneClassMacroF1({ confusion }) + 1e-9;
  return share > COLLAPSE_SHARE || atOneClass ? { label, share } : undefined;
}

/** A collapse in words, for notes and captions: `97.3% of predictions "Fake"`. */
export function collapseText({ label, share }: Collapse): string {
  return `predictions collapsed: ${percent(share)}% "${label}"`;
}
