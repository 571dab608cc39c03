/**
 * Provenance of results rows: the commit read from git's files (plain, worktree, packed refs, detached), the
 * `code` field every written row carries, the line naming mixed numerics, and a resumed grid over rows whose
 * data changed (refused, or set aside and run again on request).
 */
import assert from "node:assert/strict";
import { NUMERICS_VERSION, numericsEpoch } from "../lib/engine/numerics.ts";
import { parseGrid } from "../lib/experiments/grid.ts";
import { runGrid } from "../lib/experiments/grid_run.ts";
import { staleFile } from "../lib/experiments/grid_stale.ts";
import { formatStatus, gridStatus } from "../lib/experiments/grid_status.ts";
import { codeProvenance, codeText, numericsNote } from "../lib/experiments/provenance.ts";
import { isFailed, readResultsFile, type ResultRecord, type ResultRow } from "../lib/experiments/results.ts";
import { mergeShards } from "../lib/experiments/results_merge.ts";
import { summaryMarkdown, summaryTable } from "../lib/experiments/stats.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { InputError } from "../lib/util/errors.ts";
import { gitHead } from "../lib/util/git_head.ts";
import { root } from "./_shared.ts";
import { fakeOutcome } from "./_outcome.ts";

const SHA = (c: string) => c.repeat(40);

async function write(path: string, text: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("gitHead: loose refs, packed-refs, a detached HEAD, a worktree's .git file, and no checkout", async () => {
  const repo = await Deno.makeTempDir();
  await write(`${repo}/.git/HEAD`, "ref: refs/heads/main\n");
  await write(`${repo}/.git/refs/heads/main`, `${SHA("a")}\n`);
  assert.equal(await gitHead(repo), SHA("a"));

  await Deno.remove(`${repo}/.git/refs/heads/main`);
  await write(
    `${repo}/.git/packed-refs`,
    `# pack-refs with: peeled fully-peeled sorted\n${SHA("b")} refs/heads/main\n^${SHA("c")}\n${SHA("d")} refs/heads/other\n`,
  );
  assert.equal(await gitHead(repo), SHA("b"), "packed-refs, when the loose ref is gone");

  // A worktree: `.git` is a file pointing into the main repository, whose `commondir` leads back to the shared refs.
  const wt = await Deno.makeTempDir();
  await write(`${wt}/.git`, `gitdir: ${repo}/.git/worktrees/wt\n`);
  await write(`${repo}/.git/worktrees/wt/HEAD`, "ref: refs/heads/feature\n");
  await write(`${repo}/.git/worktrees/wt/commondir`, "../..\n");
  await write(`${repo}/.git/refs/heads/feature`, `${SHA("e")}\n`);
  assert.equal(await gitHead(wt), SHA("e"));
  assert.equal(await gitHead(repo), SHA("b"), "the main checkout keeps its own HEAD");
  await Deno.writeTextFile(`${repo}/.git/worktrees/wt/HEAD`, "ref: refs/heads/other\n");
  assert.equal(await gitHead(wt), SHA("d"), "a worktree's branch found in the shared packed-refs");

  await Deno.writeTextFile(`${repo}/.git/HEAD`, `${SHA("f")}\n`);
  assert.equal(await gitHead(repo), SHA("f"), "detached HEAD");
  await Deno.writeTextFile(`${repo}/.git/HEAD`, "ref: refs/heads/unborn\n");
  assert.equal(await gitHead(repo), undefined, "an unborn branch names no commit");
  assert.equal(await gitHead(await Deno.makeTempDir()), undefined, "no checkout");
});

Deno.test("codeProvenance: the kit version of deno.json, today's numerics, and the commit git itself reports", async () => {
  const code = await codeProvenance();
  const git = await new Deno.Command("git", { args: ["rev-parse", "HEAD"], cwd: root, stdout: "piped" }).output();
  assert.equal(code.commit, new TextDecoder().decode(git.stdout).trim());
  assert.equal(code.kit, JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).version);
  assert.match(code.kit!, /^\d+\.\d+\.\d+/);
  assert.equal(code.numerics, NUMERICS_VERSION);
  assert.match(code.sources!, /^[0-9a-f]{16}$/);
  assert.equal(code.inferred, undefined);
});

const outcome = fakeOutcome({ n: 4 });

