/** Masked-LM pre-training: vocabulary, masking, checkpoints and exact resume. */
import assert from "node:assert/strict";
import { loadTexts } from "../lib/data/load.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { readSafetensors } from "../lib/model/safetensors.ts";
import { pretrain, type PretrainOptions } from "../lib/pretrain/pretrain.ts";
import { bertWords, buildVocab, SPECIAL_TOKENS } from "../lib/pretrain/vocab.ts";
import { maskBatch } from "../lib/model/masking.ts";
import { packBucket } from "../lib/pretrain/mlm_batches.ts";
import { Rng } from "../lib/util/rng.ts";

Deno.test("vocabulary: characters and ## pieces of Latin runs, special tokens first, deterministic", () => {
  assert.deepEqual(bertWords("iPhone 8很好！Café"), ["iphone", "8", "很", "好", "！", "cafe"]);
  const v = buildVocab(["很好很好", "好的 ok", "ok"], { minFreq: 2 });
  assert.deepEqual(v.slice(0, 5), [...SPECIAL_TOKENS]);
  assert.deepEqual(v.slice(5), ["好", "##k", "o", "很"]); // ties by code point
});

Deno.test("masking: 15% of the real, non-special tokens; 80/10/10; padding rows never masked", () => {
  const seqs = Array.from({ length: 30 }, (_, i) => ({ ids: [2, ...Array.from({ length: 20 + (i % 10) }, (_, j) => 10 + ((i * 7 + j) % 90)), 3] }));
  const b = packBucket(seqs, 32, 32, 0);
  const vocab = { vocabSize: 100, maskId: 4, special: new Set([0, 1, 2, 3, 4]) };
  const m = maskBatch(b, new Rng(1), vocab);
  const real = seqs.reduce((s, q) => s + q.ids.length - 2, 0);
  assert.equal(m.masked, Math.round(0.15 * real));
  let asMask = 0;
  for (let k = 0; k < m.masked; k++) {
    const pos = Number(m.rows[k]);
    assert.equal(b.attentionMask[pos], 1);
    assert.ok(!vocab.special.has(Number(b.inputIds[pos])));
    assert.equal(m.targets[k], b.inputIds[pos]);
    if (m.tokens.inputIds[pos] === 4n) asMask++;
  }
  assert.ok(Math.abs(asMask / m.masked - 0.8) < 0.08, `${asMask}/${m.masked} became [MASK]`);
  assert.ok(m.weights.subarray(m.masked).every((w) => w === 0));
});

Deno.test("pre-training stopped and resumed reaches bit-identical weights to an uninterrupted run", async () => {
  const texts = (await loadTexts("demo", "train")).map((r) => r.text);
  const base = await Deno.makeTempDir();
  const opts: Partial<PretrainOptions> = {
    corpus: { train: texts.slice(20), heldout: texts.slice(0, 20) },
    layers: 1,
    hidden: 32,
    heads: 2,
    intermediate: 64,
    maxLength: 32,
    minFreq: 1,
    tokensPerBatch: 512,
    steps: 8,
    warmupSteps: 2,
    evalEvery: 4,
    lr: 3e-3,
  };
  try {
    const a = await pretrain({ ...opts, out: `${base}/a` });
    assert.equal(a.steps, 8);
    assert.ok(!a.stopped);
    const paused = await pretrain({ ...opts, out: `${base}/b`, stopAt: 3 });
    assert.ok(paused.stopped && paused.steps === 3);
    const b = await pretrain({ ...opts, out: `${base}/b` });
    assert.equal(b.resumedFrom, 3);
    const [wa, wb] = await Promise.all([`${base}/a`, `${base}/b`].map((d) => readSafetensors(`${d}/model.safetensors`)));
    assert.deepEqual([...wa.tensors.keys()].sort(), [...wb.tensors.keys()].sort());
    for (const [name, t] of wa.tensors) assert.deepEqual(wb.tensors.get(name)!.data, t.data, name);
    // The output is a loadable model folder with its own tokenizer; a finished folder is never overwritten.
    const model = await loadModelFolder(`${base}/a`);
    assert.ok(model.poolerInitialized, "a masked-LM checkpoint has no pooler");
    for (const t of texts.slice(20)) assert.ok(!model.tokenizer.encodeText(t).includes(model.tokenizer.specialIds.unk), t);
    await assert.rejects(pretrain({ ...opts, out: `${base}/a` }), /already holds a pre-trained model/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
