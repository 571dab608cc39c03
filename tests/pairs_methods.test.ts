/**
 * Methods on sentence pairs: a prompt written for single texts on a pair task, or the reverse, is an input error
 * naming the template before anything trains (create, a grid check, a run); pair templates encode both texts;
 * a run on a local pair file trains and scores through the one run path with the second text used, and its
 * loaded predictor says it takes pairs; fine-tuning and P-tuning v2 refuse training rows mixing the two kinds.
 */
import assert from "node:assert/strict";
import { localTask } from "../lib/data/local.ts";
import { loadFewShot } from "../lib/data/load.ts";
import { getTask } from "../lib/data/registry.ts";
import type { Row } from "../lib/data/types.ts";
import { EMBEDDED_MODEL } from "../lib/experiments/setup.ts";
import { runSplit } from "../lib/experiments/split_run.ts";
import { checkGrid, gridTask } from "../lib/experiments/grid_check.ts";
import { expandGrid, loadGrid, parseGrid } from "../lib/experiments/grid.ts";
import { defaultTemplate, encodeAutoPrompts, parseAutoTemplate, renderPrompt } from "../lib/methods/autoprompt/template.ts";
import { encodePrompts, parseTemplate, resolveTemplate } from "../lib/methods/pet/template.ts";
import { getMethod } from "../lib/methods/registry.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";

const PAIRS = `${root}/tests/fixtures/paraphrase_pairs.jsonl`;
const WORDS = { "1": ["是"], "0": ["不"] };
const model = await loadModelFolder(EMBEDDED_MODEL);
const pairTask = () => localTask({ train: PAIRS, text: "sentence1", textB: "sentence2", label: "label" });

const templateError = (text: RegExp) => (e: Error) => e instanceof InputError && e.location.field === "template" && text.test(e.message);
const SINGLE_ON_PAIRS = /has one input slot, but the inputs are sentence pairs/;
const PAIR_ON_SINGLE = /has a second input slot .* but the inputs are single texts/;

Deno.test("mismatch: a single-text template on a pair task, or a pair template on a single-text task, fails at create", () => {
  const pet = getMethod("pet"), ap = getMethod("autoprompt");
  const sentiment = ["Positive", "Negative"], pairs = ["1", "0"];
  // PET's default template is FewCLUE's EPRSTMT pattern, written for single texts.
  assert.throws(() => pet.create(model, pairs, { verbalizer: WORDS }, "pair"), templateError(SINGLE_ON_PAIRS));
  assert.throws(
    () => pet.create(model, sentiment, { template: "pair-question", verbalizer: "good-bad" }, "text"),
    templateError(/\{text_b\}/),
  );
  assert.throws(() => pet.create(model, sentiment, { template: "pair-question", verbalizer: "good-bad" }), templateError(PAIR_ON_SINGLE));
  assert.throws(
    () => ap.create(model, pairs, { template: "{sentence}[T][P]。", labelWords: WORDS }, "pair"),
    templateError(SINGLE_ON_PAIRS),
  );
  assert.throws(() => ap.create(model, sentiment, { template: "{sentence}[P][T]{sentence_b}" }, "text"), templateError(/\{sentence_b\}/));
  // Ensembles are checked pattern by pattern.
  const patterns = [{ template: "pair-question", verbalizer: WORDS }, { template: "fewclue", verbalizer: WORDS }];
  assert.throws(() => pet.create(model, pairs, { patterns }, "pair"), templateError(/"\[MASK\]满意。\{text\}" has one input slot/));
  // The right kind passes; methods without templates take either.
  pet.create(model, pairs, { template: "pair-question", verbalizer: WORDS }, "pair");
  ap.create(model, pairs, { labelWords: WORDS }, "pair");
  for (const name of ["finetune", "ptuning-v2"]) getMethod(name).create(model, pairs, {}, "pair");
});

