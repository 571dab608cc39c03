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
import { finetune, FINETUNE_DEFAULTS } from "../lib/methods/classifier/finetune.ts";
import { pet } from "../lib/methods/pet/pet.ts";
import type { MethodKind } from "../lib/methods/types.ts";
import { getMethod, type MethodOptions, MethodRegistry, methods } from "../lib/methods/registry.ts";
import { type AnyModelFolder, loadAnyModelFolder, loadModelFolder, type ModelFolder, type TextToTextFolder } from "../lib/model/folder.ts";
import { text2text } from "../lib/methods/text2text/text2text.ts";
import { InputError } from "../lib/util/errors.ts";
import { root } from "./_shared.ts";

const MODEL = `${root}/models/promptlab-bert-zh-L4-H256`;
/** The model of the methods that need a text-to-text backbone (random weights: the contract, not accuracy). */
const T5_MODEL = `${root}/tests/fixtures/tiny-t5-v1_1`;
const TEXT_TO_TEXT_METHODS: ReadonlySet<string> = new Set([text2text.name]);

/** A case of the contract: options for one method, named in the test's title. */
interface Case {
  label: string;
  options: MethodOptions;
}

/**
 * Each registered method's cases from its registry presets: its test options, on pairs with its pair options,
 * and for a method with zero-shot cells the same untrained. Adding a method adds its cases here unchanged.
 */
function registeredCases(inputs: InputKind): Map<string, Case[]> {
  return new Map([...methods.values()].map(({ name, presets: p }) => {
    const base = inputs === "pair" ? { ...p.test, ...p.pairs } : p.test;
    const prefix = inputs === "pair" ? "pairs" : "";
    const cases = [{ label: prefix, options: base }];
    if (p.zeroShot) cases.push({ label: [prefix, "zero-shot"].filter(Boolean).join(", "), options: { ...base, ...p.zeroShot } });
    return [name, cases];
  }));
}

/** PET's auxiliary masked-LM objective, on single texts and on pairs: options no preset covers. */
const PET_AUX_MLM: Readonly<Record<InputKind, Case>> = {
  text: {
    label: "auxiliary MLM",
    options: { ...pet.presets.test, auxMlm: { alpha: 0.5, batchSize: 2, texts: ["服务很好，下次还来。", "包装破了，很失望。"] } },
  },
  pair: {
    label: "pairs, auxiliary MLM on pairs",
    options: {
      ...pet.presets.test,
      template: "{text_a}？[MASK]，{text_b}",
      verbalizer: { Same: ["是"], Different: ["不"] },
      auxMlm: { alpha: 0.5, batchSize: 2, texts: [{ text: "几点了", textB: "现在几点" }, { text: "放首歌", textB: "关掉音乐" }] },
    },
  },
};

interface Setup {
  model: ModelFolder;
  t5: TextToTextFolder;
  train: Row[];
  dev: Row[];
  test: Row[];
  labels: string[];
}

let cached: Promise<Setup> | undefined;
function setup() {
  cached ??= (async () => {
    const model = await loadModelFolder(MODEL);
    const t5 = await loadAnyModelFolder(T5_MODEL) as TextToTextFolder;
    const data = await loadFewShot("demo", { kind: "sampled", k: 4, seed: 1 }, { mirror: null, download: false });
    return { model, t5, train: data.train, dev: data.dev, test: data.test.slice(0, 12), labels: data.task.labels };
  })();
  return cached;
}

/** The fixture's 1/0 as the kit's paraphrase tasks name them (BUSTM's), so that the methods' pair presets apply. */
const PARAPHRASE_LABELS: Readonly<Record<string, string>> = { "1": "Same", "0": "Different" };

