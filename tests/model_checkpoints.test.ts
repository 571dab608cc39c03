// Checkpoints as they ship: pytorch_model.bin (zip and legacy), sharded indexes, F16/BF16, vocab.txt-only
// tokenizers. Fixtures: tests/fixtures/make_fixtures.py (PyTorch-written, one random tiny BERT saved many ways).
import assert from "node:assert/strict";
import { rejects } from "./_assert.ts";
import { Graph } from "../lib/engine/graph.ts";
import { CompiledGraph } from "../lib/engine/session.ts";
import { buildBert } from "../lib/model/bert/graph.ts";
import { GraphParams } from "../lib/model/params.ts";
import { readBertConfig } from "../lib/model/bert/config.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { loadTokenizer } from "../lib/model/tokenizers/tokenizer.ts";
import { loadWeights } from "../lib/model/bert/weights.ts";
import { readWeightsFile } from "../lib/model/formats/weight_files.ts";
import { parseTorchCheckpoint, readTorchCheckpoint } from "../lib/model/formats/torch_bin.ts";
import { unpickle } from "../lib/model/formats/pickle.ts";
import { bertBaseChineseConfig, randomBertWeights, randomVocab } from "../lib/model/bert/random.ts";
import { writeBertConfig } from "../lib/model/bert/config.ts";
import { loadSplit } from "../lib/data/load.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";
import { type SaveTensor, torchSave } from "./_torch_save.ts";

const FIX = `${root}/tests/fixtures`;
const TWIN = `${FIX}/tiny-bert`;
const SHIPPED = `${FIX}/tiny-bert-as-shipped`;
const VARIANTS = `${FIX}/tiny-bert-variants`;
const TEXTS = ["这个东西很好，推荐购买！", "Café GOOD，质量一般。[MASK]", "goodly okings 123", "快递太慢了，失望"];

/** Hidden states, pooled [CLS] and MLM logits at every position of `texts`, with frozen weights. */
async function forward(model: ModelFolder, texts: string[]): Promise<Record<string, Float32Array>> {
  const enc = model.tokenizer.encode(texts);
  const [B, L] = [texts.length, enc.length];
  const g = new Graph();
  const params = new GraphParams(g, model.weights, () => false);
  const bert = buildBert(g, model.config, params.get, { batch: B, seqLen: L, train: false });
  const rows = g.constant("rows", BigInt64Array.from({ length: B * L }, (_, i) => BigInt(i)), [B * L]);
  const compiled = await CompiledGraph.compile(g, { hidden: bert.hidden, pooled: bert.pooled(), logits: bert.mlmLogits(rows) });
  const flat = (m: number[][]) => m.flat();
  const out = await compiled.run({
    input_ids: BigInt64Array.from(flat(enc.inputIds).map(BigInt)),
    token_type_ids: BigInt64Array.from(flat(enc.tokenTypeIds).map(BigInt)),
    attention_mask: Float32Array.from(flat(enc.attentionMask)),
  });
  await compiled.release();
  return out as Record<string, Float32Array>;
}

