/**
 * Which code made a results row: every row records it in its `code` field ({@link CodeProvenance}), so a reader
 * can tell rows of today's numerics from rows an older kit made, and summaries can keep them apart.
 * @module
 */
import { NUMERICS_VERSION, numericsEpoch } from "../engine/numerics.ts";
import { shortHash } from "../util/short_hash.ts";
import { gitHead } from "../util/git_head.ts";

/** The code a row was made with (docs/experiments.md, "Provenance"). */
export interface CodeProvenance {
  /** The kit's version (`version` in deno.json); absent on rows inferred for code older than the first version. */
  kit?: string;
  /** The numerics version (`engine/numerics.ts`): rows of one numerics compute the same numbers for a cell. */
  numerics: string;
  /** The full hash of the commit checked out, when the kit runs from a git checkout. */
  commit?: string;
  /** Hash of the kit's `lib/` sources as they were (uncommitted edits included); absent when unreadable. */
  sources?: string;
  /** True when inferred after the fact from the row's time and git history (the checkout may have held edits). */
  inferred?: boolean;
}

/** The kit's folder (the one holding deno.json and lib/). */
const KIT_ROOT = new URL("../../", import.meta.url);

let cached: Promise<CodeProvenance> | undefined;

/** The provenance of rows this process writes: read once (git files, deno.json, lib/ sources), then reused. */
export function codeProvenance(): Promise<CodeProvenance> {
  return cached ??= readProvenance();
}

async function readProvenance(): Promise<CodeProvenance> {
  if (KIT_ROOT.protocol !== "file:") return { numerics: NUMERICS_VERSION }; // run from a URL: nothing to read
  const root = KIT_ROOT.pathname.replace(/\/$/, "");
  const kit = await Deno.readTextFile(`${root}/deno.json`).then((t) => JSON.parse(t).version as string | undefined, () => undefined);
  // Unreadable git files (e.g. a narrower --allow-read) leave the commit out rather than stop the run.
  const [commit, sources] = await Promise.all([gitHead(root).catch(() => undefined), sourcesHash(`${root}/lib`)]);
  return { ...(kit ? { kit } : {}), numerics: NUMERICS_VERSION, ...(commit ? { commit } : {}), ...(sources ? { sources } : {}) };
}

/** Hash of every `.ts` file under `dir` (paths and contents, in path order), or undefined when it cannot be read. */
async function sourcesHash(dir: string): Promise<string | undefined> {
  const files: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${dir}/${rel}`)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts")) files.push(path);
    }
  };
  try {
    await walk("");
    const parts = await Promise.all(files.sort().map(async (f) => `${f}\u0000${await Deno.readTextFile(`${dir}/${f}`)}`));
    return await shortHash(parts.join("\u0000"));
  } catch {
    return undefined;
  }
}

/** A row's numerics version, or "unknown" for a row written before rows recorded their code. */
export function rowNumerics(row: { code?: CodeProvenance }): string {
  return row.code?.numerics ?? "unknown";
}

/** `numerics 2026-11-29c (from 032b09d)`: a version with the first commit of its epoch, when known. */
export function describeNumerics(version: string): string {
  const epoch = numericsEpoch(version);
  return `numerics ${version}${epoch ? ` (from ${epoch.commit})` : ""}`;
}

/** Row counts per numerics version, in the order of first appearance. */
export function numericsCounts(rows: readonly { code?: CodeProvenance }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(rowNumerics(r), (counts.get(rowNumerics(r)) ?? 0) + 1);
  return counts;
}

/**
 * One line when `rows` mix numerics versions (or hold rows older than today's numerics), naming each version
 * with its row count and today's; undefined when every row is of today's numerics.
 */
export function numericsNote(rows: readonly { code?: CodeProvenance }[], what = "rows"): string | undefined {
  const counts = numericsCounts(rows);
  if (!counts.size || (counts.size === 1 && counts.has(NUMERICS_VERSION))) return undefined;
  const parts = [...counts].map(([v, n]) => `${n} of ${describeNumerics(v)}`).join(", ");
  const verb = counts.size > 1 ? "mix numerics" : "are of older numerics";
  return `${what} ${verb}: ${parts}; today's code is ${describeNumerics(NUMERICS_VERSION)} and gives other numbers for the older rows`;
}

/**
 * Which code made `rows`, for captions: per numerics version its row count and the commits its rows name
 * (short), e.g. `40 rows of numerics 2026-11-29c (from 032b09d), made at 86c2451, a35d772 (inferred from their times)`.
 */
export function codeText(rows: readonly { code?: CodeProvenance }[]): string {
  return [...numericsCounts(rows)].map(([version, n]) => {
    const mine = rows.filter((r) => rowNumerics(r) === version);
    const commits = [...new Set(mine.flatMap((r) => r.code?.commit?.slice(0, 7) ?? []))];
    const inferred = mine.some((r) => r.code?.inferred) ? " (inferred from their times)" : "";
    return `${n} rows of ${describeNumerics(version)}${commits.length ? `, made at ${commits.join(", ")}${inferred}` : ""}`;
  }).join("; ");
}
