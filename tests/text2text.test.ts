/**
 * The text-to-text method on the tiny T5 fixtures (random weights: the arithmetic, not accuracy): its
 * probabilities are the softmax over `T5Runner.logLikelihoods` of the label targets, fine-tuning lowers the loss
 * of the gold targets, a saved predictor loads back to the same probabilities; and the capability refusals
 * between T5 folders and the encoder methods, in both directions.
 */
import assert from "node:assert/strict";
import type { Row } from "../lib/data/types.ts";
import { getMethod } from "../lib/methods/registry.ts";
import { SOFT_PROMPT, Text2TextPredictor } from "../lib/methods/text2text/predictor.ts";
import { encodePrompts, parseText2TextTemplate } from "../lib/methods/text2text/prompt.ts";
import { loadAnyModelFolder, loadModelFolder, type TextToTextFolder } from "../lib/model/folder.ts";
import { T5Runner } from "../lib/model/t5/runner.ts";
import type { T5Config } from "../lib/model/t5/config.ts";
import type { T5Tokenizer } from "../lib/model/t5/tokenizer.ts";
import { InputError } from "../lib/util/errors.ts";
import { root } from "./_shared.ts";
import { runDeno } from "./_subprocess.ts";

const T5 = `${root}/tests/fixtures/tiny-t5-v1_1`;
const LABELS = ["Positive", "Negative"];
const OPTIONS = { template: "评论：{text}。总之很<extra_id_0>。", targets: { Positive: "好", Negative: "差" }, maxLength: 32 };
const TEXTS = ["这个手机很好用", "质量太差了，不买了", "一般般", "物流很快，包装完整，推荐"];
const ROWS: Row[] = TEXTS.map((text, i) => ({ text, label: LABELS[i % 2] }));

const t5 = () => loadAnyModelFolder(T5) as Promise<TextToTextFolder>;

