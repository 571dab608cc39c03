/** PET: template language, verbalizer checks, the multi-token scoring rule, zero-shot and prompt-based fine-tuning. */
import assert from "node:assert/strict";
import { loadSplit } from "../lib/data/load.ts";
import type { Row } from "../lib/data/types.ts";
import { Graph } from "../lib/engine/graph.ts";
import { CompiledGraph, feedsFor } from "../lib/engine/session.ts";
import { metricsFromProba } from "../lib/eval/metrics.ts";
import { buildBert } from "../lib/model/bert/graph.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { GraphParams } from "../lib/model/params.ts";
import { packBatch, tokenFeeds } from "../lib/model/batch.ts";
import { pet, type PetOptions } from "../lib/methods/pet/pet.ts";
import { encodePrompts, maskRows, parseTemplate } from "../lib/methods/pet/template.ts";
import { buildVerbalizer } from "../lib/methods/pet/verbalizer.ts";
import { InputError } from "../lib/util/errors.ts";
import { shared, sharedTest } from "./_shared.ts";

const MODEL = "models/zh-review-bert-tiny";
const LABELS = ["Positive", "Negative"];
let loaded: Promise<ModelFolder> | undefined;
const model = () => (loaded ??= loadModelFolder(shared(MODEL)));
const eprstmt = (split: string) => loadSplit("eprstmt", split, { mirror: shared("data") });

Deno.test("template: parses slots and literals; bad templates are input errors naming the template and problem", () => {
  assert.deepEqual(parseTemplate("{text}总之很[MASK]。").parts, [
    { kind: "text" },
    { kind: "literal", text: "总之很" },
    { kind: "mask" },
    { kind: "literal", text: "。" },
  ]);
  const pair = parseTemplate("{text}？[MASK]，{text_b}");
  assert.equal(pair.pair, true);
  assert.equal(parseTemplate("[MASK]满意。{text}").parts[0].kind, "mask");
  const bad: [string, RegExp][] = [
    ["总之很[MASK]。", /"总之很\[MASK\]。": no input slot \{text\}/],
    ["{text}总之很好。", /no \[MASK\] slot/],
    ["{text}[MASK][MASK]", /\[MASK\] appears more than once/],
    ["{text}{text}[MASK]", /\{text\} appears more than once/],
    ["{sentence}很[MASK]", /unknown slot \{sentence\}/],
    ["{text很[MASK]", /unmatched brace/],
  ];
  for (const [source, problem] of bad) {
    assert.throws(() => parseTemplate(source), (e) => e instanceof InputError && problem.test(e.message));
  }
});

sharedTest("template: encoding expands the mask slot, truncates only the text, and neutralises typed masks", MODEL, async () => {
  const { tokenizer: tok } = await model();
  const t = parseTemplate("{text}总之很[MASK]。");
  const { seqs, truncated } = encodePrompts(tok, t, ["好吃", "太长的一段评论文字", "有[MASK]"], { maskCount: 2, maxLength: 10 });
  const { cls, sep, mask, unk } = tok.specialIds;
  assert.deepEqual(seqs[0].ids, [cls, ...tok.encodeText("好吃总之很"), mask, mask, ...tok.encodeText("。"), sep]);
  assert.equal(seqs[1].ids.length, 10, "cut to maxLength");
  assert.deepEqual(
    seqs[1].ids,
    [cls, ...tok.encodeText("太长总之很"), mask, mask, ...tok.encodeText("。"), sep],
    "the text keeps its head; the template stays whole",
  );
  assert.equal(truncated, 1);
  assert.deepEqual(seqs[2].ids.slice(1, 3), [tok.encodeText("有")[0], unk]);
  const b = packBatch(seqs, { batch: 4 });
  assert.deepEqual([...maskRows(b, mask, 2)].map(Number), [
    6,
    7,
    b.seqLen + 6,
    b.seqLen + 7,
    2 * b.seqLen + 6,
    2 * b.seqLen + 7,
    3 * b.seqLen,
    3 * b.seqLen,
  ]);
  assert.throws(() => encodePrompts(tok, t, ["x"], { maskCount: 2, maxLength: 8 }), /leaving none for the text/);
});

