/**
 * Where a grid stands (`deno task grid <grid.json> --status`): each cell done, failed (with its reason) or
 * missing, per shard and overall, from the results file and its shards, without loading the model.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { type Cell, describeCell, expandGrid, type Grid } from "./grid.ts";
import { shardCellsOf } from "./grid_run.ts";
import { numericsNote } from "./provenance.ts";
import { isFailed, loadRecords, type ReadOptions, resultFiles, shardPath } from "./results.ts";

/** A cell and what the results say of it. */
export interface CellState {
  cell: Cell;
  state: "done" | "failed" | "missing";
  /** Why it failed (failed cells). */
  error?: string;
}

/** The cells of one shard (`index` of `count`), or of the whole grid (`index` null). */
export interface CellGroup {
  index: number | null;
  count: number;
  /** The file this shard writes. */
  file: string;
  cells: CellState[];
}

/** Status of a grid: its shards (none when unsharded) and every cell overall. */
export interface GridStatus {
  shards: CellGroup[];
  overall: CellGroup;
  /** One line when the done rows are not all of today's numerics ({@link numericsNote}). */
  numerics?: string;
}

/** The shard count the shard files beside `results` were written with (undefined when there are none). */
async function shardCountOf(results: string): Promise<number | undefined> {
  const counts = new Set((await resultFiles(results)).flatMap((f) => /\.shard-\d+-of-(\d+)\.jsonl$/.exec(f)?.[1] ?? []).map(Number));
  if (counts.size > 1) {
    throw new InputError(`shard files of ${[...counts].join(" and ")} shards lie side by side; merge them (--merge) or give --shards N`, {
      file: results,
    });
  }
  return counts.size ? [...counts][0] : undefined;
}

/**
 * The state of every cell of `grid` in `results` and its shards. Shards are counted as their files were
 * written (`opts.shards` overrides, e.g. before every shard has written a row).
 */
export async function gridStatus(grid: Grid, results: string, opts: ReadOptions & { shards?: number } = {}): Promise<GridStatus> {
  const all = await loadRecords(results, opts);
  const records = new Map(all.map((r) => [r.key, r]));
  const stateOf = (cell: Cell): CellState => {
    const r = records.get(cell.key);
    if (!r) return { cell, state: "missing" };
    return isFailed(r) ? { cell, state: "failed", error: r.error } : { cell, state: "done" };
  };
  const count = opts.shards ?? await shardCountOf(results);
  const shards = count && count > 1
    ? Array.from({ length: count }, (_, index) => ({
      index,
      count,
      file: shardPath(results, { index, count }),
      cells: shardCellsOf(grid, { index, count }).map(stateOf),
    }))
    : [];
  const numerics = numericsNote(all.filter((r) => !isFailed(r)), "done rows");
  return {
    shards,
    overall: { index: null, count: 1, file: results, cells: expandGrid(grid).map(stateOf) },
    ...(numerics ? { numerics } : {}),
  };
}

/** `12 done, 1 failed, 3 missing of 16`. */
function counts(g: CellGroup): string {
  const n = (s: CellState["state"]) => g.cells.filter((c) => c.state === s).length;
  return `${n("done")} done, ${n("failed")} failed, ${n("missing")} missing of ${g.cells.length}`;
}

/** The status as text: per shard its counts and its failed and missing cells, then the overall counts. */
export function formatStatus(grid: Grid, status: GridStatus): string {
  const lines: string[] = [];
  const cellLines = (g: CellGroup) =>
    g.cells.filter((c) => c.state !== "done").map((c) => `  ${c.state.padEnd(7)} ${describeCell(c.cell)}${c.error ? `: ${c.error}` : ""}`);
  for (const s of status.shards) lines.push(`shard ${s.index}/${s.count} (${s.file}): ${counts(s)}`, ...cellLines(s));
  lines.push(`${grid.name} overall (${status.overall.file}${status.shards.length ? " and its shards" : ""}): ${counts(status.overall)}`);
  if (!status.shards.length) lines.push(...cellLines(status.overall));
  if (status.numerics) lines.push(status.numerics);
  return lines.join("\n");
}
