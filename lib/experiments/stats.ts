/**
 * Summary statistics of results: mean, sample standard deviation (n − 1, the kit's one convention: see
 * `lib/eval/summary.ts`), count and a 95% Student-t confidence interval of the mean, per group: polars
 * group-by aggregations on a DataFrame (tables, notebooks, summaries), and a plain-records path for the charts,
 * which read records.
 * @module
 */
import pl from "nodejs-polars";
import { chanceOf } from "../eval/chance.ts";
import { collapseOf } from "../eval/collapse.ts";
import { marksLegends, marksText } from "../eval/marks.ts";
import { STD_LABEL, summarizeValues, t95 } from "../eval/summary.ts";
import { loadResults, modelName, type ReadOptions, type ResultRow } from "./results.ts";
import { withVariantRows } from "./variant_rows.ts";
import { rowNumerics } from "./provenance.ts";
import { percent } from "../util/format.ts";

/**
 * Group plain records by the values of `by` and summarise `metric` in each group, in first-seen order: the
 * records path of the charts (`charts/context.ts`); {@link summarize} is the same on a DataFrame.
 */
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
    /** The predictor variant a derived row reads (`variant_rows.ts`), null for the run itself. */
    variant: r.variant ?? null,
    ...params,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    trainableParams: r.trainableParams,
    steps: r.steps,
    wallSeconds: r.wallSeconds,
    n: r.n,
    collapsed: collapseOf(r) !== undefined,
    /** No better than the majority class and not collapsed (`eval/chance.ts`); false when not judged. */
    atChance: chanceOf(r) !== undefined,
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

/** Mean, sample std (n − 1; null for one value) and count of `metric`, as polars aggregations. */
function spread(metric: string): pl.Expr[] {
  const c = pl.col(metric);
  return [c.mean().alias("mean"), c.std().alias("std"), c.count().alias("n")];
}

/** `grouped` (with `mean`, `std`, `n`) plus the 95% t interval of the mean, `ciLow` and `ciHigh` (null for n = 1). */
function withInterval(grouped: pl.DataFrame): pl.DataFrame {
  const counts = [...new Set(grouped.getColumn("n").toArray() as number[])];
  const quantiles = pl.DataFrame([pl.Series("n", counts, pl.UInt32), pl.Series("t95", counts.map(t95), pl.Float64)]);
  const half = pl.col("t95").mul(pl.col("std")).div(pl.col("n").pow(0.5));
  return grouped.join(quantiles, { on: "n", how: "left" })
    .withColumns(pl.col("mean").sub(half).alias("ciLow"), pl.col("mean").add(half).alias("ciHigh"))
    .drop("t95");
}

/**
 * The done rows of results file `path` (with its shards) as a DataFrame of {@link flatRow}s, each predictor
 * variant a row of its own (`variant` column), ready for {@link summarize} or polars' own group-by, e.g.
 * `summarize(await loadResultsFrame("results/grids/comparison-eprstmt-zh-review-bert-tiny.jsonl"), ["method", "k"])`.
 */
export async function loadResultsFrame(path: string, opts: ReadOptions = {}): Promise<pl.DataFrame> {
  return resultsFrame(withVariantRows(await loadResults(path, opts)));
}

/**
 * Per-group mean, sample std (n − 1), count and 95% t interval of `metric` in a DataFrame, groups in first-seen
 * order, by polars group-by, e.g. `summarize(await loadResultsFrame(path), ["method", "k"])`.
 */
export function summarize(df: pl.DataFrame, by: readonly string[], metric = "accuracy"): pl.DataFrame {
  return withInterval(df.lazy().groupBy([...by], { maintainOrder: true }).agg(...spread(metric)).collectSync());
}

/** One line of {@link summaryTable}: a model, method, parameter point and K over its seeds. */
export interface SummaryRow {
  model: string;
  /** The dataset the group's runs were scored on. */
  dataset: string;
  method: string;
  /** The varied parameters, `name=value` joined by spaces ("" when none). */
  params: string;
  /** Examples per class (0: zero-shot, whatever the protocol); null for FewCLUE splits. */
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
  /** Runs of the group no better than the majority class whose predictions did not collapse (`eval/chance.ts`). */
  atChance: number;
}

/**
 * Mean and spread of accuracy (and mean macro-F1, parameters, wall time) per group; models, methods and
 * non-numeric parameter values in first-seen order, numeric ones and K ascending.
 */
