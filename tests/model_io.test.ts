// Model I/O: safetensors, config, weight-name variants, tokenizer parity, whole folders.
import assert from "node:assert/strict";
import { shared, sharedTest } from "./_shared.ts";
import { parseBertConfig } from "../lib/model/bert/config.ts";
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from "../lib/model/formats/safetensors.ts";
import { DECODER_WEIGHT, expectedShapes, normalizeWeights } from "../lib/model/bert/weights.ts";
import { loadModelFolder, saveModelFolder } from "../lib/model/folder.ts";
import { loadTokenizer } from "../lib/model/tokenizers/tokenizer.ts";
import { bertBaseChineseConfig, randomBertWeights, writeRandomModelFolder } from "../lib/model/bert/random.ts";
import type { StoredTensor } from "../lib/model/formats/safetensors.ts";
import type { TensorMap } from "../lib/util/tensor.ts";

const REF = "models/zh-review-bert-tiny";
const tiny = () =>
  parseBertConfig({
    vocab_size: 140,
    hidden_size: 8,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 16,
    max_position_embeddings: 16,
  });

/** Stored-tensor view of float weights, optionally renamed, as a checkpoint would hold them. */
function asStored(weights: TensorMap, rename = (n: string) => n): Map<string, StoredTensor> {
  return new Map([...weights].map(([n, t]) => [rename(n), { dtype: "F32" as const, ...t }]));
}

Deno.test("safetensors: f32 round trip, 8-byte aligned header, pt metadata, atomic file write", async () => {
  const tensors: TensorMap = new Map([
    ["a.weight", { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -Infinity]) }],
    ["b", { shape: [], data: Float32Array.from([7]) }],
    ["empty", { shape: [0, 4], data: new Float32Array(0) }],
  ]);
  const bytes = encodeSafetensors(tensors);
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLen) % 8, 0);
  const back = parseSafetensors(bytes);
  assert.deepEqual(back.metadata, { format: "pt" });
  assert.deepEqual([...back.tensors.keys()], ["a.weight", "b", "empty"]);
  for (const [name, t] of tensors) {
    assert.deepEqual(back.tensors.get(name)!.shape, t.shape);
    assert.deepEqual(back.tensors.get(name)!.data, t.data);
  }
  const dir = await Deno.makeTempDir();
  await writeSafetensors(`${dir}/x.safetensors`, tensors);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["x.safetensors"]); // no temp file left
  assert.deepEqual((await readSafetensors(`${dir}/x.safetensors`)).tensors.get("a.weight")!.data, tensors.get("a.weight")!.data);
});

Deno.test("safetensors: F16, BF16 decode to float32; I64, I32 stay integers", () => {
  const data = new Uint8Array(8 + 8 + 16 + 8);
  const v = new DataView(data.buffer);
  [0x3c00, 0xc000, 0x0001, 0x7c00].forEach((h, i) => v.setUint16(2 * i, h, true)); // 1, -2, 2^-24, inf
  [0x3f80, 0xc0a0, 0x3e80, 0xff80].forEach((b, i) => v.setUint16(8 + 2 * i, b, true)); // 1, -5, 0.25, -inf
  v.setBigInt64(16, 0n, true);
  v.setBigInt64(24, 511n, true);
  v.setInt32(32, -3, true);
  v.setInt32(36, 9, true);
  const header = new TextEncoder().encode(JSON.stringify({
    h: { dtype: "F16", shape: [4], data_offsets: [0, 8] },
    b: { dtype: "BF16", shape: [2, 2], data_offsets: [8, 16] },
    p: { dtype: "I64", shape: [1, 2], data_offsets: [16, 32] },
    i: { dtype: "I32", shape: [2], data_offsets: [32, 40] },
  }));
  const file = new Uint8Array(8 + header.length + data.length);
  new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
  file.set(header, 8);
  file.set(data, 8 + header.length);
  const { tensors } = parseSafetensors(file);
  assert.deepEqual([...tensors.get("h")!.data], [1, -2, 2 ** -24, Infinity]);
  assert.deepEqual([...tensors.get("b")!.data], [1, -5, 0.25, -Infinity]);
  assert.deepEqual(tensors.get("b")!.shape, [2, 2]);
  assert.deepEqual(tensors.get("p"), { dtype: "I64", shape: [1, 2], data: BigInt64Array.from([0n, 511n]) });
  assert.deepEqual([...tensors.get("i")!.data], [-3, 9]);
});

