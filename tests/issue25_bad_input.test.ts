// Issue 25's probe: inputs that gave a stack trace, a silent wrong result or lost data, each now a clear error
// naming the file, field or flag (or a correct result), nothing of the user's overwritten.
import assert from "node:assert/strict";
import { rejects } from "./_assert.ts";
import { root } from "./_shared.ts";
import { runDeno, taskFlags } from "./_subprocess.ts";
import { loadTexts } from "../lib/data/load.ts";
import { localTask } from "../lib/data/local.ts";
import { parseCsv } from "../lib/data/parse_csv.ts";
import { parseJsonl } from "../lib/data/parse_jsonl.ts";
import { getTask } from "../lib/data/registry.ts";
import { readComparison } from "../lib/experiments/comparison_file.ts";
import { poolProblem } from "../lib/experiments/grid_check.ts";
import { getMethod } from "../lib/methods/registry.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { readSafetensors, writeSafetensors } from "../lib/model/formats/safetensors.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/pretrain/checkpoint.ts";
import { pretrain, type PretrainOptions } from "../lib/pretrain/pretrain.ts";
import { writeFileAtomic } from "../lib/util/atomic.ts";
import { lockFile } from "../lib/util/file_lock.ts";
import type { TensorMap } from "../lib/util/tensor.ts";

const TINY_BERT = `${root}/tests/fixtures/tiny-bert`;
const LABELS = ["Positive", "Negative"];
const ROWS = [{ text: "很好", label: "Positive" }, { text: "很差", label: "Negative" }];

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
}

/** The tensors of a safetensors file, editable, written back by `done`. */
async function editTensors(file: string, edit: (m: TensorMap) => void): Promise<void> {
  const m: TensorMap = new Map();
  for (const [n, t] of (await readSafetensors(file)).tensors) m.set(n, { shape: t.shape, data: Float32Array.from(t.data as Float32Array) });
  edit(m);
  await writeSafetensors(file, m);
}

