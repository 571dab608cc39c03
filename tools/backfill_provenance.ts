/**
 * One-off: give every committed results row written before rows recorded their code a `code` field inferred
 * from git history (docs/experiments.md, "Provenance"). A grid process keeps the code it started with, so the
 * rows of one file that ran back to back (each cell starting, `finishedAt` − `wallSeconds`, within a minute of
 * the previous row's end) are one run, dated by its first cell's start; a row without `finishedAt` is dated by
 * a run summary's `date`, else (exclusive) by the commit that first added its file. That time picks the last
 * commit on main's first-parent line at or before it; the numerics epoch is the newest of NUMERICS_EPOCHS whose
 * first commit that commit contains. Rows are marked `inferred: true` (the checkout may have held uncommitted
 * edits, or a branch's code) and carry no `kit` (the kit had no version then). Rows that already record their
 * code are left as they are; each file is rewritten atomically, and only when a row changed.
 *
 *     deno run --allow-read --allow-write=results --allow-run=git tools/backfill_provenance.ts [results]
 * @module
 */
import { NUMERICS_EPOCHS } from "../lib/engine/numerics.ts";
import type { CodeProvenance } from "../lib/experiments/provenance.ts";
import { writeFileAtomic } from "../lib/util/atomic.ts";

async function git(...args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command("git", { args, stdout: "piped", stderr: "piped" }).output();
  return { ok: r.success, out: new TextDecoder().decode(r.stdout).trim() };
}

/** Main's first-parent commits, newest first, with their committer times (ms). */
const history = (await git("log", "--first-parent", "--format=%H %cI", "main")).out.split("\n").map((l) => {
  const [sha, time] = l.split(" ");
  return { sha, time: Date.parse(time) };
});

/** The last commit of main at `time` (before it, when `strict`). */
function commitAt(time: number, strict: boolean): string {
  const c = history.find((h) => (strict ? h.time < time : h.time <= time));
  if (!c) throw new Error(`no commit on main before ${new Date(time).toISOString()}`);
  return c.sha;
}

const epochOf = new Map<string, string>();
/** The numerics version of `sha`: the newest epoch whose first commit it contains. */
async function numericsOf(sha: string): Promise<string> {
  if (!epochOf.has(sha)) {
    for (const e of [...NUMERICS_EPOCHS].reverse()) {
      if ((await git("merge-base", "--is-ancestor", e.commit, sha)).ok) {
        epochOf.set(sha, e.version);
        break;
      }
    }
  }
  const v = epochOf.get(sha);
  if (!v) throw new Error(`commit ${sha} precedes every numerics epoch`);
  return v;
}

/** Every `.jsonl` file under `dir`, in path order. */
async function jsonlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await jsonlFiles(path));
    else if (e.name.endsWith(".jsonl")) out.push(path);
  }
  return out.sort();
}

/** Within this much of the previous row's end, a cell's start continues the same run (same process, same code). */
const SAME_RUN_MS = 60_000;

/** For each row with a `finishedAt`, the start of the run it belongs to (ms), by its index in `rows`. */
function runStarts(rows: readonly Record<string, unknown>[]): Map<number, number> {
  const timed = rows.flatMap((r, i) => typeof r.finishedAt === "string" && r.finishedAt ? [{ i, end: Date.parse(r.finishedAt) }] : [])
    .map(({ i, end }) => ({ i, end, start: end - 1000 * (Number(rows[i].wallSeconds) || 0) }))
    .sort((a, b) => a.end - b.end);
  const starts = new Map<number, number>();
  let runStart = NaN, lastEnd = -Infinity;
  for (const t of timed) {
    if (t.start - lastEnd > SAME_RUN_MS) runStart = t.start;
    starts.set(t.i, Math.min(runStart, t.start));
    lastEnd = t.end;
  }
  return starts;
}

const dir = Deno.args[0] ?? "results";
for (const file of await jsonlFiles(dir)) {
  const added = (await git("log", "--diff-filter=A", "--format=%cI", "--", file)).out.split("\n").pop();
  const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l.trim());
  const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown> & { code?: CodeProvenance });
  const starts = runStarts(rows);
  let changed = 0;
  const out: string[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.code) {
      out.push(lines[i]);
      continue;
    }
    const time = starts.get(i) ?? (typeof row.date === "string" ? Date.parse(row.date) : undefined);
    if (time === undefined && !added) throw new Error(`${file}: a row without a time, in a file git does not know`);
    const commit = time !== undefined ? commitAt(time, false) : commitAt(Date.parse(added!), true);
    row.code = { numerics: await numericsOf(commit), commit, inferred: true };
    out.push(JSON.stringify(row));
    changed++;
  }
  if (changed) await writeFileAtomic(file, out.map((l) => `${l}\n`).join(""));
  console.log(`${file}: ${changed} of ${lines.length} rows given their code`);
}
