/**
 * Exports load in transformers.js and agree with the kit: fine-tuning and P-tuning v2 through
 * `pipeline('text-classification')`, PET through `pipeline('fill-mask')` and `petProbabilities`, every score
 * within 1e-4 of the kit's predictor (texts of different lengths in one batch, a text cut to the input length,
 * a typed [MASK]); models trained on sentence pairs likewise on pairs (cut longest-first), and saved and exported
 * they say they take pairs (a classifier saved before that was recorded still loads); the PEFT adapter's files;
 * `cli export` and `cli predict` (texts and pairs, and their input errors) as the `cli` task runs them.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { AutoTokenizer, env, type FillMaskPipeline, pipeline, type TextClassificationPipeline } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { predictCommand } from "../lib/cli/predict.ts";
import { loadFewShot } from "../lib/data/load.ts";
import { readLocalRows } from "../lib/data/local.ts";
import type { InputKind, Row } from "../lib/data/types.ts";
import type { TextInput } from "../lib/model/batch.ts";
import { exportSaved } from "../lib/methods/export.ts";
import { PEFT_PREFIX } from "../lib/methods/peft_adapter.ts";
import { classifierProbabilities } from "../lib/methods/classifier/text_classification.ts";
import { PREFIX_TABLE } from "../lib/methods/classifier/ptuning_v2.ts";
import { type PetExportSpec, petProbabilities, petPrompts, type PromptTokenizer } from "../lib/methods/pet/fill_mask.ts";
import { getMethod, type MethodOptions } from "../lib/methods/registry.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { readSafetensors, writeSafetensors } from "../lib/model/formats/safetensors.ts";
import { cutText, type TextTokenizer } from "../lib/model/tokenizers/text_cut.ts";
import { bertTokenizerFiles } from "../lib/model/tokenizers/tokenizer.ts";
import { openPredictor } from "../lib/methods/open_predictor.ts";
import { python, requireShared } from "../lib/util/config.ts";
import { InputError } from "../lib/util/errors.ts";
import { rejects } from "./_assert.ts";
import { root } from "./_shared.ts";
import { type Ran, runDeno, taskFlags } from "./_subprocess.ts";

const MODEL = `${root}/models/promptlab-bert-zh-L4-H256`;
const TINY = { steps: 3, batchSize: 4, evalEvery: 0, maxLength: 32, evalBatchSize: 8, seed: 3 };

let cached: Promise<{ model: ModelFolder; train: Row[]; labels: string[]; texts: string[] }> | undefined;
function setup() {
  cached ??= (async () => {
    const model = await loadModelFolder(MODEL);
    const data = await loadFewShot("demo", { kind: "sampled", k: 4, seed: 1 }, { mirror: null, download: false });
    // Lengths differ (padding in one batch); one is cut to maxLength; one holds a typed [MASK] and Latin words.
    const texts = [...data.test.slice(0, 4).map((r) => r.text), "好", "物流[MASK]很快 fast delivery，" + "包装完好".repeat(12)];
    return { model, train: data.train, labels: data.task.labels, texts };
  })();
  return cached;
}

const PAIRS = `${root}/tests/fixtures/paraphrase_pairs.jsonl`;
/** The paraphrase fixture's labels (1: same meaning) as words for a pair template. */
const PAIR_WORDS = { "1": ["是"], "0": ["不"] };

let pairsCached: Promise<{ train: Row[]; labels: string[]; pairs: { text: string; textB: string }[] }> | undefined;
/** BUSTM-like pairs: 16 to train on, and pairs to predict. */
function pairSetup() {
  pairsCached ??= (async () => {
    const rows = await readLocalRows(PAIRS, { text: "sentence1", textB: "sentence2", label: "label" }) as Row[];
    const long = "包装完好".repeat(10);
    // Lengths differ; over 32 tokens, cut longest-first: from the first text, from the second (holding a typed
    // [MASK] and Latin words), from both.
    const pairs = [...rows.slice(16, 20), { text: long, textB: "好" }, { text: "几点了", textB: `物流[MASK]很快 fast delivery，${long}` }, {
      text: long,
      textB: `${long}很快`,
    }]
      .map(({ text, textB }) => ({ text, textB: textB! }));
    return { train: rows.slice(0, 16), labels: ["1", "0"], pairs };
  })();
  return pairsCached;
}

/**
 * Train `method` a few steps (on the paraphrase pairs for `inputs` "pair") on `baseModel` (default: the
 * embedded model), save it and export it; returns the predictor, the saved and export folders and what the
 * export says it wrote.
 */
async function trainAndExport(method: string, options: MethodOptions, inputs: InputKind = "text", baseModel?: ModelFolder) {
  const model = baseModel ?? (await setup()).model;
  const { train, labels } = inputs === "pair" ? await pairSetup() : await setup();
  const { predictor } = await getMethod(method).create(model, labels, options, inputs).fit(train, []);
  const base = await Deno.makeTempDir();
  const saved = `${base}/saved`, out = `${base}/${method}-export`;
  await predictor.save(saved);
  const exported = await exportSaved(saved, model, out);
  return { predictor, saved, out, exported };
}

/** transformers.js reads a local model as localModelPath + id, with no download allowed. */
function offline(dir: string): string {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dir.slice(0, dir.lastIndexOf("/") + 1);
  return dir.slice(dir.lastIndexOf("/") + 1);
}

function assertClose(got: number[][], want: number[][], tol = 1e-4) {
  assert.equal(got.length, want.length);
  got.forEach((row, i) =>
    row.forEach((p, c) => assert.ok(Math.abs(p - want[i][c]) <= tol, `text ${i} class ${c}: ${p} vs the kit's ${want[i][c]}`))
  );
}

