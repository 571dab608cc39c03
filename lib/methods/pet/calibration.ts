/**
 * Contextual calibration (Zhao et al. 2021, "Calibrate Before Use"): a prompt's bias towards some label words
 * is estimated from the class probabilities it gives to content-free inputs (the template filled with "",
 * "N/A", "[MASK]"), and divided out: p̂ ∝ W·p with W = diag(p_cf)⁻¹, renormalised. A content-free input then
 * scores uniform, and a prompt that puts every review in one class is pulled back towards balance.
 *
 * @example
 * ```ts
 * const bias = contentFreeBias([[0.8, 0.2], [0.6, 0.4]]); // [0.7, 0.3]
 * calibrate([[0.7, 0.3]], bias); // [[0.5, 0.5]]
 * ```
 * @module
 */

/**
 * The content-free inputs of Zhao et al. A typed `[MASK]` becomes `[UNK]` in PET's encoding (the template's
 * slot holds the only masks), so the third input is an unknown token there.
 */
export const CONTENT_FREE_INPUTS: readonly string[] = ["", "N/A", "[MASK]"];

/** Divide each entry by its sum. */
function normalised(xs: readonly number[]): number[] {
  const s = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => x / s);
}

/**
 * p_cf: the mean of the content-free inputs' class probabilities, renormalised.
 * @throws Error when there are no rows or a class gets probability 0 (it could not be divided out).
 */
export function contentFreeBias(proba: readonly (readonly number[])[]): number[] {
  if (!proba.length) throw new Error("contentFreeBias: no content-free scores");
  const mean = proba[0].map((_, c) => proba.reduce((s, row) => s + row[c], 0) / proba.length);
  const bias = normalised(mean);
  if (bias.some((p) => !(p > 0))) {
    throw new Error(`contentFreeBias: a class has probability 0 on every content-free input (${bias.join(", ")})`);
  }
  return bias;
}

/** Calibrated probabilities: each row divided by `bias` elementwise, renormalised. */
export function calibrate(proba: readonly (readonly number[])[], bias: readonly number[]): number[][] {
  return proba.map((row) => normalised(row.map((p, c) => p / bias[c])));
}
