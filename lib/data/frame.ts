/**
 * Rows as `nodejs-polars` DataFrames, for notebooks. Kept out of mod.ts so that library users do not load
 * the native polars module unless they show data.
 */
import pl from "nodejs-polars";
import type { TextRow } from "./types.ts";

/** A DataFrame with columns `id`, `text` and, when the rows are labelled, `label`. */
export function toDataFrame(rows: readonly TextRow[]): pl.DataFrame {
  const columns: Record<string, (string | null)[]> = {
    id: rows.map((r) => r.id ?? null),
    text: rows.map((r) => r.text),
  };
  if (rows.length > 0 && "label" in rows[0]) columns.label = rows.map((r) => (r as { label?: string }).label ?? null);
  return pl.DataFrame(columns);
}