Deno.test("mismatch: a grid and a run refuse the wrong template before training; the grid names the option's place", async () => {
  const task = await pairTask();
  const grid = parseGrid({
    name: "p",
    dataset: { train: PAIRS, text: "sentence1", textB: "sentence2", label: "label" },
    protocol: { kind: "sampled", k: [2], seeds: [1] },
    methods: [{ method: "pet", options: { verbalizer: WORDS }, grid: { template: ["pair-question", "zongzhi"] } }],
  });
  await assert.rejects(
    () => checkGrid(grid, { model, task, file: "g.json" }),
    (e: Error) => e instanceof InputError && e.location.field === "methods[0].grid.template[1]" && SINGLE_ON_PAIRS.test(e.message),
  );
  let progressed = false;
  await assert.rejects(
    () =>
      runSplit({
        method: "pet",
        options: { verbalizer: WORDS },
        dataset: task,
        split: { kind: "sampled", k: 2, seed: 1 },
        model,
        onProgress: () => (progressed = true),
      }),
    templateError(SINGLE_ON_PAIRS),
  );
  assert.equal(progressed, false);
  // A predictor of one kind given the other kind of input.
  const { predictor } = await getMethod("pet").create(model, ["1", "0"], {
    mode: "zero-shot",
    template: "pair-question",
    verbalizer: WORDS,
  }, "pair").fit([], []);
  await assert.rejects(() => predictor.predictProba(["只有一句"]), templateError(PAIR_ON_SINGLE));
  const single = await getMethod("pet").create(model, ["Positive", "Negative"], { mode: "zero-shot", verbalizer: "good-bad" }).fit([], []);
  await assert.rejects(() => single.predictor.predictProba([{ text: "一", textB: "二" }]), templateError(SINGLE_ON_PAIRS));
});

Deno.test("mixed kinds: fine-tuning or P-tuning v2 on train rows mixing pairs and single texts, or a dev set of the other kind, is an input error naming the row before anything trains", async () => {
  const pairs = (await (await pairTask()).read("train")).rows.slice(0, 4) as Row[];
  const single: Row = { text: "只有一句", label: pairs[0].label };
  const mixed = (field: string, problem: RegExp) => (e: Error) =>
    e instanceof InputError && e.location.field === field && problem.test(e.message);
  for (const name of ["finetune", "ptuning-v2"]) {
    let progressed = false;
    const fit = (train: Row[], dev: Row[]) =>
      getMethod(name).create(model, ["1", "0"], { steps: 1, maxLength: 32 }, "pair").fit(train, dev, {
        onProgress: () => (progressed = true),
      });
    await assert.rejects(
      () => fit([...pairs.slice(0, 2), single, ...pairs.slice(2)], []),
      mixed("train[2].textB", /is a single text, but train\[0\] is a sentence pair: a model trains and evaluates on one kind of input/),
    );
    await assert.rejects(() => fit(pairs, [single]), mixed("dev[0].textB", /is a single text, but train\[0\] is a sentence pair/));
    await assert.rejects(() => fit([single], pairs), mixed("dev[0].textB", /is a sentence pair, but train\[0\] is a single text/));
    assert.equal(progressed, false, name);
  }
});

Deno.test("pair templates: PET puts both texts in their slots ({text_a} = {text}), cut longest-first; AutoPrompt's default puts the triggers between", () => {
  const tok = model.tokenizer;
  const t = resolveTemplate("pair-question");
  assert.equal(t.pair, true);
  assert.deepEqual(parseTemplate("{text_a}？[MASK]，{text_b}").parts, t.parts);
  assert.throws(() => parseTemplate("{text}{text_a}[MASK]{text_b}"), /\{text\} appears more than once/);
  const { seqs } = encodePrompts(tok, t, [{ text: "几点了", textB: "现在几点" }], { maskCount: 1, maxLength: 32 });
  assert.deepEqual(seqs[0].ids.map((id) => tok.idToToken(id)).join(""), "[CLS]几点了？[MASK]，现在几点[SEP]");
  const cut = encodePrompts(tok, t, [{ text: "一二三四五六七八", textB: "甲乙" }], { maskCount: 1, maxLength: 10 });
  assert.equal(cut.truncated, 1);
  assert.deepEqual(cut.seqs[0].ids.map((id) => tok.idToToken(id)).join(""), "[CLS]一二三？[MASK]，甲乙[SEP]");

  const at = parseAutoTemplate(defaultTemplate(3, "pair"));
  assert.equal(at.source, "{sentence}[P][T][T][T]{sentence_b}");
  assert.equal(at.pair, true);
  assert.equal(parseAutoTemplate(defaultTemplate(3)).pair, false);
  assert.throws(() => parseAutoTemplate("{sentence}{sentence_b}[T][P]{sentence_b}"), /has \{sentence_b\} more than once/);
  const enc = encodeAutoPrompts(tok, at, [{ text: "几点了", textB: "现在几点" }], 32).seqs[0];
  assert.deepEqual(enc.ids.map((id) => tok.idToToken(id)).join(""), "[CLS]几点了[MASK][MASK][MASK][MASK]现在几点[SEP]");
  assert.deepEqual([enc.predictPos, enc.triggerPos], [4, [5, 6, 7]]);
  assert.equal(renderPrompt(at, ["是", "不", "对"]), "{sentence}[MASK]是不对{sentence_b}");
});