Deno.test("pytorch_model.bin + vocab.txt folder: same weights, tokens and outputs as its safetensors + tokenizer.json twin", async () => {
  const twin = await loadModelFolder(TWIN);
  const shipped = await loadModelFolder(SHIPPED);
  assert.equal(shipped.weightsFile, `${SHIPPED}/pytorch_model.bin`);
  assert.deepEqual([...shipped.weights.keys()], [...twin.weights.keys()]);
  for (const [name, t] of twin.weights) assert.deepEqual(shipped.weights.get(name), t, name);
  assert.equal(shipped.decoderTied, true, "the stored decoder shares the word embeddings' storage");
  assert.equal(shipped.poolerInitialized, false);
  assert.deepEqual(shipped.ignored.sort(), [
    "bert.embeddings.position_ids",
    "cls.predictions.decoder.bias",
    "cls.predictions.decoder.weight",
    "cls.seq_relationship.bias",
    "cls.seq_relationship.weight",
  ]);
  assert.deepEqual(shipped.tokenizer.specialIds, twin.tokenizer.specialIds);
  assert.deepEqual(shipped.tokenizer.encode(TEXTS), twin.tokenizer.encode(TEXTS));
  assert.deepEqual(shipped.tokenizer.tokenize(TEXTS[1]), ["cafe", "good", "，", "质", "量", "一", "般", "。", "[MASK]"]);
  const [a, b] = [await forward(twin, TEXTS), await forward(shipped, TEXTS)];
  for (const k of ["hidden", "pooled", "logits"]) assert.deepEqual(b[k], a[k], k);
  assert.ok(a.logits.some((v) => Math.abs(v) > 1), "the random model's outputs are not trivial");
  // The generated tokenizer.json travels with the tokenizer, so a saved copy of the folder has one.
  assert.ok(shipped.tokenizer.files["tokenizer.json"] && shipped.tokenizer.files["vocab.txt"]);
});

Deno.test("legacy torch.save layout with gamma/beta names, a transposed and an offset tensor: the twin's weights", async () => {
  const config = await readBertConfig(`${TWIN}/config.json`);
  const twin = await loadWeights(`${TWIN}/model.safetensors`, config);
  const raw = await readTorchCheckpoint(`${VARIANTS}/legacy.bin`);
  assert.ok(raw.has("bert.embeddings.LayerNorm.gamma") && raw.has("cls.predictions.transform.LayerNorm.beta"));
  const legacy = await loadWeights(`${VARIANTS}/legacy.bin`, config);
  for (const [name, t] of twin.weights) assert.deepEqual(legacy.weights.get(name), t, name);
});

Deno.test("F16 and BF16 tensors (safetensors and .bin) widen to float32: exact roundings of the float32 twin, noted", async () => {
  const config = await readBertConfig(`${TWIN}/config.json`);
  const twin = (await loadWeights(`${TWIN}/model.safetensors`, config)).weights;
  const bits = new Uint32Array(1), f32 = new Float32Array(bits.buffer);
  const bf16round = (x: number) => {
    f32[0] = x;
    bits[0] = (bits[0] + 0x7fff + ((bits[0] >>> 16) & 1)) & 0xffff0000; // round to nearest even, as torch does
    return f32[0];
  };
  for (const [kind, round] of [["half", Math.f16round], ["bf16", bf16round]] as const) {
    const fromSt = await loadWeights(`${VARIANTS}/${kind}.safetensors`, config);
    const fromBin = await loadWeights(`${VARIANTS}/${kind}.bin`, config);
    assert.match(fromSt.notes.join("\n"), new RegExp(`tensors stored as ${kind === "half" ? "F16" : "BF16"}: widened to float32`));
    for (const [name, t] of twin) {
      assert.deepEqual(fromBin.weights.get(name), fromSt.weights.get(name), `${kind} ${name}: .bin = .safetensors`);
      assert.deepEqual(fromSt.weights.get(name)!.data, t.data.map(round), `${kind} ${name}`);
    }
  }
});

