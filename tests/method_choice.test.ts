/**
 * Multiple choice (CHID): PET's and the [CLS] head's candidate scores against hand computations (the MLM logits
 * at the blank; one logit per filled text), training, saving, and the methods that refuse it.
 */
import assert from "node:assert/strict";
import { blankPair } from "../lib/data/choice_rows.ts";
import type { Row } from "../lib/data/types.ts";
import { Graph } from "../lib/engine/graph.ts";
import { CompiledGraph, feedsFor } from "../lib/engine/session.ts";
import { CANDIDATES } from "../lib/methods/pet/choice_scores.ts";
import { pet } from "../lib/methods/pet/pet.ts";
import { packBatch, tokenFeeds } from "../lib/model/batch.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { GraphParams } from "../lib/model/params.ts";
import { InputError } from "../lib/util/errors.ts";
import { finetune } from "../lib/methods/classifier/finetune.ts";
import { ClassifierEvaluator } from "../lib/methods/classifier/head.ts";
import { ptuningV2 } from "../lib/methods/classifier/ptuning_v2.ts";
import { loadMethod } from "../lib/methods/saved.ts";
import { getTask } from "../lib/data/registry.ts";
import { optionsOnTask } from "../lib/experiments/split_run.ts";
import { encodeTexts } from "../lib/model/batch.ts";
import type { Predictor } from "../lib/methods/types.ts";
import { autoprompt } from "../lib/methods/autoprompt/autoprompt.ts";
import { getMethod, registerMethod } from "../lib/methods/registry.ts";
import { softPrompt } from "../lib/methods/soft_prompt/soft_prompt.ts";
import { chidRecord } from "../lib/data/fewclue_formats.ts";
import { parseJsonl } from "../lib/data/parse_jsonl.ts";
import { runSplit } from "../lib/experiments/split_run.ts";
import { root } from "./_shared.ts";

let loaded: Promise<ModelFolder> | undefined;
const model = () => (loaded ??= loadModelFolder(`${root}/models/promptlab-bert-zh-L2-H64`));
const LABELS = ["0", "1", "2"];
const CHOICE = { template: "{text}[MASK]{text_b}", verbalizer: CANDIDATES };

/** CHID-like rows: one blank, three candidates (one of three characters: its fourth mask adds no term). */
const ROWS: Row[] = [
  { text: "他做事#idiom#，从不分心。", choices: ["一心一意", "三心二意", "五湖四"], label: "0" },
  { text: "这家店的菜#idiom#，我们还会再来。", choices: ["美味可口", "难以下咽", "人山人海"], label: "0" },
  { text: "#idiom#，大家都出门了。", choices: ["风和日丽", "狂风暴雨", "一心一意"], label: "0" },
].map(blankPair);

/** Softmax over candidates of their summed log-probabilities at the masks `logp` (one row per mask). */
function handProba(m: ModelFolder, row: Row, logp: readonly Float64Array[]): number[] {
  const scores = row.choices!.map((c) => m.tokenizer.encodeText(c).reduce((s, id, j) => s + logp[j][id], 0));
  const max = Math.max(...scores), z = scores.reduce((s, x) => s + Math.exp(x - max), 0);
  return scores.map((s) => Math.exp(s - max) / z);
}

/** Log-softmax of each mask position of `text`'s sequence, read from the model's MLM logits at every position. */
async function maskLogProbs(m: ModelFolder, ids: number[]): Promise<Float64Array[]> {
  const b = packBatch([{ ids }]);
  const g = new Graph();
  const bert = m.backbone.encoder(g, new GraphParams(g, m.weights, () => false).get, { batch: 1, seqLen: b.seqLen, train: false });
  const compiled = await CompiledGraph.compile(g, { logits: bert.mlmLogitsAll() });
  const logits = (await compiled.run(feedsFor(compiled, tokenFeeds(b), m.weights))).logits as Float32Array;
  await compiled.release();
  const V = m.backbone.sizes.vocabSize;
  return ids.flatMap((id, l) => {
    if (id !== m.tokenizer.specialIds.mask) return [];
    const row = Float64Array.from(logits.subarray(l * V, (l + 1) * V));
    const max = Math.max(...row), lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    return [row.map((x) => x - lse)];
  });
}