Deno.test("config: HF defaults, gelu kinds, extra keys round trip", () => {
  const c = parseBertConfig({ model_type: "bert", hidden_act: "gelu_new", architectures: ["BertForMaskedLM"] });
  assert.equal(c.hidden_size, 768);
  assert.equal(c.gelu, "tanh");
  assert.equal(c.classifier_dropout, null);
  assert.equal(c.tie_word_embeddings, true);
  assert.equal(parseBertConfig({}).gelu, "erf");
  assert.deepEqual(c.extra, { model_type: "bert", architectures: ["BertForMaskedLM"] });
});

Deno.test("weights: bare-BertModel names, gamma/beta, decoder.bias alias, position_ids, tied decoder", () => {
  const config = tiny();
  const full = randomBertWeights(config, 3);
  const stored = asStored(
    full,
    (n) =>
      n.replace(/^bert\./, "").replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta")
        .replace("cls.predictions.bias", "cls.predictions.decoder.bias"),
  );
  stored.set("embeddings.position_ids", { dtype: "I64", shape: [1, 16], data: new BigInt64Array(16) });
  stored.set(DECODER_WEIGHT, { dtype: "F32", ...full.get("bert.embeddings.word_embeddings.weight")! });
  const r = normalizeWeights(stored, config);
  assert.deepEqual([...r.weights.keys()].sort(), [...expectedShapes(config).keys()].sort());
  for (const [n, t] of full) assert.deepEqual(r.weights.get(n)!.data, t.data, n);
  assert.equal(r.decoderTied, true);
  assert.equal(r.poolerInitialized, false);
  assert.deepEqual(r.ignored.sort(), [DECODER_WEIGHT, "embeddings.position_ids"]);
});

Deno.test("weights: untied decoder kept and reported; missing MLM head and pooler initialised", () => {
  const config = tiny();
  const full = randomBertWeights(config, 4);
  const untied = asStored(full);
  untied.set(DECODER_WEIGHT, { dtype: "F32", shape: [140, 8], data: new Float32Array(140 * 8).fill(0.5) });
  const r = normalizeWeights(untied, config);
  assert.equal(r.decoderTied, false);
  assert.ok(r.weights.has(DECODER_WEIGHT));
  assert.match(r.notes.join("\n"), /untied/);

  const bare = asStored(full);
  for (const n of full.keys()) if (n.startsWith("cls.") || n.startsWith("bert.pooler.")) bare.delete(n);
  bare.set("classifier.weight", { dtype: "F32", shape: [2, 8], data: new Float32Array(16) });
  const b = normalizeWeights(bare, config, { seed: 9 });
  assert.equal(b.mlmHeadInitialized, true);
  assert.equal(b.poolerInitialized, true);
  assert.ok(b.weights.has("classifier.weight"), "task heads are kept");
  assert.deepEqual([...b.weights.get("cls.predictions.transform.LayerNorm.weight")!.data], new Array(8).fill(1));
  assert.ok(b.weights.get("bert.pooler.dense.weight")!.data.some((x) => x !== 0));
  assert.deepEqual([...b.weights.get("bert.pooler.dense.bias")!.data], new Array(8).fill(0));
  assert.deepEqual(
    normalizeWeights(bare, config, { seed: 9 }).weights.get("bert.pooler.dense.weight"),
    b.weights.get("bert.pooler.dense.weight"),
    "seeded",
  );
});

Deno.test("random: HF init (padding row zero, LayerNorm 1/0, std = initializer_range), seeded", () => {
  const config = tiny();
  const w = randomBertWeights(config, 1);
  const emb = w.get("bert.embeddings.word_embeddings.weight")!.data;
  assert.deepEqual([...emb.subarray(0, 8)], new Array(8).fill(0));
  const q = w.get("bert.encoder.layer.1.attention.self.query.weight")!.data;
  const std = Math.sqrt(q.reduce((s, x) => s + x * x, 0) / q.length);
  assert.ok(Math.abs(std - 0.02) < 0.006, `std ${std}`);
  assert.deepEqual(
    randomBertWeights(config, 1).get("cls.predictions.transform.dense.weight"),
    w.get("cls.predictions.transform.dense.weight"),
  );
});

sharedTest("reference folder loads: canonical names, tied decoder, pooler initialised, 4,435,682 stored", REF, async () => {
  const m = await loadModelFolder(shared(REF));
  const expected = expectedShapes(m.config);
  assert.deepEqual([...m.weights.keys()].sort(), [...expected.keys()].sort());
  assert.equal(m.decoderTied, true);
  assert.equal(m.poolerInitialized, true);
  assert.equal(m.mlmHeadInitialized, false);
  assert.match(m.notes.join("\n"), /pooler/);
  let stored = 0;
  for (const [n, t] of m.weights) if (!n.startsWith("bert.pooler.")) stored += t.data.length;
  assert.equal(stored, 4_435_682);
  assert.equal(m.config.gelu, "erf");
  assert.deepEqual(m.tokenizer.specialIds, { cls: 2, sep: 3, pad: 0, mask: 4, unk: 1 });
  assert.equal(m.tokenizer.vocabSize, 4578);
});

