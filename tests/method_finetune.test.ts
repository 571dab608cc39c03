/** Fine-tuning on its own: it learns the embedded demo data with the embedded model, reproducibly. */
import assert from "node:assert/strict";
import { loadFewShot } from "../lib/data/load.ts";
import { argmax } from "../lib/eval/metrics.ts";
import { finetune } from "../lib/methods/classifier/finetune.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { root } from "./_shared.ts";

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("finetune: learns the demo data (loss falls, train accuracy well above chance); same seed, same losses", async () => {
  const model = await loadModelFolder(`${root}/models/promptlab-bert-zh-L4-H256`);
  const { train, task } = await loadFewShot("demo", { kind: "sampled", k: 16, seed: 1 }, { mirror: null, download: false });
  const options = { steps: 20, lr: 1e-4, batchSize: 16, evalEvery: 0, maxLength: 64, seed: 1 };
  // Measured: 20 steps take the 32 examples from chance to ~0.8 training accuracy, losses 0.69 → ~0.66.
  const { predictor, record } = await finetune.create(model, task.labels, options).fit(train, []);

  assert.equal(record.steps, 20);
  assert.ok(mean(record.losses.slice(-5)) < mean(record.losses.slice(0, 5)) - 0.01, `loss did not fall: ${record.losses}`);
  const proba = await predictor.predictProba(train.map((r) => r.text));
  const accuracy = mean(proba.map((p, i) => Number(task.labels[argmax(p)] === train[i].label)));
  assert.ok(accuracy >= 0.7, `training accuracy ${accuracy} (chance: 0.5)`);
  // Every weight the classifier reads trains: the encoder, the pooler and the head (not the unused MLM head).
  const read = [...model.weights].filter(([n]) => n.startsWith("bert.")).reduce((n, [, t]) => n + t.data.length, 0);
  assert.equal(record.trainableParams, read + 2 * model.config.hidden_size + 2);

  const short = { ...options, steps: 3 };
  const a = await finetune.create(model, task.labels, short).fit(train, []);
  const b = await finetune.create(model, task.labels, short).fit(train, []);
  assert.deepEqual(a.record.losses, b.record.losses);
});
