/**
 * Local data in FewCLUE's layout: `--dev FILE` (with `--test`) as split 0, a folder of `train_<i>.json`/
 * `dev_<i>.json`/`test_public.json` as its official splits, a 3-class NLI pair task with JSON label words,
 * `--mode zero-shot` without a protocol or sample, and the sampled protocol's refusal naming the binding class.
 */
import assert from "node:assert/strict";
import { protocolOf, RUN_SPEC } from "../lib/cli/run.ts";
import { datasetFromFlags, datasetTask } from "../lib/data/dataset_spec.ts";
import { sampleFewShot } from "../lib/data/fewshot.ts";
import { loadFewShot } from "../lib/data/load.ts";
import { parseGrid } from "../lib/experiments/grid.ts";
import { InputError } from "../lib/util/errors.ts";
import { parseFlags as parseSpec } from "../lib/util/flags.ts";
import { runDeno, taskFlags } from "./_subprocess.ts";

const LABELS = ["entailment", "neutral", "contradiction"];
const WORDS = JSON.stringify({ entailment: ["是"], neutral: ["或"], contradiction: ["不"] });

/** NLI pairs in BUSTM's columns: `per` rows of each class, texts tagged so no two files share a pair. */
function nliRows(tag: string, per: number): string {
  const rows = [];
  for (let i = 0; i < per; i++) {
    for (const [j, label] of LABELS.entries()) {
      rows.push({ id: rows.length, sentence1: `今天${tag}下雨${i}号`, sentence2: `天气${j}不好${tag}`, label });
    }
  }
  return rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

/** A FewCLUE-layout folder of two splits (4 per class in train, 2 in dev) and a test set (5 per class). */
async function nliFolder(): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const i of [0, 1]) {
    await Deno.writeTextFile(`${dir}/train_${i}.json`, nliRows(`t${i}`, 4));
    await Deno.writeTextFile(`${dir}/dev_${i}.json`, nliRows(`d${i}`, 2));
  }
  await Deno.writeTextFile(`${dir}/test_public.json`, nliRows("x", 5));
  return dir;
}

const PAIR_FLAGS = { text: "sentence1", "text-b": "sentence2" };

const inputError = (where: { file?: string; line?: number; field?: string }, text: RegExp) => (e: Error) => {
  assert.ok(e instanceof InputError, String(e));
  for (const [k, v] of Object.entries(where)) assert.equal(e.location[k as keyof typeof where], v, k);
  assert.match(e.message, text);
  return true;
};

