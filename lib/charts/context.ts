/**
 * What a figure must say about its data so a reader can judge it without the results file: dataset, test
 * split and size, models, seeds, what the band is, and the chance level. Taken from the rows themselves and
 * the dataset registry.
 * @module
 */
import { getTask } from "../data/registry.ts";
import type { Task } from "../data/types.ts";
import { modelName, type ResultRow } from "../experiments/results.ts";
import type { Summary } from "../eval/summary.ts";
import { groupSummaries } from "../experiments/stats.ts";

/** The band every chart draws around a mean: the sample standard deviation (n − 1) over seeds. */
export const STD_BAND = "mean ± 1 sample std (n − 1) over seeds";

/** Facts about a chart's rows, for titles, subtitles and captions. */
export interface ChartContext {
  /** Dataset names, in first-seen order. */
  datasets: string[];
  /** The split scores are on, e.g. `test_public` ("test" for datasets outside the registry). */
  testSplit: string;
  /** Distinct numbers of test rows scored. */
  testSizes: number[];
  /** Model names, in first-seen order. */
  models: string[];
  /** Seeds of the trained rows (FewCLUE split indices when sampled seeds are absent). */
  seeds: number[];
  /** "seed" or "FewCLUE split": what {@link seeds} counts. */
  seedKind: string;
  /** Number of classes; null when the dataset is unknown to the registry or several datasets mix. */
  classes: number | null;
}

/** Rows a chart draws: every row except failed ones (which carry no scores). */
export function chartRows<R extends ResultRow>(rows: readonly R[]): R[] {
  return rows.filter((r) => (r as { status?: string }).status !== "failed");
}

function distinct<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

/** {@link ChartContext} of `rows` (already passed through {@link chartRows}). */
export function chartContext(rows: readonly ResultRow[]): ChartContext {
  const datasets = distinct(rows.map((r) => r.dataset));
  const task = datasets.length === 1 ? knownTask(datasets[0]) : undefined;
  const trained = rows.filter((r) => !r.zeroShot);
  const seeds = distinct(trained.map((r) => r.seed).filter((s): s is number => s !== null)).sort((a, b) => a - b);
  const indices = distinct(trained.map((r) => r.index).filter((s): s is number => s !== null)).sort((a, b) => a - b);
  return {
    datasets,
    testSplit: task?.test ?? "test",
    testSizes: distinct(rows.map((r) => r.n)).sort((a, b) => a - b),
    models: distinct(rows.map(modelName)),
    seeds: seeds.length ? seeds : indices,
    seedKind: seeds.length || !indices.length ? "seed" : "FewCLUE split",
    classes: task?.labels.length ?? null,
  };
}

/** The registry's task of that name, or undefined for a local dataset (one the registry does not know). */
export function knownTask(name: string): Task | undefined {
  try {
    return getTask(name);
  } catch {
    return undefined; // a local dataset: no registry entry, so no class count
  }
}

/** `[1, 2, 3, 5]` → "1–3, 5". */
export function formatRange(xs: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(j > i + 1 ? `${xs[i]}–${xs[j]}` : j === i + 1 ? `${xs[i]}, ${xs[j]}` : `${xs[i]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

/** A row's varied parameters as " triggers=3 prefixLength=8" ("" when none), to tell its cells apart. */
export function settingText(r: Pick<ResultRow, "params">): string {
  return Object.entries(r.params).map(([k, v]) => ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join("");
}

/** The chance accuracy (1 / number of classes), or null where unknown. */
export function chanceLevel(ctx: ChartContext): number | null {
  return ctx.classes ? 1 / ctx.classes : null;
}

/** "eprstmt" or "eprstmt, waimai_10k": what a title names. */
export function datasetNames(ctx: ChartContext): string {
  return ctx.datasets.join(", ") || "no results";
}

/** "test_public (n = 610)": the split scores are on and its size. */
export function testSplitText(ctx: ChartContext): string {
  return `${ctx.testSplit} (n = ${ctx.testSizes.join(" / ")})`;
}

/** "seeds 1–5" / "seed 1" / "FewCLUE splits 0–4". */
export function seedsText(ctx: ChartContext): string {
  if (!ctx.seeds.length) return "no trained runs";
  return `${ctx.seedKind}${ctx.seeds.length > 1 ? "s" : ""} ${formatRange(ctx.seeds)}`;
}

/** The first subtitle line of every chart: dataset, test split and size, models. */
export function dataLine(ctx: ChartContext): string {
  const models = `model${ctx.models.length > 1 ? "s" : ""}: ${ctx.models.join(", ")}`;
  return `${datasetNames(ctx)} · scored on ${testSplitText(ctx)} · ${models}`;
}

/**
 * A title naming what is shown and the dataset (unless `what` already names every dataset), with subtitle
 * lines (the data line first).
 */
export function chartTitle(what: string, ctx: ChartContext, lines: readonly string[]): { text: string; subtitle: string[] } {
  const named = ctx.datasets.length > 0 && ctx.datasets.every((d) => what.includes(d));
  return { text: named ? what : `${what} — ${datasetNames(ctx)}`, subtitle: [dataLine(ctx), ...lines] };
}

/**
 * Per-group mean, sample std and n of `metric` over the seeds in `records` (grouped by `by`), with the band's
 * `low`/`high` ({@link STD_BAND}; a single seed gives a zero-width band).
 */
export function meansWithBand<R extends Record<string, unknown>, K extends keyof R & string>(
  records: readonly R[],
  by: readonly K[],
  metric: keyof R & string,
): (Pick<R, K> & Summary & { low: number; high: number })[] {
  return groupSummaries(records, by, metric).map((s) => ({
    ...s,
    low: s.mean - (s.std ?? 0),
    high: s.mean + (s.std ?? 0),
  })) as (Pick<R, K> & Summary & {
    low: number;
    high: number;
  })[];
}

/** "5 seeds" or "1–5 seeds": the runs behind each mean of `groups`. */
export function runsPerPoint(groups: readonly { n: number }[], ctx: ChartContext): string {
  const ns = distinct(groups.map((g) => g.n)).sort((a, b) => a - b);
  const range = ns.length > 1 ? `${ns[0]}–${ns[ns.length - 1]}` : `${ns[0] ?? 0}`;
  return `${range} ${ctx.seedKind}${ns.length === 1 && ns[0] === 1 ? "" : "s"} per point, each run scored on ${
    ctx.testSizes.join(" / ")
  } ${ctx.testSplit} rows`;
}

/** Distinct train sizes (K, or FewCLUE split names), numbers ascending before names. */
export function trainSizes<T extends number | string | null>(ks: Iterable<T>): T[] {
  return [...new Set(ks)].sort((a, b) =>
    typeof a === "number" && typeof b === "number"
      ? a - b
      : typeof a === "number"
      ? -1
      : typeof b === "number"
      ? 1
      : String(a).localeCompare(String(b))
  );
}
