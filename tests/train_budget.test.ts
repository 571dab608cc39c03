/** Training budgets in epochs with a floor and a cap in steps; an explicit step count stays exact. */
import assert from "node:assert/strict";
import { finetune } from "../lib/methods/classifier/finetune.ts";
import { ptuningV2 } from "../lib/methods/classifier/ptuning_v2.ts";
import { pet } from "../lib/methods/pet/pet.ts";
import { LOOP_DEFAULTS, loopSteps, trainLoop } from "../lib/train/loop.ts";
import { InputError } from "../lib/util/errors.ts";
import { loadModelFolder } from "../lib/model/folder.ts";

Deno.test("loopSteps: epochs between the floor and the cap; explicit steps exact", () => {
  const o = { ...LOOP_DEFAULTS, batchSize: 16, epochs: 10, minSteps: 200, maxSteps: 2000 };
  assert.equal(loopSteps(o, 8), 200); // K = 4: the floor
  assert.equal(loopSteps(o, 128), 200); // K = 64: 80 steps of 10 epochs, still the floor
  assert.equal(loopSteps(o, 512), 320); // K = 256
  assert.equal(loopSteps(o, 2048), 1280); // K = 1024
  assert.equal(loopSteps(o, 20000), 2000); // the cap
  assert.equal(loopSteps({ ...o, batchSize: 64 }, 20), 200); // a batch larger than the set is the set
  assert.equal(loopSteps({ ...o, steps: 7 }, 2048), 7);
});

Deno.test("loopSteps: every trained method's defaults keep few-shot sets (up to K = 64, two classes) at their step counts", () => {
  for (const [m, steps] of [[finetune, 200], [pet, 250], [ptuningV2, 300]] as const) {
    for (const n of [8, 32, 128]) assert.equal(loopSteps(m.defaults, n), steps, `${m.name} on ${n} examples`);
    assert.equal(loopSteps(m.defaults, 2048), 1280, `${m.name} on 2048 examples`);
  }
});

Deno.test("trainLoop: runs the budget's steps and reports them as its total", async () => {
  const params = new Map([["w", { shape: [1], data: new Float32Array([1]) }]]);
  const totals = new Set<number>();
  const result = await trainLoop({
    params,
    examples: Array.from({ length: 40 }, (_, i) => i),
    step: () => Promise.resolve({ loss: 1, grads: new Map([["w", { shape: [1], data: new Float32Array([0.1]) }]]) }),
    onProgress: (e) => totals.add(e.totalSteps),
  }, { ...LOOP_DEFAULTS, batchSize: 4, epochs: 3, minSteps: 5, maxSteps: 100, lr: 1e-3 });
  assert.equal(result.steps, 30);
  assert.deepEqual([...totals], [30]);
});

Deno.test("budget options: a cap below the floor, or no epochs, is an input error naming the field", async () => {
  const model = await loadModelFolder("models/promptlab-bert-zh-L4-H256");
  assert.throws(
    () => finetune.create(model, ["a", "b"], { minSteps: 300, maxSteps: 100 }),
    (e) => e instanceof InputError && /maxSteps/.test(e.message) && /≥ minSteps \(300\)/.test(e.message),
  );
  assert.throws(() => finetune.create(model, ["a", "b"], { epochs: 0 }), (e) => e instanceof InputError && /epochs/.test(e.message));
  assert.throws(() => finetune.create(model, ["a", "b"], { steps: -1 }), (e) => e instanceof InputError && /steps/.test(e.message));
});
