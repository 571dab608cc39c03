/**
 * Length-sorted passes: a training batch cut by length into passes, each padded to its own bucket, gives the
 * loss and gradients of the batch in one pass (dropout off, so both draw nothing), at fewer padded tokens.
 */
import assert from "node:assert/strict";
import { parseBertConfig } from "../lib/model/bert/config.ts";
import { randomBertWeights } from "../lib/model/bert/random.ts";
import { bertBackbone } from "../lib/model/bert/backbone.ts";
import { classifierLogits, initHead } from "../lib/methods/classifier/head.ts";
import { crossEntropy } from "../lib/engine/layers.ts";
import { fitSupervised } from "../lib/methods/supervised_fit.ts";
import { LOOP_DEFAULTS } from "../lib/train/loop.ts";
import { lengthPasses } from "../lib/train/length_passes.ts";
import type { TensorMap } from "../lib/util/tensor.ts";

Deno.test("lengthPasses: sorted by length (ties in batch order), cut into passes of equal rows, the last shorter", () => {
  const batch = [{ id: "a", n: 9 }, { id: "b", n: 3 }, { id: "c", n: 9 }, { id: "d", n: 1 }, { id: "e", n: 5 }];
  const ids = (parts: { id: string }[][]) => parts.map((p) => p.map((x) => x.id).join(""));
  assert.deepEqual(ids(lengthPasses(batch, (x) => x.n, 2)), ["dbe", "ac"]);
  assert.deepEqual(ids(lengthPasses(batch, (x) => x.n, 1)), ["dbeac"]);
  assert.deepEqual(ids(lengthPasses(batch, (x) => x.n, 4)), ["db", "ea", "c"]);
  assert.deepEqual(ids(lengthPasses(batch.slice(0, 2), (x) => x.n, 4)), ["b", "a"]);
  assert.throws(() => lengthPasses(batch, (x) => x.n, 0), RangeError);
});

const config = parseBertConfig({
  vocab_size: 50,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 64,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
});

/** One step's loss and gradients of a [CLS] classifier on `seqs`, in `passes` passes; the lengths it padded to. */
async function oneStep(passes: number) {
  const weights: TensorMap = new Map([...randomBertWeights(config, 5), ...initHead(bertBackbone(config), 2, 5)]);
  // Lengths 4-50 tokens: one pass would pad every row to 64; sorted passes pad to 16, 32 and 64.
  const lengths = [50, 4, 12, 30, 6, 44, 20, 9];
  const seqs = lengths.map((n, r) => ({ ids: [2, ...Array.from({ length: n - 2 }, (_, j) => 5 + ((r * 7 + j * 3) % 45)), 3] }));
  const gold = lengths.map((_, r) => r % 2);
  const padded = new Set<number>();
  let captured: { loss: number; grads: TensorMap } | undefined;
  await fitSupervised(
    {
      weights,
      params: weights,
      isTrainable: () => true,
      options: { ...LOOP_DEFAULTS, steps: 1, batchSize: lengths.length, passes, evalEvery: 0, maxLength: 64 },
      loss(g, params, batch, seqLen, labels) {
        padded.add(seqLen);
        const backbone = bertBackbone(config);
        const bert = backbone.encoder(g, params.get, { batch, seqLen, train: true });
        return crossEntropy(classifierLogits(bert, backbone, params.get), labels);
      },
      mix: (_step, r) => {
        captured = { loss: r.loss, grads: new Map([...r.grads].map(([k, v]) => [k, { ...v, data: Float32Array.from(v.data) }])) };
        return Promise.resolve(r);
      },
    },
    seqs,
    gold,
  );
  return { ...captured!, padded: [...padded].sort((a, b) => a - b) };
}

Deno.test("fitSupervised: length-sorted passes give the one-pass batch's loss and gradients", async () => {
  const [one, three] = [await oneStep(1), await oneStep(3)]; // passes of 3, 3 and 2 rows: unequal weights
  assert.deepEqual(one.padded, [64]);
  assert.deepEqual(three.padded, [16, 32, 64]);
  assert.ok(Math.abs(three.loss - one.loss) < 1e-5, `loss ${three.loss} vs ${one.loss}`);
  assert.deepEqual([...three.grads.keys()].sort(), [...one.grads.keys()].sort());
  for (const [name, g] of one.grads) {
    const scale = Math.max(1e-3, ...g.data.map(Math.abs));
    const d = three.grads.get(name)!.data;
    for (let i = 0; i < g.data.length; i++) assert.ok(Math.abs(d[i] - g.data[i]) <= 1e-4 * scale, `${name}[${i}]: ${d[i]} vs ${g.data[i]}`);
  }
});