sharedTest("verbalizer: unknown words, missing labels, foreign labels and unknown presets fail before training", MODEL, async () => {
  const m = await model();
  const { tokenizer: tok } = m;
  const v = buildVerbalizer(tok, LABELS, { Positive: ["好", "满意"], Negative: "差" });
  assert.equal(v.maskCount, 2);
  assert.deepEqual(v.spec, { Positive: ["好", "满意"], Negative: ["差"] });
  const cases: [Parameters<typeof buildVerbalizer>[2], RegExp][] = [
    [{ Positive: ["好"], Negative: ["😀"] }, /word "😀" of label "Negative" has tokens unknown/],
    [{ Positive: ["好"] }, /label "Negative" has no words/],
    [{ Positive: ["好"], Negative: [] }, /label "Negative" has no words/],
    [{ Positive: ["好"], Negative: ["差"], Neutral: ["中"] }, /words given for "Neutral", which is not one of the labels/],
    ["no-such-preset", /unknown verbalizer preset "no-such-preset"; known: good-bad/],
  ];
  for (const [spec, problem] of cases) {
    assert.throws(() => buildVerbalizer(tok, LABELS, spec), (e) => e instanceof InputError && problem.test(e.message));
  }
  assert.throws(() => pet.create(m, LABELS, { template: "{text}[MASK]", verbalizer: { Positive: ["好"] } }), InputError);
  assert.throws(() => pet.create(m, LABELS, { template: "{text}很[MASK]。{text_b}" }), /needs text pairs/);
  assert.throws(() => pet.create(m, LABELS, { mode: "few-shot" as PetOptions["mode"] }), /field "mode"/);
});

sharedTest("multi-character label words: class score = sum of per-position log-probs (checked from full MLM logits)", MODEL, async () => {
  const m = await model();
  const texts = ["质量很好，物流也快", "用了两天就坏了"];
  const spec = { Positive: ["满意", "好"], Negative: ["不满"] };
  const { predictor } = await pet.create(m, LABELS, { mode: "zero-shot", template: "{text}总之很[MASK]。", verbalizer: spec }).fit([], []);
  const proba = await predictor.predictProba(texts);

  // Another way: full-vocabulary logits at the masks from a plain graph, log-softmax and sums in JS.
  const v = buildVerbalizer(m.tokenizer, LABELS, spec);
  const b = packBatch(encodePrompts(m.tokenizer, parseTemplate("{text}总之很[MASK]。"), texts, { maskCount: 2, maxLength: 64 }).seqs);
  const g = new Graph();
  const bert = buildBert(g, m.config, new GraphParams(g, m.weights, () => false).get, { batch: b.batch, seqLen: b.seqLen, train: false });
  const rows = g.input("rows", [b.batch * 2], "int64");
  const compiled = await CompiledGraph.compile(g, { logits: bert.mlmLogits(rows) });
  const logits =
    (await compiled.run(feedsFor(compiled, { ...tokenFeeds(b), rows: maskRows(b, m.tokenizer.specialIds.mask, 2) }, m.weights)))
      .logits as Float32Array;
  await compiled.release();
  const V = logits.length / (b.batch * 2);
  const logProb = (r: number, j: number, id: number) => {
    const row = logits.subarray((r * 2 + j) * V, (r * 2 + j + 1) * V);
    const max = row.reduce((a, x) => Math.max(a, x), -Infinity);
    return row[id] - max - Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  };
  texts.forEach((_, r) => {
    const [pos, neg] = v.words.map((ws) => ws.reduce((s, w) => s + w.ids.reduce((t, id, j) => t + logProb(r, j, id), 0), 0) / ws.length);
    assert.ok(
      Math.abs(Math.log(proba[r][0] / proba[r][1]) - (pos - neg)) < 1e-3,
      `row ${r}: ${Math.log(proba[r][0] / proba[r][1])} vs ${pos - neg}`,
    );
  });
});

sharedTest("zero-shot: FewCLUE's pattern beats chance clearly on 100 EPRSTMT training rows", "data/fewclue/eprstmt", async () => {
  const rows = (await eprstmt("train_few_all")).slice(0, 100);
  const { predictor, record } = await pet.create(await model(), LABELS, { mode: "zero-shot" }).fit([], []);
  assert.equal(record.steps, 0);
  assert.equal(record.trainableParams, 0);
  const metrics = metricsFromProba(rows.map((r) => r.label), await predictor.predictProba(rows.map((r) => r.text)), LABELS);
  assert.ok(metrics.accuracy >= 0.7, `accuracy ${metrics.accuracy}`);
});

/** A balanced slice of 16 training rows. */
async function smallSlice(): Promise<Row[]> {
  const rows = await eprstmt("train_0");
  return LABELS.flatMap((l) => rows.filter((r) => r.label === l).slice(0, 8));
}

const FINETUNE: Partial<PetOptions> = {
  mode: "finetune",
  template: "{text}总之很[MASK]。",
  verbalizer: "good-bad",
  steps: 12,
  batchSize: 8,
  lr: 1e-4,
  maxLength: 64,
  evalEvery: 0,
  seed: 7,
};