Deno.test("run path: each method trains on a local pair file, its test predictions change with the second text, its loaded predictor says it takes pairs", async () => {
  const task = await pairTask();
  const tiny = { steps: 2, batchSize: 4, evalEvery: 1, maxLength: 32, evalBatchSize: 8 };
  const cases: [string, Record<string, unknown>][] = [
    ["finetune", { ...tiny, lr: 1e-4 }],
    ["ptuning-v2", tiny],
    ["pet", { ...tiny, template: "pair-question", verbalizer: WORDS }],
    ["autoprompt", { iterations: 1, batchSize: 4, accumulationSteps: 1, numCand: 2, evalBatchSize: 8, maxLength: 32, labelWords: WORDS }],
  ];
  const { test } = await loadFewShot(task, { kind: "sampled", k: 4, seed: 1 });
  for (const [method, options] of cases) {
    const dir = await Deno.makeTempDir();
    const result = await runSplit({ method, options, dataset: task, split: { kind: "sampled", k: 4, seed: 1 }, model, saveTo: dir });
    assert.equal(result.trainSize, 8, method);
    assert.ok(result.accuracy >= 0 && result.accuracy <= 1, method);
    const predictor = await getMethod(method).load(dir, model);
    // A loaded predictor says it takes pairs: a prompt method by its template's slots, a classifier by its training rows.
    assert.equal(predictor.inputs, "pair", method);
    const swapped = test.map((r, i) => ({ text: r.text, textB: test[(i + 1) % test.length].textB }));
    assert.notDeepEqual(await predictor.predictProba(swapped), await predictor.predictProba(test), `${method} ignores the second text`);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bustm defaults: a PET run on BUSTM without a pair template fails before reading any data", async () => {
  await assert.rejects(
    () =>
      runSplit({
        method: "pet",
        dataset: getTask("bustm"),
        split: { kind: "official", index: 0 },
        model,
        source: { mirror: null, download: false },
      }),
    templateError(SINGLE_ON_PAIRS),
  );
});

sharedTest(
  "grids/*-bustm.json: the BUSTM comparison (four methods, K 0-64, 5 seeds) and pair-prompt grids pass the grid checker",
  "data/fewclue/bustm",
  async () => {
    const source = { mirror: shared("data"), download: false };
    const comparison = await loadGrid(`${root}/grids/comparison-bustm.json`);
    assert.deepEqual([...new Set(expandGrid(comparison).map((c) => c.method))], ["finetune", "pet", "autoprompt", "ptuning-v2"]);
    assert.deepEqual(comparison.protocol, { kind: "sampled", k: [0, 4, 8, 16, 32, 64], seeds: [1, 2, 3, 4, 5] });
    const prompts = await loadGrid(`${root}/grids/pair_prompts-bustm.json`);
    // 4 templates × 4 verbalizers, each zero-shot once and at K = 16 under 5 seeds.
    assert.equal(expandGrid(prompts).length, 16 * (1 + 5));
    for (const [name, grid] of [["comparison-bustm", comparison], ["pair_prompts-bustm", prompts]] as const) {
      await checkGrid(grid, { model, task: await gridTask(grid), source, file: `grids/${name}.json` });
    }
  },
);
