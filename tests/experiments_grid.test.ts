import assert from "node:assert/strict";
import type { Cell } from "../lib/experiments/grid.ts";
import { expandGrid, type Grid, parseGrid, parseShard, shardCells } from "../lib/experiments/grid.ts";
import { type CellRunner, finishedRows, runGrid } from "../lib/experiments/grid_run.ts";
import { loadGrid } from "../lib/experiments/grid.ts";
import {
  BENCHMARK_TASKS,
  benchmarkGrid,
  comparisonGrid,
  discretePromptGrid,
  ladderGrid,
  modelSizeGrid,
  pairComparisonGrid,
  pairPromptGrid,
  ptuningGrid,
  softPromptLengthGrid,
  t5ComparisonGrid,
} from "../lib/experiments/presets.ts";
import { resultsPath } from "../lib/experiments/setup.ts";
import { appendResult, loadResults, loadResultSets, readResultsFile, type ResultRow } from "../lib/experiments/results.ts";
import { resultsFrame, summarize } from "../lib/experiments/stats.ts";
import { summarizeValues } from "../lib/eval/summary.ts";
import type { ModelFolder } from "../lib/model/folder.ts";
import { InputError } from "../lib/util/errors.ts";
import { fakeOutcome } from "./_outcome.ts";

const grid: Grid = parseGrid({
  name: "t",
  dataset: "demo",
  protocol: { kind: "sampled", k: [0, 2, 4], seeds: [1, 2] },
  methods: [
    { method: "pet", grid: { template: ["fewclue", "article"] }, zeroShot: { mode: "zero-shot" } },
    { method: "ptuning-v2", grid: { prefixLength: [1, 8] } },
  ],
});

/** A deterministic stand-in for training: accuracy from the cell's key. */
const fake: CellRunner = (cell) => {
  const h = [...cell.key].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 1000, 7);
  return Promise.resolve(fakeOutcome({
    accuracy: h / 1000,
    macroF1: h / 1000,
    trainSize: (cell.k ?? 0) * 2,
    trainableParams: 10,
    steps: 3,
    bestStep: 3,
    losses: [1, 0.5, 0.25],
  }));
};

