/**
 * What the FewCLUE benchmark grid cost (`benchmark_cost.md` beside `benchmark_table.md`): per task its test rows,
 * cells, cell-hours (the cells' wall seconds summed) and each method's mean seconds per cell, and what scoring one
 * test text costs, measured on the zero-shot PET cell (it trains nothing: its seconds are loading and scoring the
 * test set); a last line for the whole grid. Numbers come from {@link benchmarkOf}, as the table's do.
 * @module
 */
import { codeText } from "../experiments/provenance.ts";
import type { ResultRow } from "../experiments/results.ts";
import { pet } from "../methods/pet/pet.ts";
import { type BenchmarkCell, benchmarkOf } from "./benchmark.ts";
import { chartRows } from "./context.ts";
import { ZERO_SHOT_SUFFIX } from "./palette.ts";

/** The cell whose seconds per test text the table reports: zero-shot PET. */
const ZERO_SHOT_PET = `${pet.display.name}${ZERO_SHOT_SUFFIX}`;

/** Cells, wall seconds and each method's mean seconds per cell of a task, or of the whole grid. */
export interface CellTime {
  /** Cells (runs) counted. */
  cells: number;
  /** Their wall seconds together; cell-hours are this / 3600. */
  seconds: number;
  /** Mean wall seconds per cell, by method (display name, the benchmark's order); a method without cells is absent. */
  perCell: Map<string, number>;
}

/** The cost of one task of the benchmark. */
export interface TaskCost extends CellTime {
  task: string;
  testRows: number;
  /**
   * Milliseconds per test text: the zero-shot PET cell's wall seconds (per run) over its test rows, loading
   * included; null when the task has no such cell.
   */
  msPerText: number | null;
  /** Candidates a multiple-choice task scores per text (CHID: 7), null for a classification task. */
  candidates: number | null;
}

/** The benchmark grid's cost: per task (easiest for fine-tuning first, as the table), and in all. */
export interface BenchmarkCost {
  methods: string[];
  tasks: TaskCost[];
  total: CellTime;
}

/** {@link CellTime} of `cells`. */
function cellTime(cells: readonly BenchmarkCell[], methods: readonly string[]): CellTime {
  const perCell = new Map<string, number>();
  for (const m of methods) {
    const mine = cells.filter((c) => c.method === m);
    const runs = mine.reduce((s, c) => s + c.n, 0);
    if (runs) perCell.set(m, mine.reduce((s, c) => s + c.wallSeconds, 0) / runs);
  }
  return { cells: cells.reduce((s, c) => s + c.n, 0), seconds: cells.reduce((s, c) => s + c.wallSeconds, 0), perCell };
}

/** What the benchmark rows `allRows` cost, per task and in all. */
export function benchmarkCostOf(allRows: readonly ResultRow[]): BenchmarkCost {
  const b = benchmarkOf(allRows);
  const tasks = b.tasks.map((t) => {
    const cells = b.cells.filter((c) => c.task === t.task);
    const zeroShot = cells.find((c) => c.method === ZERO_SHOT_PET);
    return {
      task: t.task,
      testRows: t.testRows,
      ...cellTime(cells, b.methods),
      msPerText: zeroShot ? (1000 * zeroShot.wallSeconds) / zeroShot.n / t.testRows : null,
      candidates: t.multipleChoice ? t.classes : null,
    };
  });
  return { methods: b.methods, tasks, total: cellTime(b.cells, b.methods) };
}

/** "0.54": hours of `seconds`, two decimals. */
function hours(seconds: number): string {
  return (seconds / 3600).toFixed(2);
}

/** "6.9" or, for a multiple-choice task, "13.5 (1.9 per candidate)"; "—" without a zero-shot PET cell. */
function perTextCell(t: TaskCost): string {
  if (t.msPerText === null) return "—";
  return t.candidates ? `${t.msPerText.toFixed(1)} (${(t.msPerText / t.candidates).toFixed(1)} per candidate)` : t.msPerText.toFixed(1);
}

/** A table line: name, test rows, cells, cell-hours, seconds per cell of each method, ms per text. */
function costLine(name: string, testRows: string, time: CellTime, methods: readonly string[], perText: string): string {
  const perCell = methods.map((m) => time.perCell.has(m) ? time.perCell.get(m)!.toFixed(0) : "—");
  return `| ${name} | ${testRows} | ${time.cells} | ${hours(time.seconds)} | ${perCell.join(" | ")} | ${perText} |`;
}

/**
 * The cost table as Markdown: one line per task and one for the whole grid, then what the columns are, that
 * wall seconds depend on the machine and its load (the rows record neither, nor the onnxruntime threads), and which
 * code made the rows.
 */
export function benchmarkCostMarkdown(allRows: readonly ResultRow[]): string {
  const rows = chartRows(allRows);
  const cost = benchmarkCostOf(rows);
  const lines = [
    `| task | test rows | cells | cell-hours | ${
      cost.methods.map((m) => `${m}: s per cell`).join(" | ")
    } | ${ZERO_SHOT_PET}: ms per test text |`,
    `|---|---:|---:|---:|${cost.methods.map(() => "---:|").join("")}---:|`,
    ...cost.tasks.map((t) => costLine(t.task, String(t.testRows), t, cost.methods, perTextCell(t))),
    costLine(`all ${cost.tasks.length} task(s)`, "", cost.total, cost.methods, ""),
    "",
    "Cell-hours: the wall seconds of a task's cells summed (loading the data and the model, training, selecting on dev " +
    "and scoring test_public), over 3,600; cells that ran side by side count each, so this is compute, not elapsed " +
    "time. Seconds per cell: each method's mean over its cells of the task (the last line: over every task). " +
    `ms per test text: the ${ZERO_SHOT_PET} cell's wall seconds over its test rows; it trains nothing, so this is the ` +
    "cost of scoring one text, loading included; a multiple-choice task scores each text once per candidate, given " +
    `per candidate too. Wall seconds depend on the machine and its load: the rows record neither the machine nor ` +
    `the onnxruntime threads (PROMPTLAB_THREADS), so compare them within one grid run only. Failed cells are not counted.`,
    "",
    `Code: ${codeText(rows)}.`,
  ];
  return lines.join("\n") + "\n";
}
