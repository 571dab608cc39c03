/**
 * Grids that survive faults and company: one writer per results file (two real processes), grid files checked
 * whole before the first cell, failed and diverged cells recorded while the grid goes on, `--status`,
 * merging shards, and one standard-deviation convention from `run` to tables.
 */
import assert from "node:assert/strict";
import { summarizeValues } from "../lib/eval/summary.ts";
import { summarize as summarizeRun } from "../lib/experiments/fewclue_run.ts";
import { expandGrid, type Grid, loadGrid, parseGrid } from "../lib/experiments/grid.ts";
import { type CellRunner, runGrid } from "../lib/experiments/grid_run.ts";
import { formatStatus, gridStatus } from "../lib/experiments/grid_status.ts";
import { isFailed, loadResults, loadResultSets, readResultsFile, type ResultRow } from "../lib/experiments/results.ts";
import { mergeShards } from "../lib/experiments/results_merge.ts";
import { EMBEDDED_MODEL } from "../lib/experiments/setup.ts";
import type { SplitResult } from "../lib/experiments/split_run.ts";
import { summaryMarkdown, summaryTable } from "../lib/experiments/stats.ts";
import { loadAnyModelFolder, loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { InputError } from "../lib/util/errors.ts";
import { WORKER_GRID } from "./_grid_worker.ts";
import { root } from "./_shared.ts";
import { fakeOutcome } from "./_outcome.ts";

const grid: Grid = parseGrid({
  name: "f",
  dataset: "demo",
  protocol: { kind: "sampled", k: [2, 4], seeds: [1, 2] },
  methods: [{ method: "ptuning-v2", grid: { prefixLength: [1, 8] } }],
});

const outcome = (accuracy: number) =>
  fakeOutcome({ accuracy, macroF1: accuracy, trainableParams: 10, steps: 3, bestStep: 3, losses: [1, 0.5] });

/** Accuracy from the cell's key, like a deterministic training run. */
const fake: CellRunner = (cell) => Promise.resolve(outcome([...cell.key].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 1000, 7) / 1000));

async function fakeModel(): Promise<ModelFolder> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/config.json`, "{}");
  await Deno.writeTextFile(`${dir}/model.safetensors`, "w");
  return { dir, weights: new Map() } as ModelFolder; // no weights: a size of 0 parameters
}

/** Run an entry point of the kit; exit code, stdout and stderr. */
async function entry(path: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}/${path}`, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("two processes on one results file: no row lost, no cell run twice", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/model`);
  await Deno.writeTextFile(`${dir}/model/config.json`, "{}");
  await Deno.writeTextFile(`${dir}/model/model.safetensors`, "w");
  const spawn = (name: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}/tests/_grid_worker.ts`, dir, name],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
  const workers = [spawn("a"), spawn("b")];
  while (!(await exists(`${dir}/ready-a`)) || !(await exists(`${dir}/ready-b`))) await new Promise((r) => setTimeout(r, 20));
  await Deno.writeTextFile(`${dir}/go`, "");
  const outs = await Promise.all(workers.map((w) => w.output()));
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  outs.forEach((o) => assert.equal(o.code, 0, text(o.stderr)));
  const ran = outs.flatMap((o) => text(o.stdout).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as string));
  const cells = expandGrid(WORKER_GRID).map((c) => c.key);
  assert.equal(ran.length, cells.length, "every cell ran exactly once over both processes");
  assert.deepEqual([...ran].sort(), [...cells].sort());
  const rows = await readResultsFile(`${dir}/results.jsonl`);
  assert.equal(rows.length, cells.length, "no row lost, none written twice");
  assert.deepEqual(rows.map((r) => r.key).sort(), [...cells].sort());
  assert.ok(
    outs.some((o) => /waiting for .*results\.jsonl: pid \d+ on .* is writing it/.test(text(o.stderr))),
    "the second one says whom it waits for",
  );
  assert.equal(await exists(`${dir}/results.jsonl.lock`), false, "the lock file goes with its holder");
});

Deno.test("a stale lock file (its holder died) does not block the next writer", async () => {
  const model = await fakeModel();
  const results = `${model.dir}/r.jsonl`;
  await Deno.writeTextFile(`${results}.lock`, JSON.stringify({ pid: 999999, host: "gone", since: "2020-01-01" }));
  const waits: string[] = [];
  const rows = await runGrid(grid, { model, results, runCell: fake, progress: false, onWait: (m) => waits.push(m) });
  assert.equal(rows.length, expandGrid(grid).length);
  assert.deepEqual(waits, []);
});