let cachedPairs: Promise<Setup> | undefined;
function pairSetup() {
  cachedPairs ??= (async () => {
    const { model, t5 } = await setup();
    const task = await localTask({
      train: `${root}/tests/fixtures/paraphrase_pairs.jsonl`,
      text: "sentence1",
      textB: "sentence2",
      label: "label",
    });
    const data = await loadFewShot(task, { kind: "sampled", k: 4, seed: 1 });
    const relabel = (rows: readonly Row[]) => rows.map((r) => ({ ...r, label: PARAPHRASE_LABELS[r.label] }));
    return {
      model,
      t5,
      train: relabel(data.train),
      dev: relabel(data.dev),
      test: relabel(data.test),
      labels: data.task.labels.map((l) => PARAPHRASE_LABELS[l]),
    };
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

for (const inputs of ["text", "pair"] as const) {
  const cases = registeredCases(inputs);
  cases.get(pet.name)!.push(PET_AUX_MLM[inputs]);
  for (const [name, list] of cases) {
    for (const { label, options } of list) {
      Deno.test(`conformance: ${name}${label ? ` (${label})` : ""}: create, fit, predict, save, load`, () =>
        conform(name, options, inputs === "pair" ? pairSetup : setup, inputs));
    }
  }
}

/** The method contract for `name` with `options` on the data of `load`, created for `inputs`. */
async function conform(name: string, options: MethodOptions, load: () => Promise<Setup>, inputs: InputKind) {
  const setup = await load();
  const { train, dev, test, labels } = setup;
  const model: AnyModelFolder = TEXT_TO_TEXT_METHODS.has(name) ? setup.t5 : setup.model;
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
    const other = [...methods.keys()].find((n) => n !== name)!;
    await assert.rejects(() => getMethod(other).load(dir, model), InputError, "loading as another method");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("registry: every method is registered once, under a command-line name, with options an object of defaults", () => {
  assert.deepEqual([...methods.keys()], ["finetune", "pet", "autoprompt", "ptuning-v2", "soft-prompt", "text2text"]);
  for (const [name, m] of methods) {
    assert.equal(m.name, name);
    assert.ok(m.summary.length > 0);
    assert.ok(Object.keys(m.defaults).length > 0);
    assert.ok(Object.isFrozen(m.defaults), "defaults cannot be changed through the registry");
  }
  assert.throws(
    () => getMethod("fine-tune"),
    (e: Error) =>
      e instanceof InputError && /unknown method "fine-tune"; known: finetune, pet, autoprompt, ptuning-v2, soft-prompt/.test(e.message),
  );
});

Deno.test("registry: refuses a duplicate name, a malformed name, an empty summary, non-object defaults, an unknown kind, a display name or colour malformed or taken", () => {
  const registry = new MethodRegistry();
  registry.register(finetune);
  assert.throws(() => registry.register(finetune), /method "finetune" is already registered/);
  assert.throws(() => registry.register({ ...finetune, name: "Fine Tune" }), /must be lower-case words joined by hyphens/);
  assert.throws(() => registry.register({ ...finetune, name: "other", summary: " " }), /has no summary/);
  assert.throws(
    () => registry.register({ ...finetune, name: "other", defaults: Object.assign(Object.create(null), FINETUNE_DEFAULTS) }),
    /plain object/,
  );
  const other = { ...finetune, name: "other", display: { name: "other", colour: "#123456" } };
  assert.throws(
    () => registry.register({ ...other, kind: "soft" as MethodKind }),
    /method "other": kind must be one of discrete, continuous, full, got "soft"/,
  );
  assert.throws(() => registry.register({ ...other, display: { name: " ", colour: "#123456" } }), /method "other" has no display name/);
  assert.throws(() => registry.register({ ...other, display: { name: "other", colour: "green" } }), /colour "green" must be #rrggbb/);
  assert.throws(
    () => registry.register({ ...other, display: { name: "fine-tuning", colour: "#123456" } }),
    /display name "fine-tuning" is already method "finetune"'s/,
  );
  assert.throws(
    () => registry.register({ ...other, display: { name: "other", colour: "#123456", zeroShotColour: finetune.display.colour } }),
    /colour #f58518 is already method "finetune"'s/,
  );
  const exporter = { pipeline: "text-classification" as const, write: () => Promise.resolve() };
  registry.register(other, exporter);
  assert.deepEqual([...registry.all.keys()], ["finetune", "other"]);
  assert.equal(registry.get("other").summary, finetune.summary);
  assert.equal(registry.get("other").exporter, exporter);
  assert.equal(registry.get("finetune").exporter, undefined, "an exporter only where given");
});

Deno.test("registry: each method's facts are complete (kind, display, presets within its options, sweeps of its options)", () => {
  for (const [name, m] of methods) {
    assert.ok(["discrete", "continuous", "full"].includes(m.kind), name);
    const { ci, test, demo, compare, pairs, zeroShot } = m.presets;
    for (const options of [ci, test, demo, compare?.ci, compare?.full, pairs, zeroShot]) {
      for (const key of Object.keys(options ?? {})) {
        assert.ok(Object.hasOwn(m.defaults, key), `${name}: preset option "${key}" is not among its defaults`);
      }
    }
    for (const s of m.sweeps) assert.ok(Object.hasOwn(m.defaults, s.param), `${name}: sweep of "${s.param}", not one of its options`);
  }
  assert.deepEqual([...methods.values()].filter((m) => m.exporter).map((m) => [m.name, m.exporter!.pipeline]), [
    ["finetune", "text-classification"],
    ["pet", "fill-mask"],
    ["ptuning-v2", "text-classification"],
    ["soft-prompt", "fill-mask"],
    ["text2text", "text2text-generation"],
  ]);
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
    assert.throws(
      () => getMethod(name).create(model, labels, options),
      (e: Error) => e instanceof InputError && message.test(e.message),
      `${name} ${JSON.stringify(options)}`,
    );
  }
});
