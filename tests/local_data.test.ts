/**
 * Local data everywhere: a `.csv`/`.jsonl` file as the dataset of `run` and `grid` (flags and grid JSON), PET
 * label words as JSON or a JSON file, and the bad inputs of each, reported with file and field. Trains on the
 * embedded model for two steps, on a CSV made from the demo reviews.
 */
import assert from "node:assert/strict";
import { methodOptions } from "../lib/cli/run.ts";
import { datasetFromFlags, datasetTask } from "../lib/data/dataset_spec.ts";
import { loadGrid, parseGrid } from "../lib/experiments/grid.ts";
import { checkGrid, gridTask } from "../lib/experiments/grid_check.ts";
import { runGrid } from "../lib/experiments/grid_run.ts";
import { codeProvenance } from "../lib/experiments/provenance.ts";
import { readResultsFile } from "../lib/experiments/results.ts";
import { EMBEDDED_MODEL } from "../lib/experiments/setup.ts";
import { PET_DEFAULTS } from "../lib/methods/pet/pet.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { baseParameterCount } from "../lib/model/parameter_count.ts";
import { InputError } from "../lib/util/errors.ts";
import { root } from "./_shared.ts";
import { type Ran, runDeno } from "./_subprocess.ts";

/** A machine path as the before-stop hook finds it: a JSON string of three or more `/`-segments. */
const MACHINE_PATH = /"(\/[A-Za-z0-9._-]+){3,}/;
const WORDS = { "1": ["好"], "0": ["差"] };

const isInputError = (where: { file?: string; field?: string }, text: RegExp) => (e: Error) =>
  e instanceof InputError && (where.file === undefined || e.location.file === where.file) &&
  (where.field === undefined || e.location.field === where.field) && text.test(e.message);