async function classifierParity(method: string, options: MethodOptions) {
  const { texts, labels } = await setup();
  const { predictor, out } = await trainAndExport(method, options);
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  assert.deepEqual(config.architectures, ["BertForSequenceClassification"]);
  assert.equal(config.model_type, "bert");
  assert.deepEqual(config.id2label, Object.fromEntries(labels.map((l, i) => [String(i), l])));
  assert.deepEqual(config.label2id, Object.fromEntries(labels.map((l, i) => [l, i])));
  for (const f of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]) {
    assert.ok(Deno.statSync(`${out}/${f}`).isFile, f);
  }
  const session = await ort.InferenceSession.create(`${out}/onnx/model.onnx`);
  assert.deepEqual([...session.inputNames].sort(), ["attention_mask", "input_ids", "token_type_ids"]);
  assert.deepEqual([...session.outputNames], ["logits"]);
  await session.release();

  // The pipeline as a user calls it, on texts within maxLength.
  const fit = texts.slice(0, -1);
  const classify = await pipeline("text-classification", offline(out), { local_files_only: true }) as TextClassificationPipeline;
  const rows = await classify(fit, { top_k: null }) as unknown as { label: string; score: number }[][];
  const kit = await predictor.predictProba(texts);
  assertClose(rows.map((r) => labels.map((l) => r.find((e) => e.label === l)!.score)), kit.slice(0, -1));
  // The pipeline's top label is the kit's most probable class.
  rows.forEach((r, i) => assert.equal(r[0].label, labels[kit[i].indexOf(Math.max(...kit[i]))]));
  // A longer text: transformers.js alone would cut its [SEP] off; cut first as the kit cuts, it agrees.
  const long = texts.at(-1)!;
  const cut = await classify(cutText(classify.tokenizer as unknown as TextTokenizer, long, TINY.maxLength - 2), {
    top_k: null,
  }) as unknown as { label: string; score: number }[];
  assertClose([labels.map((l) => cut.find((e) => e.label === l)!.score)], kit.slice(-1));
  // The premise: the pipeline's own encoding of the long text ends without [SEP], and the model sees it (more
  // than float noise; how much depends on the trained weights, little for a barely trained frozen-backbone head).
  const encoded = (classify.tokenizer as unknown as (t: string, o: object) => { input_ids: { data: BigInt64Array } })(long, {
    truncation: true,
  });
  const [sep] = (classify.tokenizer as unknown as { convert_tokens_to_ids(t: string[]): number[] }).convert_tokens_to_ids(["[SEP]"]).map(
    BigInt,
  );
  assert.notEqual(encoded.input_ids.data.at(-1), sep, "transformers.js' own truncation drops [SEP]");
  const uncut = await classify(long, { top_k: null }) as unknown as { label: string; score: number }[];
  assert.ok(
    Math.abs(uncut[0].score - Math.max(...kit.at(-1)!)) > 1e-5,
    "transformers.js' own truncation (no [SEP]) differs: the cut matters",
  );
  // openPredictor (what `cli predict` uses) cuts for itself.
  assertClose(await (await openPredictor(out, MODEL)).predictProba(texts), kit);
  return out;
}

Deno.test("export: fine-tuning loads in pipeline('text-classification') with the kit's labels and probabilities", async () => {
  await classifierParity("finetune", { ...TINY, lr: 1e-3 });
});

Deno.test("export: P-tuning v2 (prefix baked in) loads in pipeline('text-classification'); its PEFT adapter holds prefix and head", async () => {
  const { model, labels } = await setup();
  const P = 4;
  const out = await classifierParity("ptuning-v2", { ...TINY, prefixLength: P, lr: 3e-2 }); // a head trained enough to read the [CLS] state;
  const { num_hidden_layers: layers, hidden_size: H, num_attention_heads: heads } = model.config;
  const adapter = JSON.parse(await Deno.readTextFile(`${out}/adapter_config.json`));
  assert.deepEqual(
    { ...adapter },
    {
      peft_type: "PREFIX_TUNING",
      task_type: "SEQ_CLS",
      base_model_name_or_path: "promptlab-bert-zh-L4-H256",
      inference_mode: true,
      num_virtual_tokens: P,
      token_dim: H,
      num_transformer_submodules: 1,
      num_attention_heads: heads,
      num_layers: layers,
      encoder_hidden_size: H,
      prefix_projection: false,
      modules_to_save: ["classifier", "pooler"],
    },
  );
  const { tensors } = await readSafetensors(`${out}/adapter_model.safetensors`);
  assert.deepEqual(
    Object.fromEntries([...tensors].map(([n, t]) => [n, t.shape])),
    {
      [PEFT_PREFIX]: [P, layers * 2 * H],
      "base_model.classifier.weight": [labels.length, H],
      "base_model.classifier.bias": [labels.length],
      "base_model.bert.pooler.dense.weight": [H, H],
      "base_model.bert.pooler.dense.bias": [H],
    },
  );
  const saved = await readSafetensors(`${out}/../saved/weights.safetensors`);
  assert.deepEqual(tensors.get(PEFT_PREFIX)!.data, saved.tensors.get(PREFIX_TABLE)!.data, "the adapter holds the trained prefix table");
});

Deno.test("export: P-tuning v2 with the projection MLP exports the table it computes", async () => {
  await classifierParity("ptuning-v2", { ...TINY, steps: 2, prefixLength: 2, prefixProjection: true, prefixHiddenSize: 16 });
});

Deno.test("export: PET loads in pipeline('fill-mask'); petProbabilities gives the kit's class probabilities", async () => {
  const { texts, labels } = await setup();
  const { predictor, out } = await trainAndExport("pet", { ...TINY, lr: 1e-4, template: "{text}总之很[MASK]。", verbalizer: "multi-char" });
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  assert.deepEqual(config.architectures, ["BertForMaskedLM"]);
  const spec = JSON.parse(await Deno.readTextFile(`${out}/promptlab.json`)) as PetExportSpec;
  assert.deepEqual(spec, {
    method: "pet",
    labels,
    maxLength: TINY.maxLength,
    patterns: [{ template: "{text}总之很[MASK]。", verbalizer: { Positive: ["好", "棒", "赞"], Negative: ["差", "烂", "坑"] } }],
  });
  const fillMask = await pipeline("fill-mask", offline(out), { local_files_only: true }) as FillMaskPipeline;
  assertClose(await petProbabilities(fillMask, spec, texts), await predictor.predictProba(texts));
});

Deno.test("export: a zero-shot PET ensemble exports once; its patterns average as in the kit", async () => {
  const { texts } = await setup();
  const patterns = [{ template: "fewclue", verbalizer: "fewclue" }, { template: "{text}总之很[MASK]。", verbalizer: "good-bad" }];
  const { predictor, out } = await trainAndExport("pet", { mode: "zero-shot", maxLength: 48, patterns });
  const spec = JSON.parse(await Deno.readTextFile(`${out}/promptlab.json`)) as PetExportSpec;
  assert.equal(spec.patterns[0].template, "[MASK]满意。{text}", "presets are written out");
  const fillMask = await pipeline("fill-mask", offline(out), { local_files_only: true }) as FillMaskPipeline;
  const kit = await predictor.predictProba(texts);
  assertClose(await petProbabilities(fillMask, spec, texts), kit);
  await scorerAgrees(out, texts, kit);
});

Deno.test("export: PET label words of several tokens score at several masks as in the kit; calibration carried", async () => {
  const { texts, model } = await setup();
  // 满意 and 不满 are two tokens, 好 one: the slot holds two masks, 好 scores at the first only.
  const verbalizer = { Positive: ["满意", "好"], Negative: ["不满"] };
  assert.deepEqual(verbalizer.Positive.map((w) => model.tokenizer.encodeText(w).length), [2, 1]);
  const { predictor, out } = await trainAndExport("pet", {
    mode: "zero-shot",
    maxLength: 32,
    template: "{text}总之很[MASK]。",
    verbalizer,
    calibrate: true,
  });
  const spec = JSON.parse(await Deno.readTextFile(`${out}/promptlab.json`)) as PetExportSpec;
  const saved = JSON.parse(await Deno.readTextFile(`${out}/../saved/method.json`));
  assert.deepEqual(spec.patterns.map((p) => p.calibration), saved.extra.calibration, "each pattern's saved p_cf");
  const fillMask = await pipeline("fill-mask", offline(out), { local_files_only: true }) as FillMaskPipeline;
  const tok = fillMask.tokenizer as unknown as PromptTokenizer;
  const prompts = petPrompts(tok, spec.patterns[0], texts, spec.maxLength);
  prompts.forEach((p) =>
    assert.equal(tok.encode(p, { add_special_tokens: true }).filter((id) => id === model.tokenizer.specialIds.mask).length, 2)
  );
  const kit = await predictor.predictProba(texts);
  assertClose(await petProbabilities(fillMask, spec, texts), kit);
  await scorerAgrees(out, texts, kit);
  // Without the calibration the numbers differ: it matters, and the export carries it.
  const uncalibrated = await petProbabilities(fillMask, { ...spec, patterns: spec.patterns.map(({ calibration: _, ...p }) => p) }, texts);
  assert.ok(uncalibrated.some((row, i) => Math.abs(row[0] - kit[i][0]) > 1e-3));
});