sharedTest(
  "prompt-based fine-tuning: loss falls, training accuracy rises, same seed same losses, save/load identical",
  "data/fewclue/eprstmt",
  async () => {
    const m = await model();
    const train = await smallSlice();
    const texts = train.map((r) => r.text), gold = train.map((r) => r.label);
    const before = metricsFromProba(
      gold,
      await (await pet.create(m, LABELS, { ...FINETUNE, mode: "zero-shot" }).fit([], [])).predictor.predictProba(texts),
      LABELS,
    );
    const { predictor, record } = await pet.create(m, LABELS, FINETUNE).fit(train, []);
    const after = await predictor.predictProba(texts);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.equal(record.steps, 12);
    assert.ok(record.trainableParams > 4e6, `trainable ${record.trainableParams}`);
    assert.ok(mean(record.losses.slice(-3)) < mean(record.losses.slice(0, 3)), `losses ${record.losses}`);
    const accuracy = metricsFromProba(gold, after, LABELS).accuracy;
    assert.ok(accuracy > before.accuracy && accuracy >= 0.8, `accuracy ${before.accuracy} -> ${accuracy}`);

    const again = await pet.create(m, LABELS, FINETUNE).fit(train, []);
    assert.deepEqual(again.record.losses, record.losses);

    const dir = await Deno.makeTempDir();
    try {
      await predictor.save(dir);
      const loadedBack = await pet.load(dir, m);
      assert.deepEqual(loadedBack.labels, LABELS);
      assert.deepEqual(await loadedBack.predictProba(texts), after);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

sharedTest("pattern ensemble: averages the patterns' probabilities; zero-shot saves no weights", MODEL, async () => {
  const m = await model();
  const texts = ["很好用", "太差了"];
  const patterns = [{ template: "fewclue", verbalizer: "fewclue" }, { template: "{text}总之很[MASK]。", verbalizer: "good-bad" }];
  const single = await Promise.all(
    patterns.map(async (p) => (await pet.create(m, LABELS, { mode: "zero-shot", ...p }).fit([], [])).predictor.predictProba(texts)),
  );
  const { predictor } = await pet.create(m, LABELS, { mode: "zero-shot", patterns }).fit([], []);
  const both = await predictor.predictProba(texts);
  both.forEach((row, i) => row.forEach((p, c) => assert.ok(Math.abs(p - (single[0][i][c] + single[1][i][c]) / 2) < 1e-6)));
  const dir = await Deno.makeTempDir();
  try {
    await predictor.save(dir);
    await assert.rejects(Deno.stat(`${dir}/weights.safetensors`));
    assert.deepEqual(await (await pet.load(dir, m)).predictProba(texts), both);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

sharedTest(
  "auxiliary MLM loss: the mixed loss is α·CE + (1 − α)·MLM of the same step, and bad settings fail first",
  "data/fewclue/eprstmt",
  async () => {
    const m = await model();
    const train = (await smallSlice()).slice(0, 8);
    const unlabeled = (await loadSplit("demo", "train")).map((r) => r.text);
    const base = { ...FINETUNE, steps: 2, batchSize: 8 };
    const plain = await pet.create(m, LABELS, base).fit(train, []);
    const pure = await pet.create(m, LABELS, { ...base, auxMlm: { alpha: 1, batchSize: 4, texts: unlabeled } }).fit(train, []);
    assert.deepEqual(pure.record.losses, plain.record.losses, "α = 1 leaves the task loss unchanged");
    const mixed = await pet.create(m, LABELS, { ...base, auxMlm: { alpha: 0.5, batchSize: 4, texts: unlabeled } }).fit(train, []);
    // The first step starts from the same weights, so its CE part is the plain run's first loss; the MLM part of
    // an untuned MLM on review text is a few nats, so the mixed loss is well above the task loss alone.
    assert.ok(mixed.record.losses[0] > plain.record.losses[0] + 0.5, `mixed ${mixed.record.losses[0]} vs ${plain.record.losses[0]}`);
    assert.throws(() => pet.create(m, LABELS, { ...base, auxMlm: { alpha: 0, batchSize: 4, texts: unlabeled } }), /auxMlm\.alpha/);
    assert.throws(() => pet.create(m, LABELS, { ...base, auxMlm: { alpha: 0.9, batchSize: 4 } }), /needs texts or a dataset/);
    assert.throws(
      () => pet.create(m, LABELS, { ...base, mode: "zero-shot", auxMlm: { alpha: 0.9, batchSize: 4, texts: unlabeled } }),
      /"finetune" only/,
    );
  },
);