Deno.test("PET multiple choice: candidate probabilities are the softmax of each candidate's summed log-probabilities at the blank's masks", async () => {
  const m = await model();
  const { predictor } = await pet.create(m, LABELS, { mode: "zero-shot", ...CHOICE }, "pair").fit([], []);
  const proba = await predictor.predictProba(ROWS);
  const tok = m.tokenizer, { cls, sep, mask } = tok.specialIds;
  for (const [r, row] of ROWS.entries()) {
    // The sequence by hand: [CLS] before [MASK]×4 after [SEP].
    const ids = [cls, ...tok.encodeText(row.text), mask, mask, mask, mask, ...tok.encodeText(row.textB!), sep];
    const logp = await maskLogProbs(m, ids);
    assert.equal(logp.length, 4);
    handProba(m, row, logp).forEach((want, c) => {
      assert.ok(Math.abs(proba[r][c] - want) < 1e-4, `row ${r} candidate ${c}: ${proba[r][c]} vs ${want}`);
    });
  }
});

Deno.test("PET multiple choice: training moves the right candidates up, and a saved predictor predicts the same", async () => {
  const m = await model();
  const options = { ...CHOICE, lr: 1e-3, batchSize: 3, minSteps: 6, epochs: 1, evalEvery: 3, evalBatchSize: 4, maxLength: 32, seed: 1 };
  const before = await (await pet.create(m, LABELS, { mode: "zero-shot", ...CHOICE }, "pair").fit([], [])).predictor.predictProba(ROWS);
  const { predictor, record } = await pet.create(m, LABELS, options, "pair").fit(ROWS, ROWS);
  assert.equal(record.losses.length, 6);
  assert.ok(record.losses.every(Number.isFinite));
  const after = await predictor.predictProba(ROWS);
  const gold = (p: number[][]) => p.reduce((s, row) => s + Math.log(row[0]), 0);
  assert.ok(gold(after) > gold(before), `log-likelihood of the answers ${gold(before)} -> ${gold(after)}`);
  await sameAfterLoad(predictor, (dir) => pet.load(dir, m), pet.name);
});

Deno.test("PET multiple choice: inputs without the task's candidates, a candidate too long and calibration are input errors", async () => {
  const m = await model();
  const { predictor } = await pet.create(m, LABELS, { mode: "zero-shot", ...CHOICE }, "pair").fit([], []);
  const refused = (problem: RegExp) => (e: unknown) => e instanceof InputError && problem.test(e.message);
  await assert.rejects(() => predictor.predictProba([{ text: "a", textB: "b" }]), refused(/needs 3 candidates per input, got none/));
  const long: Row = { ...ROWS[0], choices: ["一心一意", "三心二意", "一二三四五"] };
  await assert.rejects(
    () => predictor.predictProba([long]),
    refused(/candidate "一二三四五" has 5 tokens; verbalizer "candidates" reads 1 to 4/),
  );
  assert.throws(() => pet.create(m, LABELS, { ...CHOICE, calibrate: true }, "pair"), refused(/verbalizer "candidates" has none/));
});

/**
 * `predictor` saved and loaded with `load` predicts exactly as it does, and its export (where the method has one)
 * is refused naming method.json; returns the saved tensors.
 */
