/** Classification metrics: accuracy, macro-F1 and the confusion matrix. */

/** Metrics of predictions against gold labels. */
export interface Metrics {
  accuracy: number;
  macroF1: number;
  /** confusion[gold][predicted] counts, in `labels` order. */
  confusion: number[][];
  labels: string[];
  n: number;
}

/** Index of the largest entry (first on ties). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/**
 * Score predicted labels against gold ones. Macro-F1 averages per-class F1 over all `labels` (a class never
 * predicted nor present counts as F1 0 only if it is present in gold or predictions; absent classes are
 * left out).
 */
export function classificationMetrics(gold: readonly string[], predicted: readonly string[], labels: readonly string[]): Metrics {
  if (gold.length !== predicted.length) throw new Error(`metrics: ${gold.length} gold labels for ${predicted.length} predictions`);
  const index = new Map(labels.map((l, i) => [l, i]));
  const confusion = labels.map(() => labels.map(() => 0));
  let correct = 0;
  gold.forEach((g, i) => {
    const gi = index.get(g), pi = index.get(predicted[i]);
    if (gi === undefined || pi === undefined) throw new Error(`metrics: unknown label "${gi === undefined ? g : predicted[i]}"`);
    confusion[gi][pi]++;
    if (gi === pi) correct++;
  });
  const f1s: number[] = [];
  labels.forEach((_, c) => {
    const tp = confusion[c][c];
    const goldCount = confusion[c].reduce((a, b) => a + b, 0);
    const predCount = confusion.reduce((a, row) => a + row[c], 0);
    if (goldCount === 0 && predCount === 0) return;
    f1s.push(tp === 0 ? 0 : (2 * tp) / (goldCount + predCount));
  });
  return {
    accuracy: gold.length ? correct / gold.length : 0,
    macroF1: f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : 0,
    confusion,
    labels: [...labels],
    n: gold.length,
  };
}

/** Predict with class probabilities and score against gold labels. */
export function metricsFromProba(gold: readonly string[], proba: readonly number[][], labels: readonly string[]): Metrics {
  return classificationMetrics(gold, proba.map((p) => labels[argmax(p)]), labels);
}