/** A folder with `reviews.csv` (the demo reviews as `review,label` with labels 1/0) and `words.json`. */
async function dataDir(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const rows = (await Deno.readTextFile(`${root}/data/demo-reviews/train.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const csv = ["review,label", ...rows.map((r) => `${quote(r.sentence)},${r.label === "Positive" ? 1 : 0}`)].join("\n");
  await Deno.writeTextFile(`${dir}/reviews.csv`, csv + "\n");
  await Deno.writeTextFile(`${dir}/words.json`, JSON.stringify(WORDS));
  return dir;
}

function cli(entry: string, args: string[], cwd: string): Promise<Ran> {
  return runDeno(["run", "-A", `${root}/${entry}`, ...args], { cwd, env: { PROMPTLAB_OFFLINE: "1" } });
}

Deno.test("run: a local CSV with PET label words as JSON trains and reports the dataset and model by name, no path", async () => {
  const dir = await dataDir();
  const args = [
    "run",
    "--method",
    "pet",
    "--dataset",
    "reviews.csv",
    "--text",
    "review",
    "--label",
    "label",
    "--protocol",
    "sampled",
    "--k",
    "2",
    "--seeds",
    "1",
    "--steps",
    "2",
    "--eval-every",
    "1",
    "--verbalizer",
    JSON.stringify(WORDS),
    "--json",
  ];
  const { code, stdout, stderr } = await cli("lib/cli/main.ts", args, dir);
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
  const [split, summary] = [lines.find((l) => l.type === "split"), lines.find((l) => l.type === "summary")];
  assert.equal(split.dataset, "reviews");
  assert.deepEqual(split.labels, ["1", "0"]);
  assert.equal(split.trainSize, 4);
  assert.equal(summary.dataset, "reviews");
  // The default model is the embedded one, named by folder and fingerprint.
  assert.equal(summary.model.name, "promptlab-bert-zh-L4-H256");
  assert.match(summary.model.fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(summary.modelDir, undefined);
  // Each line records the code that made it, as grid rows do.
  assert.deepEqual([split.code, summary.code], [await codeProvenance(), await codeProvenance()]);
  assert.doesNotMatch(stdout, MACHINE_PATH);
});

Deno.test("run: bad local inputs and label words are exit 2 with one line naming the flag or file", async () => {
  const dir = await dataDir();
  const base = ["run", "--method", "pet", "--protocol", "sampled", "--k", "2", "--seeds", "1", "--steps", "2"];
  const local = [...base, "--dataset", "reviews.csv", "--text", "review", "--label", "label"];
  const cases: [string[], RegExp][] = [
    [[...base, "--dataset", "missing.csv", "--text", "review", "--label", "label"], /--dataset: no such file "missing\.csv"/],
    [[...base, "--dataset", "reviews.csv", "--text", "review"], /--label: required with a local dataset file/],
    [[...base, "--dataset", "demo", "--text", "review"], /--text: belongs to a local dataset file .*"demo" is a dataset name/],
    [[...base, "--dataset", "reviews.csv", "--text", "comment", "--label", "label"], /reviews\.csv:1 \(field "comment"\): missing column/],
    [[...local, "--test", "none.csv"], /none\.csv: cannot read/],
    [[...local, "--verbalizer", '{"1": ["好"]'], /--verbalizer: not valid JSON/],
    [[...local, "--verbalizer", "@nowhere.json"], /nowhere\.json \(field "--verbalizer"\): cannot read/],
    // The default verbalizer's labels (Positive/Negative) are not the file's.
    [local, /words given for "Positive", which is not one of the labels \[1, 0\]/],
    [[...local, "--verbalizer", JSON.stringify({ "1": ["好"] })], /label "0" has no words/],
  ];
  for (const [args, text] of cases) {
    const { code, stderr } = await cli("lib/cli/main.ts", args, dir);
    const what = `${args.join(" ")}: ${stderr}`;
    assert.equal(code, 2, what);
    assert.match(stderr, /^error: [^\n]+\n$/, what);
    assert.match(stderr, text, what);
  }
});

Deno.test("run: label words from JSON, @file or a .json path; preset names stay names", async () => {
  const dir = await dataDir();
  const opts = (raw: string) => methodOptions("pet", PET_DEFAULTS, new Map([["verbalizer", raw]]));
  assert.deepEqual(opts(JSON.stringify(WORDS)), { verbalizer: WORDS });
  assert.deepEqual(opts(`@${dir}/words.json`), { verbalizer: WORDS });
  assert.deepEqual(opts(`${dir}/words.json`), { verbalizer: WORDS });
  assert.deepEqual(opts("good-bad"), { verbalizer: "good-bad" });
  await Deno.writeTextFile(`${dir}/broken.json`, '{"1": ');
  assert.throws(() => opts(`${dir}/broken.json`), isInputError({ file: `${dir}/broken.json`, field: "--verbalizer" }, /not valid JSON/));
  // A template is no label words: `{text}` stays a template.
  assert.deepEqual(methodOptions("pet", PET_DEFAULTS, new Map([["template", "{text}总之很[MASK]。"]])), {
    template: "{text}总之很[MASK]。",
  });
});

Deno.test("dataset flags: a data file must exist and have its columns named; a registered name takes no column flags", () => {
  assert.equal(datasetFromFlags("eprstmt", {}), "eprstmt");
  assert.equal(datasetFromFlags(undefined, {}), undefined);
  assert.throws(() => datasetFromFlags(undefined, { label: "y" }), isInputError({ field: "--label" }, /give --dataset FILE too/));
  assert.throws(
    () => datasetFromFlags("eprstmt", { labels: ["a", "b"] }),
    isInputError({ field: "--labels" }, /belongs to a local dataset file/),
  );
  assert.throws(() => datasetFromFlags("no/such.jsonl", { text: "t", label: "l" }), isInputError({ field: "--dataset" }, /no such file/));
});

Deno.test("grid: a local dataset in grid JSON (paths relative to the grid file) with PET words as an object runs whole", async () => {
  const dir = await dataDir();
  await Deno.mkdir(`${dir}/grids`);
  const file = `${dir}/grids/local.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      name: "local",
      dataset: { train: "../reviews.csv", text: "review", label: "label", labels: ["1", "0"] },
      protocol: { kind: "sampled", k: [2], seeds: [1] },
      methods: [
        { method: "pet", options: { steps: 2, evalEvery: 1, verbalizer: WORDS } },
        { method: "finetune", options: { steps: 2, evalEvery: 1 } },
      ],
    }),
  );
  const grid = await loadGrid(file);
  assert.deepEqual(grid.dataset, {
    train: `${dir}/reviews.csv`,
    test: undefined,
    text: "review",
    label: "label",
    labels: ["1", "0"],
    id: undefined,
    name: undefined,
  });
  const model = await loadModelFolder(EMBEDDED_MODEL);
  const results = `${dir}/local.jsonl`;
  const rows = await runGrid(grid, { model, results, gridFile: file, progress: false });
  assert.deepEqual(rows.map((r) => [r.method, r.dataset, r.labels, r.trainSize]), [["pet", "reviews", ["1", "0"], 4], [
    "finetune",
    "reviews",
    ["1", "0"],
    4,
  ]]);
  const written = await Deno.readTextFile(results);
  assert.doesNotMatch(written, MACHINE_PATH);
  const [first] = written.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(first.model, {
    name: "promptlab-bert-zh-L4-H256",
    fingerprint: first.model.fingerprint,
    parameters: baseParameterCount(model.weights),
  });
});

