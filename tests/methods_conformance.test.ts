/**
 * Every registered method keeps the method contract on the embedded model, on the demo data (single texts) and
 * on a sentence-pair task (tests/fixtures/paraphrase_pairs.jsonl, read as a local file with a second text column): create validates,
 * fit trains a copy (the loaded model is untouched) and records what it did, predictions are probability rows
 * in the predictor's label order, and a saved predictor loads back predicting the same probabilities.
 * Also: the registry is typed and refuses malformed or duplicate entries.
 */
import assert from "node:assert/strict";
import { loadFewShot } from "../lib/data/load.ts";
import type { InputKind, Row } from "../lib/data/types.ts";
import { localTask } from "../lib/data/local.ts";
import { FINETUNE_DEFAULTS, finetune } from "../lib/methods/classifier/finetune.ts";
import { getMethod, MethodRegistry, type MethodOptions, methods } from "../lib/methods/registry.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { InputError } from "../lib/util/errors.ts";
import { root } from "./_shared.ts";

const MODEL = `${root}/models/promptlab-bert-zh-L4-H256`;

/** Options small enough that every case runs in a few seconds; each registered method needs at least one. */
const TINY_LOOP = { steps: 2, batchSize: 4, evalEvery: 1, maxLength: 32, evalBatchSize: 8, seed: 3 };
const CASES: Readonly<Record<string, readonly { label: string; options: MethodOptions }[]>> = {
  "finetune": [{ label: "", options: { ...TINY_LOOP, lr: 1e-4 } }],
  "pet": [
    { label: "prompt-based fine-tuning", options: { ...TINY_LOOP, lr: 1e-4, template: "{text}总之很[MASK]。", verbalizer: "good-bad" } },
    { label: "zero-shot", options: { mode: "zero-shot", maxLength: 32, template: "{text}总之很[MASK]。", verbalizer: "good-bad" } },
    {
      label: "auxiliary MLM",
      options: { ...TINY_LOOP, template: "{text}总之很[MASK]。", verbalizer: "good-bad", auxMlm: { alpha: 0.5, batchSize: 2, texts: ["服务很好，下次还来。", "包装破了，很失望。"] } },
    },
  ],
  "ptuning-v2": [{ label: "", options: { ...TINY_LOOP, prefixLength: 4 } }],
  "autoprompt": [{ label: "", options: { iterations: 1, batchSize: 4, accumulationSteps: 1, numCand: 2, evalBatchSize: 8, maxLength: 32, seed: 3 } }],
};

/** Each method on sentence pairs (labels "1" same meaning, "0" different): pair templates for the prompt methods. */
const PAIR_WORDS = { "1": ["是"], "0": ["不"] };
const PAIR_CASES: Readonly<Record<string, readonly { label: string; options: MethodOptions }[]>> = {
  "finetune": [{ label: "pairs", options: { ...TINY_LOOP, lr: 1e-4 } }],
  "pet": [
    { label: "pairs", options: { ...TINY_LOOP, lr: 1e-4, template: "pair-question", verbalizer: PAIR_WORDS } },
    { label: "pairs, zero-shot", options: { mode: "zero-shot", maxLength: 32, template: "pair-same", verbalizer: { "1": ["相"], "0": ["不"] } } },
    {
      label: "pairs, auxiliary MLM on pairs",
      options: {
        ...TINY_LOOP,
        template: "{text_a}？[MASK]，{text_b}",
        verbalizer: PAIR_WORDS,
        auxMlm: { alpha: 0.5, batchSize: 2, texts: [{ text: "几点了", textB: "现在几点" }, { text: "放首歌", textB: "关掉音乐" }] },
      },
    },
  ],
  "ptuning-v2": [{ label: "pairs", options: { ...TINY_LOOP, prefixLength: 4 } }],
  "autoprompt": [{ label: "pairs", options: { iterations: 1, batchSize: 4, accumulationSteps: 1, numCand: 2, evalBatchSize: 8, maxLength: 32, seed: 3, labelWords: PAIR_WORDS } }],
};

interface Setup {
  model: ModelFolder;
  train: Row[];
  dev: Row[];
  test: Row[];
  labels: string[];
}

let cached: Promise<Setup> | undefined;
function setup() {
  cached ??= (async () => {
    const model = await loadModelFolder(MODEL);
    const data = await loadFewShot("demo", { kind: "sampled", k: 4, seed: 1 }, { mirror: null, download: false });
    return { model, train: data.train, dev: data.dev, test: data.test.slice(0, 12), labels: data.task.labels };
  })();
  return cached;
}

let cachedPairs: Promise<Setup> | undefined;
function pairSetup() {
  cachedPairs ??= (async () => {
    const { model } = await setup();
    const task = await localTask({ train: `${root}/tests/fixtures/paraphrase_pairs.jsonl`, text: "sentence1", textB: "sentence2", label: "label" });
    const data = await loadFewShot(task, { kind: "sampled", k: 4, seed: 1 });
    return { model, train: data.train, dev: data.dev, test: data.test, labels: data.task.labels };
  })();
  return cachedPairs;
}

function assertProbabilities(proba: number[][], rows: number, labels: readonly string[]) {
  assert.equal(proba.length, rows);
  for (const p of proba) {
    assert.equal(p.length, labels.length);
    assert.ok(p.every((x) => Number.isFinite(x) && x >= 0 && x <= 1), `not probabilities: ${p}`);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5, `does not sum to 1: ${p}`);
  }
}