async function sameAfterLoad(predictor: Predictor, load: (dir: string) => Promise<Predictor>, method: string) {
  const dir = await Deno.makeTempDir(), m = await model();
  try {
    await predictor.save(dir);
    assert.deepEqual(await (await load(dir)).predictProba(ROWS), await predictor.predictProba(ROWS));
    const exporter = getMethod(method).exporter;
    if (exporter) {
      await assert.rejects(
        () => exporter.write(dir, m, `${dir}/export`),
        (e: unknown) =>
          e instanceof InputError && e.location.file === `${dir}/method.json` &&
          /a (fill-mask|text-classification) export/.test(e.message),
      );
    }
    return (await loadMethod(dir, method, m)).tensors;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const SHORT = { lr: 1e-3, batchSize: 3, minSteps: 6, epochs: 1, evalEvery: 3, evalBatchSize: 4, maxLength: 32, seed: 1 };

Deno.test("fine-tuning multiple choice: each candidate's filled text gets one logit, softmax over the row's; trains and saves", async () => {
  const m = await model();
  const { predictor, record } = await finetune.create(m, LABELS, { ...SHORT, multipleChoice: true }, "pair").fit(ROWS, ROWS);
  assert.equal(record.losses.length, 6);
  assert.ok(record.losses.every(Number.isFinite));
  const proba = await predictor.predictProba(ROWS);
  const tensors = await sameAfterLoad(predictor, (dir) => finetune.load(dir, m), finetune.name);
  assert.deepEqual(tensors.get("classifier.bias")!.shape, [1], "a head of one output");
  // By hand: each filled text alone through the trained weights, then a softmax per row.
  const evaluator = new ClassifierEvaluator(m.backbone, new Map([...m.weights, ...tensors]));
  for (const [r, row] of ROWS.entries()) {
    const logits: number[] = [];
    for (const c of row.choices!) {
      const [seq] = encodeTexts(m.tokenizer, [row.text + c + row.textB], 32).seqs;
      logits.push((await evaluator.run(packBatch([seq])))[0]);
    }
    const z = logits.reduce((s, l) => s + Math.exp(l), 0);
    logits.forEach((l, c) => assert.ok(Math.abs(proba[r][c] - Math.exp(l) / z) < 1e-5, `row ${r} candidate ${c}`));
  }
  await evaluator.release();
});

Deno.test("P-tuning v2 multiple choice: prefix and one-output head train on grouped candidates; a saved predictor predicts the same", async () => {
  const m = await model();
  const { predictor, record } = await ptuningV2.create(m, LABELS, { ...SHORT, lr: 5e-3, multipleChoice: true }, "pair").fit(ROWS, ROWS);
  assert.equal(record.losses.length, 6);
  assert.ok(record.losses.every(Number.isFinite));
  assert.ok(record.trainableParams > 0);
  const proba = await predictor.predictProba(ROWS);
  proba.forEach((p) => assert.ok(Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-6 && p.length === 3));
  await sameAfterLoad(predictor, (dir) => ptuningV2.load(dir, m), ptuningV2.name);
  assert.throws(
    () => ptuningV2.create(m, LABELS, { multipleChoice: true, head: "mask", verbalizer: "good-bad" }, "pair"),
    (e: unknown) => e instanceof InputError && /multiple choice is scored by head "cls"/.test(e.message),
  );
});

Deno.test("chid: every method gets its multiple-choice options; a method without them is refused by name", () => {
  const chid = getTask("chid");
  assert.deepEqual(optionsOnTask("pet", chid), CHOICE);
  assert.deepEqual(optionsOnTask("finetune", chid, { lr: 1 }), { multipleChoice: true, lr: 1 });
  assert.deepEqual(optionsOnTask("ptuning-v2", chid), { multipleChoice: true });
  assert.equal(optionsOnTask("autoprompt", chid).labelWords, CANDIDATES);
  assert.equal(optionsOnTask("soft-prompt", chid).verbalizer, CANDIDATES);
  // A plugin method without multiple-choice presets.
  const { choices: _, ...noChoices } = pet.presets;
  registerMethod({ ...pet, name: "no-choices", display: { name: "No choices", colour: "#123456" }, presets: noChoices });
  assert.throws(() => optionsOnTask("no-choices", chid), (e: unknown) =>
    e instanceof InputError &&
    /dataset "chid" is a multiple-choice task \(7 candidates per row\), which method "no-choices" does not score; methods that do: finetune, pet, autoprompt, ptuning-v2, soft-prompt$/
      .test(e.message));
});

Deno.test("AutoPrompt multiple choice: candidates read at [P]'s masks as PET reads them; the search runs and saves", async () => {
  const m = await model();
  const options = { ...autoprompt.presets.test, ...autoprompt.presets.choices, evalBatchSize: 4 };
  // No iteration: the triggers stay [MASK], so the hand computation reads [CLS] [MASK]×3 before [MASK]×4 after [SEP].
  const untrained = await autoprompt.create(m, LABELS, { ...options, iterations: 0 }, "pair").fit(ROWS, ROWS);
  const proba = await untrained.predictor.predictProba(ROWS);
  const tok = m.tokenizer, { cls, sep, mask } = tok.specialIds;
  for (const [r, row] of ROWS.entries()) {
    const ids = [cls, mask, mask, mask, ...tok.encodeText(row.text), mask, mask, mask, mask, ...tok.encodeText(row.textB!), sep];
    handProba(m, row, (await maskLogProbs(m, ids)).slice(3)).forEach((want, c) => {
      assert.ok(Math.abs(proba[r][c] - want) < 1e-4, `row ${r} candidate ${c}: ${proba[r][c]} vs ${want}`);
    });
  }
  const { predictor, record } = await autoprompt.create(m, LABELS, { ...options, iterations: 2 }, "pair").fit(ROWS, ROWS);
  assert.ok(record.losses.length > 0 && record.losses.every(Number.isFinite));
  assert.ok(record.notes.includes("label words: each row's candidates"), record.notes.join("; "));
  await sameAfterLoad(predictor, (dir) => autoprompt.load(dir, m), autoprompt.name);
  assert.throws(
    () => autoprompt.create(m, LABELS, { ...options, labelSearch: true }, "pair"),
    (e: unknown) => e instanceof InputError && /label search finds words per class/.test(e.message),
  );
});

Deno.test("soft prompt multiple choice: trained vectors before the context, candidates read at the blank; trains and saves", async () => {
  const m = await model();
  const options = { ...SHORT, ...softPrompt.presets.choices, lr: 5e-3 };
  const { predictor, record } = await softPrompt.create(m, LABELS, options, "pair").fit(ROWS, ROWS);
  assert.equal(record.losses.length, 6);
  assert.ok(record.losses.every(Number.isFinite));
  assert.equal(record.trainableParams, 3 * m.backbone.sizes.hiddenSize, "three soft vectors, the model frozen");
  await sameAfterLoad(predictor, (dir) => softPrompt.load(dir, m), softPrompt.name);
});

Deno.test("chid run: a row whose answer is out of range stops the run before any training, naming file, line and field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = { id: 1, candidates: ["一心一意", "三心二意", "五湖四海"], content: "他做事#idiom#，从不分心。", answer: 0 };
    const files: Record<string, string> = {};
    for (const split of ["train_0", "dev_0", "test_public"]) {
      files[split] = `${dir}/${split}.json`;
      const second = split === "train_0" ? { ...good, id: 2, answer: 7 } : { ...good, id: 2 };
      await Deno.writeTextFile(files[split], JSON.stringify(good) + "\n" + JSON.stringify(second) + "\n");
    }
    const spec = { text: "content", id: "id", choices: "candidates", label: "answer", labels: LABELS };
    const chid = getTask("chid");
    const task = {
      ...chid,
      labels: LABELS,
      choices: 3,
      read: async (split: string) => ({
        labelled: true,
        ...parseJsonl(await Deno.readTextFile(files[split]), files[split], spec, chidRecord),
      }),
    };
    const progress: unknown[] = [], folder = await model();
    for (const method of ["pet", "finetune"]) {
      await assert.rejects(
        () =>
          runSplit({ method, dataset: task, split: { kind: "official", index: 0 }, model: folder, onProgress: (e) => progress.push(e) }),
        (e: unknown) =>
          e instanceof InputError && e.location.file === files.train_0 && e.location.line === 2 && e.location.field === "answer" &&
          /0\.\.2, got 7/.test(e.message),
      );
    }
    assert.deepEqual(progress, [], "nothing trained");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
