/**
 * Results rows of predictor variants (`VariantReading`): a row that carries `variants` also stands for one
 * row per variant, the run under the variant's options with the variant's scores (the same training on the
 * same split). Charts and tables read those rows beside the ones that ran; a grid's own bookkeeping does not.
 *
 * @example
 * ```ts
 * // A calibrated PET row gives its uncalibrated twin: params and options { calibrate: false }, its own scores.
 * const rows = withVariantRows(await loadResults("results/grids/calibration_trained-eprstmt-m.jsonl"));
 * ```
 * @module
 */
import type { ResultRow } from "./results.ts";
import type { VariantResult } from "./split_run.ts";

/** Each row followed by a row for each of its variants. */
export function withVariantRows(rows: readonly ResultRow[]): ResultRow[] {
  return rows.flatMap((r) => [r, ...Object.entries(r.variants ?? {}).map(([name, v]) => variantRow(r, name, v))]);
}

/** Row `r` read as its variant `name`: the variant's options over the row's (and over its params where varied). */
function variantRow(r: ResultRow, name: string, { options, ...metrics }: VariantResult): ResultRow {
  const { variants: _, ...run } = r;
  const params = { ...r.params };
  for (const [option, value] of Object.entries(options)) if (option in params) params[option] = value;
  return { ...run, ...metrics, key: `${r.key}#${name}`, variant: name, params, options: { ...r.options, ...options } };
}
