/**
 * Sentence-pair data: FewCLUE BUSTM registered (pinned splits, labels, official and sampled protocols, its
 * unlabelled pairs decontaminated by sentence), local files with a second text column (`--text-b`, grid JSON
 * `textB`) and their bad inputs, and the pre-training corpus left as it was.
 */
import assert from "node:assert/strict";
import { datasetFromFlags, datasetTask } from "../lib/data/dataset_spec.ts";
import { datasetStats, loadFewShot, loadSplit } from "../lib/data/load.ts";
import { BUSTM_FILES } from "../lib/data/manifest.ts";
import { getTask } from "../lib/data/registry.ts";
import { unlabeledRows, unlabeledTexts } from "../lib/data/unlabeled.ts";
import { inputKind } from "../lib/data/types.ts";
import { parseGrid } from "../lib/experiments/grid.ts";
import { gridTask } from "../lib/experiments/grid_check.ts";
import { corpusDefinition } from "../lib/pretrain/corpora.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";
import { runDeno, taskFlags } from "./_subprocess.ts";

const BUSTM = "data/fewclue/bustm";
const PAIRS = `${root}/tests/fixtures/paraphrase_pairs.jsonl`;
const src = () => ({ mirror: shared("data"), download: false });

const isInputError = (where: { file?: string; field?: string; line?: number }, text: RegExp) => (e: Error) =>
  e instanceof InputError && (where.file === undefined || e.location.file === where.file) &&
  (where.field === undefined || e.location.field === where.field) && (where.line === undefined || e.location.line === where.line) &&
  text.test(e.message);

Deno.test("bustm: registered as a pair task with FewCLUE's splits, pinned at EPRSTMT's commit; the first corpus (reviews-v1) does not read it", () => {
  const task = getTask("bustm");
  assert.equal(inputKind(task), "pair");
  assert.equal(inputKind(getTask("eprstmt")), "text");
  assert.deepEqual(task.labels, ["Same", "Different"]);
  assert.deepEqual(task.labelNamesZh, { Same: "相同", Different: "不同" });
  assert.deepEqual(task.splits, Object.keys(BUSTM_FILES));
  assert.deepEqual(task.splits.filter((s) => /^(train|dev)_\d$/.test(s)).length, 10);
  assert.deepEqual([task.pool, task.test, task.evalSplits, task.unlabeled], [["train_few_all", "dev_few_all"], "test_public", [
    "dev_few_all",
    "test_public",
    "test",
  ], ["unlabeled"]]);
  assert.deepEqual(task.official, { count: 5 });
  for (const f of Object.values(BUSTM_FILES)) {
    assert.equal(f.commit, "62a02c6f31cf32814cfe522f78ef088228840f8d");
    assert.equal(f.upstreamPath, `datasets/${f.path.slice("fewclue/".length)}`);
    assert.match(f.sha256, /^[0-9a-f]{64}$/);
  }
  assert.ok(corpusDefinition("reviews-v1").sources.every((s) => !("task" in s) || s.task !== "bustm"), "the first corpus has no pairs");
});

sharedTest("bustm: every split through the mirror, labels 1/0 as Same/Different, rows are pairs", BUSTM, async () => {
  const stats = await datasetStats("bustm", src());
  assert.deepEqual(stats.splits.train_0, { rows: 32, labels: { Same: 16, Different: 16 } });
  assert.deepEqual(stats.splits.train_few_all, { rows: 160, labels: { Same: 70, Different: 90 } });
  assert.deepEqual(stats.splits.test_public, { rows: 1772, labels: { Same: 886, Different: 886 } });
  assert.deepEqual(stats.splits.test, { rows: 2000 });
  assert.deepEqual(stats.splits.unlabeled, { rows: 4251 });
  assert.equal(stats.dropped, undefined);
  const [first] = await loadSplit("bustm", "train_0", src());
  assert.deepEqual(first, { text: "叫爸爸叫一声我听听", textB: "那你叫我一声爸爸", id: "0", label: "Same" });
});

sharedTest(
  "bustm: official and sampled protocols; unlabelled pairs lose those sharing a sentence with an evaluation split",
  BUSTM,
  async () => {
    const official = await loadFewShot("bustm", { kind: "official", index: 2 }, src());
    assert.deepEqual([official.train.length, official.dev.length, official.test.length], [32, 32, 1772]);
    const sampled = await loadFewShot("bustm", { kind: "sampled", k: 64, seed: 1 }, src());
    assert.equal(sampled.train.length, 128);
    assert.ok(sampled.train.every((r) => r.textB));
    const pairKey = (r: { text: string; textB?: string }) => `${r.text}|${r.textB}`;
    const test = new Set(sampled.test.map(pairKey));
    assert.ok([...sampled.train, ...sampled.dev].every((r) => !test.has(pairKey(r))));
    await assert.rejects(() => loadFewShot("bustm", { kind: "sampled", k: 80, seed: 1 }, src()), /class "Same" has 145 usable examples/);

    const stream = unlabeledRows("bustm", src());
    const rows = [];
    for await (const r of stream) rows.push(r);
    assert.deepEqual(stream.report, { read: 4251, yielded: 3766, duplicates: 0, decontaminated: 485 });
    assert.ok(rows.every((r) => r.textB !== undefined));
    const evalSentences = new Set<string>();
    for (const s of getTask("bustm").evalSplits) {
      for (const r of (await getTask("bustm").read(s, src())).rows) {
        evalSentences.add(r.text).add(r.textB!);
      }
    }
    assert.ok(rows.every((r) => !evalSentences.has(r.text) && !evalSentences.has(r.textB!)));
    assert.throws(() => unlabeledTexts("bustm"), isInputError({}, /holds sentence pairs, not texts/));
  },
);

