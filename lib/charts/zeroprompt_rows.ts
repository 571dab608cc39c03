/**
 * Leave-one-task-out's rows as its figures read them: the held-out wordings' zero-shot rows, each "before" (on a
 * base model) or "after" (on that model's multitask model, named `<base>-zeroprompt-<task>`), and the few-shot
 * reference rows on the held-out tasks, each with its base model and that model's size.
 * @module
 */
import { ZEROPROMPT_FEWSHOT_GRID } from "../experiments/presets.ts";
import type { ResultRow } from "../experiments/results.ts";
import { parseZeropromptModelName, zeropromptModelName } from "../multitask/model_name.ts";
import { WORDINGS_GRID } from "../multitask/wordings_grid.ts";
import { type ChartContext, chartRows } from "./context.ts";
import { methodName } from "./palette.ts";

/** Before or after multitask training. */
export type Phase = "before" | "after";

/** A zero-shot row of a held-out wording. */
export interface WordingRow {
  row: ResultRow;
  phase: Phase;
  /** The base model's name (the multitask model's base for "after" rows). */
  base: string;
  task: string;
  wording: string;
}

/** What {@link zeropromptRows} sorts rows into. */
export interface ZeropromptRows {
  wordings: WordingRow[];
  /** Few-shot reference rows (PET and fine-tuning at K = 16) on held-out tasks. */
  references: (ResultRow & { base: string })[];
  /** Base model names, smallest first (by the parameters their rows record, then name). */
  bases: string[];
}

/** A reference row's series: its method and K (`PET, K = 16`), one per tick of the transfer figure and column of its table. */
export function referenceSeries(r: ResultRow): string {
  return `${methodName(r)}, K = ${r.k}`;
}

/** Whether `rows` hold rows of a held-out wordings grid (the figures `figuresFor` draws for them). */
export function hasZeropromptRows(rows: readonly ResultRow[]): boolean {
  return rows.some((r) => r.grid.startsWith(`${WORDINGS_GRID}-`));
}

/** The wordings and reference rows of `rows` (failed rows left out), with their base models. */
export function zeropromptRows(allRows: readonly ResultRow[]): ZeropromptRows {
  const rows = chartRows(allRows);
  const wordings = rows.filter((r) => r.grid.startsWith(`${WORDINGS_GRID}-`)).map((row): WordingRow => {
    const multitask = parseZeropromptModelName(row.model.name);
    return {
      row,
      phase: multitask ? "after" : "before",
      base: multitask?.base ?? row.model.name,
      task: row.dataset,
      wording: row.label ?? row.method,
    };
  });
  const references = rows.filter((r) => r.grid.startsWith(`${ZEROPROMPT_FEWSHOT_GRID}-`)).map((r) => ({ ...r, base: r.model.name }));
  const size = new Map<string, number>();
  for (
    const r of [
      ...wordings.map((w) => ({ base: w.base, parameters: w.row.model.parameters })),
      ...references.map((r) => ({ base: r.base, parameters: r.model.parameters })),
    ]
  ) {
    if (r.parameters !== undefined) size.set(r.base, r.parameters);
  }
  const bases = [...new Set([...wordings.map((w) => w.base), ...references.map((r) => r.base)])]
    .sort((a, b) => (size.get(a) ?? Infinity) - (size.get(b) ?? Infinity) || a.localeCompare(b));
  return { wordings, references, bases };
}

/**
 * `ctx` naming only the base models: every base has a multitask model per held-out task, and listing those (15 for
 * four tasks on three bases) made the subtitle wider than the panels. The caption's data line says how they are named.
 */
export function baseModelsContext(ctx: ChartContext, bases: readonly string[]): ChartContext {
  return { ...ctx, models: [...bases] };
}

/** The caption's note on the multitask models the "after" rows were scored on. */
export const MULTITASK_MODELS_NOTE = `after: each base's multitask model for the held-out task, ${zeropromptModelName("<base>", "<task>")}`;
