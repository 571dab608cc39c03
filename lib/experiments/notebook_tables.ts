/**
 * The tables notebooks show, as records ready to display: accuracies as percentages with one decimal, spread as
 * the kit's sample standard deviation (blank for a single run, the run count always shown), PET's presets, and
 * the prompts and label words AutoPrompt found. `toFrame` (stats.ts) turns them into DataFrames, which the
 * notebook kernel draws as HTML tables.
 *
 * @example
 * ```ts
 * await show(toFrame(summaryRecords(rows)));
 * ```
 * @module
 */
import { marksText } from "../eval/marks.ts";
import { STD_LABEL } from "../eval/summary.ts";
import { TEMPLATE_PRESETS } from "../methods/pet/template.ts";
import { VERBALIZER_PRESETS } from "../methods/pet/verbalizer.ts";
import { autoprompt } from "../methods/autoprompt/autoprompt.ts";
import { pet } from "../methods/pet/pet.ts";
import type { Grid } from "./grid.ts";
import { modelName, type ResultRow } from "./results.ts";
import { summaryTable } from "./stats.ts";
import { percent } from "../util/format.ts";

/** A display record: every cell already a string or a number. */
export type TableRecord = Record<string, string | number>;

/** The name of the spread column: what it is and in which unit. */
export const STD_COLUMN = `± ${STD_LABEL} (points)`;

/**
 * {@link summaryTable} of `rows` for display: one record per model, method, parameter point and K, with the run
 * count `n`, mean accuracy and macro-F1 in percent, the sample std of accuracy in percentage points (blank when
 * n = 1: one run has no spread), trainable parameters (thousands separated) and seconds per run. The parameters column is left out
 * when no method varies one.
 */
export function summaryRecords(rows: readonly ResultRow[]): TableRecord[] {
  const table = summaryTable(rows);
  const withParams = table.some((r) => r.params !== "");
  return table.map((r) => ({
    model: r.model,
    method: r.method,
    ...(withParams ? { parameters: r.params } : {}),
    K: r.k === null ? "FewCLUE" : r.k === 0 ? "0 (zero-shot)" : String(r.k),
    n: r.runs,
    // ⚠n: n runs collapsed onto one class, ≈n: n others at chance (as `summaryMarkdown` marks and explains them).
    "accuracy %": percent(r.accuracy) + marksText(r),
    [STD_COLUMN]: r.runs > 1 ? percent(r.std) : "",
    "macro-F1 %": percent(r.macroF1),
    trainable: r.trainableParams.toLocaleString("en-US"),
    "s/run": r.seconds.toFixed(1),
  }));
}

/** The values of PET option `option` the grid's PET entries vary or fix, in order of first mention. */
function petPresets(grid: Grid, option: string): string[] {
  const values = grid.methods.filter((m) => m.method === pet.name).flatMap((m) => m.grid?.[option] ?? [m.options?.[option]]);
  return [...new Set(values.filter((v): v is string => typeof v === "string"))];
}

/** The template presets a grid's PET entries use (all presets for a grid without any): name and pattern. */
export function templatePresetRecords(grid: Grid): TableRecord[] {
  const names = petPresets(grid, "template");
  return (names.length ? names : Object.keys(TEMPLATE_PRESETS)).map((name) => ({
    template: name,
    pattern: TEMPLATE_PRESETS[name] ?? name,
  }));
}

/** The verbalizer presets a grid's PET entries use (all presets for a grid without any): a column per label. */
export function verbalizerPresetRecords(grid: Grid): TableRecord[] {
  const names = petPresets(grid, "verbalizer").filter((n) => n in VERBALIZER_PRESETS);
  const chosen = names.length ? names : Object.keys(VERBALIZER_PRESETS);
  const labels = [...new Set(chosen.flatMap((n) => Object.keys(VERBALIZER_PRESETS[n])))];
  return chosen.map((name) => {
    const spec = VERBALIZER_PRESETS[name];
    return { verbalizer: name, ...Object.fromEntries(labels.map((l) => [l, [spec[l] ?? []].flat().join(" / ")])) };
  });
}

/** The text after `prefix` in the first note that starts with it, or "". */
function note(row: ResultRow, prefix: RegExp): string {
  for (const n of row.notes) {
    const m = prefix.exec(n);
    if (m) return n.slice(m[0].length);
  }
  return "";
}

/**
 * The prompt and label words each AutoPrompt run found (from the notes its trainer records: `prompt: ...`,
 * `label words: ...`), one record per run with its model, varied parameters, K, seed and accuracy.
 */
export function foundPromptRecords(rows: readonly ResultRow[]): TableRecord[] {
  return rows.filter((r) => r.method === autoprompt.name).map((r) => ({
    model: modelName(r),
    ...Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, typeof v === "number" ? v : JSON.stringify(v)])),
    K: r.k === null ? "FewCLUE" : String(r.k),
    seed: r.seed ?? "",
    prompt: note(r, /^prompt: /),
    "label words": note(r, /^label words(?: \([^)]*\))?: /),
    "accuracy %": percent(r.accuracy),
  }));
}