for (const name of methods.keys()) {
  Deno.test(`conformance: "${name}" has tiny test options here`, () => {
    assert.ok(CASES[name]?.length, `add tiny options for method "${name}" to CASES in tests/methods_conformance.test.ts`);
  });
  for (const { label, options } of CASES[name] ?? []) {
    Deno.test(`conformance: ${name}${label ? ` (${label})` : ""}: create, fit, predict, save, load`, () => conform(name, options, setup, "text"));
  }
  Deno.test(`conformance: "${name}" has tiny sentence-pair options here`, () => {
    assert.ok(PAIR_CASES[name]?.length, `add tiny pair options for method "${name}" to PAIR_CASES in tests/methods_conformance.test.ts`);
  });
  for (const { label, options } of PAIR_CASES[name] ?? []) {
    Deno.test(`conformance: ${name} (${label}): create, fit, predict, save, load`, () => conform(name, options, pairSetup, "pair"));
  }
}

/** The method contract for `name` with `options` on the data of `load`, created for `inputs`. */
async function conform(name: string, options: MethodOptions, load: () => Promise<Setup>, inputs: InputKind) {
  const { model, train, dev, test, labels } = await load();
  const factory = getMethod(name);
  for (const key of Object.keys(options)) assert.ok(Object.hasOwn(factory.defaults, key), `"${key}" is not among ${name}'s defaults`);
  const before = new Map([...model.weights].map(([n, t]) => [n, t.data.slice()]));

  const method = factory.create(model, labels, options, inputs);
  assert.equal(method.name, name);
  const { predictor, record } = await method.fit(train, dev);

  assert.equal(record.method, name);
  assert.ok(Number.isInteger(record.trainableParams) && record.trainableParams >= 0);
  assert.equal(record.losses.length, record.steps);
  assert.ok(record.losses.every(Number.isFinite), `losses ${record.losses}`);
  assert.ok(record.bestStep >= 0 && record.bestStep <= record.steps);
  assert.ok(record.dev.every((d) => d.accuracy >= 0 && d.accuracy <= 1));
  assert.ok(record.wallSeconds >= 0);
  assert.deepEqual([...predictor.labels], labels);
  for (const [n, data] of before) assert.deepEqual(model.weights.get(n)!.data, data, `fit changed the loaded model's ${n}`);

  // Single texts as strings; pairs as the rows themselves ({ text, textB }).
  const texts = inputs === "pair" ? test : test.map((r) => r.text);
  const proba = await predictor.predictProba(texts);
  assertProbabilities(proba, texts.length, labels);

  const dir = await Deno.makeTempDir();
  try {
    await predictor.save(dir);
    assert.ok(Deno.statSync(`${dir}/method.json`).isFile);
    const loaded = await factory.load(dir, model);
    assert.deepEqual([...loaded.labels], labels);
    assert.deepEqual(await loaded.predictProba(texts), proba);
    await assert.rejects(() => getMethod(name === "pet" ? "finetune" : "pet").load(dir, model), InputError, "loading as another method");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("registry: every method is registered once, under a command-line name, with options an object of defaults", () => {
  assert.deepEqual([...methods.keys()], ["finetune", "pet", "ptuning-v2", "autoprompt"]);
  for (const [name, m] of methods) {
    assert.equal(m.name, name);
    assert.ok(m.summary.length > 0);
    assert.ok(Object.keys(m.defaults).length > 0);
    assert.ok(Object.isFrozen(m.defaults), "defaults cannot be changed through the registry");
  }
  assert.throws(() => getMethod("fine-tune"), (e: Error) => e instanceof InputError && /unknown method "fine-tune"; known: finetune, pet, ptuning-v2, autoprompt/.test(e.message));
});

Deno.test("registry: refuses a duplicate name, a malformed name, an empty summary, non-object defaults", () => {
  const registry = new MethodRegistry();
  registry.register(finetune);
  assert.throws(() => registry.register(finetune), /method "finetune" is already registered/);
  assert.throws(() => registry.register({ ...finetune, name: "Fine Tune" }), /must be lower-case words joined by hyphens/);
  assert.throws(() => registry.register({ ...finetune, name: "other", summary: " " }), /has no summary/);
  assert.throws(() => registry.register({ ...finetune, name: "other", defaults: Object.assign(Object.create(null), FINETUNE_DEFAULTS) }), /plain object/);
  registry.register({ ...finetune, name: "finetune-2" });
  assert.deepEqual([...registry.all.keys()], ["finetune", "finetune-2"]);
  assert.equal(registry.get("finetune-2").summary, finetune.summary);
});

Deno.test("registry: options are validated by the method before anything trains", async () => {
  const { model, labels } = await setup();
  const bad: [string, MethodOptions, RegExp][] = [
    ["finetune", { steps: 2.5 }, /field "steps": must be an integer ≥ 0 \(0: from epochs\), got 2.5/],
    ["ptuning-v2", { minSteps: 0 }, /field "minSteps": must be a positive integer, got 0/],
    ["finetune", { evalBatchSize: 0 }, /field "evalBatchSize": must be a positive integer/],
    ["finetune", { weightDecay: -1 }, /field "weightDecay": must be ≥ 0/],
    ["pet", { patience: 1.5 }, /field "patience": must be an integer ≥ 0/],
    ["ptuning-v2", { seed: Number.NaN }, /field "seed": must be an integer/],
    ["ptuning-v2", { maxGradNorm: -1 }, /field "maxGradNorm": must be ≥ 0/],
    ["pet", { evalEvery: -1 }, /field "evalEvery": must be an integer ≥ 0/],
  ];
  for (const [name, options, message] of bad) {
    assert.throws(() => getMethod(name).create(model, labels, options), (e: Error) => e instanceof InputError && message.test(e.message), `${name} ${JSON.stringify(options)}`);
  }
});
