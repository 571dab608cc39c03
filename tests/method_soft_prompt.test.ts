/**
 * The soft-prompt method: the soft vectors' gradient against finite differences, learning on EPRSTMT's train_0
 * with the backbone bit-identical, save/load, P-tuning's variants (trained backbone, MLP encoder, word
 * initialisation), and its bad options as input errors (exit 2 from the CLI).
 */
import assert from "node:assert/strict";
import { gradcheck } from "../lib/engine/gradcheck.ts";
import type { TensorData } from "../lib/engine/graph.ts";
import { loadFewShot } from "../lib/data/load.ts";
import type { Row } from "../lib/data/types.ts";
import { argmax } from "../lib/eval/metrics.ts";
import { buildBert } from "../lib/model/bert/graph.ts";
import { parseBertConfig } from "../lib/model/bert/config.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { GraphParams } from "../lib/model/params.ts";
import { randomBertWeights } from "../lib/model/bert/random.ts";
import { pet } from "../lib/methods/pet/pet.ts";
import { classScores } from "../lib/methods/pet/verbalizer.ts";
import { PROMPT_TABLE, promptShapes, promptValue, softSlotsHook } from "../lib/methods/soft_prompt/prompt.ts";
import { softPrompt } from "../lib/methods/soft_prompt/soft_prompt.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";
import { runDeno } from "./_subprocess.ts";

const MODEL = "models/zh-review-bert-tiny";

let cached: Promise<{ model: ModelFolder; train: Row[]; labels: string[] }> | undefined;
function setup() {
  cached ??= (async () => {
    const model = await loadModelFolder(shared(MODEL));
    const { train, task } = await loadFewShot("eprstmt", { kind: "official", index: 0 }, { mirror: shared("data") });
    return { model, train, labels: task.labels };
  })();
  return cached;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const snapshot = (model: ModelFolder) => new Map([...model.weights].map(([n, t]) => [n, t.data.slice()]));

for (const promptEncoder of ["none", "mlp"] as const) {
  Deno.test(`soft prompt (${promptEncoder} encoder): the soft vectors' gradient matches finite differences through a frozen BERT`, async () => {
    const config = parseBertConfig({
      vocab_size: 20,
      hidden_size: 8,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 12,
      max_position_embeddings: 16,
    });
    const backbone = randomBertWeights(config, 1);
    for (const w of backbone.values()) for (let i = 0; i < w.data.length; i++) w.data[i] *= 10; // out of N(0, 0.02)'s near-linear regime
    const shape = { promptLength: 2, promptEncoder, encoderHiddenSize: 6 };
    const prompt = new Map([...promptShapes(8, shape)].map(([n, s], k) => {
      const data = Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + k));
      return [n, { shape: s, data }];
    }));
    const weights = new Map([...backbone, ...prompt]);
    const B = 2, L = 5;
    // Row 0: [CLS] 7 [P] [P] [MASK]; row 1: [CLS] [P] 9 [P] [MASK] (ids of [PAD] at the slots, as encodePrompts writes).
    const feeds: Record<string, TensorData> = {
      input_ids: BigInt64Array.from([2n, 7n, 0n, 0n, 4n, 2n, 0n, 9n, 0n, 4n]),
      token_type_ids: new BigInt64Array(B * L),
      attention_mask: new Float32Array(B * L).fill(1),
      soft_index: BigInt64Array.from([0n, 0n, 0n, 1n, 0n, 0n, 0n, 0n, 1n, 0n]),
      soft_mask: Float32Array.from([0, 0, 1, 1, 0, 0, 1, 0, 1, 0]),
      mask_rows: BigInt64Array.from([4n, 9n]),
    };
    for (const [n, t] of prompt) feeds[n] = t.data;
    const verbalizer = { spec: {}, words: [[{ word: "a", ids: [5] }], [{ word: "b", ids: [6] }, { word: "c", ids: [11] }]], maskCount: 1 };
    const report = await gradcheck({
      feeds,
      build(g) {
        const params = new GraphParams(g, weights, (n) => prompt.has(n));
        const hook = softSlotsHook(g, promptValue(params.get, shape), B, L);
        const bert = buildBert(g, config, params.get, { batch: B, seqLen: L, train: false, wordEmbeddingsHook: hook });
        const out = classScores(bert, g.input("mask_rows", [2], "int64"), verbalizer);
        return { inputs: [...prompt.keys()].map(params.get), out };
      },
    }, { eps: 1e-2, atol: 2e-4, rtol: 3e-2, samples: 8 });
    assert.ok(report.passed, JSON.stringify(report.worst));
    assert.deepEqual(Object.keys(report.worst).sort(), [...prompt.keys()].sort());
  });
}

