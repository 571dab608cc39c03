/** Results as polars DataFrames: loadResultsFrame, and summaries by polars group-by equal to the kit's convention. */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { summarizeValues } from "../lib/eval/summary.ts";
import { loadResults } from "../lib/experiments/results.ts";
import { flatRow, groupSummaries, loadResultsFrame, summarize, summaryTable } from "../lib/experiments/stats.ts";
import { withVariantRows } from "../lib/experiments/variant_rows.ts";
import { root } from "./_shared.ts";

/** A committed grid with several methods, K values and seeds (two shards). */
const COMPARISON = `${root}/results/grids/comparison-eprstmt-zh-review-bert-tiny.jsonl`;
/** A committed grid varying parameters, whose rows carry an uncalibrated variant. */
const CALIBRATED = `${root}/results/grids/calibration_trained-eprstmt-promptlab-bert-zh-L4-H256.jsonl`;

const near = (a: unknown, b: unknown, what: string) => {
  if (a === null || b === null) return assert.equal(a, b, what);
  assert.ok(Math.abs(Number(a) - Number(b)) <= 1e-12 * Math.max(1, Math.abs(Number(b))), `${what}: ${a} vs ${b}`);
};

Deno.test("loadResultsFrame: one row per done run and per variant, the columns analysis needs", async () => {
  const rows = await loadResults(CALIBRATED);
  const df = await loadResultsFrame(CALIBRATED);
  const variants = rows.filter((r) => r.variants?.uncalibrated).length;
  assert.ok(variants > 0);
  assert.equal(df.height, rows.length + variants);
  for (const c of ["method", "model", "dataset", "split", "k", "seed", "variant", "accuracy", "macroF1", "template"]) {
    assert.ok(df.columns.includes(c), c);
  }
  assert.equal(df.filter(pl.col("variant").eq(pl.lit("uncalibrated"))).height, variants);
  assert.equal((await loadResultsFrame(`${root}/results/grids/no-such-grid.jsonl`)).height, 0, "a missing file: no rows");
});

Deno.test("summarize (polars group-by) equals the records path on a committed results file: mean, sample std, n, 95% t interval", async () => {
  const cases: [string, string[]][] = [[COMPARISON, ["method", "k"]], [COMPARISON, ["method", "seed"]], [CALIBRATED, [
    "template",
    "variant",
  ]]];
  for (const [path, by] of cases) {
    const rows = withVariantRows(await loadResults(path));
    const expected = groupSummaries(rows.map(flatRow), by, "accuracy");
    const actual = summarize(await loadResultsFrame(path), by).toRecords();
    assert.equal(actual.length, expected.length);
    assert.ok(expected.some((g) => g.n >= 2), "groups with a spread");
    expected.forEach((g, i) => {
      const a = actual[i] as Record<string, unknown>;
      for (const key of by) assert.equal(a[key] ?? null, (g as Record<string, unknown>)[key], `group ${i} ${key}`);
      assert.equal(a.n, g.n);
      for (const f of ["mean", "std", "ciLow", "ciHigh"] as const) near(a[f], g[f], `group ${i} ${f}`);
    });
  }
});

Deno.test("summaryTable (polars group-by) gives each group's runs, mean and sample std of accuracy and mean macro-F1", async () => {
  const rows = withVariantRows([...await loadResults(COMPARISON), ...await loadResults(CALIBRATED)]);
  const table = summaryTable(rows);
  assert.ok(table.some((r) => r.runs === 1) && table.some((r) => r.runs > 1) && table.some((r) => r.params !== ""));
  assert.equal(table.reduce((s, r) => s + r.runs, 0), rows.length);
  for (const t of table) {
    const members = rows.filter((r) =>
      r.model.name === t.model && r.label === t.method && r.k === t.k &&
      Object.entries(r.params).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ") === t.params
    );
    const s = summarizeValues(members.map((r) => r.accuracy));
    assert.equal(t.runs, members.length);
    near(t.accuracy, s.mean, `${t.method} K=${t.k} accuracy`);
    near(t.std, s.std ?? 0, `${t.method} K=${t.k} std`);
    near(t.macroF1, summarizeValues(members.map((r) => r.macroF1)).mean, `${t.method} K=${t.k} macro-F1`);
  }
  assert.deepEqual(summaryTable([]), []);
});