Deno.test("export: fine-tuning and P-tuning v2 trained on pairs say so (saved, loaded, exported); the export, given them as the tokenizer's text_pair, gives the saved predictor's probabilities", async () => {
  const { model } = await setup();
  const { pairs } = await pairSetup();
  // A single text in the same batch is encoded alone.
  const inputs = [...pairs, "好"];
  for (const [method, options] of [["finetune", { ...TINY, lr: 1e-3 }], ["ptuning-v2", { ...TINY, prefixLength: 4 }]] as const) {
    const { predictor, saved, out, exported } = await trainAndExport(method, options, "pair");
    assert.equal(predictor.inputs, "pair", "the kind of its training rows");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${saved}/method.json`)).extra, { inputs: "pair" });
    assert.deepEqual(exported, { pipeline: "text-classification", inputs: "pair" });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${out}/config.json`)).promptlab, { inputs: "pair" });
    const kit = await predictor.predictProba(inputs);
    const loaded = await getMethod(method).load(saved, model);
    assert.equal(loaded.inputs, "pair");
    assertClose(await loaded.predictProba(inputs), kit);
    const classify = await pipeline("text-classification", offline(out), { local_files_only: true }) as TextClassificationPipeline;
    assertClose(await classifierProbabilities(classify, inputs), kit);
    // The pairs matter: their first texts alone score otherwise.
    const firsts = await classifierProbabilities(classify, pairs.map((p) => p.text));
    assert.ok(firsts.some((row, i) => Math.abs(row[0] - kit[i][0]) > 1e-4));
    for (const dir of [saved, out]) {
      const opened = await openPredictor(dir, MODEL);
      assert.deepEqual([opened.inputs, opened.inputsFrom], ["pair", "training"], dir);
      assertClose(await opened.predictProba(inputs), kit);
    }
  }
});