Deno.test("model folder: a weights path that is a folder, a symlink loop, an absurd layer count or hidden size", async () => {
  const dir = await Deno.makeTempDir();
  await copyDir(TINY_BERT, `${dir}/m`);
  await Deno.remove(`${dir}/m/model.safetensors`);
  await Deno.mkdir(`${dir}/m/model.safetensors`);
  await rejects(() => loadModelFolder(`${dir}/m`), `${dir}/m/model.safetensors`, /: is a folder, not a file$/);

  await Deno.symlink(`${dir}/loop`, `${dir}/loop`);
  await rejects(() => loadModelFolder(`${dir}/loop`), `${dir}/loop`, /: is a symbolic link loop$/);

  await copyDir(TINY_BERT, `${dir}/big`);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/big/config.json`));
  // Refused from the weights' own sizes, before a tensor of the config's sizes is allocated.
  await Deno.writeTextFile(`${dir}/big/config.json`, JSON.stringify({ ...config, num_hidden_layers: 100_000_000 }));
  await rejects(
    () => loadModelFolder(`${dir}/big`),
    `(field "num_hidden_layers")`,
    /the weights hold 2 encoder layers but config.json has num_hidden_layers 100000000; fix the config/,
  );
  await Deno.writeTextFile(`${dir}/big/config.json`, JSON.stringify({ ...config, hidden_size: 1_000_000_000 }));
  await rejects(
    () => loadModelFolder(`${dir}/big`),
    `(field "hidden_size")`,
    /config.json has hidden_size 1000000000 but the weights' bert.embeddings.word_embeddings.weight is \[245,16\]/,
  );
  await Deno.remove(dir, { recursive: true });
});

const demoTexts = (await loadTexts("demo", "train")).map((r) => r.text);
const PRETRAIN: Partial<PretrainOptions> = {
  corpus: { train: demoTexts.slice(20), heldout: demoTexts.slice(0, 20) },
  layers: 1,
  hidden: 16,
  heads: 2,
  intermediate: 32,
  maxLength: 32,
  minFreq: 1,
  tokensPerBatch: 256,
  steps: 3,
  evalEvery: 10,
};

Deno.test("pretrain --out: a file, or a folder of files it did not write, refused and left as it was", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "mine");
  await rejects(() => pretrain({ ...PRETRAIN, out: `${dir}/file` }), `${dir}/file`, /is a file: --out takes a folder/);
  assert.equal(await Deno.readTextFile(`${dir}/file`), "mine");

  await Deno.mkdir(`${dir}/hub`);
  const before = { "config.json": '{"hidden_size": 768}', "vocab.txt": "[PAD]\n", "pytorch_model.bin": "weights" };
  for (const [name, text] of Object.entries(before)) await Deno.writeTextFile(`${dir}/hub/${name}`, text);
  await rejects(
    () => pretrain({ ...PRETRAIN, out: `${dir}/hub/` }),
    `${dir}/hub`,
    /holds files pre-training did not write \(config.json, pytorch_model.bin, vocab.txt\); it would overwrite them: give a new or empty --out/,
  );
  for (const [name, text] of Object.entries(before)) assert.equal(await Deno.readTextFile(`${dir}/hub/${name}`), text, name);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["file", "hub"], "no lock file or folder left behind");

  // An empty folder is taken; a rerun after a crash before the first checkpoint finds its own marker.
  await Deno.mkdir(`${dir}/empty`);
  assert.equal((await pretrain({ ...PRETRAIN, out: `${dir}/empty`, stopAt: 1 })).steps, 1);
  await Deno.remove(`${dir}/empty/checkpoint`, { recursive: true });
  assert.equal((await pretrain({ ...PRETRAIN, out: `${dir}/empty` })).steps, 3);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pretrain: a second run on one --out waits for the first's lock", async () => {
  const dir = await Deno.makeTempDir();
  const held = await lockFile(`${dir}/m`, { onWait: () => {} });
  let finished = false;
  const run = pretrain({ ...PRETRAIN, out: `${dir}/m` }).then((r) => (finished = true, r));
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!finished, "ran while another process held the folder");
  assert.ok(!(await Deno.stat(`${dir}/m`).then(() => true, () => false)), "wrote into the folder while it was held");
  await held.release();
  assert.equal((await run).steps, 3);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoints: a leftover checkpoint.old beside checkpoint/ is replaced, not a crash; NaN refused on load", async () => {
  const dir = await Deno.makeTempDir();
  const ckpt = (value: number) => ({
    weights: new Map([["w", { shape: [2], data: new Float32Array([value, 1]) }]]),
    optimizer: {
      step: 1,
      paramSteps: new Map([["w", 1]]),
      m: new Map([["w", { shape: [2], data: new Float32Array(2) }]]),
      v: new Map([["w", { shape: [2], data: new Float32Array(2) }]]),
    },
    state: { step: 1, totalSteps: 3, epoch: 0, index: 1, tokensSeen: 10, elapsedSeconds: 1, log: [] },
  });
  await saveCheckpoint(`${dir}/checkpoint`, ckpt(1));
  // A crash after the new checkpoint was renamed in but before the old one was removed.
  await copyDir(`${dir}/checkpoint`, `${dir}/checkpoint.old`);
  await saveCheckpoint(`${dir}/checkpoint`, ckpt(2));
  assert.equal((await loadCheckpoint(`${dir}/checkpoint`))!.weights.get("w")!.data[0], 2);
  assert.ok(!(await Deno.stat(`${dir}/checkpoint.old`).then(() => true, () => false)));
  await saveCheckpoint(`${dir}/checkpoint`, ckpt(NaN));
  await rejects(
    () => loadCheckpoint(`${dir}/checkpoint`),
    `${dir}/checkpoint/weights.safetensors (field "w")`,
    /non-finite weight NaN at flat index 0/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("saved predictors: a missing head, NaN weights, more labels than the head, a PET pattern missing a tensor", async () => {
  const model = await loadModelFolder(TINY_BERT);
  const finetune = getMethod("finetune");
  const dir = await Deno.makeTempDir();
  const { predictor } = await finetune.create(model, LABELS, { steps: 1, minSteps: 1, batchSize: 2, maxLength: 32 }).fit(ROWS, ROWS);
  await predictor.save(`${dir}/ft`);
  const weights = `${dir}/ft/weights.safetensors`, meta = `${dir}/ft/method.json`;
  assert.equal((await (await finetune.load(`${dir}/ft`, model)).predictProba(["很好"]))[0].length, 2);

  const original = await Deno.readFile(weights);
  await editTensors(weights, (m) => m.delete("classifier.weight"));
  await rejects(() => finetune.load(`${dir}/ft`, model), `${weights} (field "classifier.weight")`, /the classification head is missing/);
  await Deno.writeFile(weights, original);
  await editTensors(weights, (m) => m.get("classifier.weight")!.data[3] = Infinity);
  await rejects(
    () => finetune.load(`${dir}/ft`, model),
    `${weights} (field "classifier.weight")`,
    /non-finite weight Infinity at flat index 3/,
  );
  await Deno.writeFile(weights, original);

  const json = JSON.parse(await Deno.readTextFile(meta));
  await Deno.writeTextFile(meta, JSON.stringify({ ...json, labels: [...LABELS, "Neutral"] }));
  await rejects(
    () => finetune.load(`${dir}/ft`, model),
    `${meta} (field "labels")`,
    /lists 3 labels \(Positive, Negative, Neutral\) but the saved head has 2 classes/,
  );
  await Deno.writeTextFile(meta, JSON.stringify({ ...json, labels: ["Positive"] }));
  await rejects(
    () => finetune.load(`${dir}/ft`, model),
    `${meta} (field "labels")`,
    /must list at least two distinct label names, got \["Positive"\]/,
  );

  const pet = getMethod("pet");
  const petOptions = {
    steps: 1,
    minSteps: 1,
    batchSize: 2,
    maxLength: 32,
    template: "{text}很[MASK]。",
    verbalizer: { Positive: ["好"], Negative: ["差"] },
  };
  await (await pet.create(model, LABELS, petOptions).fit(ROWS, ROWS)).predictor.save(`${dir}/pet`);
  const petMeta = JSON.parse(await Deno.readTextFile(`${dir}/pet/method.json`));
  await Deno.writeTextFile(`${dir}/pet/method.json`, JSON.stringify({ ...petMeta, labels: [...LABELS, "Neutral"] }));
  await rejects(
    () => pet.load(`${dir}/pet`, model),
    `${dir}/pet/method.json (field "options.verbalizer.Neutral")`,
    /: label "Neutral" has no words$/,
  );
  await Deno.writeTextFile(`${dir}/pet/method.json`, JSON.stringify(petMeta));
  await editTensors(`${dir}/pet/weights.safetensors`, (m) => m.delete("pattern0/cls.predictions.bias"));
  await rejects(
    () => pet.load(`${dir}/pet`, model),
    `(field "pattern0/cls.predictions.bias")`,
    /tensor missing: a fine-tuned PET pattern stores every weight/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("data: a used CSV column named twice, labels that are objects or lists, one class only", async () => {
  await rejects(
    () => parseCsv("text,label,label\n好,Positive,Negative\n", "dup.csv", { text: "text", label: "label" }),
    `dup.csv:1 (field "label")`,
    /column named twice in the header \(columns 2 and 3\): rename one/,
  );
  // A repeated column the spec does not read is no one's business.
  assert.equal(parseCsv("text,label,x,x\n好,Positive,1,2\n", "ok.csv", { text: "text", label: "label" }).rows.length, 1);
  await rejects(
    () => parseJsonl('{"t":"好","y":{"a":1}}\n', "o.jsonl", { text: "t", label: "y" }),
    `o.jsonl:1 (field "y")`,
    /a label must be a string or a number, got \{"a":1\}/,
  );
  await rejects(
    () => parseJsonl('{"t":"好","y":"p"}\n{"t":"差","y":[1]}\n', "o.jsonl", { text: "t", label: "y" }),
    `o.jsonl:2 (field "y")`,
    /got \[1\]/,
  );
  assert.deepEqual(parseJsonl('{"t":"好","y":1}\n', "n.jsonl", { text: "t", label: "y" }).rows, [{ text: "好", label: "1" }]);
  await rejects(
    () => parseJsonl('{"t":"好","y":"p","i":{"n":1}}\n', "i.jsonl", { text: "t", label: "y", id: "i" }),
    `i.jsonl:1 (field "i")`,
    /an id must be a string or a number, got \{"n":1\}/,
  );

  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/one.jsonl`, ['{"t":"好","y":"pos"}', '{"t":"好吃","y":"pos"}'].join("\n"));
  await rejects(
    () => localTask({ train: `${dir}/one.jsonl`, text: "t", label: "y" }),
    `${dir}/one.jsonl (field "y")`,
    /holds only the label "pos" in column "y": a classifier needs at least two classes/,
  );
  await rejects(
    () => localTask({ train: `${dir}/one.jsonl`, text: "t", label: "y", labels: ["pos", "neg"] }),
    `${dir}/one.jsonl`,
    /only the label "pos"/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("K too large for the pool names the dataset, its pool and the binding class", async () => {
  const problem = await poolProblem(getTask("demo"), 500, 1);
  assert.match(
    problem!,
    /^K = 500 is too large for demo's pool \(train\): class "\w+" has \d+ usable examples, fewer than the 1000 needed for 500 train \+ 500 dev \(the fewest of the 2 classes: this pool allows K ≤ \d+\)$/,
  );
  assert.equal(await poolProblem(getTask("demo"), 4, 1), undefined);
});

Deno.test("a results file that is a symbolic link stays one: atomic writes and the lock go to its target", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/store`);
  await Deno.writeTextFile(`${dir}/store/r.jsonl`, "a\n");
  await Deno.symlink(`${dir}/store/r.jsonl`, `${dir}/r.jsonl`);
  await writeFileAtomic(`${dir}/r.jsonl`, "a\nb\n");
  assert.ok((await Deno.lstat(`${dir}/r.jsonl`)).isSymlink, "the link was replaced by a regular file");
  assert.equal(await Deno.readTextFile(`${dir}/store/r.jsonl`), "a\nb\n");
  const lock = await lockFile(`${dir}/r.jsonl`);
  assert.equal(lock.path, `${await Deno.realPath(`${dir}/store`)}/r.jsonl.lock`, "two names of one file share one lock");
  await lock.release();
  await Deno.symlink(`${dir}/nowhere.jsonl`, `${dir}/dangling.jsonl`);
  await rejects(() => writeFileAtomic(`${dir}/dangling.jsonl`, "x"), `${dir}/dangling.jsonl`, /is a symbolic link to a missing path/);
  await rejects(() => writeFileAtomic(`${dir}/store`, "x"), `${dir}/store`, /: is a folder; give a file path$/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("model-card --comparison of the wrong shape names the field", async () => {
  const dir = await Deno.makeTempDir();
  const write = (v: unknown) => Deno.writeTextFile(`${dir}/c.json`, JSON.stringify(v));
  await write({ rows: [] });
  await rejects(() => readComparison(`${dir}/c.json`), `${dir}/c.json`, /must be a non-empty list of models' rows/);
  const row = { name: "m", dir: "m", parameters: 10, heldout: { loss: 2, accuracy: 0.5, masked: 1, texts: 1 }, zeroShot: [], fewShot: [] };
  await write([row, { ...row, heldout: { loss: "2" } }]);
  await rejects(() => readComparison(`${dir}/c.json`), `(field "[1].heldout.loss")`, /must be a number, got "2"/);
  await write([{ ...row, fewShot: [{ method: "pet" }] }]);
  await rejects(() => readComparison(`${dir}/c.json`), `(field "[0].fewShot[0].splits")`, /must be a number, got nothing/);
  await write([row]);
  assert.deepEqual(await readComparison(`${dir}/c.json`), [row]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("commands: one line and exit 2 for figures on an empty results file, run --k too large, predict --out a folder", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/empty.jsonl`, "");
  const figures = await runDeno([
    "run",
    ...(await taskFlags("figures")),
    "lib/figures/main.ts",
    `${dir}/empty.jsonl`,
    "--out",
    `${dir}/figs`,
  ]);
  assert.equal(figures.code, 2, figures.stderr);
  assert.equal(figures.stderr.trim(), `error: ${dir}/empty.jsonl: no rows to draw: the file is empty; run a grid into it first`);
  assert.ok(!(await Deno.stat(`${dir}/figs`).then(() => true, () => false)));

  const cli = await taskFlags("cli");
  const run = await runDeno([
    "run",
    ...cli,
    "lib/cli/main.ts",
    "run",
    "--method",
    "finetune",
    "--dataset",
    "demo",
    "--protocol",
    "sampled",
    "--k",
    "500",
    "--seeds",
    "1",
    "--model",
    TINY_BERT,
  ]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    run.stderr.trim(),
    /^error: --k: K = 500 is too large for demo's pool \(train\): class "\w+" has \d+ usable examples, fewer than the 1000 needed for 500 train \+ 500 dev \(the fewest of the 2 classes: this pool allows K ≤ \d+\)$/,
  );

  const model = await loadModelFolder(TINY_BERT);
  const { predictor } = await getMethod("finetune").create(model, LABELS, { steps: 1, minSteps: 1, batchSize: 2, maxLength: 32 }).fit(
    ROWS,
    ROWS,
  );
  await predictor.save(`${dir}/ft`);
  await Deno.mkdir(`${dir}/out`);
  const predict = await runDeno([
    "run",
    ...cli,
    "lib/cli/main.ts",
    "predict",
    `${dir}/ft`,
    "--text",
    "很好",
    "--model",
    TINY_BERT,
    "--out",
    `${dir}/out`,
  ]);
  assert.equal(predict.code, 2, predict.stderr);
  assert.equal(predict.stderr.trim(), `error: ${dir}/out: is a folder; give a file path`);
  await Deno.remove(dir, { recursive: true });
});
