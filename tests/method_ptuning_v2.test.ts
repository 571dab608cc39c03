/**
 * P-tuning v2 on the reference tiny model and EPRSTMT's official train_0: it learns, leaves the backbone
 * untouched, round-trips through save/load, is reproducible, and rejects bad configurations before training.
 */
import assert from "node:assert/strict";
import { loadFewShot } from "../lib/data/load.ts";
import type { Row } from "../lib/data/types.ts";
import { argmax } from "../lib/eval/metrics.ts";
import { ptuningV2 } from "../lib/methods/classifier/ptuning_v2.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { InputError } from "../lib/util/errors.ts";
import { shared, sharedTest } from "./_shared.ts";

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

sharedTest("ptuning-v2: learns train_0, backbone bit-identical, save/load gives identical predictions", MODEL, async () => {
  const { model, train, labels } = await setup();
  const before = new Map([...model.weights].map(([n, t]) => [n, t.data.slice()]));
  // 30 steps of 16 at the default lr: ~15 epochs of the 32 examples, enough to fit most of them.
  const { predictor, record } = await ptuningV2.create(model, labels, { steps: 30, evalEvery: 0 }).fit(train, []);

  assert.equal(record.losses.length, 30);
  assert.ok(mean(record.losses.slice(-10)) < mean(record.losses.slice(0, 5)) - 0.05, `loss did not fall: ${record.losses}`);
  const proba = await predictor.predictProba(train.map((r) => r.text));
  const accuracy = mean(proba.map((p, i) => (labels[argmax(p)] === train[i].label ? 1 : 0)));
  assert.ok(accuracy >= 0.75, `training accuracy ${accuracy}`);
  // Prefix table [4, 4·2·256] plus head [2, 256] + [2].
  assert.equal(record.trainableParams, 4 * 4 * 2 * 256 + 2 * 256 + 2);
  assert.ok(record.notes.some((n) => n.includes("no pooler")), record.notes.join("; "));

  for (const [name, data] of before) assert.deepEqual(model.weights.get(name)!.data, data, `${name} changed`);

  const dir = await Deno.makeTempDir();
  try {
    await predictor.save(dir);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(files, ["method.json", "weights.safetensors"]);
    // Only the prefix and head are saved: a few tens of kB, not the backbone.
    assert.ok(Deno.statSync(`${dir}/weights.safetensors`).size < 100_000);
    const loaded = await ptuningV2.load(dir, model);
    assert.deepEqual(loaded.labels, labels);
    assert.deepEqual(await loaded.predictProba(train.map((r) => r.text)), proba);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

sharedTest("ptuning-v2: same seed, same losses (projection variant, dev selection)", MODEL, async () => {
  const { model, train, labels } = await setup();
  const run = () =>
    ptuningV2.create(model, labels, { steps: 2, batchSize: 8, evalEvery: 1, prefixProjection: true, prefixHiddenSize: 32, seed: 7 })
      .fit(train.slice(0, 16), train.slice(16, 24));
  const [a, b] = [await run(), await run()];
  assert.deepEqual(a.record.losses, b.record.losses);
  assert.deepEqual(a.record.dev, b.record.dev);
  assert.equal(a.record.dev.length, 2);
  // Table [4, 256], MLP 256→32→2048, head.
  assert.equal(a.record.trainableParams, 4 * 256 + (32 * 256 + 32) + (2048 * 32 + 2048) + 2 * 256 + 2);
});

sharedTest("ptuning-v2: bad configurations fail before training", MODEL, async () => {
  const { model, train, labels } = await setup();
  const create = (o: object) => () => ptuningV2.create(model, labels, o);
  assert.throws(create({ prefixLength: 8, maxLength: 128 }), (e: Error) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /prefixLength/);
    assert.match(e.message, /128 position embeddings/);
    return true;
  });
  for (const prefixLength of [0, -3, 2.5]) assert.throws(create({ prefixLength }), /prefixLength/);
  assert.throws(create({ prefixLength: 129 }), /prefixLength/);
  // Without an explicit maxLength the input is shortened to make room for the prefix.
  assert.doesNotThrow(create({ prefixLength: 28 }));

  let progressed = false;
  const bad = [...train.slice(0, 4), { text: "还行吧", label: "Neutral" }];
  await assert.rejects(
    ptuningV2.create(model, labels, { steps: 1 }).fit(bad, [], { onProgress: () => (progressed = true) }),
    (e: Error) => e instanceof InputError && /Neutral/.test(e.message) && /train\[4\]/.test(e.message),
  );
  assert.equal(progressed, false);
});