Deno.test("export: a fine-tuning predictor saved before the kind was recorded (no extra.inputs) loads, exports and predicts either kind; a bad kind is an error naming it", async () => {
  const { model } = await setup();
  const { pairs } = await pairSetup();
  const { predictor, saved } = await trainAndExport("finetune", { ...TINY, lr: 1e-3 }, "pair");
  const meta = JSON.parse(await Deno.readTextFile(`${saved}/method.json`));
  const { extra: _, ...old } = meta;
  await Deno.writeTextFile(`${saved}/method.json`, JSON.stringify(old, null, 2) + "\n");
  const inputs = [...pairs.slice(0, 3), "好"];
  const kit = await predictor.predictProba(inputs);
  const loaded = await getMethod("finetune").load(saved, model);
  assert.equal(loaded.inputs, undefined, "unknown, as before the kind was recorded");
  assertClose(await loaded.predictProba(inputs), kit);
  const out = `${saved}/../old-export`;
  assert.deepEqual(await exportSaved(saved, model, out), { pipeline: "text-classification" });
  assert.ok(!("promptlab" in JSON.parse(await Deno.readTextFile(`${out}/config.json`))), "nothing recorded, nothing exported");
  for (const dir of [saved, out]) {
    const opened = await openPredictor(dir, MODEL);
    assert.equal(opened.inputs, undefined, dir);
    assertClose(await opened.predictProba(inputs), kit);
  }
  // Either kind through cli predict, as before.
  for (const args of [["--text", "几点了"], ["--text", "几点了", "--text-b", "现在几点"]]) {
    const r = await cli(["predict", saved, ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
  // A kind the kit never writes.
  await Deno.writeTextFile(`${saved}/method.json`, JSON.stringify({ ...meta, extra: { inputs: "pairs" } }));
  await rejects(
    () => getMethod("finetune").load(saved, model),
    "method.json",
    /field "extra\.inputs"\): must be "text" \(single texts\) or "pair" \(sentence pairs\), got "pairs"/,
  );
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  await Deno.writeTextFile(`${out}/config.json`, JSON.stringify({ ...config, promptlab: { inputs: 2 } }));
  await rejects(() => openPredictor(out, MODEL), "config.json", /field "promptlab\.inputs"\): must be "text" .*, got 2/);
});

Deno.test("export: PET with a pair template exports; petProbabilities fills both slots as the kit (cut longest-first, a typed [MASK] as [UNK])", async () => {
  const { pairs } = await pairSetup();
  const { predictor, saved, out, exported } = await trainAndExport("pet", {
    ...TINY,
    lr: 1e-4,
    template: "pair-question",
    verbalizer: PAIR_WORDS,
  }, "pair");
  assert.deepEqual(exported, { pipeline: "fill-mask", inputs: "pair" });
  const spec = JSON.parse(await Deno.readTextFile(`${out}/promptlab.json`)) as PetExportSpec;
  assert.equal(spec.patterns[0].template, "{text}？[MASK]，{text_b}");
  const fillMask = await pipeline("fill-mask", offline(out), { local_files_only: true }) as FillMaskPipeline;
  const tok = fillMask.tokenizer as unknown as PromptTokenizer;
  assert.deepEqual(petPrompts(tok, spec.patterns[0], [{ text: "几点了", textB: "现在几点" }], spec.maxLength), [
    "几点了 ？ [MASK] ， 现在几点",
  ]);
  const kit = await predictor.predictProba(pairs);
  assertClose(await petProbabilities(fillMask, spec, pairs), kit);
  for (const dir of [saved, out]) {
    const opened = await openPredictor(dir, MODEL);
    assert.equal(opened.inputs, "pair", dir);
    assertClose(await opened.predictProba(pairs), kit);
  }
});

Deno.test("export: refused with a clear error — AutoPrompt, another base model, a fine-tuned PET ensemble; petPrompts refuses inputs of the other kind", async () => {
  const { model, train, labels } = await setup();
  const { predictor } = await getMethod("pet").create(model, labels, {
    mode: "zero-shot",
    maxLength: 32,
    template: "fewclue",
    verbalizer: "satisfied",
  }).fit(train, []);
  const dir = await Deno.makeTempDir();
  await predictor.save(`${dir}/pet`);
  await Deno.mkdir(`${dir}/ap`);
  await Deno.writeTextFile(`${dir}/ap/method.json`, JSON.stringify({ method: "autoprompt", options: {}, labels }));
  await rejects(
    () => exportSaved(`${dir}/ap`, model, `${dir}/out`),
    "method.json",
    /method "autoprompt" has no export; exportable: finetune, pet, ptuning-v2, soft-prompt, text2text$/,
  );
  const other = { ...model, dir: `${dir}/other`, config: { ...model.config } };
  await Deno.mkdir(other.dir);
  await Deno.writeTextFile(`${other.dir}/config.json`, "{}");
  await Deno.copyFile(model.weightsFile, `${other.dir}/model.safetensors`);
  await rejects(
    () => exportSaved(`${dir}/pet`, { ...other, weightsFile: `${other.dir}/model.safetensors` }, `${dir}/out`),
    "method.json",
    /saved on base model "promptlab-bert-zh-L4-H256"/,
  );
  // Two separately fine-tuned patterns are two models: one fill-mask folder cannot hold them.
  const patterns = [{ template: "fewclue", verbalizer: "fewclue" }, { template: "{text}总之很[MASK]。", verbalizer: "good-bad" }];
  const ensemble = await getMethod("pet").create(model, labels, { ...TINY, steps: 1, maxLength: 16, patterns }).fit(train, []);
  await ensemble.predictor.save(`${dir}/ensemble`);
  await rejects(
    () => exportSaved(`${dir}/ensemble`, model, `${dir}/out`),
    "method.json",
    /an ensemble of 2 separately fine-tuned patterns is 2 models; a fill-mask folder holds one/,
  );
  // Inputs of the other kind than the template takes.
  const tok = { tokenize: (t: string) => [...t], encode: (t: string) => [...t].map((c) => c.charCodeAt(0)) };
  const words = { Positive: ["好"] };
  assert.throws(
    () => petPrompts(tok, { template: "{text}{text_b}很[MASK]", verbalizer: words }, ["好"], 32),
    /has a second input slot \{text_b\}: it needs text pairs/,
  );
  assert.throws(
    () => petPrompts(tok, { template: "{text}很[MASK]", verbalizer: words }, [{ text: "好", textB: "棒" }], 32),
    /has one input slot, but the inputs are sentence pairs/,
  );
});

/** `deno task cli` with the task's own permissions (deno.json), so the test fails if they do not suffice. */
async function cli(args: string[]): Promise<Ran> {
  return runDeno(["run", ...(await taskFlags("cli")), `${root}/lib/cli/main.ts`, ...args], { env: { PROMPTLAB_OFFLINE: "1" } });
}

Deno.test("cli: export, then predict over a CSV (saved), a JSON Lines file and repeated --text (export) writes one row per text; pairs are refused", async () => {
  const { model, train, labels } = await setup();
  const { predictor } = await getMethod("finetune").create(model, labels, { ...TINY, lr: 1e-3 }).fit(train, []);
  const dir = await Deno.makeTempDir();
  await predictor.save(`${dir}/saved`);
  const exported = await cli(["export", `${dir}/saved`, "--out", `${dir}/exported`]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal(
    exported.stdout,
    `wrote: ${dir}/exported\nnext:  deno task cli predict ${dir}/exported --text "物流很快，包装完好。"   # the export through transformers.js' pipeline("text-classification") (docs/export.md)\n`,
  );

  const texts = ["物流很快，包装完好。", '质量太差, "退货"了', "一般"];
  await Deno.writeTextFile(`${dir}/in.csv`, "id,review\n" + texts.map((t, i) => `${i},"${t.replaceAll('"', '""')}"`).join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/in.jsonl`, texts.map((t) => JSON.stringify({ review: t })).join("\n") + "\n");
  const kit = await predictor.predictProba(texts);
  // Texts from a CSV, a JSON Lines file, or --text given once per text (commas and quotes kept).
  const inputs = {
    csv: ["--input", `${dir}/in.csv`, "--text-column", "review"],
    jsonl: ["--input", `${dir}/in.jsonl`, "--text-column", "review"],
    text: texts.flatMap((t) => ["--text", t]),
  };
  for (
    const [source, input, out] of [[`${dir}/saved`, inputs.csv, undefined], [`${dir}/exported`, inputs.jsonl, `${dir}/out.jsonl`], [
      `${dir}/exported`,
      inputs.text,
      undefined,
    ]] as const
  ) {
    const r = await cli(["predict", source, ...input, "--batch-size", "2", ...(out ? ["--out", out] : [])]);
    assert.equal(r.code, 0, r.stderr);
    const rows = (out ? await Deno.readTextFile(out) : r.stdout).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((row) => row.text), texts);
    rows.forEach((row, i) => {
      assert.deepEqual(Object.keys(row), ["text", "label", "probabilities"]);
      assertClose([labels.map((l) => row.probabilities[l])], [kit[i]]);
      assert.equal(row.label, labels[kit[i].indexOf(Math.max(...kit[i]))]);
    });
    assert.match(r.stderr, /predict 3\/3 texts/, "progress on stderr");
    assert.match(
      r.stderr,
      out ? new RegExp(`wrote: ${out}\n$`) : /wrote nothing \(the rows went to stdout; --out FILE writes them to a file\)\n$/,
    );
  }
  // A model trained on single texts refuses pairs (exit 2, one line naming the flag), saved or exported.
  const paired = await cli(["predict", `${dir}/exported`, "--text", "物流很快", "--text-b", "包装完好"]);
  assert.equal(paired.code, 2);
  assert.equal(paired.stderr, "error: --text-b: the model (export text-classification) was trained on single texts: drop --text-b\n");
  await assert.rejects(
    () => predictCommand.run([`${dir}/saved`, "--input", `${dir}/in.csv`, "--text-column", "review", "--text-b-column", "id"]),
    (e: Error) =>
      e instanceof InputError && e.location.field === "--text-b-column" &&
      /the model \(saved finetune\) was trained on single texts: drop --text-b-column$/.test(e.message),
  );
  const bad = await cli(["predict", `${dir}/saved`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: --text: give either --text or --input\n$/);
  const missing = await cli(["predict", `${dir}/saved`, "--input", `${dir}/in.csv`, "--text-column", "text"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /in\.csv:1 \(field "text"\): missing column/);
});

Deno.test("cli: predict takes pairs (--text-b, --text-b-column) through a saved predictor and both export kinds; a model of the other kind or unpaired counts are refused", async () => {
  const { model } = await setup();
  const { train, labels, pairs } = await pairSetup();
  const dir = await Deno.makeTempDir();
  const ft = await getMethod("finetune").create(model, labels, { ...TINY, lr: 1e-3 }, "pair").fit(train, []);
  await ft.predictor.save(`${dir}/ft`);
  const ftExported = await cli(["export", `${dir}/ft`, "--out", `${dir}/ft-export`]);
  assert.equal(ftExported.code, 0, ftExported.stderr);
  assert.match(
    ftExported.stdout,
    /next: {2}deno task cli predict \S+ --text "今天天气怎么样" --text-b "今天的天气如何" {3}# .*pipeline\("text-classification"\)/,
    "the next step gives a pair",
  );
  const pet = await getMethod("pet").create(model, labels, {
    mode: "zero-shot",
    maxLength: 32,
    template: "pair-question",
    verbalizer: PAIR_WORDS,
  }, "pair").fit([], []);
  await pet.predictor.save(`${dir}/pet`);
  const exported = await cli(["export", `${dir}/pet`, "--out", `${dir}/pet-export`]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(
    exported.stdout,
    /next: {2}deno task cli predict \S+ --text "今天天气怎么样" --text-b "今天的天气如何" {3}# .*pipeline\("fill-mask"\)/,
    "the next step gives a pair",
  );

  const few = pairs.slice(0, 3);
  await Deno.writeTextFile(`${dir}/pairs.csv`, "a,b\n" + few.map((p) => `${p.text},${p.textB}`).join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/pairs.jsonl`, few.map((p) => JSON.stringify({ a: p.text, b: p.textB })).join("\n") + "\n");
  const byFlags = few.flatMap((p) => ["--text", p.text, "--text-b", p.textB]);
  const byFile = (file: string) => ["--input", file, "--text-column", "a", "--text-b-column", "b"];
  const ftKit = await ft.predictor.predictProba(few), petKit = await pet.predictor.predictProba(few);
  for (
    const [source, input, kit] of [[`${dir}/ft`, byFlags, ftKit], [`${dir}/ft-export`, byFile(`${dir}/pairs.csv`), ftKit], [
      `${dir}/pet-export`,
      byFile(`${dir}/pairs.jsonl`),
      petKit,
    ]] as const
  ) {
    const r = await cli(["predict", source, ...input, "--batch-size", "2"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((row) => [row.text, row.text_b]), few.map((p) => [p.text, p.textB]), source);
    rows.forEach((row, i) => {
      assert.deepEqual(Object.keys(row), ["text", "text_b", "label", "probabilities"]);
      assertClose([labels.map((l) => row.probabilities[l])], [kit[i]]);
    });
  }
  // A pair model given single texts: exit 2 and one line naming the flag.
  const single = await cli(["predict", `${dir}/pet-export`, "--text", "几点了"]);
  assert.equal(single.code, 2);
  assert.equal(
    single.stderr,
    "error: --text-b: the model (export fill-mask (PET)) takes sentence pairs, its template having a second input slot: give --text-b\n",
  );
  // Fine-tuning on pairs, saved or exported, likewise.
  for (const [source, kind] of [[`${dir}/ft`, "saved finetune"], [`${dir}/ft-export`, "export text-classification"]]) {
    const r = await cli(["predict", source, "--text", "几点了"]);
    assert.equal(r.code, 2, source);
    assert.equal(r.stderr, `error: --text-b: the model (${kind}) was trained on sentence pairs: give --text-b\n`);
  }
  // The other refusals, in process.
  const refused = (args: string[], field: string, problem: RegExp) =>
    assert.rejects(
      () => predictCommand.run(args),
      (e: Error) => e instanceof InputError && e.location.field === field && problem.test(e.message),
    );
  await refused(
    [`${dir}/ft`, "--text", "一", "--text", "二", "--text-b", "三"],
    "--text-b",
    /^--text-b: 1 given for 2 --text: give one per --text, in the same order$/,
  );
  await refused(
    [`${dir}/ft`, ...byFile(`${dir}/pairs.csv`).slice(0, 4), "--text-b", "三"],
    "--text-b",
    /goes with --text; with --input give --text-b-column/,
  );
  await refused([`${dir}/ft`, "--text", "一", "--text-b-column", "b"], "--text-b-column", /goes with --input; with --text give --text-b/);
  await refused(
    [`${dir}/pet`, ...byFile(`${dir}/pairs.csv`).slice(0, 4)],
    "--text-b-column",
    /the model \(saved pet\) takes sentence pairs, .*: give --text-b-column$/,
  );
  const sentiment = await getMethod("pet").create(model, labels, {
    mode: "zero-shot",
    maxLength: 32,
    template: "{text}总之[MASK]。",
    verbalizer: PAIR_WORDS,
  }).fit([], []);
  await sentiment.predictor.save(`${dir}/single`);
  await refused(
    [`${dir}/single`, ...byFlags],
    "--text-b",
    /the model \(saved pet\) takes single texts, its template having one input slot: drop --text-b$/,
  );
});

Deno.test("cli: run --save keeps each split's predictor, which predict then opens", async () => {
  const dir = await Deno.makeTempDir();
  const ran = await cli([
    "run",
    "--method",
    "finetune",
    "--dataset",
    "demo",
    "--protocol",
    "sampled",
    "--k",
    "4",
    "--seeds",
    "1,2",
    "--steps",
    "2",
    "--batch-size",
    "4",
    "--eval-every",
    "0",
    "--max-length",
    "32",
    "--save",
    `${dir}/saved`,
  ]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, new RegExp(`wrote: ${dir}/saved/k4_seed1, ${dir}/saved/k4_seed2`));
  for (const split of ["k4_seed1", "k4_seed2"]) {
    const r = await cli(["predict", `${dir}/saved/${split}`, "--text", "物流很快，包装完好。"]);
    assert.equal(r.code, 0, r.stderr);
    const row = JSON.parse(r.stdout.trim());
    assert.equal(row.text, "物流很快，包装完好。");
    assert.ok(Math.abs(Object.values(row.probabilities as Record<string, number>).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
});

/** The embedded model as older Hub folders ship it: a tokenizer_config.json naming no special tokens, and no pooler. */
let minimalCached: Promise<ModelFolder> | undefined;
function minimalBase(): Promise<ModelFolder> {
  minimalCached ??= (async () => {
    const dir = `${await Deno.makeTempDir()}/bert-minimal`;
    await Deno.mkdir(dir);
    for (const f of ["config.json", "tokenizer.json", "vocab.txt"]) await Deno.copyFile(`${MODEL}/${f}`, `${dir}/${f}`);
    await Deno.writeTextFile(`${dir}/tokenizer_config.json`, JSON.stringify({ do_lower_case: true }));
    const { tensors } = await readSafetensors(`${MODEL}/model.safetensors`);
    const kept = [...tensors].filter(([n]) => !n.includes("pooler")).map(([n, t]) =>
      [n, { shape: t.shape, data: t.data as Float32Array }] as const
    );
    await writeSafetensors(`${dir}/model.safetensors`, new Map(kept));
    const model = await loadModelFolder(dir);
    assert.ok(model.poolerInitialized, "the premise: no pooler stored");
    return model;
  })();
  return minimalCached;
}

/** The scorer an export ships, over the export's tokenizer and ONNX model, as its documentation runs it. */
async function shippedScorer(out: string) {
  const { createScorer } = await import(`file://${out}/promptlab_scorer.mjs`);
  const tokenizer = await AutoTokenizer.from_pretrained(offline(out), { local_files_only: true });
  const session = await ort.InferenceSession.create(`${out}/onnx/model.onnx`);
  const json = (f: string) => JSON.parse(Deno.readTextFileSync(`${out}/${f}`));
  // PET exports only.
  const promptlab = existsSync(`${out}/promptlab.json`) ? json("promptlab.json") : undefined;
  return { scorer: createScorer({ tokenizer, session, Tensor: ort.Tensor, config: json("config.json"), promptlab }), session };
}

/** The shipped scorer of `out` gives `want` on `inputs`. */
async function scorerAgrees(out: string, inputs: readonly TextInput[], want: number[][]): Promise<void> {
  const { scorer, session } = await shippedScorer(out);
  assertClose(await scorer.predictProba(inputs), want);
  await session.release();
}

Deno.test("export: from a base with a minimal tokenizer_config and no pooler, every kind of export stands alone — special tokens written, transformers.js pipelines, the shipped scorer and model.safetensors agree with the kit", async () => {
  const model = await minimalBase();
  const { texts } = await setup();
  const { pairs } = await pairSetup();
  const cases = [
    ["finetune", { ...TINY, lr: 1e-3 }, "pair"],
    ["ptuning-v2", { ...TINY, prefixLength: 4, lr: 3e-2 }, "text"],
    ["pet", { ...TINY, lr: 1e-4, template: "pair-question", verbalizer: PAIR_WORDS }, "pair"],
    // 满意 and 不满 are two tokens: two masks, past what fill-mask scores.
    ["pet", { ...TINY, lr: 1e-4, template: "{text}总之很[MASK]。", verbalizer: { Positive: ["满意", "好"], Negative: ["不满"] } }, "text"],
  ] as const;
  for (const [method, options, kind] of cases) {
    const { predictor, saved, out } = await trainAndExport(method, options, kind, model);
    const inputs = kind === "pair" ? pairs : texts;
    const tokenizerConfig = JSON.parse(await Deno.readTextFile(`${out}/tokenizer_config.json`));
    assert.deepEqual(
      [
        tokenizerConfig.cls_token,
        tokenizerConfig.sep_token,
        tokenizerConfig.pad_token,
        tokenizerConfig.mask_token,
        tokenizerConfig.unk_token,
        tokenizerConfig.model_max_length,
      ],
      ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", TINY.maxLength],
      out,
    );
    const kit = await predictor.predictProba(inputs);
    // What cli predict runs: transformers.js' pipelines.
    const viaPipeline = await (await openPredictor(out, model.dir)).predictProba(inputs);
    assertClose(viaPipeline, kit);
    const { scorer, session } = await shippedScorer(out);
    assert.deepEqual([scorer.labels, scorer.inputs], [predictor.labels, kind]);
    await session.release();
    await scorerAgrees(out, inputs, viaPipeline);

    // model.safetensors: what transformers' architecture reads, under its names, the weights the kit ran.
    const { tensors } = await readSafetensors(`${out}/model.safetensors`);
    const names = [...tensors.keys()];
    if (method === "pet") {
      assert.ok(!names.some((n) => n.includes("pooler")) && names.includes("cls.predictions.bias"), "BertForMaskedLM reads no pooler");
    } else {
      assert.ok(names.includes("classifier.weight") && !names.some((n) => n.startsWith("cls.") || n.startsWith("prefix")), names.join());
      const trained = (await readSafetensors(`${saved}/weights.safetensors`)).tensors;
      for (const n of ["bert.pooler.dense.weight", "classifier.weight", "bert.encoder.layer.0.output.dense.weight"]) {
        assert.ok(sameData(tensors.get(n)!.data, (trained.get(n) ?? model.weights.get(n))!.data), `${n} as the kit ran it`);
      }
    }
    assert.ok(names.every((n) => n.startsWith("bert.") || n.startsWith("cls.") || n.startsWith("classifier.")), names.join());
  }
  // The batched text-classification pipeline as a user calls it (it pads with the pad token it now finds).
  const { predictor, out } = await trainAndExport("finetune", { ...TINY, lr: 1e-3 }, "text", model);
  const classify = await pipeline("text-classification", offline(out), { local_files_only: true }) as TextClassificationPipeline;
  const fit = texts.slice(0, -1);
  const rows = await classify(fit, { top_k: null }) as unknown as { label: string; score: number }[][];
  assertClose(rows.map((r) => predictor.labels.map((l) => r.find((e) => e.label === l)!.score)), await predictor.predictProba(fit));
  // The PEFT adapter carries the pooler the kit ran (the base has none: a PEFT user would get a random one).
  const pt = await trainAndExport("ptuning-v2", { ...TINY, prefixLength: 2 }, "text", model);
  const adapter = await readSafetensors(`${pt.out}/adapter_model.safetensors`);
  assert.ok(
    sameData(adapter.tensors.get("base_model.bert.pooler.dense.weight")!.data, model.weights.get("bert.pooler.dense.weight")!.data),
  );
});

/** Equal tensor contents (compared without node's assertion diff, which over large arrays exhausts memory). */
function sameData(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): boolean {
  return a.length === b.length && Array.prototype.every.call(a, (x, i) => Object.is(x, b[i]));
}

Deno.test("cli: the shipped scorer of a pair export gives cli predict's probabilities", async () => {
  const { pairs } = await pairSetup();
  const { out } = await trainAndExport("pet", { ...TINY, lr: 1e-4, template: "pair-question", verbalizer: PAIR_WORDS }, "pair");
  const few = pairs.slice(0, 3);
  const r = await cli(["predict", out, ...few.flatMap((p) => ["--text", p.text, "--text-b", p.textB])]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const { labels } = await pairSetup();
  await scorerAgrees(out, few, rows.map((row) => labels.map((l) => row.probabilities[l])));
});

Deno.test("export: bad inputs — a folder the kit did not write or a file as --out refused; an export over an export replaced whole (the user's files kept); NaN weights never shipped", async () => {
  const { model, train, labels } = await setup();
  const dir = await Deno.makeTempDir();
  const pet = await getMethod("pet").create(model, labels, {
    mode: "zero-shot",
    maxLength: 32,
    template: "fewclue",
    verbalizer: "satisfied",
  }).fit(train, []);
  await pet.predictor.save(`${dir}/pet`);
  const ft = await getMethod("finetune").create(model, labels, { ...TINY, lr: 1e-3 }).fit(train, []);
  await ft.predictor.save(`${dir}/ft`);
  // A folder holding someone's files: refused, nothing touched.
  await Deno.mkdir(`${dir}/theirs`);
  await Deno.writeTextFile(`${dir}/theirs/config.json`, '{"mine": true}');
  await assert.rejects(
    () => exportSaved(`${dir}/ft`, model, `${dir}/theirs`),
    (e: Error) =>
      e instanceof InputError && e.location.field === "--out" &&
      /holds files the kit did not export \(config\.json\): choose a new or empty folder/.test(e.message),
  );
  assert.deepEqual([...Deno.readDirSync(`${dir}/theirs`)].map((e) => e.name), ["config.json"]);
  assert.equal(await Deno.readTextFile(`${dir}/theirs/config.json`), '{"mine": true}');
  await Deno.writeTextFile(`${dir}/file`, "x");
  await assert.rejects(() => exportSaved(`${dir}/ft`, model, `${dir}/file`), /--out: .*file is a file, not a folder/);
  // A PET export, a note of the user's beside it, then a fine-tuning export over it: the PET files go (predict
  // would otherwise open the folder as PET), the note stays, and the marker lists the new export's files.
  await exportSaved(`${dir}/pet`, model, `${dir}/out`);
  assert.ok(await Deno.stat(`${dir}/out/promptlab.json`));
  await Deno.writeTextFile(`${dir}/out/NOTES.md`, "mine");
  await exportSaved(`${dir}/ft`, model, `${dir}/out/`);
  await assert.rejects(() => Deno.stat(`${dir}/out/promptlab.json`), Deno.errors.NotFound);
  assert.equal(await Deno.readTextFile(`${dir}/out/NOTES.md`), "mine");
  const marker = JSON.parse(await Deno.readTextFile(`${dir}/out/promptlab_export.json`));
  assert.ok(
    marker.files.includes("model.safetensors") && marker.files.includes("promptlab_scorer.mjs") && !marker.files.includes("NOTES.md"),
    marker.files.join(),
  );
  assert.equal(marker.tokenizer_ids, model.tokenizer.vocabSize);
  const opened = await openPredictor(`${dir}/out`, MODEL);
  assert.equal(opened.kind, "export text-classification");
  assertClose(await opened.predictProba(["物流很快"]), await ft.predictor.predictProba(["物流很快"]));
  // A NaN in the trained weights: refused naming the file and tensor, no folder written.
  const { tensors } = await readSafetensors(`${dir}/ft/weights.safetensors`);
  const [name, head] = [...tensors][0];
  const data = Float32Array.from(head.data as Float32Array);
  data[1] = NaN;
  await writeSafetensors(
    `${dir}/ft/weights.safetensors`,
    new Map([...tensors].map(([n, t]) => [n, n === name ? { shape: t.shape, data } : { shape: t.shape, data: t.data as Float32Array }])),
  );
  await rejects(
    () => exportSaved(`${dir}/ft`, model, `${dir}/nan`),
    `${dir}/ft/weights.safetensors`,
    new RegExp(`${name.replaceAll(".", "\\.")}.*(non-finite|NaN)`),
  );
  await assert.rejects(() => Deno.stat(`${dir}/nan/onnx/model.onnx`), Deno.errors.NotFound);
});

Deno.test("cli: predict on a broken export — a truncated onnx/model.onnx, no tokenizer.json, another model's tokenizer — is one line naming the file, exit 2", async () => {
  const { model, train, labels } = await setup();
  const dir = await Deno.makeTempDir();
  const { predictor } = await getMethod("finetune").create(model, labels, { ...TINY, lr: 1e-3 }).fit(train, []);
  await predictor.save(`${dir}/saved`);
  const copy = async (name: string) => {
    await exportSaved(`${dir}/saved`, model, `${dir}/${name}`);
    return `${dir}/${name}`;
  };
  const truncated = await copy("truncated");
  const onnx = await Deno.readFile(`${truncated}/onnx/model.onnx`);
  await Deno.writeFile(`${truncated}/onnx/model.onnx`, onnx.subarray(0, onnx.length >> 1));
  const untokenized = await copy("untokenized");
  await Deno.remove(`${untokenized}/tokenizer.json`);
  const other = await copy("other");
  const otherVocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "好", "差"];
  await Deno.writeTextFile(`${other}/tokenizer.json`, bertTokenizerFiles(otherVocab)["tokenizer.json"]);
  const cases = [
    [truncated, `${truncated}/onnx/model.onnx: onnxruntime cannot load the model \\(truncated or not ONNX; export again\\)`],
    [untokenized, `${untokenized}/tokenizer.json: missing file: an export needs its tokenizer`],
    [
      other,
      `${other}/tokenizer.json: 7 token ids but the export was written with a tokenizer of ${model.tokenizer.vocabSize}: the tokenizer is another model's; export again`,
    ],
  ];
  for (const [folder, message] of cases) {
    const r = await cli(["predict", folder, "--text", "物流很快"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: ${message}[^\\n]*\\n$`));
  }
});

/** Whether `python()` imports torch: the PEFT check needs it (required where PROMPTLAB_REQUIRE_SHARED=1). */
function hasTorch(): boolean {
  try {
    return new Deno.Command(python(), { args: ["-c", "import torch"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "export: the P-tuning v2 adapter, loaded onto the base with PEFT's semantics in PyTorch (tools/peft_check.py), gives the kit's labels and probabilities on 20 texts",
  ignore: !requireShared() && !hasTorch(),
  async fn() {
    const model = await minimalBase();
    const { train, texts: some } = await setup();
    const { predictor, out } = await trainAndExport("ptuning-v2", { ...TINY, steps: 6, prefixLength: 4, lr: 3e-2 }, "text", model);
    const more = ["质量太差", "物流很快，包装完好。", "一般", "非常满意，还会再来", "客服态度很差", "价格便宜"];
    const texts = [...train.map((r) => r.text), ...some, ...more].slice(0, 20);
    assert.equal(texts.length, 20);
    const rows = texts.map((t) => {
      const e = model.tokenizer.encode([t], { maxLength: TINY.maxLength });
      return { input_ids: e.inputIds[0], token_type_ids: e.tokenTypeIds[0] };
    });
    const inputs = `${out}/../kit.json`;
    await Deno.writeTextFile(inputs, JSON.stringify({ rows, probabilities: await predictor.predictProba(texts) }));
    const ran = await new Deno.Command(python(), {
      args: [`${root}/tools/peft_check.py`, "--base", model.dir, "--export", out, "--inputs", inputs],
    }).output();
    const report = JSON.parse(new TextDecoder().decode(ran.stdout));
    assert.ok(ran.success, new TextDecoder().decode(ran.stderr) + JSON.stringify(report));
    assert.deepEqual([report.texts, report.labels_agree, report.keys_ignored_or_not_saved], [20, 20, []]);
    assert.deepEqual(report.wrapped_modules, ["base_model.bert.pooler", "base_model.classifier"]);
    assert.ok(report.max_abs_diff <= 1e-4);
  },
});

/** A soft prompt's vectors through P-tuning's MLP encoder, computed here in plain JavaScript from the saved tensors. */
function mlpPrompt(saved: Map<string, { shape: number[]; data: Float32Array | Int32Array | BigInt64Array }>): number[][] {
  const t = (n: string) => saved.get(`prompt_encoder.${n}`)!;
  const layer = (x: number[][], i: number, relu: boolean) => {
    const { shape: [out, inp], data: w } = t(`mlp_head.${i}.weight`), b = t(`mlp_head.${i}.bias`).data;
    return x.map((row) =>
      Array.from({ length: out }, (_, o) => {
        let s = Number(b[o]);
        for (let k = 0; k < inp; k++) s += row[k] * Number(w[o * inp + k]);
        return relu ? Math.max(0, s) : s;
      })
    );
  };
  const { shape: [P, H], data } = t("embedding.weight");
  const table = Array.from({ length: P }, (_, p) => Array.from(data.subarray(p * H, (p + 1) * H), Number));
  return layer(layer(layer(table, 0, true), 2, true), 4, false);
}

Deno.test("export: a soft prompt (vectors baked into the graph) classifies in pipeline('fill-mask') and the shipped scorer as the kit does; its PEFT adapter is PROMPT_TUNING", async () => {
  const { model, texts, labels } = await setup();
  const H = model.config.hidden_size;
  // A typed [PAD] must not take a soft vector: it reads as [UNK], as in the kit.
  const inputs = [...texts, "物流[PAD]很快"];
  const options = { ...TINY, lr: 5e-2, template: "{text}，[P][MASK]", promptLength: 3, verbalizer: "good-bad", initWords: "感觉很" };
  const { predictor, saved, out, exported } = await trainAndExport("soft-prompt", options);
  assert.deepEqual(exported, { pipeline: "fill-mask", inputs: "text" });
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  assert.deepEqual(config.architectures, ["BertForMaskedLM"]);
  const spec = JSON.parse(await Deno.readTextFile(`${out}/promptlab.json`)) as PetExportSpec;
  assert.deepEqual(spec, {
    method: "soft-prompt",
    labels,
    maxLength: TINY.maxLength,
    patterns: [{ template: "{text}，[P][P][P][MASK]", verbalizer: { Positive: ["好"], Negative: ["差"] } }],
  });
  const kit = await predictor.predictProba(inputs);
  // What cli predict runs on the export (transformers.js' fill-mask), and the shipped scorer.
  const opened = await openPredictor(out, model.dir);
  assert.deepEqual([opened.kind, opened.inputs], ["export fill-mask (Soft prompt)", "text"]);
  assertClose(await opened.predictProba(inputs), kit);
  await scorerAgrees(out, inputs, kit);

  const adapter = JSON.parse(await Deno.readTextFile(`${out}/adapter_config.json`));
  assert.deepEqual(adapter, {
    peft_type: "PROMPT_TUNING",
    task_type: "FEATURE_EXTRACTION",
    base_model_name_or_path: "promptlab-bert-zh-L4-H256",
    inference_mode: true,
    num_virtual_tokens: 3,
    token_dim: H,
    num_transformer_submodules: 1,
    num_attention_heads: model.config.num_attention_heads,
    num_layers: model.config.num_hidden_layers,
    prompt_tuning_init: "TEXT",
    prompt_tuning_init_text: "感觉很",
    tokenizer_name_or_path: "promptlab-bert-zh-L4-H256",
    tokenizer_kwargs: null,
  });
  const { tensors } = await readSafetensors(`${out}/adapter_model.safetensors`);
  assert.deepEqual([...tensors.keys()], [PEFT_PREFIX]);
  const trained = (await readSafetensors(`${saved}/weights.safetensors`)).tensors.get("prompt_encoder.embedding.weight")!;
  assert.deepEqual(tensors.get(PEFT_PREFIX)!.shape, [3, H]);
  assert.ok(sameData(tensors.get(PEFT_PREFIX)!.data, trained.data), "the adapter holds the trained vectors");
  // The backbone is the base's: model.safetensors holds its weights as they were.
  const weights = (await readSafetensors(`${out}/model.safetensors`)).tensors;
  assert.ok(
    sameData(
      weights.get("bert.encoder.layer.0.output.dense.weight")!.data,
      model.weights.get("bert.encoder.layer.0.output.dense.weight")!.data,
    ),
  );
  // A NaN soft vector: refused naming the file and tensor, no folder written.
  const data = Float32Array.from(trained.data as Float32Array);
  data[5] = NaN;
  await writeSafetensors(`${saved}/weights.safetensors`, new Map([["prompt_encoder.embedding.weight", { shape: trained.shape, data }]]));
  const nan = `${out}-nan`;
  await rejects(
    () => exportSaved(saved, model, nan),
    `${saved}/weights.safetensors`,
    /prompt_encoder\.embedding\.weight.*(non-finite|NaN)/,
  );
  await assert.rejects(() => Deno.stat(`${nan}/onnx/model.onnx`), Deno.errors.NotFound);
});

Deno.test("export: a soft prompt through the MLP encoder with the backbone trained exports the vectors it computes (PEFT P_TUNING) and its backbone; pairs, saved and exported, agree", async () => {
  const { model } = await setup();
  const { pairs, labels } = await pairSetup();
  const options = {
    ...TINY,
    lr: 1e-3,
    template: "{text}？[P][P][MASK]，{text_b}",
    verbalizer: PAIR_WORDS,
    promptEncoder: "mlp",
    encoderHiddenSize: 16,
    trainBackbone: true,
  };
  const { predictor, saved, out, exported } = await trainAndExport("soft-prompt", options, "pair");
  assert.deepEqual(exported, { pipeline: "fill-mask", inputs: "pair" });
  const kit = await predictor.predictProba(pairs);
  const opened = await openPredictor(out, model.dir);
  assert.equal(opened.inputs, "pair");
  assertClose(await opened.predictProba(pairs), kit);
  await scorerAgrees(out, pairs, kit);
  // The saved predictor opens as cli predict opens it, with the same answers.
  assertClose(await (await openPredictor(saved, model.dir)).predictProba(pairs), kit);
  assert.deepEqual(predictor.labels, labels);

  const adapter = JSON.parse(await Deno.readTextFile(`${out}/adapter_config.json`));
  assert.deepEqual(
    [
      adapter.peft_type,
      adapter.task_type,
      adapter.base_model_name_or_path,
      adapter.num_virtual_tokens,
      adapter.encoder_reparameterization_type,
      adapter.encoder_hidden_size,
      adapter.encoder_num_layers,
    ],
    ["P_TUNING", "FEATURE_EXTRACTION", "soft-prompt-export", 2, "MLP", 16, 2],
    "a trained backbone: the adapter applies to the export's own model.safetensors",
  );
  const savedTensors = (await readSafetensors(`${saved}/weights.safetensors`)).tensors;
  const vectors = (await readSafetensors(`${out}/adapter_model.safetensors`)).tensors.get(PEFT_PREFIX)!;
  const want = mlpPrompt(savedTensors as never);
  assert.deepEqual(vectors.shape, [2, model.config.hidden_size]);
  want.flat().forEach((v, i) => assert.ok(Math.abs(Number(vectors.data[i]) - v) <= 1e-5, `vector entry ${i}: ${vectors.data[i]} vs ${v}`));
  const weights = (await readSafetensors(`${out}/model.safetensors`)).tensors;
  const name = "bert.encoder.layer.0.output.dense.weight";
  assert.ok(
    sameData(weights.get(name)!.data, savedTensors.get(name)!.data) && !sameData(weights.get(name)!.data, model.weights.get(name)!.data),
    "the trained backbone",
  );
});

Deno.test("cli: export a soft prompt, then predict with the export and with the saved predictor: the same probabilities", async () => {
  const { model, train, labels } = await setup();
  const { predictor } = await getMethod("soft-prompt").create(model, labels, { ...TINY, lr: 5e-2 }).fit(train, []);
  const dir = await Deno.makeTempDir();
  await predictor.save(`${dir}/saved`);
  const exported = await cli(["export", `${dir}/saved`, "--out", `${dir}/exported`]);
  assert.equal(exported.code, 0, exported.stderr);
  const rows = async (folder: string) => {
    const ran = await cli(["predict", folder, "--text", "物流很快，包装完好。", "--text", "质量太差"]);
    assert.equal(ran.code, 0, ran.stderr);
    return ran.stdout.trim().split("\n").map((l) => JSON.parse(l) as { label: string; probabilities: Record<string, number> });
  };
  const [fromSaved, fromExport] = [await rows(`${dir}/saved`), await rows(`${dir}/exported`)];
  assert.deepEqual(fromExport.map((r) => r.label), fromSaved.map((r) => r.label));
  assertClose(fromExport.map((r) => labels.map((l) => r.probabilities[l])), fromSaved.map((r) => labels.map((l) => r.probabilities[l])));
});
