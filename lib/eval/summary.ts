/**
 * The kit's one convention for spread over runs (seeds or splits): the mean, the **sample** standard deviation
 * (n − 1 in the denominator, as numpy's `std(ddof=1)` and pandas' default), and a 95% Student-t confidence
 * interval of the mean. `run`, grids, tables, figures and model cards all report these numbers.
 * @module
 */

/** Two-sided 95% Student-t quantiles for 1..30 degrees of freedom; beyond, the normal 1.96 is close enough. */
const T95 = [
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/** The two-sided 95% Student-t quantile for the mean of `n` values (n ≥ 2): the table, then the normal 1.96. */
export function t95(n: number): number {
  return T95[n - 2] ?? 1.96;
}

/** How tables and figures name {@link Summary.std}. */
export const STD_LABEL = "sample std, n−1";

/** Mean, sample std (n − 1; null for one value), count and the 95% CI of the mean (null below two values). */
export interface Summary {
  mean: number;
  std: number | null;
  n: number;
  ciLow: number | null;
  ciHigh: number | null;
}

/** {@link Summary} of `values` (at least one). */
export function summarizeValues(values: readonly number[]): Summary {
  const n = values.length;
  if (!n) throw new Error("summarizeValues: no values");
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: null, n, ciLow: null, ciHigh: null };
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = t95(n) * std / Math.sqrt(n);
  return { mean, std, n, ciLow: mean - half, ciHigh: mean + half };
}