export function summaryTable(rows: readonly ResultRow[]): SummaryRow[] {
  if (!rows.length) return [];
  const frame = pl.DataFrame({
    model: rows.map(modelName),
    dataset: rows.map((r) => r.dataset),
    method: rows.map((r) => r.label),
    paramsKey: rows.map((r) => JSON.stringify(r.params)),
    // A zero-shot cell of the FewCLUE protocol has no K: it is K = 0, never a trained split's group.
    k: rows.map((r) => (r.zeroShot ? 0 : r.k)),
    accuracy: rows.map((r) => r.accuracy),
    macroF1: rows.map((r) => r.macroF1),
    trainableParams: rows.map((r) => r.trainableParams),
    wallSeconds: rows.map((r) => r.wallSeconds),
    numerics: rows.map(rowNumerics),
    collapsed: rows.map((r) => (collapseOf(r) ? 1 : 0)),
    atChance: rows.map((r) => (chanceOf(r) ? 1 : 0)),
  });
  // Rows of different numerics never share a group: their numbers come from different training code; nor do two datasets.
  const groups = frame.lazy().groupBy(["model", "dataset", "method", "paramsKey", "k", "numerics"], { maintainOrder: true })
    .agg(
      ...spread("accuracy"),
      ...["macroF1", "trainableParams", "wallSeconds"].map((c) => pl.col(c).mean()),
      pl.col("collapsed").sum(),
      pl.col("atChance").sum(),
    )
    .collectSync().toRecords() as unknown as SummaryGroup[];
  // Sort keys per group: first-seen index of model and method; each parameter by value when a number, else
  // by first-seen index; then K.
  const firstSeen = new Map<string, number>();
  const seenAt = (v: unknown) => {
    const key = JSON.stringify(v);
    if (!firstSeen.has(key)) firstSeen.set(key, firstSeen.size);
    return firstSeen.get(key)!;
  };
  const keyed = groups.map((g) => {
    const params: Record<string, unknown> = JSON.parse(g.paramsKey);
    const values = Object.values(params).map((v) => (typeof v === "number" ? v : seenAt(v)));
    return { g, params, key: [seenAt(g.model), seenAt(g.dataset), seenAt(g.method), ...values, g.k ?? -1] };
  });
  keyed.sort((a, b) => a.key.map((v, i) => v - (b.key[i] ?? 0)).find((d) => d !== 0) ?? 0);
  return keyed.map(({ g, params }) => ({
    model: g.model,
    dataset: g.dataset,
    method: g.method,
    params: Object.entries(params).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" "),
    k: g.k,
    runs: g.n,
    accuracy: g.mean,
    std: g.std ?? 0,
    macroF1: g.macroF1,
    trainableParams: Math.round(g.trainableParams),
    seconds: g.wallSeconds,
    numerics: g.numerics,
    collapsed: g.collapsed,
    atChance: g.atChance,
  }));
}

/** One group of {@link summaryTable}'s polars aggregation. */
interface SummaryGroup {
  model: string;
  dataset: string;
  method: string;
  paramsKey: string;
  k: number | null;
  mean: number;
  std: number | null;
  n: number;
  macroF1: number;
  trainableParams: number;
  wallSeconds: number;
  numerics: string;
  collapsed: number;
  atChance: number;
}

/**
 * {@link summaryTable} as a Markdown table (percentages with one decimal; no spread for a single run). A group
 * with runs whose predictions collapsed onto one class has its accuracy marked ⚠n, one with runs at chance ≈n
 * (`eval/marks.ts`), each mark explained in a note below.
 */
export function summaryMarkdown(table: readonly SummaryRow[]): string {
  // A numerics column only when the rows mix numerics: then no two of its lines may be compared blindly.
  const mixed = new Set(table.map((r) => r.numerics)).size > 1;
  // A dataset column only when the rows span several (a benchmark's tasks).
  const tasks = new Set(table.map((r) => r.dataset)).size > 1;
  const lines = [
    `| model |${
      tasks ? " dataset |" : ""
    } method | parameters | K | runs | accuracy % (mean ± ${STD_LABEL}) | macro-F1 % | trainable | s/run |${mixed ? " numerics |" : ""}`,
    `|---|${tasks ? "---|" : ""}---|---|---|---|---|---|---|---|${mixed ? "---|" : ""}`,
    ...table.map((r) =>
      `| ${r.model} |${tasks ? ` ${r.dataset} |` : ""} ${r.method} | ${r.params} | ${r.k ?? "FewCLUE"} | ${r.runs} | ${
        percent(r.accuracy)
      }${r.runs > 1 ? ` ± ${percent(r.std)}` : ""}${marksText(r)} | ${percent(r.macroF1)} | ${r.trainableParams} | ${
        r.seconds.toFixed(0)
      } |` +
      (mixed ? ` ${r.numerics} |` : "")
    ),
  ];
  const notes = marksLegends(table);
  for (const note of notes) lines.push("", note);
  return lines.join("\n") + "\n";
}