function softmax(xs: number[]): number[] {
  const m = Math.max(...xs), e = xs.map((x) => Math.exp(x - m)), s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

Deno.test("text2text: zero-shot probabilities are the softmax over T5Runner.logLikelihoods of <extra_id_0>+word", async () => {
  const model = await t5();
  const { predictor } = await getMethod("text2text").create(model, LABELS, { ...OPTIONS, mode: "zero-shot" }).fit([], []);
  const proba = await predictor.predictProba(TEXTS);
  // By hand: the filled prompts padded to their longest (not the method's buckets), the targets as T5 writes them.
  const tok = model.tokenizer as T5Tokenizer;
  const batch = tok.encodeBatch(TEXTS.map((t) => `评论：${t}。总之很<extra_id_0>。`));
  const targets = ["<extra_id_0>好", "<extra_id_0>差"].map((t) => tok.encode(t));
  assert.deepEqual(targets.map((t) => t[0]), [tok.sentinel(0), tok.sentinel(0)]);
  const runner = new T5Runner(model.config as T5Config, model.weights);
  const expected = (await runner.logLikelihoods(batch, targets)).map(softmax);
  await runner.release();
  proba.forEach((row, i) => row.forEach((p, c) => assert.ok(Math.abs(p - expected[i][c]) < 1e-5, `${i},${c}: ${p} vs ${expected[i][c]}`)));
  assert.ok(proba.some((row) => Math.abs(row[0] - 0.5) > 1e-4), "random weights still tell the targets apart");
});

Deno.test("text2text: fine-tuning lowers the gold targets' loss; save and load give the same probabilities", async () => {
  const model = await t5();
  const goldLoss = async (p: { predictProba(t: string[]): Promise<number[][]> }) =>
    (await p.predictProba(TEXTS)).reduce((s, row, i) => s - Math.log(row[i % 2]), 0) / TEXTS.length;
  const method = getMethod("text2text");
  const untrained = (await method.create(model, LABELS, { ...OPTIONS, mode: "zero-shot" }).fit([], [])).predictor;
  const options = { ...OPTIONS, mode: "finetune", steps: 12, batchSize: 4, lr: 3e-3, evalEvery: 0, seed: 1 };
  const { predictor, record } = await method.create(model, LABELS, options).fit(ROWS, []);
  assert.equal(record.steps, 12);
  assert.ok(record.trainableParams > 0);
  const [before, after] = [await goldLoss(untrained), await goldLoss(predictor)];
  assert.ok(after < before * 0.5, `loss of the gold labels ${before} → ${after}`);

  const dir = await Deno.makeTempDir();
  try {
    await predictor.save(dir);
    const loaded = await method.load(dir, model);
    assert.deepEqual(await loaded.predictProba(TEXTS), await predictor.predictProba(TEXTS));
    assert.ok(loaded instanceof Text2TextPredictor);
    assert.deepEqual(await loaded.generate(TEXTS), await (predictor as Text2TextPredictor).generate(TEXTS));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("text2text: options are checked before any data is read", async () => {
  const model = await t5();
  const create = (o: Record<string, unknown>, inputs: "text" | "pair" = "text") => () =>
    getMethod("text2text").create(model, LABELS, o, inputs);
  assert.throws(create({ template: "没有输入<extra_id_0>" }), (e: Error) => e instanceof InputError && /no \{text\} slot/.test(e.message));
  assert.throws(create({ targets: { Positive: "好" } }), (e: Error) => e instanceof InputError && e.message.includes("targets.Negative"));
  assert.throws(create({ targets: "multi-char" }), (e: Error) => e instanceof InputError && /has 3 words/.test(e.message));
  assert.throws(
    create({ template: "{text}<extra_id_0>" }, "pair"),
    (e: Error) => e instanceof InputError && /sentence pairs/.test(e.message),
  );
  assert.throws(create({ mode: "generate" }), (e: Error) => e instanceof InputError && e.message.includes('"mode"'));
});

Deno.test("text2text: the encoder methods refuse a T5 folder and text2text a BERT one, naming the capability", async () => {
  const model = await t5();
  assert.throws(
    () => getMethod("finetune").create(model, LABELS, {}),
    (e: Error) => e instanceof InputError && e.message.includes("config.json") && e.message.includes("pooled first-token representation"),
  );
  const bert = await loadModelFolder(`${root}/models/promptlab-bert-zh-L4-H256`);
  assert.throws(
    () => getMethod("text2text").create(bert, LABELS, {}),
    (e: Error) => e instanceof InputError && e.message.includes("decoder scoring and generating target strings"),
  );
  await assert.rejects(() => loadModelFolder(T5), (e: Error) => e instanceof InputError && /model_type.*text-to-text/.test(e.message));
});

Deno.test("text2text: cli run --method pet on a T5 folder exits 2 with one line naming the capability", async () => {
  const ran = await runDeno(["task", "cli", "run", "--method", "pet", "--model", T5, "--dataset", "demo", "--mode", "zero-shot"]);
  assert.equal(ran.code, 2);
  const errors = ran.stderr.split("\n").filter((l) => l.startsWith("error:"));
  assert.equal(errors.length, 1, ran.stderr);
  assert.match(errors[0], /config\.json.*model_type.*masked-LM head.*which pet needs/);
  assert.ok(!ran.stderr.includes("    at "), "no stack trace");
});

Deno.test("T5 soft prompt: table rows in place of the first positions equal the tokens whose embeddings they copy", async () => {
  const model = await t5();
  const shared = model.weights.get("shared.weight")!, D = shared.shape[1], ids = [17, 42, 99];
  const table = { shape: [ids.length, D], data: new Float32Array(ids.flatMap((id) => [...shared.data.subarray(id * D, (id + 1) * D)])) };
  const weights = new Map([...model.weights, ["soft", table]]);
  const tok = model.tokenizer as T5Tokenizer, targets = [tok.encode("<extra_id_0>好"), tok.encode("<extra_id_0>差")];
  const prompts = TEXTS.map((t) => tok.encode(`${t}总之很<extra_id_0>。`));
  const batchOf = (first: number[]) => {
    const rows = prompts.map((p) => [...first, ...p]), L = Math.max(...rows.map((r) => r.length));
    return {
      inputIds: rows.map((r) => [...r, ...new Array(L - r.length).fill(tok.pad)]),
      attentionMask: rows.map((r) => [...new Array(r.length).fill(1), ...new Array(L - r.length).fill(0)]),
    };
  };
  const [soft, plain] = [new T5Runner(model.config as T5Config, weights, "soft"), new T5Runner(model.config as T5Config, weights)];
  const viaSoft = await soft.logLikelihoods(batchOf([tok.pad, tok.pad, tok.pad]), targets);
  const viaIds = await plain.logLikelihoods(batchOf(ids), targets);
  const unchanged = await plain.logLikelihoods(batchOf([tok.pad, tok.pad, tok.pad]), targets);
  await Promise.all([soft.release(), plain.release()]);
  viaSoft.flat().forEach((x, i) => assert.ok(Math.abs(x - viaIds.flat()[i]) < 1e-4, `${x} vs ${viaIds.flat()[i]}`));
  assert.ok(viaSoft.flat().some((x, i) => Math.abs(x - unchanged.flat()[i]) > 1e-3), "the soft rows change the scores");
});

Deno.test("text2text: prompt tuning trains the soft prompt alone, lowers the loss, saves only it and loads back", async () => {
  const model = await t5();
  const before = new Map([...model.weights].map(([n, t]) => [n, t.data.slice()]));
  const method = getMethod("text2text");
  const options = { ...OPTIONS, mode: "prompt-tuning", promptLength: 4, steps: 30, batchSize: 4, evalEvery: 0, seed: 2 };
  const gold = async (p: { predictProba(t: string[]): Promise<number[][]> }) =>
    (await p.predictProba(TEXTS)).reduce((s, row, i) => s - Math.log(row[i % 2]), 0) / TEXTS.length;
  const initial = (await method.create(model, LABELS, { ...options, steps: 1, lr: 1e-12 }).fit(ROWS, [])).predictor;
  const { predictor, record } = await method.create(model, LABELS, options).fit(ROWS, []);
  assert.equal(record.trainableParams, 4 * model.backbone.sizes.hiddenSize);
  for (const [n, data] of before) assert.deepEqual(model.weights.get(n)!.data, data, `prompt tuning changed ${n}`);
  const [lossBefore, lossAfter] = [await gold(initial), await gold(predictor)];
  assert.ok(lossAfter < lossBefore * 0.7, `loss of the gold labels ${lossBefore} → ${lossAfter}`);
  const dir = await Deno.makeTempDir();
  try {
    await predictor.save(dir);
    const { readSafetensors } = await import("../lib/model/formats/safetensors.ts");
    assert.deepEqual([...(await readSafetensors(`${dir}/weights.safetensors`)).tensors.keys()], [SOFT_PROMPT]);
    assert.deepEqual(await (await method.load(dir, model)).predictProba(TEXTS), await predictor.predictProba(TEXTS));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("text2text: cli predict on a saved predictor prints the generated text beside the probabilities", async () => {
  const model = await t5();
  const { predictor } = await getMethod("text2text").create(model, LABELS, { ...OPTIONS, mode: "zero-shot" }).fit([], []);
  const dir = await Deno.makeTempDir();
  try {
    await predictor.save(dir);
    const ran = await runDeno(["task", "cli", "predict", dir, "--model", T5, "--text", TEXTS[0], "--text", TEXTS[1]]);
    assert.equal(ran.code, 0, ran.stderr);
    const rows = ran.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const [proba, generated] = [
      await predictor.predictProba(TEXTS.slice(0, 2)),
      await (predictor as Text2TextPredictor).generate(TEXTS.slice(0, 2)),
    ];
    assert.deepEqual(rows.map((r) => r.generated), generated);
    rows.forEach((r, i) => assert.ok(Math.abs(r.probabilities.Positive - proba[i][0]) < 1e-6));
    assert.ok(generated.every((g) => typeof g === "string" && g.length > 0), `generated ${generated}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadAnyModelFolder: a T5 folder with spiece.model only is refused with the way to convert it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["config.json", "model.safetensors"]) await Deno.copyFile(`${T5}/${f}`, `${dir}/${f}`);
    await Deno.writeFile(`${dir}/spiece.model`, new Uint8Array([0]));
    await assert.rejects(
      () => loadAnyModelFolder(dir),
      (e: Error) => e instanceof InputError && e.message.includes(`${dir}/spiece.model`) && e.message.includes("T5TokenizerFast"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("text2text prompts: slots in any order, {text_a} as {text}, a long input cut in its longest text, never the template", async () => {
  const tok = (await t5()).tokenizer;
  const pairTemplate = parseText2TextTemplate("{text_b}<extra_id_0>是关键词。{text_a}");
  assert.deepEqual(encodePrompts(tok, pairTemplate, [{ text: "手机", textB: "质量" }], 64), [tok.encode("质量<extra_id_0>是关键词。手机")]);
  const long = "很好".repeat(40), template = parseText2TextTemplate("{text}总之很<extra_id_0>。");
  const [cut] = encodePrompts(tok, template, [long], 24);
  assert.ok(cut.length <= 24, `${cut.length} tokens`);
  assert.deepEqual(cut.slice(-5), tok.encode("总之很<extra_id_0>。").slice(-5), "the template's end, sentinel included, kept");
  assert.throws(
    () => parseText2TextTemplate("{text}{text_a}<extra_id_0>"),
    (e: Error) => e instanceof InputError && /more than once/.test(e.message),
  );
});
