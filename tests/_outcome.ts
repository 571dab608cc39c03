/** Stand-ins for trained grid cells: the outcome a cell runner returns, and the results row a grid writes of it. */
import type { Cell } from "../lib/experiments/grid.ts";
import type { CellOutcome } from "../lib/experiments/grid_run.ts";
import type { ResultRow } from "../lib/experiments/results.ts";

/** A cell's outcome: accuracy and macro-F1 0.5 on 10 test rows after one step on 4; `fields` override. */
export function fakeOutcome(fields: Partial<CellOutcome> = {}): CellOutcome {
  return {
    accuracy: 0.5,
    macroF1: 0.5,
    n: 10,
    trainSize: 4,
    trainableParams: 1,
    steps: 1,
    bestStep: 1,
    losses: [1],
    dev: [],
    dataFingerprint: "d",
    notes: [],
    ...fields,
  };
}

/** The results row of `cell` in grid `grid` with {@link fakeOutcome}'s values (split "s", model "m"); `fields` override. */
export function fakeRow(cell: Cell, grid: string, fields: Partial<ResultRow> = {}): ResultRow {
  return { ...cell, grid, split: "s", ...fakeOutcome(), wallSeconds: 1, model: { name: "m", fingerprint: "f" }, finishedAt: "", ...fields };
}
