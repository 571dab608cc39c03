/** Batched inference: length-sorted batches, results back in input order, the same numbers as one text at a time. */
import assert from "node:assert/strict";
import { loadSplit } from "../lib/data/load.ts";
import type { TokenSeq } from "../lib/model/batch.ts";
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
    return Promise.resolve(Float32Array.from(Array.from({ length: 3 }, (_, r) => part[r] ? [Number(b.inputIds[r * b.seqLen]), part[r].ids.length] : [0, 0]).flat()));
  });
  assert.deepEqual(proba, seqs.map((s) => [s.ids[0], s.ids.length]));
  assert.deepEqual(seen.map((s) => s.lengths), [[4, 5, 7], [8, 10, 11], [13, 14, 100], [100, 100, 100]]);
  assert.deepEqual(seen.map((s) => s.seqLen), [16, 16, 128, 128]);
});

Deno.test("predictBatches: a zero-shot PET's probabilities do not depend on batch size or order (embedded model)", async () => {
  const model = await loadModelFolder("models/promptlab-bert-zh-L4-H256");
  const texts = (await loadSplit("demo", "test")).slice(0, 24).map((r) => r.text);
  const predict = async (evalBatchSize: number, inputs: string[]) =>
    (await (await pet.create(model, ["Positive", "Negative"], { mode: "zero-shot", evalBatchSize }).fit([], [])).predictor).predictProba(inputs);
  const one = await predict(1, texts);
  const batched = await predict(8, texts);
  const reversed = (await predict(8, texts.toReversed())).toReversed();
  for (const other of [batched, reversed]) {
    other.forEach((row, i) => row.forEach((p, c) => assert.ok(Math.abs(p - one[i][c]) < 1e-5, `text ${i} class ${c}: ${p} vs ${one[i][c]}`)));
  }
});