sharedTest(
  "soft-prompt: learns train_0 with the backbone bit-identical; save/load gives identical predictions from a small file",
  MODEL,
  async () => {
    const { model, train, labels } = await setup();
    const before = snapshot(model);
    const { predictor, record } = await softPrompt.create(model, labels, { steps: 40, evalEvery: 0, seed: 1 }).fit(train, []);

    assert.equal(record.losses.length, 40);
    assert.ok(mean(record.losses.slice(-10)) < mean(record.losses.slice(0, 5)) - 0.05, `loss did not fall: ${record.losses}`);
    const proba = await predictor.predictProba(train.map((r) => r.text));
    const accuracy = mean(proba.map((p, i) => (labels[argmax(p)] === train[i].label ? 1 : 0)));
    assert.ok(accuracy >= 0.75, `training accuracy ${accuracy}`);
    // Only the 3 x 256 soft vectors of the article's template trained.
    assert.equal(record.trainableParams, 3 * 256);
    for (const [name, data] of before) assert.deepEqual(model.weights.get(name)!.data, data, `${name} changed`);

    const dir = await Deno.makeTempDir();
    try {
      await predictor.save(dir);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["method.json", "weights.safetensors"]);
      assert.ok(Deno.statSync(`${dir}/weights.safetensors`).size < 4 * 3 * 256 + 1000, "only the soft vectors are saved");
      const loaded = await softPrompt.load(dir, model);
      assert.deepEqual(await loaded.predictProba(train.map((r) => r.text)), proba);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

sharedTest("soft-prompt: P-tuning's variants: word initialisation, one [P] expanded, MLP encoder, trained backbone", MODEL, async () => {
  const { model, train, labels } = await setup();
  const before = snapshot(model);
  const words = model.weights.get("bert.embeddings.word_embeddings.weight")!.data, H = model.config.hidden_size;
  const ids = model.tokenizer.encodeText("感觉很");
  // steps 1 at lr ~0: the saved vectors are the initial ones, which must be the words' embeddings.
  const init = await softPrompt.create(model, labels, { steps: 1, evalEvery: 0, lr: 1e-30, initWords: "感觉很" }).fit(
    train.slice(0, 4),
    [],
  );
  const dir = await Deno.makeTempDir();
  try {
    await init.predictor.save(dir);
    const loaded = await softPrompt.load(dir, model);
    const saved = JSON.parse(Deno.readTextFileSync(`${dir}/method.json`));
    assert.equal(saved.options.initWords, "感觉很");
    assert.equal(saved.options.promptLength, 3);
    assert.ok(loaded.labels.length === 2);
    const { readSafetensors } = await import("../lib/model/formats/safetensors.ts");
    const table = (await readSafetensors(`${dir}/weights.safetensors`)).tensors.get(PROMPT_TABLE)!.data as Float32Array;
    ids.forEach((id, p) => assert.deepEqual(table.subarray(p * H, (p + 1) * H), words.subarray(id * H, (id + 1) * H)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  // One [P] with promptLength 5 and the MLP encoder: the table [5, H] plus the encoder's three layers.
  const mlp = await softPrompt.create(model, labels, {
    steps: 2,
    evalEvery: 0,
    template: "{text}，[P][MASK]",
    promptLength: 5,
    promptEncoder: "mlp",
    encoderHiddenSize: 16,
  })
    .fit(train.slice(0, 8), []);
  assert.equal(mlp.record.trainableParams, 5 * H + (16 * H + 16) + (16 * 16 + 16) + (H * 16 + H));

  // The trained backbone is a copy: every weight counts, the loaded model stays as it was.
  const full = await softPrompt.create(model, labels, { steps: 2, evalEvery: 0, trainBackbone: true }).fit(train.slice(0, 8), []);
  assert.ok(full.record.trainableParams > 100_000, `${full.record.trainableParams}`);
  for (const [name, data] of before) assert.deepEqual(model.weights.get(name)!.data, data, `${name} changed`);
});

sharedTest("soft-prompt and PET: bad soft-prompt options are input errors naming the option", MODEL, async () => {
  const { model, labels } = await setup();
  const field = (f: () => unknown, name: string, text: RegExp) =>
    assert.throws(f, (e) => e instanceof InputError && e.location.field === name && text.test(e.message), name);
  field(() => softPrompt.create(model, labels, { promptLength: 0 }), "promptLength", /integer in \[1, 128\]/);
  field(() => softPrompt.create(model, labels, { promptLength: 4 }), "promptLength", /has 3 soft slots/);
  field(() => softPrompt.create(model, labels, { template: "{text}很[MASK]" }), "template", /no soft slot \[P\]/);
  field(() => softPrompt.create(model, labels, { initWords: "感觉" }), "initWords", /2 tokens, the template has 3 soft slots/);
  field(() => softPrompt.create(model, labels, { initWords: "我感觉很" }), "initWords", /4 tokens/);
  field(() => softPrompt.create(model, labels, { promptEncoder: "lstm" as "mlp" }), "promptEncoder", /"none" or "mlp"/);
  field(() => softPrompt.create(model, labels, { template: "{text}？[P][MASK]，{text_b}" }), "template", /needs text pairs/);
  field(
    () => pet.create(model, labels, { template: "{text}，[P][P][MASK]", verbalizer: "good-bad" }),
    "template",
    /soft slots \[P\].*soft-prompt method/,
  );
});

sharedTest("cli run: soft-prompt's bad options and a soft slot given to PET are exit 2 with one line", MODEL, async () => {
  const run = (args: string[]) =>
    runDeno([
      "run",
      "-A",
      `${root}/lib/cli/main.ts`,
      "run",
      "--dataset",
      "demo",
      "--protocol",
      "sampled",
      "--k",
      "4",
      "--seeds",
      "1",
      ...args,
    ], {
      env: { PROMPTLAB_OFFLINE: "1" },
    });
  for (
    const [args, text] of [
      [["--method", "soft-prompt", "--prompt-length", "0"], /^error: .*promptLength.*integer in \[1, 128\]/],
      [["--method", "soft-prompt", "--init-words", "感觉"], /^error: .*initWords.*2 tokens/],
      [["--method", "pet", "--template", "{text}[P][MASK]"], /^error: .*template.*soft slots \[P\]/],
    ] as const
  ) {
    const { code, stderr } = await run([...args]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^error: [^\n]+\n$/, stderr);
    assert.match(stderr, text, stderr);
  }
});

Deno.test("cli run --help lists the soft-prompt method with its options", async () => {
  const { code, stdout } = await runDeno(["run", "-A", `${root}/lib/cli/main.ts`, "run", "--help"]);
  assert.equal(code, 0);
  const block = stdout.slice(stdout.indexOf("  soft-prompt:"));
  assert.ok(block.length < stdout.length, stdout);
  for (
    const flag of [
      "--template {text}，[P][P][P][MASK]",
      "--prompt-length null",
      "--init-words",
      "--prompt-encoder none",
      "--train-backbone false",
    ]
  ) {
    assert.ok(block.includes(flag), `${flag} missing from:\n${block}`);
  }
});
