/**
 * Runs at chance: a run whose accuracy is not significantly above that of always answering the test set's most
 * frequent gold class. That constant answer, not 1/C, is the floor a method must clear: on IFLYTEK (119 classes)
 * 1/C is under 1 %, yet answering the largest class scores its share, and a run below that share has learnt
 * nothing of the task even when its predictions spread too widely to count as collapsed (`collapse.ts`). On a
 * balanced binary test set the same test keeps 51 % of 976 rows from reading as a result.
 * @module
 */
import { percent } from "../util/format.ts";
import { collapseOf, type ScoredRun } from "./collapse.ts";

/** Significance level of the one-sided binomial test: a run with p ≥ this is at chance. */
export const CHANCE_LEVEL = 0.05;

/**
 * P(X ≥ k) for X ~ Binomial(n, p), summed exactly in log space (each term by the ratio of consecutive binomial
 * coefficients), so that n in the thousands neither overflows the coefficients nor underflows the powers.
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0 || p >= 1) return k <= n ? 1 : 0;
  if (k > n || p <= 0) return 0;
  const logP = Math.log(p), logQ = Math.log1p(-p);
  let logChoose = 0; // log C(n, i), i running up to k, then on to n
  for (let i = 0; i < k; i++) logChoose += Math.log((n - i) / (i + 1));
  const terms: number[] = [];
  for (let i = k; i <= n; i++) {
    terms.push(logChoose + i * logP + (n - i) * logQ);
    logChoose += Math.log((n - i) / (i + 1));
  }
  const top = Math.max(...terms);
  return Math.min(1, Math.exp(top + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - top), 0))));
}

/** A run's accuracy against the majority answer: the majority share and the one-sided binomial p-value. */
export interface MajorityTest {
  accuracy: number;
  /** Accuracy of always answering the test set's most frequent gold class (the confusion's largest row sum). */
  majority: number;
  /** P(X ≥ correct) for X ~ Binomial(test rows, majority): how likely the majority answer's luck scores as well. */
  pValue: number;
}

/** The majority-answer test of a confusion matrix (rows gold, columns predicted); undefined for an empty one. */
export function majorityTest(confusion: readonly (readonly number[])[]): MajorityTest | undefined {
  const gold = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const n = gold.reduce((a, b) => a + b, 0);
  if (!n) return undefined;
  const correct = confusion.reduce((sum, row, i) => sum + row[i], 0);
  const majority = Math.max(...gold) / n;
  return { accuracy: correct / n, majority, pValue: binomialUpperTail(correct, n, majority) };
}

/**
 * The majority-answer test of a run at chance ({@link CHANCE_LEVEL}) whose predictions did not collapse: a
 * collapsed run keeps its own, stronger flag and is not marked twice. Undefined when the run is significantly
 * above the majority share, collapsed, or records no confusion matrix (not judged).
 */
export function chanceOf(run: ScoredRun): MajorityTest | undefined {
  const test = run.confusion && majorityTest(run.confusion);
  return test && test.pValue >= CHANCE_LEVEL && !collapseOf(run) ? test : undefined;
}

/** A run at chance in words, for notes and captions: `accuracy 1.2% vs the majority class's 5.3% (p = 1.00)`. */
export function chanceText({ accuracy, majority, pValue }: MajorityTest): string {
  return `accuracy ${percent(accuracy)}% vs the majority class's ${percent(majority)}% (one-sided binomial p = ${pValue.toFixed(2)})`;
}