sharedTest("cli: data bustm --stats prints the pair task's splits", BUSTM, async () => {
  const { code, stdout, stderr } = await runDeno([
    "run",
    ...(await taskFlags("cli")),
    `${root}/lib/cli/main.ts`,
    "data",
    "bustm",
    "--stats",
    "--mirror",
    shared("data"),
  ]);
  assert.equal(code, 0, stderr);
  const stats = JSON.parse(stdout);
  assert.equal(stats.dataset, "bustm");
  assert.deepEqual(stats.splits.dev_few_all, { rows: 160, labels: { Same: 78, Different: 82 } });
});

Deno.test("local pairs: --text-b names the second column (JSON Lines and CSV); rows are pairs, the task a pair task", async () => {
  const spec = datasetFromFlags(PAIRS, { text: "sentence1", "text-b": "sentence2", label: "label" });
  assert.deepEqual(spec, { train: PAIRS, test: undefined, text: "sentence1", textB: "sentence2", label: "label", labels: undefined });
  const task = await datasetTask(spec);
  assert.equal(inputKind(task), "pair");
  assert.deepEqual(task.labels, ["1", "0"]);
  const { train, test } = await loadFewShot(task, { kind: "sampled", k: 4, seed: 1 });
  assert.ok([...train, ...test].every((r) => r.textB));

  const dir = await Deno.makeTempDir();
  const csv = `${dir}/pairs.csv`;
  await Deno.writeTextFile(csv, "q1,q2,same\n几点了,现在几点,1\n放首歌,关掉音乐,0\n");
  const rows = await loadSplit(await datasetTask(datasetFromFlags(csv, { text: "q1", "text-b": "q2", label: "same" })), "train");
  assert.deepEqual(rows.map((r) => [r.text, r.textB]).sort(), [["几点了", "现在几点"], ["放首歌", "关掉音乐"]].sort());
  // Without --text-b the same file is a single-text task.
  assert.equal(inputKind(await datasetTask(datasetFromFlags(csv, { text: "q1", label: "same" }))), "text");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("local pairs: a missing or empty second text is an input error naming file, line and column", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.csv`, "q1,q2,same\n几点了,现在几点,1\n");
  await assert.rejects(
    () => datasetTask({ train: `${dir}/a.csv`, text: "q1", textB: "q3", label: "same" }),
    isInputError({ file: `${dir}/a.csv`, line: 1, field: "q3" }, /missing column/),
  );
  await Deno.writeTextFile(`${dir}/b.jsonl`, '{"a":"几点了","b":"现在几点","y":"1"}\n{"a":"放首歌","b":"  ","y":"0"}\n');
  await assert.rejects(
    () => datasetTask({ train: `${dir}/b.jsonl`, text: "a", textB: "b", label: "y" }),
    isInputError({ file: `${dir}/b.jsonl`, line: 2, field: "b" }, /empty text/),
  );
  await Deno.writeTextFile(`${dir}/c.jsonl`, '{"a":"几点了","y":"1"}\n');
  await assert.rejects(
    () => datasetTask({ train: `${dir}/c.jsonl`, text: "a", textB: "b", label: "y" }),
    isInputError({ file: `${dir}/c.jsonl`, line: 1, field: "b" }, /missing field/),
  );
  assert.throws(() => datasetFromFlags("bustm", { "text-b": "b" }), isInputError({ field: "--text-b" }, /belongs to a local dataset file/));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("grid JSON: a local dataset's textB makes a pair task; a wrong column is reported at dataset.textB", async () => {
  const grid = (textB: unknown) => ({
    name: "p",
    dataset: { train: PAIRS, text: "sentence1", textB, label: "label" },
    protocol: { kind: "sampled", k: [2], seeds: [1] },
    methods: [{ method: "finetune" }],
  });
  const ok = parseGrid(grid("sentence2"));
  assert.equal((ok.dataset as { textB?: string }).textB, "sentence2");
  assert.equal(inputKind(await gridTask(ok, "g.json")), "pair");
  assert.throws(() => parseGrid(grid("")), isInputError({ field: "dataset.textB" }, /second text column/));
  await assert.rejects(
    () => gridTask(parseGrid(grid("nope")), "g.json"),
    isInputError({ file: "g.json", field: "dataset.textB" }, /missing field/),
  );
});
