/** Batched inference: length-sorted batches, results back in input order, the same numbers as one text at a time. */
import assert from "node:assert/strict";
import { loadSplit } from "../lib/data/load.ts";
import { encodeTexts, LENGTH_BUCKETS, packBatch, SCORING_LENGTH_BUCKETS, type TokenSeq } from "../lib/model/batch.ts";
import { FrozenScorer } from "../lib/methods/autoprompt/scorer.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { pet } from "../lib/methods/pet/pet.ts";
import { predictBatches } from "../lib/methods/predict.ts";

const seq = (n: number, first: number): TokenSeq => ({ ids: [first, ...Array(n - 1).fill(7)] });

Deno.test("predictBatches: batches cut from the length-sorted texts, rows returned in input order", async () => {
  // In input order every batch of 3 would hold a 100-token text and pad to 128; sorted, two batches fit in 16.
  const seqs = Array.from({ length: 12 }, (_, i) => seq(i % 3 === 0 ? 100 : 3 + i, i));
  const seen: { seqLen: number; lengths: number[] }[] = [];
  const proba = await predictBatches(seqs, 3, 128, 2, (b, part) => {
    seen.push({ seqLen: b.seqLen, lengths: part.map((s) => s.ids.length) });
    assert.equal(b.batch, 3);
    // Row r of the batch holds part[r]: score it by its first id and length.
    return Promise.resolve(
      Float32Array.from(
        Array.from({ length: 3 }, (_, r) => part[r] ? [Number(b.inputIds[r * b.seqLen]), part[r].ids.length] : [0, 0]).flat(),
      ),
    );
  });
  assert.deepEqual(proba, seqs.map((s) => [s.ids[0], s.ids.length]));
  assert.deepEqual(seen.map((s) => s.lengths), [[4, 5, 7], [8, 10, 11], [13, 14, 100], [100, 100, 100]]);
  assert.deepEqual(seen.map((s) => s.seqLen), [16, 16, 128, 128]);
});

Deno.test("predictBatches: a zero-shot PET's probabilities do not depend on batch size or order (embedded model)", async () => {
  const model = await loadModelFolder("models/promptlab-bert-zh-L4-H256");
  const texts = (await loadSplit("demo", "test")).slice(0, 24).map((r) => r.text);
  const predict = async (evalBatchSize: number, inputs: string[]) =>
    (await (await pet.create(model, ["Positive", "Negative"], { mode: "zero-shot", evalBatchSize }).fit([], [])).predictor).predictProba(
      inputs,
    );
  const one = await predict(1, texts);
  const batched = await predict(8, texts);
  const reversed = (await predict(8, texts.toReversed())).toReversed();
  for (const other of [batched, reversed]) {
    other.forEach((row, i) =>
      row.forEach((p, c) => assert.ok(Math.abs(p - one[i][c]) < 1e-5, `text ${i} class ${c}: ${p} vs ${one[i][c]}`))
    );
  }
});

Deno.test("predictBatches: scoring pads to the finer buckets, with the scores of the coarser padding bit for bit", async () => {
  const lengths: number[] = [];
  await predictBatches([seq(40, 1), seq(70, 2)], 1, 128, 1, (b) => (lengths.push(b.seqLen), Promise.resolve(new Float32Array(1))));
  assert.deepEqual(lengths, [48, 96], "training's buckets would pad both to 64 and 128");
  // The premise: without dropout a row's scores do not depend on how far it is padded.
  const model = await loadModelFolder("models/promptlab-bert-zh-L4-H256");
  const tok = model.tokenizer, mask = tok.specialIds.mask;
  // Two demo texts joined make rows of 33-48 tokens, which training would pad to 64.
  const texts = (await loadSplit("demo", "test")).map((r, i, rows) => r.text + rows[(i + 1) % rows.length].text);
  const seqs = encodeTexts(tok, texts, 120).seqs
    .map((s) => ({ ids: [...s.ids.slice(0, -1), mask, s.ids.at(-1)!], predictPos: s.ids.length - 1, triggerPos: [] }))
    .filter((s) => s.ids.length > 32 && s.ids.length <= 48).slice(0, 4);
  assert.equal(seqs.length, 4);
  const scorer = new FrozenScorer(model, [tok.convertTokensToIds(["好"]), tok.convertTokensToIds(["差"])]);
  try {
    const [coarse, fine] = [LENGTH_BUCKETS[2], SCORING_LENGTH_BUCKETS[2]];
    assert.deepEqual([coarse, fine], [64, 48]);
    const a = await scorer.scores(packBatch(seqs, { seqLen: coarse }), seqs);
    const b = await scorer.scores(packBatch(seqs, { seqLen: fine }), seqs);
    assert.deepEqual(b, a);
  } finally {
    await scorer.release();
  }
});
