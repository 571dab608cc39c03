/**
 * Finished rows whose data changed underneath: a resumed grid hashes each finished cell's rows again and
 * compares with the row's `dataFingerprint`. Such a row is refused (its scores belong to other data), or, when
 * asked (`--rerun-stale`), set aside into `<base>.stale.jsonl` (never deleted) so its cell runs again.
 * @module
 */
import type { SourceOptions } from "../data/sources.ts";
import type { Task } from "../data/types.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { type Cell, cellSplit, describeCell } from "./grid.ts";
import { dataFingerprint } from "./fingerprint.ts";
import { isFailed, recordId, resultFiles, type ResultRecord, type ResultRow, SHARD_HINT } from "./results.ts";
import { lockFile } from "../util/file_lock.ts";
import { splitData } from "./split_run.ts";

/** A finished row and the fingerprint its cell's data has now. */
interface StaleRow {
  row: ResultRow;
  now: string;
}

/** The rows of `rows` whose cell's data no longer hashes to their `dataFingerprint`. */
async function staleRows(rows: readonly ResultRow[], task: Task, source?: SourceOptions): Promise<StaleRow[]> {
  const stale: StaleRow[] = [];
  for (const row of rows) {
    const now = await dataFingerprint(await splitData(task, cellSplit(row as unknown as Cell), source));
    if (now !== row.dataFingerprint) stale.push({ row, now });
  }
  return stale;
}

/** The one-line refusal of a grid resuming over stale rows: the results file, the first cell, both fingerprints. */
function staleError(results: string, stale: readonly StaleRow[]): InputError {
  const [{ row, now }] = stale, more = stale.length > 1 ? ` (and ${stale.length - 1} more cells)` : "";
  return new InputError(
    `finished cell ${describeCell(row as unknown as Cell)} was run on other data (data fingerprint ${row.dataFingerprint}, ` +
      `now ${now})${more}; pass --rerun-stale to run such cells again (their rows are kept in ${staleFile(results)})`,
    { file: results },
  );
}

/** Where set-aside rows of results path `base` go: `<base>.stale.jsonl`, which no reader of results reads. */
export function staleFile(base: string): string {
  return `${base.replace(/\.jsonl$/, "")}.stale.jsonl`;
}

/**
 * Move the stale rows out of `base` and its shard files into {@link staleFile}, each file locked and rewritten
 * atomically; the stale file is written first, so an interruption leaves a row twice, never lost.
 */
async function setAsideStale(base: string, stale: readonly StaleRow[]): Promise<void> {
  const ids = new Set(stale.map(({ row }) => `${recordId(row)}\u0000${row.dataFingerprint}`));
  const isStale = (line: string) => {
    if (!line.trim()) return false;
    try {
      const r = JSON.parse(line) as ResultRecord;
      return !isFailed(r) && ids.has(`${recordId(r)}\u0000${r.dataFingerprint}`);
    } catch {
      return false; // a corrupt line stays where it is, for the reader's own report
    }
  };
  for (const file of await resultFiles(base)) {
    const lock = await lockFile(file, { hint: SHARD_HINT });
    try {
      const lines = (await Deno.readTextFile(file)).split("\n");
      const moved = lines.filter(isStale);
      if (!moved.length) continue;
      const aside = await Deno.readTextFile(staleFile(base)).catch((err) => {
        if (err instanceof Deno.errors.NotFound) return "";
        throw err;
      });
      await writeFileAtomic(staleFile(base), `${aside}${moved.map((l) => `${l}\n`).join("")}`);
      await writeFileAtomic(file, lines.filter((l) => l.trim() && !isStale(l)).map((l) => `${l}\n`).join(""));
    } finally {
      await lock.release();
    }
  }
}

/**
 * The check a resumed grid makes: throws {@link staleError} when a row of `finished` ran on other data than
 * its cell has now, unless `rerun`, which sets such rows aside ({@link setAsideStale}) and says so on stderr.
 * Returns whether any row was set aside (its cell is then to run again).
 */
export async function settleStale(
  results: string,
  finished: readonly ResultRow[],
  o: { task: Task; source?: SourceOptions; rerun?: boolean },
): Promise<boolean> {
  const stale = await staleRows(finished, o.task, o.source);
  if (!stale.length) return false;
  if (!o.rerun) throw staleError(results, stale);
  await setAsideStale(results, stale);
  console.error(`${stale.length} finished cells ran on other data: rows kept in ${staleFile(results)}, cells run again`);
  return true;
}