Deno.test("grid files: unknown keys anywhere, repeated values and clashes fail with file and field", () => {
  const base = {
    name: "g",
    dataset: "demo",
    protocol: { kind: "sampled", k: [4], seeds: [1] },
    methods: [{ method: "finetune", options: { steps: 5 } }],
  };
  const fails = (raw: unknown, field: string, problem: RegExp) =>
    assert.throws(
      () => parseGrid(raw, "g.json"),
      (e: Error) => e instanceof InputError && e.location.file === "g.json" && e.location.field === field && problem.test(e.message),
    );
  fails({ ...base, methods: [{ method: "finetune", options: { stepz: 5 } }] }, "methods[0].options.stepz", /unknown key; allowed: .*steps/);
  fails({ ...base, methods: [{ method: "finetune", option: { steps: 5 } }] }, "methods[0].option", /unknown key; allowed: .*options/);
  fails({ ...base, methods: [{ method: "ptuning-v2", grid: { prefixLenght: [1, 2] } }] }, "methods[0].grid.prefixLenght", /unknown key/);
  fails({ ...base, methods: [{ method: "pet", zeroShot: { mod: "zero-shot" } }] }, "methods[0].zeroShot.mod", /unknown key/);
  fails({ ...base, seeds: [1] }, "seeds", /unknown key; allowed: name, dataset, protocol, methods/);
  fails({ ...base, protocol: { kind: "sampled", k: [4], seeds: [1], seed: 2 } }, "protocol.seed", /unknown key/);
  fails({ ...base, protocol: { kind: "sampled", k: [4], seeds: [1, 2, 1] } }, "protocol.seeds[2]", /1 is listed twice/);
  fails({ ...base, protocol: { kind: "sampled", k: [4, 4], seeds: [1] } }, "protocol.k[1]", /listed twice/);
  fails(
    { ...base, methods: [{ method: "ptuning-v2", grid: { prefixLength: [4, 8, 4] } }] },
    "methods[0].grid.prefixLength[2]",
    /listed twice/,
  );
  fails(
    { ...base, methods: [{ method: "ptuning-v2", options: { prefixLength: 4 }, grid: { prefixLength: [8] } }] },
    "methods[0].options.prefixLength",
    /also varied/,
  );
  fails({ ...base, methods: [base.methods[0], base.methods[0]] }, "methods[1]", /repeats cells of methods\[0\]/);
});

Deno.test("a grid file with a misspelt key fails before training: exit 2, one line naming file and field", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/g.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      name: "g",
      dataset: "demo",
      protocol: { kind: "sampled", k: [2], seeds: [1] },
      methods: [{ method: "finetune", options: { stepz: 2 } }],
    }),
  );
  const { code, stderr } = await entry("lib/experiments/main.ts", [file, "--model", EMBEDDED_MODEL, "--results", `${dir}/r.jsonl`]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^error: .*g\.json \(field "methods\[0\]\.options\.stepz"\): unknown key; allowed: [^\n]*\n$/);
  assert.equal(await exists(`${dir}/r.jsonl`), false, "nothing ran");
});

Deno.test("a grid's option values and K are checked on the model and data before the first cell", async () => {
  const model = await loadModelFolder(EMBEDDED_MODEL);
  const dir = await Deno.makeTempDir();
  const check = async (raw: object, field: string, problem: RegExp) => {
    const results = `${dir}/${field.replace(/\W/g, "_")}.jsonl`;
    await assert.rejects(
      runGrid(parseGrid(raw, "g.json"), { model, results, gridFile: "g.json", progress: false }),
      (e: Error) => e instanceof InputError && e.location.file === "g.json" && e.location.field === field && problem.test(e.message),
    );
    assert.equal(await exists(results), false, `nothing ran (${field})`);
  };
  const base = { name: "g", dataset: "demo", protocol: { kind: "sampled", k: [2], seeds: [1] } };
  // The bad value is the last cell's: a grid checked cell by cell as it runs would have trained the others.
  await check(
    { ...base, methods: [{ method: "ptuning-v2", options: { steps: 1 }, grid: { prefixLength: [1, 0] } }] },
    "methods[0].grid.prefixLength[1]",
    /integer/,
  );
  await check({ ...base, methods: [{ method: "finetune", options: { lr: "fast" } }] }, "methods[0].options.lr", /must be/);
  await check({ ...base, methods: [{ method: "finetune", options: { maxLength: 4096 } }] }, "methods[0].options.maxLength", /\[8, 128\]/);
  await check(
    { ...base, protocol: { kind: "sampled", k: [2, 5000], seeds: [1] }, methods: [{ method: "finetune" }] },
    "protocol.k[1]",
    /K = 5000 is too large for demo's pool/,
  );
  await check(
    { ...base, protocol: { kind: "fewclue", indices: [0] }, methods: [{ method: "finetune" }] },
    "protocol.indices[0]",
    /no FewCLUE splits/,
  );
});