sharedTest("tokenizer reproduces the fixture input_ids, attention_mask and token_type_ids", REF, async () => {
  const fixture = JSON.parse(await Deno.readTextFile(shared("fixtures/zh-review-bert-tiny.json"))).inputs;
  const tok = await loadTokenizer(shared(REF));
  const enc = tok.encode(fixture.texts, { maxLength: 128 });
  assert.equal(enc.length, 19);
  assert.deepEqual(enc.inputIds, fixture.input_ids);
  assert.deepEqual(enc.attentionMask, fixture.attention_mask);
  assert.deepEqual(enc.tokenTypeIds, fixture.token_type_ids);
});

sharedTest("tokenizer: [MASK] stays whole, lowercase [mask] does not; pairs, truncation keeps [SEP], buckets", REF, async () => {
  const tok = await loadTokenizer(shared(REF));
  assert.deepEqual(tok.tokenize("很[MASK]。"), ["很", "[MASK]", "。"]);
  assert.ok(tok.tokenize("[mask]").length > 1);
  assert.deepEqual(tok.convertTokensToIds(["[MASK]", "no-such-token"]), [4, 1]);
  assert.equal(tok.idToToken(4), "[MASK]");
  const pair = tok.encode(["你好"], { textPairs: ["世界啊"] });
  assert.deepEqual(pair.inputIds[0].map((id) => tok.idToToken(id)), ["[CLS]", "你", "好", "[SEP]", "世", "界", "啊", "[SEP]"]);
  assert.deepEqual(pair.tokenTypeIds[0], [0, 0, 0, 0, 1, 1, 1, 1]);
  const cut = tok.encode(["一二三四五六七八九十", "一"], { maxLength: 6, padToMultipleOf: 4 });
  assert.equal(cut.truncated, 1);
  assert.equal(cut.length, 8);
  assert.deepEqual(cut.inputIds[0].slice(0, 6).map((id) => tok.idToToken(id)), ["[CLS]", "一", "二", "三", "四", "[SEP]"]);
  assert.deepEqual(cut.attentionMask[1], [1, 1, 1, 0, 0, 0, 0, 0]);
  const fixed = tok.encode(["一"], { maxLength: 10, padding: "max_length" });
  assert.equal(fixed.inputIds[0].length, 10);
});

sharedTest("reference folder saves and reloads identically (checkpoint round trip)", REF, async () => {
  const m = await loadModelFolder(shared(REF));
  const dir = await Deno.makeTempDir();
  await saveModelFolder(dir, { backbone: m.backbone, weights: m.weights, tokenizerFiles: m.tokenizer.files });
  const again = await loadModelFolder(dir);
  assert.equal(again.poolerInitialized, false, "the initialised pooler was saved");
  assert.deepEqual(again.config, m.config);
  for (const [n, t] of m.weights) assert.deepEqual(again.weights.get(n)!.data, t.data, n);
  assert.deepEqual(again.tokenizer.encode(["好评"]), m.tokenizer.encode(["好评"]));
});

Deno.test("bert-base-chinese-shaped random folder in the original naming (gamma/beta, no pooler) loads", async () => {
  // One layer keeps the test to seconds; embedding and head shapes are bert-base-chinese's (21128 × 768).
  const config = bertBaseChineseConfig({ num_hidden_layers: 1 });
  const dir = await Deno.makeTempDir();
  const written = await writeRandomModelFolder(dir, config, { seed: 5, naming: "original" });
  const stored = (await readSafetensors(`${dir}/model.safetensors`)).tensors;
  assert.ok(stored.has("bert.embeddings.LayerNorm.gamma") && !stored.has("bert.pooler.dense.weight"));
  const m = await loadModelFolder(dir);
  assert.equal(m.poolerInitialized, true);
  assert.equal(m.decoderTied, true);
  assert.deepEqual(m.ignored.sort(), ["cls.seq_relationship.bias", "cls.seq_relationship.weight"]);
  assert.deepEqual(m.weights.get("bert.embeddings.LayerNorm.weight"), written.get("bert.embeddings.LayerNorm.weight"));
  assert.deepEqual(m.weights.get("bert.embeddings.word_embeddings.weight")!.shape, [21128, 768]);
  assert.equal(m.tokenizer.vocabSize, 21128);
  assert.deepEqual(m.tokenizer.tokenize("我很[MASK]ok"), ["我", "很", "[MASK]", "o", "##k"]);
  await Deno.remove(dir, { recursive: true });
});