Deno.test("grid: --dataset runs a grid on a local file, as grid <name>-<dataset>", async () => {
  const dir = await dataDir();
  const file = `${dir}/g.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      name: "g",
      dataset: "eprstmt",
      protocol: { kind: "sampled", k: [2], seeds: [1] },
      methods: [{ method: "finetune", options: { steps: 2, evalEvery: 1 } }],
    }),
  );
  const args = [
    "g.json",
    "--dataset",
    "reviews.csv",
    "--text",
    "review",
    "--label",
    "label",
    "--model",
    EMBEDDED_MODEL,
    "--results",
    "r.jsonl",
  ];
  const { code, stderr } = await cli("lib/experiments/main.ts", args, dir);
  assert.equal(code, 0, stderr);
  const [row] = await readResultsFile(`${dir}/r.jsonl`);
  assert.deepEqual([row.grid, row.dataset, row.model.name], ["g-reviews", "reviews", "promptlab-bert-zh-L4-H256"]);
  const stray = await cli("lib/experiments/main.ts", ["g.json", "--text", "review"], dir);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /^error: --text: belongs to a local dataset file: give --dataset FILE too\n$/);
});

Deno.test("grid: a bad local dataset is an error naming the grid file and field before anything trains", async () => {
  const dir = await dataDir();
  const file = `${dir}/g.json`;
  const grid = (dataset: unknown, methods: unknown[] = [{ method: "finetune" }]) =>
    parseGrid({ name: "g", dataset, protocol: { kind: "sampled", k: [2], seeds: [1] }, methods }, file);
  const local = { train: "reviews.csv", text: "review", label: "label" };
  const shape: [unknown, string, RegExp][] = [
    [{ ...local, sep: ";" }, "dataset.sep", /unknown key; allowed: train, test, text, label, labels, id, name/],
    [{ text: "review", label: "label" }, "dataset.train", /must be a \.csv or \.jsonl file/],
    [{ ...local, train: "reviews.txt" }, "dataset.train", /must be a \.csv or \.jsonl file, got "reviews\.txt"/],
    [{ ...local, label: undefined }, "dataset.label", /must be the name of the label column/],
    [{ ...local, labels: ["1", "0", "1"] }, "dataset.labels[2]", /"1" is listed twice/],
    [{ ...local, name: "a b" }, "dataset.name", /file-name-safe/],
    [42, "dataset", /must be a dataset name, or an object/],
  ];
  for (const [dataset, field, text] of shape) assert.throws(() => grid(dataset), isInputError({ file, field }, text), field);

  const data: [unknown, string, RegExp][] = [
    [{ ...local, train: "missing.csv" }, "dataset.train", /missing\.csv: cannot read/],
    [{ ...local, text: "comment" }, "dataset.text", /reviews\.csv:1 \(field "comment"\): missing column/],
    [{ ...local, labels: ["pos", "neg"] }, "dataset.label", /reviews\.csv:2 \(field "label"\): unknown label "1"/],
    [{ ...local, test: "missing.csv" }, "dataset.test", /missing\.csv: cannot read/],
    ["nonesuch", "dataset", /unknown dataset "nonesuch"/],
  ];
  for (const [dataset, field, text] of data) {
    await assert.rejects(gridTask(grid(dataset), file), isInputError({ file, field }, text), field);
  }
  // The paths are the grid file's folder's: the message names the data file as found from the working folder.
  await assert.rejects(gridTask(grid({ ...local, text: "comment" }), file), new RegExp(`${dir}/reviews\\.csv:1`));

  // Label words are checked against the local labels, at the option that set them.
  const model = await loadModelFolder(EMBEDDED_MODEL);
  const check = async (verbalizer: unknown) => {
    const g = grid(local, [{ method: "pet", options: { verbalizer } }]);
    await checkGrid(g, { model, task: await gridTask(g, file), file });
  };
  await check(WORDS);
  await assert.rejects(
    check({ Positive: ["好"], Negative: ["差"] }),
    isInputError({ file, field: "methods[0].options.verbalizer" }, /"Positive", which is not one of the labels \[1, 0\]/),
  );
  await assert.rejects(
    check({ "1": ["好"], "0": 5 }),
    isInputError({ file, field: "methods[0].options.verbalizer.0" }, /must be a word or a list of words, got 5/),
  );
  await assert.rejects(
    check(["好", "差"]),
    isInputError({ file, field: "methods[0].options.verbalizer" }, /must be a preset name or words per label/),
  );
  assert.ok((await datasetTask("demo")).labels.length === 2);
});