Deno.test("a grid of methods the model's backbone cannot run is refused naming the model's config.json, before any cell", async () => {
  const dir = await Deno.makeTempDir();
  const base = { name: "g", dataset: "demo", protocol: { kind: "sampled", k: [2], seeds: [1] } };
  const refused = async (modelDir: string, method: string, problem: RegExp) => {
    const model = await loadAnyModelFolder(modelDir);
    const results = `${dir}/${method}.jsonl`;
    await assert.rejects(
      runGrid(parseGrid({ ...base, methods: [{ method }] }, "g.json"), { model, results, gridFile: "g.json", progress: false }),
      (e: Error) =>
        e instanceof InputError && e.location.file === `${modelDir}/config.json` && e.location.field === "model_type" &&
        problem.test(e.message),
    );
    assert.equal(await exists(results), false, "nothing ran");
  };
  await refused(
    `${root}/tests/fixtures/tiny-t5-v1_1`,
    "finetune",
    /a t5 model has no pooled first-token representation, which finetune needs/,
  );
  await refused(EMBEDDED_MODEL, "text2text", /text2text/);
});

Deno.test("a failed cell is recorded and the grid goes on; a rerun retries it only when asked; tables never see it", async () => {
  const model = await fakeModel();
  const results = `${model.dir}/r.jsonl`;
  const cells = expandGrid(grid);
  const bad = cells[3].key;
  const failures: string[] = [];
  let calls = 0;
  const flaky: CellRunner = (
    cell,
    ...rest
  ) => (calls++, cell.key === bad ? Promise.reject(new Error("diverged: training loss NaN at step 2")) : fake(cell, ...rest));
  const rows = await runGrid(grid, { model, results, runCell: flaky, progress: false, onFailure: (r) => failures.push(r.error) });
  assert.equal(calls, cells.length, "every cell ran");
  assert.equal(rows.length, cells.length - 1);
  assert.deepEqual(failures, ["diverged: training loss NaN at step 2"]);
  const lines = await readResultsFile(results);
  const failed = lines.filter(isFailed);
  assert.equal(failed.length, 1);
  assert.equal(failed[0].key, bad);
  assert.equal(failed[0].status, "failed");
  assert.equal((await loadResults(results)).length, cells.length - 1, "figures and tables read done rows only");
  assert.equal((await loadResultSets([results])).length, cells.length - 1);
  assert.ok(summaryTable(await loadResults(results)).every((r) => Number.isFinite(r.accuracy)));

  calls = 0;
  await runGrid(grid, { model, results, runCell: flaky, progress: false, onFailure: () => {} });
  assert.equal(calls, 0, "a rerun leaves the failed cell alone");
  const retried = await runGrid(grid, {
    model,
    results,
    runCell: (c, ...r) => (calls++, fake(c, ...r)),
    progress: false,
    retryFailed: true,
  });
  assert.equal(calls, 1, "--retry-failed runs the failed cell only");
  assert.equal(retried.length, cells.length);
  assert.equal(
    (await gridStatus(grid, results)).overall.cells.filter((c) => c.state !== "done").length,
    0,
    "the done row supersedes the failure",
  );
});

