/**
 * Sentence-pair encoding: `[CLS] a [SEP] b [SEP]` with token types 0/1 and attention masks identical to the
 * transformers.js tokenizer's pair encoding on every BUSTM test_public pair (through the data mirror),
 * longest-first truncation as Hugging Face's `truncate_sequences` computes it, and token types reaching the model.
 */
import assert from "node:assert/strict";
import { AutoTokenizer, env } from "@huggingface/transformers";
import { loadSplit } from "../lib/data/load.ts";
import type { Row } from "../lib/data/types.ts";
import { EMBEDDED_MODEL } from "../lib/experiments/setup.ts";
import { ClassifierPredictor } from "../lib/methods/classifier/fit.ts";
import { initHead } from "../lib/methods/classifier/head.ts";
import { encodeTexts, packBatch } from "../lib/model/batch.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { loadTokenizer, truncateLongestFirst } from "../lib/model/tokenizers/tokenizer.ts";
import { shared, sharedTest } from "./_shared.ts";

const BUSTM = "data/fewclue/bustm/test_public.json";

/** transformers.js's own tokenizer of the embedded model (not the kit's wrapper). */
async function hfTokenizer() {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = EMBEDDED_MODEL.slice(0, EMBEDDED_MODEL.lastIndexOf("/") + 1);
  return await AutoTokenizer.from_pretrained("promptlab-bert-zh-L4-H256");
}

const rowsOf = (t: { tolist(): unknown } | undefined) => (t!.tolist() as bigint[][]).map((r) => r.map(Number));

sharedTest("pairs: ids, token types and masks equal transformers.js's pair encoding on every BUSTM test_public pair", BUSTM, async () => {
  const rows = await loadSplit("bustm", "test_public", { mirror: shared("data"), download: false });
  assert.equal(rows.length, 1772);
  assert.ok(rows.every((r) => r.textB !== undefined));
  const tok = await loadTokenizer(EMBEDDED_MODEL);
  const hf = await hfTokenizer();
  const a = rows.map((r) => r.text), b = rows.map((r) => r.textB!);
  const want = hf(a, { text_pair: b, padding: true });
  const [ids, types, mask] = [want.input_ids, want.token_type_ids, want.attention_mask].map(rowsOf);

  // The tokenizer's padded batch.
  const got = tok.encode(a, { textPairs: b });
  assert.equal(got.truncated, 0);
  assert.deepEqual(got.inputIds, ids);
  assert.deepEqual(got.tokenTypeIds, types);
  assert.deepEqual(got.attentionMask, mask);

  // What the methods encode (rows as they come) and pack into model feeds, row by row.
  const { seqs, truncated } = encodeTexts(tok, rows, 128);
  assert.equal(truncated, 0);
  seqs.forEach((s, i) => {
    const n = mask[i].reduce((x, y) => x + y, 0);
    assert.deepEqual(s.ids, ids[i].slice(0, n), `pair ${i}`);
    assert.deepEqual(s.typeIds, types[i].slice(0, n), `pair ${i}`);
    const packed = packBatch([s], { seqLen: ids[i].length });
    assert.deepEqual(Array.from(packed.tokenTypeIds, Number), types[i], `pair ${i}`);
    assert.deepEqual(Array.from(packed.attentionMask), mask[i], `pair ${i}`);
  });
});

/** Hugging Face's `longest_first` as `truncate_sequences` (transformers, Python) computes it: lengths kept. */
function hfLongestFirst(n1: number, n2: number, toRemove: number): [number, number] {
  if (toRemove <= 0) return [n1, n2];
  const first = Math.min(Math.abs(n1 - n2), toRemove), second = toRemove - first;
  return n1 > n2
    ? [n1 - first - Math.floor(second / 2), n2 - (second - Math.floor(second / 2))]
    : [n1 - Math.floor(second / 2), n2 - first - (second - Math.floor(second / 2))];
}

sharedTest("pairs: truncation is Hugging Face's longest_first to the maximum length, counted, final [SEP] kept", BUSTM, async () => {
  const rows = await loadSplit("bustm", "test_public", { mirror: shared("data"), download: false });
  const tok = await loadTokenizer(EMBEDDED_MODEL);
  const hf = await hfTokenizer();
  const { cls, sep } = tok.specialIds;
  const maxLength = 16;
  let expectCut = 0;
  const { seqs, truncated } = encodeTexts(tok, rows, maxLength);
  rows.forEach((r, i) => {
    const a = hf.encode(r.text, { add_special_tokens: false }), b = hf.encode(r.textB!, { add_special_tokens: false });
    const [n1, n2] = hfLongestFirst(a.length, b.length, a.length + b.length + 3 - maxLength);
    if (n1 + n2 < a.length + b.length) expectCut++;
    assert.deepEqual(seqs[i].ids, [cls, ...a.slice(0, n1), sep, ...b.slice(0, n2), sep], `pair ${i}`);
    assert.deepEqual(seqs[i].typeIds, [...Array(n1 + 2).fill(0), ...Array(n2 + 1).fill(1)], `pair ${i}`);
  });
  assert.ok(expectCut > 100, `only ${expectCut} pairs cut at ${maxLength} tokens`);
  assert.equal(truncated, expectCut);
  // Equal lengths lose from the second text first, as Hugging Face's loop does.
  const x = [1, 2, 3], y = [4, 5, 6];
  assert.equal(truncateLongestFirst(x, y, 5), true);
  assert.deepEqual([x, y], [[1, 2, 3], [4, 5]]);
});

Deno.test("pairs: token types reach the model (a pair scores differently from the same ids all of type 0)", async () => {
  const model = await loadModelFolder(EMBEDDED_MODEL);
  const labels = ["1", "0"];
  const predictor = new ClassifierPredictor(model, labels, "finetune", { maxLength: 32, evalBatchSize: 4 }, initHead(model.backbone, 2, 1));
  const pair: Row = { text: "今天天气怎么样", textB: "今天的天气如何", label: "1" };
  const [seq] = encodeTexts(model.tokenizer, [pair], 32).seqs;
  assert.ok(seq.typeIds!.includes(1));
  const [withTypes] = await predictor.predictProba([pair]);
  const [asPairSeq] = await predictor.predictSeqs([seq]);
  const [allZero] = await predictor.predictSeqs([{ ids: seq.ids }]);
  assert.deepEqual(withTypes, asPairSeq);
  assert.ok(Math.abs(withTypes[0] - allZero[0]) > 1e-6, `token types changed nothing: ${withTypes} vs ${allZero}`);
  // A single text is `[CLS] a [SEP]`, type 0 only, as before pairs existed.
  const [single] = encodeTexts(model.tokenizer, ["今天天气怎么样"], 32).seqs;
  assert.equal(single.typeIds, undefined);
  assert.deepEqual(single.ids, seq.ids.slice(0, single.ids.length));
});