Deno.test("grid rows, done and failed, record the code that made them; --status names rows of other numerics", async () => {
  const dir = await Deno.makeTempDir();
  const grid = parseGrid({
    name: "p",
    dataset: "demo",
    protocol: { kind: "sampled", k: [2], seeds: [1, 2] },
    methods: [{ method: "finetune" }],
  });
  const results = `${dir}/r.jsonl`;
  const model = { dir: `${dir}/model`, weights: new Map() } as unknown as ModelFolder;
  await Deno.mkdir(model.dir);
  await Deno.writeTextFile(`${model.dir}/config.json`, "{}");
  await Deno.writeTextFile(`${model.dir}/model.safetensors`, "x");
  let calls = 0;
  await runGrid(grid, {
    model,
    results,
    progress: false,
    onFailure: () => {},
    runCell: () => ++calls === 1 ? Promise.resolve(outcome) : Promise.reject(new Error("boom")),
  });
  const rows = await readResultsFile(results);
  assert.deepEqual(rows.map(isFailed), [false, true]);
  for (const r of rows) assert.deepEqual(r.code, await codeProvenance());
  assert.equal(numericsNote(rows), undefined, "rows of today's numerics need no note");
  assert.doesNotMatch(formatStatus(grid, await gridStatus(grid, results)), /numerics/);

  // An older row beside them: the status says so in one line, with versions, first commits and counts.
  const old = { ...rows[0], key: "old", code: { numerics: "2026-11-26", commit: SHA("a"), inferred: true } } as ResultRecord;
  await Deno.writeTextFile(results, `${JSON.stringify(old)}\n`, { append: true });
  const today = `numerics ${NUMERICS_VERSION} (from ${numericsEpoch(NUMERICS_VERSION)!.commit})`;
  const line = formatStatus(grid, await gridStatus(grid, results)).split("\n").filter((l) => l.includes("numerics"));
  assert.deepEqual(line, [
    `done rows mix numerics: 1 of ${today}, 1 of numerics 2026-11-26 (from 72e487b); today's code is ${today} and gives other numbers for the older rows`,
  ]);
  // Tables keep the two numerics apart (a column then says which is which); captions name the code.
  const done = (await readResultsFile(results)).filter((r): r is ResultRow => !isFailed(r));
  const table = summaryTable(done);
  assert.deepEqual(table.map((t) => [t.runs, t.numerics]), [[1, NUMERICS_VERSION], [1, "2026-11-26"]]);
  assert.deepEqual(summaryMarkdown(table).trim().split("\n").map((l) => l.split("|").at(-2)!.trim()), [
    "numerics",
    "---",
    NUMERICS_VERSION,
    "2026-11-26",
  ]);
  assert.doesNotMatch(summaryMarkdown(summaryTable(done.slice(0, 1))), /numerics/);
  assert.equal(
    codeText(done),
    `1 rows of ${today}, made at ${
      done[0].code!.commit!.slice(0, 7)
    }; 1 rows of numerics 2026-11-26 (from 72e487b), made at aaaaaaa (inferred from their times)`,
  );
  assert.match(numericsNote([{ ...rows[0], code: undefined }])!, /^rows are of older numerics: 1 of numerics unknown;/);
});

/** A local dataset (the demo reviews as CSV) and a zero-shot PET grid on it with the 2 x 64 family model. */
async function staleSetup() {
  const dir = await Deno.makeTempDir();
  const rows = (await Deno.readTextFile(`${root}/data/demo-reviews/train.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  const csv = (texts: string[]) =>
    ["review,label", ...rows.map((r, i) => `"${texts[i]}",${r.label === "Positive" ? 1 : 0}`)].join("\n") + "\n";
  const texts = rows.map((r) => String(r.sentence).replaceAll('"', "'"));
  await Deno.writeTextFile(`${dir}/reviews.csv`, csv(texts));
  const grid = parseGrid({
    name: "stale",
    dataset: { train: `${dir}/reviews.csv`, text: "review", label: "label", labels: ["1", "0"] },
    protocol: { kind: "sampled", k: [0], seeds: [1] },
    methods: [{ method: "pet", options: { verbalizer: { "1": ["好"], "0": ["差"] } }, zeroShot: { mode: "zero-shot" } }],
  });
  const model = await loadModelFolder(`${root}/models/promptlab-bert-zh-L2-H64`);
  return {
    dir,
    grid,
    model,
    results: `${dir}/r.jsonl`,
    edit: () => Deno.writeTextFile(`${dir}/reviews.csv`, csv(texts.map((t) => `${t}！`))),
  };
}

Deno.test("a resumed grid refuses a finished row whose data changed, naming file, cell and both fingerprints; --rerun-stale reruns it", async () => {
  const { grid, model, results, edit } = await staleSetup();
  const [first] = await runGrid(grid, { model, results, progress: false });
  const again = await runGrid(grid, { model, results, progress: false });
  assert.deepEqual(again, [first], "unchanged data: the finished row stands, nothing reruns");

  await edit();
  let now = "";
  await assert.rejects(runGrid(grid, { model, results, progress: false }), (e: Error) => {
    now = /now ([0-9a-f]{16})\)/.exec(e.message)?.[1] ?? "";
    return e instanceof InputError && e.location.file === results &&
      e.message.includes(`finished cell pet zero_shot was run on other data`) &&
      e.message.includes(`data fingerprint ${first.dataFingerprint}, now `) && e.message.includes("--rerun-stale") &&
      !e.message.includes("\n");
  });
  assert.notEqual(now, first.dataFingerprint);
  assert.deepEqual(await readResultsFile(results), [first], "a refusal writes nothing");

  const [rerun] = await runGrid(grid, { model, results, progress: false, rerunStale: true });
  assert.equal(rerun.dataFingerprint, now);
  assert.deepEqual(
    (await readResultsFile(results)).map((r) => (r as ResultRow).dataFingerprint),
    [now],
    "one row per cell, of today's data",
  );
  assert.deepEqual(await readResultsFile(staleFile(results)), [first], "the stale row is kept aside, not lost");
});

Deno.test("merge: one cell done in two shards at two commits with the same scores was run twice, not conflicting", async () => {
  const dir = await Deno.makeTempDir();
  const base = `${dir}/r.jsonl`;
  const row = { key: "c", method: "finetune", model: { name: "m", fingerprint: "f" }, ...outcome, finishedAt: "t", wallSeconds: 1 };
  await Deno.writeTextFile(
    `${dir}/r.shard-0-of-2.jsonl`,
    `${JSON.stringify({ ...row, code: { numerics: NUMERICS_VERSION, commit: SHA("a") } })}\n`,
  );
  await Deno.writeTextFile(
    `${dir}/r.shard-1-of-2.jsonl`,
    `${JSON.stringify({ ...row, code: { numerics: NUMERICS_VERSION, commit: SHA("b") } })}\n`,
  );
  await assert.rejects(mergeShards(base), /cell c was run twice \(same scores\)/);
});