Deno.test("sharded safetensors and .bin: index.json weight_map read shard by shard; a folder with only the index loads", async () => {
  const config = await readBertConfig(`${TWIN}/config.json`);
  const twin = (await loadWeights(`${TWIN}/model.safetensors`, config)).weights;
  for (const index of ["model.safetensors.index.json", "pytorch_model.bin.index.json"]) {
    const { weights } = await loadWeights(`${VARIANTS}/${index}`, config);
    for (const [name, t] of twin) assert.deepEqual(weights.get(name), t, `${index} ${name}`);
  }
  const dir = await Deno.makeTempDir();
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json"]) await Deno.copyFile(`${TWIN}/${f}`, `${dir}/${f}`);
  const index = JSON.parse(await Deno.readTextFile(`${VARIANTS}/pytorch_model.bin.index.json`));
  for (const shard of new Set(Object.values(index.weight_map) as string[])) await Deno.copyFile(`${VARIANTS}/${shard}`, `${dir}/${shard}`);
  await Deno.writeTextFile(`${dir}/pytorch_model.bin.index.json`, JSON.stringify(index));
  const m = await loadModelFolder(dir);
  assert.equal(m.weightsFile, `${dir}/pytorch_model.bin.index.json`);
  for (const [name, t] of twin) assert.deepEqual(m.weights.get(name), t, name);

  // A weight_map that lies, and one that points outside the folder.
  const name = "bert.pooler.dense.weight";
  const other = Object.values(index.weight_map).find((s) => s !== index.weight_map[name]);
  await Deno.writeTextFile(`${dir}/pytorch_model.bin.index.json`, JSON.stringify({ weight_map: { ...index.weight_map, [name]: other } }));
  await rejects(() => loadModelFolder(dir), `${dir}/pytorch_model.bin.index.json`, /bert\.pooler\.dense\.weight.*does not hold it/);
  await Deno.writeTextFile(`${dir}/pytorch_model.bin.index.json`, JSON.stringify({ weight_map: { [name]: "../x.bin" } }));
  await rejects(() => loadModelFolder(dir), `${dir}/pytorch_model.bin.index.json`, /not a \.safetensors or \.bin file beside the index/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a pickle calling os.system is refused by name, before anything is called; other globals and opcodes too", async () => {
  await rejects(
    () => readTorchCheckpoint(`${VARIANTS}/forbidden_global.bin`),
    `${VARIANTS}/forbidden_global.bin`,
    /refused Python global posix\.system: only plain data and tensors in \(ordered\) dicts are read; nothing is executed/,
  );
  const enc = new TextEncoder();
  const pickle = (...parts: (number[] | string)[]) => Uint8Array.from(parts.flatMap((p) => typeof p === "string" ? [...enc.encode(p)] : p));
  let called = false;
  const globals = { "collections.OrderedDict": () => ((called = true), new Map()) };
  const read = (bytes: Uint8Array) => () => unpickle(bytes, { globals, allowedWhat: "ordered dicts", file: "t.pkl" });
  // builtins.eval("...") via GLOBAL + REDUCE: refused at the GLOBAL, so REDUCE never runs.
  await rejects(
    read(pickle([0x80, 2], "cbuiltins\neval\n", [0x58, 1, 0, 0, 0], "1", [0x85, 0x52, 0x2e])),
    "t.pkl",
    /byte 2: refused Python global builtins\.eval/,
  );
  // The same through protocol 4's STACK_GLOBAL.
  await rejects(read(pickle([0x80, 4, 0x8c, 2], "os", [0x8c, 6], "system", [0x93, 0x2e])), "t.pkl", /refused Python global os\.system/);
  // NEWOBJ (instantiating a class) is outside the data subset.
  await rejects(read(pickle([0x80, 2], "ccollections\nOrderedDict\n", [0x29, 0x81, 0x2e])), "t.pkl", /unsupported pickle opcode 0x81/);
  // REDUCE of a plain value: nothing to call.
  await rejects(read(pickle([0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e])), "t.pkl", /REDUCE of something that is not an allowed callable/);
  assert.equal(called, false);
  // Allowed: an OrderedDict of plain data.
  const ok = unpickle(pickle([0x80, 2], "ccollections\nOrderedDict\n", [0x29, 0x52, 0x58, 1, 0, 0, 0], "a", [0x4b, 7, 0x73, 0x2e]), {
    globals,
    allowedWhat: "ordered dicts",
    file: "t.pkl",
  });
  assert.deepEqual(ok.value, new Map([["a", 7]]));
});

Deno.test("truncated or foreign .bin files are refused naming the file", async () => {
  const bytes = await Deno.readFile(`${SHIPPED}/pytorch_model.bin`);
  assert.throws(
    () => parseTorchCheckpoint(bytes.subarray(0, bytes.length - 200), "cut.bin"),
    (e) => e instanceof InputError && /^cut\.bin: corrupt zip archive/.test(e.message),
  );
  const legacy = await Deno.readFile(`${VARIANTS}/legacy.bin`);
  assert.throws(
    () => parseTorchCheckpoint(legacy.subarray(0, legacy.length - 100), "old.bin"),
    (e) => e instanceof InputError && /^old\.bin: truncated: storage/.test(e.message),
  );
  assert.throws(
    () => parseTorchCheckpoint(new TextEncoder().encode("hello"), "x.bin"),
    (e) => e instanceof InputError && /not a PyTorch checkpoint/.test(e.message),
  );
  await rejects(() => readWeightsFile(`${SHIPPED}/vocab.txt`), `${SHIPPED}/vocab.txt`, /not a weights file/);
});

Deno.test("vocab.txt settings: do_lower_case false keeps case and accents, strip_accents, special tokens as AddedToken objects", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(`${SHIPPED}/vocab.txt`, `${dir}/vocab.txt`);
  const vocab = (await Deno.readTextFile(`${dir}/vocab.txt`)).trimEnd().split("\n");
  await Deno.writeTextFile(`${dir}/vocab.txt`, [...vocab, "Good", "é", "##é"].join("\r\n") + "\r\n"); // Windows line ends
  const config = (extra: Record<string, unknown>) => Deno.writeTextFile(`${dir}/tokenizer_config.json`, JSON.stringify(extra));
  const tokens = async (text: string) => (await loadTokenizer(dir)).tokenize(text);
  await config({ do_lower_case: false, mask_token: { __type: "AddedToken", content: "[MASK]", lstrip: false } });
  assert.deepEqual(await tokens("Good café[MASK]"), ["Good", "c", "##a", "##f", "##é", "[MASK]"]);
  await config({ do_lower_case: false, strip_accents: true });
  assert.deepEqual(await tokens("Good café"), ["Good", "cafe"]);
  await config({});
  assert.deepEqual(await tokens("Good café"), ["good", "cafe"], "BERT's defaults: lower case, accents stripped");
  assert.deepEqual(await tokens("a" + "b".repeat(100) + " 好"), ["[UNK]", "好"], "words over 100 characters are [UNK]");
  assert.equal((await loadTokenizer(dir)).vocabSize, vocab.length + 3);
  await config({ do_lower_case: "yes" });
  await rejects(() => loadTokenizer(dir), `${dir}/tokenizer_config.json`, /do_lower_case.*must be true or false/);
  await Deno.remove(`${dir}/tokenizer_config.json`);
  assert.deepEqual(await tokens("Good"), ["good"], "no tokenizer_config.json: BERT's defaults");
  await Deno.writeTextFile(`${dir}/added_tokens.json`, '{"[NEW]": 999}');
  await rejects(() => loadTokenizer(dir), `${dir}/added_tokens.json`, /not supported/);
  await Deno.remove(dir, { recursive: true });
});

