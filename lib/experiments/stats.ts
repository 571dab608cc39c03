/**
 * Summary statistics of results: mean, sample standard deviation (n − 1, the kit's one convention: see
 * `lib/eval/summary.ts`), count and a 95% Student-t confidence interval of the mean, per group, on plain rows
 * (for charts) or on a `nodejs-polars` DataFrame (for tables).
 * @module
 */
import pl from "nodejs-polars";
import { COLLAPSE_SHARE, collapseOf } from "../eval/collapse.ts";
import { STD_LABEL, summarizeValues } from "../eval/summary.ts";
import { rowNumerics } from "./provenance.ts";
import { modelName, type ResultRow } from "./results.ts";
import { percent } from "../util/format.ts";

/** Group plain records by the values of `by` and summarise `metric` in each group, in first-seen order. */
export function groupSummaries<R extends Record<string, unknown>>(records: readonly R[], by: readonly string[], metric: string) {
  const groups = new Map<string, { keys: Record<string, unknown>; values: number[] }>();
  for (const r of records) {
    const keys = Object.fromEntries(by.map((b) => [b, r[b] ?? null]));
    const id = JSON.stringify(Object.values(keys));
    const g = groups.get(id) ?? groups.set(id, { keys, values: [] }).get(id)!;
    g.values.push(Number(r[metric]));
  }
  return [...groups.values()].map((g) => ({ ...g.keys, ...summarizeValues(g.values) }));
}

/** The scalar columns of a results row, with its varied parameters as columns of their own. */
export function flatRow(r: ResultRow): Record<string, unknown> {
  const params = Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, typeof v === "object" && v ? JSON.stringify(v) : v]));
  return {
    /** The grid's label for the method (default its registry name). */
    method: r.label,
    model: modelName(r),
    dataset: r.dataset,
    split: r.split,
    k: r.k,
    seed: r.seed,
    zeroShot: r.zeroShot,
    ...params,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    trainableParams: r.trainableParams,
    steps: r.steps,
    wallSeconds: r.wallSeconds,
    n: r.n,
    collapsed: collapseOf(r) !== undefined,
  };
}

/** Plain records as a DataFrame; a column missing from some records is null there. */
export function toFrame(records: readonly object[]): pl.DataFrame {
  const rs = records as readonly Record<string, unknown>[];
  const columns = [...new Set(rs.flatMap((r) => Object.keys(r)))];
  return pl.DataFrame(Object.fromEntries(columns.map((c) => [c, rs.map((r) => r[c] ?? null)])));
}

/** Results as a DataFrame: one row per cell, parameter columns null where a method has no such parameter. */
export function resultsFrame(rows: readonly ResultRow[]): pl.DataFrame {
  return toFrame(rows.map(flatRow));
}

/**
 * Per-group mean, std, count and 95% CI of `metric` in a results DataFrame, e.g.
 * `summarize(resultsFrame(rows), ["method", "k"])`.
 */
export function summarize(df: pl.DataFrame, by: readonly string[], metric = "accuracy"): pl.DataFrame {
  const records = df.select(...by, metric).toRecords() as Record<string, unknown>[];
  return toFrame(groupSummaries(records, by, metric));
}

/** One line of {@link summaryTable}: a model, method, parameter point and K over its seeds. */
export interface SummaryRow {
  model: string;
  method: string;
  /** The varied parameters, `name=value` joined by spaces ("" when none). */
  params: string;
  /** Examples per class (0: zero-shot); null for FewCLUE splits. */
  k: number | null;
  runs: number;
  accuracy: number;
  /** Sample standard deviation of accuracy (n − 1); 0 for a single run. */
  std: number;
  macroF1: number;
  trainableParams: number;
  seconds: number;
  /** The numerics version of the group's rows (`provenance.ts`): rows of different numerics never share a group. */
  numerics: string;
  /** Runs of the group whose predictions collapsed onto one class (`eval/collapse.ts`). */
  collapsed: number;
}

/**
 * Mean and spread of accuracy (and mean macro-F1, parameters, wall time) per group; models, methods and
 * non-numeric parameter values in first-seen order, numeric ones and K ascending.
 */
export function summaryTable(rows: readonly ResultRow[]): SummaryRow[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const id = JSON.stringify([modelName(r), r.label, r.params, r.k, rowNumerics(r)]);
    groups.set(id, [...(groups.get(id) ?? []), r]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // Sort keys per group: first-seen index of model and method; each parameter by value when a number, else
  // by first-seen index; then K.
  const firstSeen = new Map<string, number>();
  const seenAt = (v: unknown) => {
    const key = JSON.stringify(v);
    if (!firstSeen.has(key)) firstSeen.set(key, firstSeen.size);
    return firstSeen.get(key)!;
  };
  const keyed = [...groups.values()].map((members) => {
    const r = members[0];
    const params = Object.values(r.params).map((v) => (typeof v === "number" ? v : seenAt(v)));
    return { members, key: [seenAt(modelName(r)), seenAt(r.label), ...params, r.k ?? -1] };
  });
  const sorted = keyed.sort((a, b) => a.key.map((v, i) => v - (b.key[i] ?? 0)).find((d) => d !== 0) ?? 0).map((g) => g.members);
  return sorted.map((members) => {
    const first = members[0], acc = summarizeValues(members.map((r) => r.accuracy));
    return {
      model: modelName(first),
      method: first.label,
      params: Object.entries(first.params).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" "),
      k: first.k,
      runs: acc.n,
      accuracy: acc.mean,
      std: acc.std ?? 0,
      macroF1: mean(members.map((r) => r.macroF1)),
      trainableParams: Math.round(mean(members.map((r) => r.trainableParams))),
      seconds: mean(members.map((r) => r.wallSeconds)),
      numerics: rowNumerics(first),
      collapsed: members.filter((r) => collapseOf(r)).length,
    };
  });
}

/**
 * {@link summaryTable} as a Markdown table (percentages with one decimal; no spread for a single run). A group
 * with runs whose predictions collapsed onto one class has its accuracy marked ⚠ and counted in a note below.
 */
export function summaryMarkdown(table: readonly SummaryRow[]): string {
  // A numerics column only when the rows mix numerics: then no two of its lines may be compared blindly.
  const mixed = new Set(table.map((r) => r.numerics)).size > 1;
  const lines = [
    `| model | method | parameters | K | runs | accuracy % (mean ± ${STD_LABEL}) | macro-F1 % | trainable | s/run |${mixed ? " numerics |" : ""}`,
    `|---|---|---|---|---|---|---|---|---|${mixed ? "---|" : ""}`,
    ...table.map((r) =>
      `| ${r.model} | ${r.method} | ${r.params} | ${r.k ?? "FewCLUE"} | ${r.runs} | ${percent(r.accuracy)}${r.runs > 1 ? ` ± ${percent(r.std)}` : ""}${r.collapsed ? ` ⚠${r.collapsed}` : ""} | ${percent(r.macroF1)} | ${r.trainableParams} | ${r.seconds.toFixed(0)} |` +
      (mixed ? ` ${r.numerics} |` : "")
    ),
  ];
  if (table.some((r) => r.collapsed)) {
    lines.push("", `⚠n: n of the group's runs predicted one class for more than ${percent(COLLAPSE_SHARE, 0)}% of the test set, or scored a macro-F1 no better than always answering one class: their accuracy is that class's share, not a method working.`);
  }
  return lines.join("\n") + "\n";
}