Deno.test("fewclue layout: a folder's train_i/dev_i are its official splits, test_public its test set", async () => {
  const dir = await nliFolder();
  const spec = datasetFromFlags(dir, PAIR_FLAGS);
  assert.deepEqual(spec, { train: dir, text: "sentence1", textB: "sentence2", label: "label", labels: undefined });
  const task = await datasetTask(spec);
  assert.deepEqual([task.labels, task.official, task.test, task.pair], [LABELS, { count: 2 }, "test", true]);
  const one = await loadFewShot(task, { kind: "official", index: 1 });
  assert.deepEqual([one.train.length, one.dev.length, one.test.length], [12, 6, 15]);
  assert.ok(one.train.every((r) => r.text.includes("t1")) && one.dev.every((r) => r.text.includes("d1")));
  // Sampled from the union of its train and dev files.
  assert.equal((await loadFewShot(task, { kind: "sampled", k: 2, seed: 1 })).train.length, 6);
  // A folder holds its own splits.
  assert.throws(
    () => datasetFromFlags(dir, { ...PAIR_FLAGS, test: `${dir}/test_public.json` }),
    inputError({ field: "--test" }, /holds its own splits/),
  );
  await Deno.remove(`${dir}/test_public.json`);
  await assert.rejects(() => datasetTask(datasetFromFlags(dir, PAIR_FLAGS)), inputError({ file: dir }, /no test_public\.json/));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fewclue layout: a label outside the train files' set is an error naming file, line and field", async () => {
  const dir = await nliFolder();
  await Deno.writeTextFile(
    `${dir}/dev_1.json`,
    nliRows("d1", 1) + JSON.stringify({ sentence1: "a", sentence2: "b", label: "unknown" }) + "\n",
  );
  await assert.rejects(
    () => datasetTask(datasetFromFlags(dir, PAIR_FLAGS)),
    inputError({ file: `${dir}/dev_1.json`, line: 4, field: "label" }, /unknown label "unknown"/),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test('fewclue layout: --dev FILE with --test is split 0; without --test it is refused; a grid\'s dataset takes "dev"', async () => {
  const dir = await nliFolder();
  const [train, dev, test] = [`${dir}/train_0.json`, `${dir}/dev_0.json`, `${dir}/test_public.json`];
  const task = await datasetTask(datasetFromFlags(train, { ...PAIR_FLAGS, label: "label", dev, test }));
  assert.deepEqual([task.official, task.splits], [{ count: 1 }, ["train_0", "dev_0", "test"]]);
  const split0 = await loadFewShot(task, { kind: "official", index: 0 });
  assert.deepEqual([split0.train.length, split0.dev.length, split0.test.length], [12, 6, 15]);
  await assert.rejects(
    () => datasetTask(datasetFromFlags(train, { ...PAIR_FLAGS, label: "label", dev })),
    inputError({ field: "dev" }, /needs a test file/),
  );
  const grid = parseGrid({
    name: "nli",
    dataset: { train: "train_0.json", dev: "dev_0.json", test: "test_public.json", text: "sentence1", textB: "sentence2", label: "label" },
    protocol: { kind: "fewclue", indices: [0] },
    methods: [{ method: "finetune" }],
  }, `${dir}/grid.json`);
  assert.deepEqual(grid.dataset, {
    train,
    test,
    dev,
    text: "sentence1",
    textB: "sentence2",
    label: "label",
    labels: undefined,
    id: undefined,
    name: undefined,
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sampled protocol: the refusal names the class with the fewest examples and the largest K allowed", () => {
  const pool = [
    ...Array.from({ length: 9 }, (_, i) => ({ text: `甲${i}`, label: "a" })),
    ...Array.from({ length: 5 }, (_, i) => ({ text: `乙${i}`, label: "b" })),
  ];
  assert.throws(
    () => sampleFewShot(pool, { k: 4, seed: 1, labels: ["a", "b"] }),
    inputError(
      {},
      /^class "b" has 5 usable examples, fewer than the 8 needed for 4 train \+ 4 dev \(the fewest of the 2 classes: this pool allows K ≤ 2\)$/,
    ),
  );
  assert.equal(sampleFewShot(pool, { k: 2, seed: 1, labels: ["a", "b"] }).train.length, 4);
});

Deno.test("run: --mode zero-shot needs no protocol, K or split (a protocol given is run); a trained method needs --protocol", () => {
  const p = (args: string[], options: Record<string, unknown> = {}) => {
    const parsed = parseSpec(RUN_SPEC, ["--method", "m", "--dataset", "d", ...args]);
    if (parsed.help) throw new Error("help");
    return protocolOf(parsed.values, options);
  };
  const zero = { mode: "zero-shot" };
  assert.deepEqual(p([], zero), { kind: "zero-shot" });
  assert.deepEqual(p(["--protocol", "fewclue"], zero), { kind: "fewclue", indices: undefined });
  assert.throws(() => p(["--k", "4"], zero), inputError({ field: "--k" }, /scores the test set once/));
  assert.throws(() => p([], { mode: "finetune" }), inputError({ field: "--protocol" }, /got nothing/));
});

Deno.test("cli run: a 3-class NLI folder runs --protocol fewclue with JSON label words, and zero-shot without a protocol", async () => {
  const dir = await nliFolder();
  const flags = await taskFlags("cli");
  const base = [
    "run",
    ...flags,
    "lib/cli/main.ts",
    "run",
    "--method",
    "pet",
    "--dataset",
    dir,
    "--text",
    "sentence1",
    "--text-b",
    "sentence2",
    "--template",
    "{text}？[MASK]，{text_b}",
    "--verbalizer",
    WORDS,
    "--max-length",
    "32",
    "--json",
  ];
  const trained = await runDeno([...base, "--protocol", "fewclue", "--splits", "1", "--steps", "1", "--batch-size", "4"], {
    env: { PROMPTLAB_THREADS: "1" },
  });
  assert.equal(trained.code, 0, trained.stderr);
  const [split, summary] = trained.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual([split.split, split.trainSize, summary.protocol, summary.dataset], [
    "fewclue_1",
    12,
    "fewclue",
    dir.slice(dir.lastIndexOf("/") + 1),
  ]);
  const zero = await runDeno([...base, "--mode", "zero-shot"], { env: { PROMPTLAB_THREADS: "1" } });
  assert.equal(zero.code, 0, zero.stderr);
  const [zsplit, zsummary] = zero.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual([zsplit.split, zsplit.trainSize, zsummary.protocol, zsummary.splits], ["zero_shot", 0, "zero-shot", 1]);
  await Deno.remove(dir, { recursive: true });
});