Deno.test("a diverged cell (lr 1e10) does not stop the grid: recorded failed, the others run, exit 1 listing it", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/g.json`, results = `${dir}/r.jsonl`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      name: "diverge",
      dataset: "demo",
      protocol: { kind: "sampled", k: [2], seeds: [1] },
      methods: [{ method: "finetune", options: { steps: 2, evalEvery: 2, batchSize: 4, maxLength: 32 }, grid: { lr: [1e10, 5e-5] } }],
    }),
  );
  const run = await entry("lib/experiments/main.ts", [file, "--model", EMBEDDED_MODEL, "--results", results]);
  assert.equal(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /Uncaught|\bat .*:\d+:\d+/);
  assert.match(run.stderr, /1 cell\(s\) failed.*:\n {2}finetune k2_seed1 lr=10000000000: training diverged: loss NaN at step \d+/s);
  assert.match(run.stderr, /--retry-failed/);
  const rows = await readResultsFile(results);
  assert.deepEqual(rows.map((r) => [r.params.lr, isFailed(r) ? "failed" : "done"]), [[1e10, "failed"], [5e-5, "done"]]);
  const done = rows.find((r) => !isFailed(r)) as ResultRow;
  assert.ok(done.accuracy >= 0 && done.confusion!.flat().reduce((a, b) => a + b, 0) === done.n);
});

Deno.test("--status: done, failed and missing cells per shard and overall", async () => {
  const model = await fakeModel();
  const results = `${model.dir}/s.jsonl`;
  const cells = expandGrid(grid);
  await runGrid(grid, { model, results, shard: { index: 0, count: 2 }, runCell: fake, progress: false });
  // Shard 1: its first cell fails, its second is done, then the process dies.
  let n = 0;
  const partly: CellRunner = (c, ...r) => (++n === 1 ? Promise.reject(new Error("out of memory")) : fake(c, ...r));
  const die = () => {
    throw new Error("killed");
  };
  await assert.rejects(
    runGrid(grid, { model, results, shard: { index: 1, count: 2 }, runCell: partly, progress: false, onFailure: () => {}, onRow: die }),
    /killed/,
  );
  const status = await gridStatus(grid, results);
  assert.deepEqual(status.shards.map((s) => [s.index, s.count]), [[0, 2], [1, 2]]);
  const tally = (cs: { state: string }[]) => ["done", "failed", "missing"].map((s) => cs.filter((c) => c.state === s).length);
  assert.deepEqual(tally(status.shards[0].cells), [cells.length / 2, 0, 0]);
  assert.deepEqual(tally(status.shards[1].cells), [1, 1, cells.length / 2 - 2]);
  assert.deepEqual(tally(status.overall.cells), [cells.length / 2 + 1, 1, cells.length / 2 - 2]);
  const text = formatStatus(grid, status);
  assert.match(
    text,
    new RegExp(`^shard 0/2 \\(.*s\\.shard-0-of-2\\.jsonl\\): ${cells.length / 2} done, 0 failed, 0 missing of ${cells.length / 2}$`, "m"),
  );
  assert.match(
    text,
    /^shard 1\/2 .*: 1 done, 1 failed, 2 missing of 4\n {2}failed {2}ptuning-v2 k\d+_seed1 prefixLength=\d+: out of memory\n {2}missing /m,
  );
  assert.match(text, /^f overall \(.*s\.jsonl and its shards\): 5 done, 1 failed, 2 missing of 8$/m);

  // The same through the command, which loads no model.
  const file = `${model.dir}/f.json`;
  await Deno.writeTextFile(file, JSON.stringify(grid));
  const cli = await entry("lib/experiments/main.ts", [file, "--status", "--results", results, "--model", "/no/such/model"]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout.trim(), text);
});

Deno.test("merge: shard files into the base, every cell once; conflicting or twice-run rows refused", async () => {
  const model = await fakeModel();
  const results = `${model.dir}/m.jsonl`;
  for (const index of [0, 1]) await runGrid(grid, { model, results, shard: { index, count: 2 }, runCell: fake, progress: false });
  const before = await loadResults(results);
  const report = await mergeShards(results);
  assert.equal(report.merged.length, 2);
  assert.equal(report.done, expandGrid(grid).length);
  assert.deepEqual([...Deno.readDirSync(model.dir)].map((e) => e.name).filter((n) => n.endsWith(".jsonl")), ["m.jsonl"]);
  const after = await loadResults(results);
  assert.deepEqual(after.map((r) => r.key).sort(), before.map((r) => r.key).sort());
  assert.deepEqual(after.map((r) => JSON.stringify(r)).sort(), before.map((r) => JSON.stringify(r)).sort(), "rows unchanged");

  const shard = `${model.dir}/m.shard-0-of-2.jsonl`;
  const original = await Deno.readTextFile(results);
  // The same cell's row again, byte for byte (a merge cut off before it removed its shards): counted once.
  await Deno.writeTextFile(shard, original.split("\n")[0] + "\n");
  assert.equal((await mergeShards(results)).done, expandGrid(grid).length);
  // The same cell run twice, and a cell with other scores: refused, the base untouched.
  const row = JSON.parse(original.split("\n")[0]) as ResultRow;
  await Deno.writeTextFile(shard, JSON.stringify({ ...row, finishedAt: "2030-01-01T00:00:00Z" }) + "\n");
  await assert.rejects(
    mergeShards(results),
    (e: Error) =>
      e instanceof InputError && /m\.shard-0-of-2\.jsonl.*was run twice \(same scores\): here and in .*m\.jsonl/.test(e.message),
  );
  await Deno.writeTextFile(shard, JSON.stringify({ ...row, accuracy: row.accuracy + 0.1 }) + "\n");
  await assert.rejects(mergeShards(results), (e: Error) => e instanceof InputError && /has conflicting rows/.test(e.message));
  assert.equal(await Deno.readTextFile(results), original);
  assert.equal(await exists(shard), true, "a refused merge removes nothing");
  // Rows of another model are not merged into this one's file.
  await Deno.writeTextFile(shard, JSON.stringify({ ...row, key: "other", model: { dir: "/x", fingerprint: "ffff" } }) + "\n");
  await assert.rejects(mergeShards(results), /merge only one model's files/);
});

Deno.test("one standard deviation: `run`'s summary, tables and figures agree (sample, n − 1)", () => {
  const accuracies = [0.6, 0.7, 0.8, 0.75];
  const splits = accuracies.map((accuracy, i) =>
    ({ ...outcome(accuracy), split: `k16_seed${i + 1}`, confusion: [], labels: [], wallSeconds: 1 }) as SplitResult
  );
  const run = summarizeRun(splits, { method: "pet", dataset: "demo", protocol: { kind: "sampled", k: 16, seeds: [1, 2, 3, 4] } });
  const rows = expandGrid(
    parseGrid({ name: "s", dataset: "demo", protocol: { kind: "sampled", k: [16], seeds: [1, 2, 3, 4] }, methods: [{ method: "pet" }] }),
  )
    .map((cell, i) => ({ ...cell, ...splits[i], grid: "s", model: { name: "m", fingerprint: "f" }, finishedAt: "" }) as ResultRow);
  const [table] = summaryTable(rows);
  const sample = Math.sqrt(accuracies.reduce((a, x) => a + (x - 0.7125) ** 2, 0) / 3);
  assert.ok(Math.abs(run.accuracyStd - sample) < 1e-12, `run: ${run.accuracyStd} vs ${sample}`);
  // The table is summed by polars (its own summation order): the same formula, equal to rounding.
  assert.ok(Math.abs(table.std - run.accuracyStd) < 1e-15, `table: ${table.std} vs ${run.accuracyStd}`);
  assert.equal(summarizeValues(accuracies).std, run.accuracyStd);
  assert.ok(Math.abs(table.accuracy - run.accuracyMean) < 1e-15, `table: ${table.accuracy} vs ${run.accuracyMean}`);
  assert.match(summaryMarkdown([table]), /mean ± sample std, n−1/);
});

Deno.test("committed results load as before: every line a done row, one per model and cell", async () => {
  const dir = `${root}/results/grids`;
  const files = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`).filter((f) => f.endsWith(".jsonl"));
  assert.ok(files.length > 0);
  const rows = await loadResultSets(files);
  const lines = (await Promise.all(files.map((f) => readResultsFile(f)))).flat();
  assert.ok(lines.every((r) => !isFailed(r)));
  assert.equal(rows.length, new Set(lines.map((r) => `${r.model.fingerprint} ${r.key}`)).size);
  for (const name of ["comparison-eprstmt", "discrete_prompts-eprstmt", "ptuning_v2-eprstmt"]) await loadGrid(`${root}/grids/${name}.json`);
});

Deno.test("`run` on a diverging learning rate: one line naming the split, exit 1, no stack trace", async () => {
  const args = [
    "run",
    "--method",
    "finetune",
    "--dataset",
    "demo",
    "--protocol",
    "sampled",
    "--k",
    "2",
    "--seeds",
    "1,2",
    "--model",
    EMBEDDED_MODEL,
  ];
  const { code, stdout, stderr } = await entry("lib/cli/main.ts", [...args, "--steps", "2", "--lr", "1e10", "--max-length", "32"]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /^error: k2_seed1: training diverged: loss NaN at step 1; lower the learning rate/m);
  assert.doesNotMatch(stderr, /Uncaught|\bat .*:\d+:\d+/);
  assert.doesNotMatch(stdout, /accuracy \d/, "no summary of a diverged run");
});

Deno.test("the first run of a grid creates its results folder (and its lock beside the file)", async () => {
  const model = await fakeModel();
  const results = `${model.dir}/new/sub/r.jsonl`;
  assert.equal((await runGrid(grid, { model, results, runCell: fake, progress: false })).length, expandGrid(grid).length);
});
