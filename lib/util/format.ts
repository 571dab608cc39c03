/** Number formats shared by terminal output, tables and model cards. */

/** A fraction as a percentage with `digits` decimals (0.7531 → "75.3"; digits 2 → "75.31"). */
export function percent(fraction: number, digits = 1): string {
  return (100 * fraction).toFixed(digits);
}