async function fakeModel(): Promise<ModelFolder> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/config.json`, "{}");
  await Deno.writeTextFile(`${dir}/model.safetensors`, "w");
  return { dir, weights: new Map() } as ModelFolder; // no weights: a size of 0 parameters
}

/** Rows without what differs between runs (time). */
const stable = (rows: ResultRow[]) => rows.map(({ wallSeconds: _w, finishedAt: _f, ...r }) => r);

Deno.test("expandGrid: product of parameters, K and seeds; zero-shot once and only where allowed", () => {
  const cells = expandGrid(grid);
  // pet: 2 templates × (1 zero-shot + 2 K × 2 seeds); ptuning-v2: 2 lengths × 2 K × 2 seeds
  assert.equal(cells.length, 2 * 5 + 2 * 4);
  assert.equal(new Set(cells.map((c) => c.key)).size, cells.length);
  const zero = cells.filter((c) => c.zeroShot);
  assert.deepEqual(zero.map((c) => [c.method, c.options.mode]), [["pet", "zero-shot"], ["pet", "zero-shot"]]);
  assert.equal(cells.find((c) => c.method === "ptuning-v2" && c.k === 4 && c.seed === 2)?.options.seed, 2);
});

Deno.test("parseGrid: errors name the field", () => {
  assert.throws(
    () => parseGrid({ ...grid, methods: [{ method: "nope" }] }, "g.json"),
    /g\.json \(field "methods\[0\]\.method"\): unknown method/,
  );
  assert.throws(() => parseGrid({ ...grid, protocol: { kind: "sampled", k: [1.5], seeds: [1] } }), /protocol\.k/);
  assert.throws(() => parseShard("2/2"), InputError);
  assert.deepEqual(parseShard("1/3"), { index: 1, count: 3 });
});

Deno.test("shards partition the cells", () => {
  const cells = expandGrid(grid);
  const parts = [0, 1, 2].map((index) => shardCells(cells, { index, count: 3 }));
  assert.deepEqual(parts.flat().map((c: Cell) => c.key).sort(), cells.map((c) => c.key).sort());
});

Deno.test("runGrid: an interrupted grid resumes to the same rows as an uninterrupted one, no duplicates", async () => {
  const model = await fakeModel();
  const whole = await runGrid(grid, { model, results: `${model.dir}/whole.jsonl`, runCell: fake, progress: false });
  assert.equal(whole.length, expandGrid(grid).length);

  const path = `${model.dir}/resumed.jsonl`;
  // The process dies after its 5th row is written (a failing cell no longer stops a grid: see below).
  let rows = 0;
  const killed = () => {
    if (++rows === 5) throw new Error("killed");
  };
  await assert.rejects(runGrid(grid, { model, results: path, runCell: fake, progress: false, onRow: killed }), /killed/);
  assert.equal((await readResultsFile(path)).length, 5);
  let rerun = 0;
  const resumed = await runGrid(grid, { model, results: path, runCell: (c, ...r) => (rerun++, fake(c, ...r)), progress: false });
  assert.equal(rerun, whole.length - 5, "finished cells are skipped");
  assert.deepEqual(stable(resumed), stable(whole));
  const lines = await readResultsFile(path);
  assert.equal(new Set(lines.map((r) => r.key)).size, lines.length);
  // A third run trains nothing.
  await runGrid(grid, { model, results: path, runCell: () => Promise.reject(new Error("ran again")), progress: false });
});

Deno.test("runGrid: zero-shot cells, then every curve under the lowest seed before any cell of the next seed", async () => {
  const model = await fakeModel();
  const order: Cell[] = [];
  await runGrid(grid, { model, results: `${model.dir}/r.jsonl`, runCell: (c, ...r) => (order.push(c), fake(c, ...r)), progress: false });
  assert.deepEqual(order.slice(0, 2).map((c) => c.zeroShot), [true, true], "zero-shot cells first");
  const seeds = order.slice(2).map((c) => c.seed);
  assert.deepEqual(seeds, [...seeds].sort((a, b) => (a ?? 0) - (b ?? 0)), "seed-major order");
  assert.equal(seeds.filter((s) => s === 1).length, 2 * 2 + 2 * 2, "every method × parameter × K under seed 1 first");
  const shards = [0, 1].map(() => [] as Cell[]);
  for (const index of [0, 1]) {
    const results = `${model.dir}/s.jsonl`, shard = { index, count: 2 };
    await runGrid(grid, { model, results, shard, runCell: (c, ...r) => (shards[index].push(c), fake(c, ...r)), progress: false });
  }
  const interleaved = order.map((_, i) => shards[i % 2][Math.floor(i / 2)]?.key);
  assert.deepEqual(interleaved, order.map((c) => c.key), "two shards run alternate cells of the same order: seeds advance together");
});

Deno.test("runGrid: no cell starts after the deadline; a rerun goes on", async () => {
  const model = await fakeModel();
  const path = `${model.dir}/r.jsonl`;
  let now = 0;
  const clock = Date.now;
  Date.now = () => now;
  try {
    const slow: CellRunner = (c, ...r) => (now += 60_000, fake(c, ...r));
    const first = await runGrid(grid, { model, results: path, runCell: slow, progress: false, deadline: 150_000 });
    assert.equal(first.length, 3, "cells started at 0, 1 and 2 minutes; none at 3");
    const rest = await runGrid(grid, { model, results: path, runCell: slow, progress: false });
    assert.equal(rest.length, expandGrid(grid).length);
  } finally {
    Date.now = clock;
  }
});

Deno.test("runGrid with train: false only reads; finishedRows gives a grid's rows from a file", async () => {
  const model = await fakeModel();
  const path = `${model.dir}/r.jsonl`;
  let calls = 0;
  const stop = () => {
    if (++calls === 3) throw new Error("stop");
  };
  const partial = await runGrid(grid, { model, results: path, runCell: fake, progress: false, onRow: stop }).catch(() => null);
  assert.equal(partial, null);
  calls = 0;
  const shown = await runGrid(grid, {
    model,
    results: path,
    runCell: (c, ...r) => (calls++, fake(c, ...r)),
    progress: false,
    train: false,
  });
  assert.equal(calls, 0, "nothing trained");
  assert.equal(shown.length, 3);
  assert.deepEqual(stable(await finishedRows(grid, path)), stable(shown));
  assert.deepEqual(await finishedRows(grid, `${model.dir}/missing.jsonl`), []);
});

Deno.test("resultsPath: committed results/grids at the full budget, runs/ci at ci, one file per model", () => {
  const env = (vars: Record<string, string | undefined>, fn: () => void) => {
    const old = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
    for (const [k, v] of Object.entries(vars)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    try {
      fn();
    } finally {
      for (const [k, v] of Object.entries(old)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  };
  env({ PROMPTLAB_BUDGET: "full", PROMPTLAB_RUNS: undefined }, () => {
    assert.match(
      resultsPath("comparison-eprstmt", "/m/zh-review-bert-tiny/"),
      /\/results\/grids\/comparison-eprstmt-zh-review-bert-tiny\.jsonl$/,
    );
  });
  env({ PROMPTLAB_BUDGET: "ci", PROMPTLAB_RUNS: undefined }, () => assert.match(resultsPath("g", "/m/a"), /\/runs\/ci\/g-a\.jsonl$/));
  env({ PROMPTLAB_BUDGET: "ci", PROMPTLAB_RUNS: "/tmp/r" }, () => assert.equal(resultsPath("g", "/m/a"), "/tmp/r/ci/g-a.jsonl"));
});

Deno.test("grids/<name>.json files are the notebooks' full-budget presets (both models: 128 positions)", async () => {
  const keys = (g: Grid) => expandGrid(g).map((c) => c.key);
  const presets = [
    comparisonGrid("full"),
    pairComparisonGrid("full"),
    discretePromptGrid("full"),
    pairPromptGrid("full"),
    ptuningGrid("full", { max_position_embeddings: 128 }),
    modelSizeGrid("full"),
    ladderGrid("full", "eprstmt"),
    ladderGrid("full", "bustm"),
    softPromptLengthGrid("full"),
    t5ComparisonGrid("full", "eprstmt"),
    t5ComparisonGrid("full", "bustm"),
    ...BENCHMARK_TASKS.map((task) => benchmarkGrid("full", task)),
  ];
  for (const preset of presets) {
    const file = await loadGrid(new URL(`../grids/${preset.name}.json`, import.meta.url).pathname);
    assert.equal(file.name, preset.name);
    assert.deepEqual(keys(file), keys(preset), preset.name);
  }
});

Deno.test("runGrid: shards write their own files, merged on load", async () => {
  const model = await fakeModel();
  const results = `${model.dir}/sharded.jsonl`;
  for (const index of [1, 0]) await runGrid(grid, { model, results, shard: { index, count: 2 }, runCell: fake, progress: false });
  const names = [...Deno.readDirSync(model.dir)].map((e) => e.name).filter((n) => n.endsWith(".jsonl")).sort();
  assert.deepEqual(names, ["sharded.shard-0-of-2.jsonl", "sharded.shard-1-of-2.jsonl"]);
  const merged = await loadResults(results);
  const whole = await runGrid(grid, { model, results: `${model.dir}/one.jsonl`, runCell: fake, progress: false });
  assert.deepEqual(stable(merged).sort((a, b) => a.key.localeCompare(b.key)), stable(whole).sort((a, b) => a.key.localeCompare(b.key)));
});

Deno.test("loadResultSets: a base named beside its shards counts each row once; other models' rows are kept", async () => {
  const model = await fakeModel(), other = await fakeModel();
  await Deno.writeTextFile(`${other.dir}/model.safetensors`, "other weights");
  const base = `${model.dir}/g-a.jsonl`, theirs = `${model.dir}/g-b.jsonl`;
  for (const index of [0, 1]) await runGrid(grid, { model, results: base, shard: { index, count: 2 }, runCell: fake, progress: false });
  await appendResult(base, (await readResultsFile(`${model.dir}/g-a.shard-0-of-2.jsonl`))[0]);
  await runGrid(grid, { model: other, results: theirs, runCell: fake, progress: false });
  const globbed = [base, `${model.dir}/g-a.shard-0-of-2.jsonl`, `${model.dir}/g-a.shard-1-of-2.jsonl`, theirs];
  const rows = await loadResultSets(globbed);
  const cells = expandGrid(grid).length;
  assert.equal(rows.length, 2 * cells);
  assert.equal(new Set(rows.map((r) => `${r.model.fingerprint} ${r.key}`)).size, 2 * cells);
  await assert.rejects(
    loadResultSets([`${model.dir}/none.jsonl`]),
    (e: Error) => e instanceof InputError && /none\.jsonl.*no result rows/.test(e.message),
  );
});

Deno.test("runGrid: refuses to mix rows of another model", async () => {
  const model = await fakeModel(), other = await fakeModel();
  await Deno.writeTextFile(`${other.dir}/model.safetensors`, "other weights");
  const results = `${model.dir}/r.jsonl`;
  await runGrid(grid, { model, results, runCell: fake, progress: false });
  await assert.rejects(runGrid(grid, { model: other, results, runCell: fake, progress: false }), /holds rows of model/);
});

Deno.test("results: a corrupted line is reported with its line number, skipped only when asked", async () => {
  const model = await fakeModel();
  const path = `${model.dir}/c.jsonl`;
  const rows = await runGrid(grid, { model, results: path, runCell: fake, progress: false });
  const lines = (await Deno.readTextFile(path)).split("\n");
  lines[2] = lines[2].slice(0, 40); // a torn write from some other tool
  await Deno.writeTextFile(path, lines.join("\n"));
  await assert.rejects(
    loadResults(path),
    (e: Error) => e instanceof InputError && /c\.jsonl:3: corrupt results line.*skip-corrupt/.test(e.message),
  );
  const skipped: string[] = [];
  const loaded = await loadResults(path, { skipCorrupt: true, onSkip: (e) => skipped.push(e.message) });
  assert.equal(loaded.length, rows.length - 1);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0], /:3: .*skipped/);
  const lost = rows.find((r) => !loaded.some((l) => l.key === r.key))!;
  await appendResult(path, lost);
  assert.equal((await loadResults(path, { skipCorrupt: true })).length, rows.length);
});

Deno.test("stats: mean, std, count and t confidence interval per group, as a DataFrame", async () => {
  const s = summarizeValues([0.6, 0.7, 0.8]);
  assert.ok(Math.abs(s.mean - 0.7) < 1e-12 && Math.abs(s.std! - 0.1) < 1e-12 && s.n === 3);
  assert.ok(Math.abs(s.ciHigh! - (0.7 + 4.303 * 0.1 / Math.sqrt(3))) < 1e-9);
  assert.equal(summarizeValues([0.5]).std, null);
  const model = await fakeModel();
  const rows = await runGrid(grid, { model, results: `${model.dir}/s.jsonl`, runCell: fake, progress: false });
  const df = resultsFrame(rows);
  assert.equal(df.height, rows.length);
  assert.ok(df.columns.includes("prefixLength") && df.columns.includes("template"));
  const table = summarize(df, ["method", "k"]);
  assert.deepEqual(table.columns, ["method", "k", "mean", "std", "n", "ciLow", "ciHigh"]);
  const ptv2k2 = (table.toRecords() as Record<string, unknown>[]).find((r) => r.method === "ptuning-v2" && r.k === 2)!;
  assert.equal(ptv2k2.n, 4);
});