sharedTest(
  "vocab.txt folder tokenizes all 610 EPRSTMT test_public texts exactly as its tokenizer.json twin",
  "data/fewclue/eprstmt",
  async () => {
    const ref = shared("models/zh-review-bert-tiny");
    const dir = await Deno.makeTempDir();
    for (const f of ["vocab.txt", "tokenizer_config.json"]) await Deno.copyFile(`${ref}/${f}`, `${dir}/${f}`);
    const [twin, vocabOnly] = [await loadTokenizer(ref), await loadTokenizer(dir)];
    const texts = (await loadSplit("eprstmt", "test_public", { mirror: shared("data") })).map((r) => r.text);
    assert.equal(texts.length, 610);
    assert.deepEqual(vocabOnly.encode(texts, { maxLength: 512 }), twin.encode(texts, { maxLength: 512 }));
    for (const t of texts) assert.deepEqual(vocabOnly.tokenize(t), twin.tokenize(t), t);
    assert.deepEqual(vocabOnly.specialIds, twin.specialIds);
    assert.equal(vocabOnly.vocabSize, twin.vocabSize);
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("the test writer of torch.save zips reproduces what PyTorch wrote (so the next test's checkpoint is faithful)", async () => {
  const pytorch = await readTorchCheckpoint(`${SHIPPED}/pytorch_model.bin`);
  const floats = new Map<string, SaveTensor>();
  for (const [name, t] of pytorch) if (t.data instanceof Float32Array) floats.set(name, { shape: t.shape, data: t.data });
  const ours = parseTorchCheckpoint(torchSave(floats), "ours.bin");
  assert.deepEqual([...ours.keys()], [...floats.keys()]);
  for (const [name, t] of ours) assert.deepEqual(t, pytorch.get(name), name);
});

Deno.test("bert-base-chinese / RoBERTa-wwm-ext as published (pytorch_model.bin, original names, F16, vocab.txt 21128) load", async () => {
  // One layer keeps the test to seconds; every name, the embedding and head shapes are bert-base-chinese's.
  // The extra keys are those of hfl/chinese-roberta-wwm-ext's config.json, a BERT by architecture.
  const config = bertBaseChineseConfig({
    num_hidden_layers: 1,
    directionality: "bidi",
    output_past: true,
    pooler_fc_size: 768,
    pooler_num_attention_heads: 12,
    pooler_num_fc_layers: 3,
    pooler_size_per_head: 128,
    pooler_type: "first_token_transform",
  });
  const weights = randomBertWeights(config, 3);
  const state = new Map<string, SaveTensor>();
  const original = (n: string) => n.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta");
  for (const [name, t] of weights) state.set(original(name), { ...t, dtype: "F16" });
  state.set("cls.predictions.decoder.weight", state.get("bert.embeddings.word_embeddings.weight")!); // tied, shared
  state.set("cls.seq_relationship.weight", { shape: [2, 768], data: new Float32Array(2 * 768), dtype: "F16" });
  state.set("cls.seq_relationship.bias", { shape: [2], data: new Float32Array(2), dtype: "F16" });
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/pytorch_model.bin`, torchSave(state));
  await writeBertConfig(`${dir}/config.json`, config);
  await Deno.writeTextFile(`${dir}/vocab.txt`, randomVocab(21128).join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/tokenizer_config.json`, JSON.stringify({ do_lower_case: false }));
  const m = await loadModelFolder(dir);
  assert.equal(m.weightsFile, `${dir}/pytorch_model.bin`);
  assert.equal(m.config.extra.pooler_type, "first_token_transform");
  assert.equal(m.tokenizer.vocabSize, 21128);
  assert.deepEqual(m.weights.get("bert.embeddings.word_embeddings.weight")!.shape, [21128, 768]);
  assert.deepEqual(m.weights.get("bert.encoder.layer.0.intermediate.dense.weight")!.shape, [3072, 768]);
  assert.equal(m.decoderTied, true);
  assert.equal(m.poolerInitialized, false);
  assert.deepEqual(m.ignored.sort(), ["cls.predictions.decoder.weight", "cls.seq_relationship.bias", "cls.seq_relationship.weight"]);
  const ln = "bert.encoder.layer.0.output.LayerNorm.weight";
  assert.deepEqual(m.weights.get(ln)!.data, weights.get(ln)!.data.map(Math.f16round));
  assert.deepEqual(m.tokenizer.tokenize("我很[MASK]Ok"), ["我", "很", "[MASK]", "O", "##k"], "cased: do_lower_case false");
  await Deno.remove(dir, { recursive: true });
});
