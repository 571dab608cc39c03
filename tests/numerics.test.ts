/**
 * The numerics guard: a tiny PET run at one thread must give the losses and probabilities recorded beside
 * NUMERICS_VERSION, so that a change of training numerics cannot land without a new numerics version.
 */
import assert from "node:assert/strict";
import { loadFewShot } from "../lib/data/load.ts";
import { NUMERICS_EPOCHS, NUMERICS_REFERENCE, NUMERICS_VERSION } from "../lib/engine/numerics.ts";
import { pet } from "../lib/methods/pet/pet.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { root } from "./_shared.ts";

/** Loose enough for another CPU's float rounding, tight enough for any real change of the numbers. */
const RELATIVE = 1e-4;
const THREADS = "PROMPTLAB_THREADS";

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= RELATIVE * Math.max(Math.abs(a), Math.abs(b), 1e-6);
}

Deno.test("numerics: a tiny PET run at one thread gives the numbers recorded for NUMERICS_VERSION", async () => {
  const before = Deno.env.get(THREADS);
  Deno.env.set(THREADS, "1"); // the reference is one thread's (sessions read it as they compile)
  try {
    await checkGuardRun();
  } finally {
    if (before === undefined) Deno.env.delete(THREADS);
    else Deno.env.set(THREADS, before);
  }
});

/** The guard run, compared with NUMERICS_REFERENCE. */
async function checkGuardRun(): Promise<void> {
  const model = await loadModelFolder(`${root}/models/promptlab-bert-zh-L2-H64`);
  const { train, test, task } = await loadFewShot("demo", { kind: "sampled", k: 4, seed: 1 }, { mirror: null, download: false });
  // Dropout, length-sorted passes and the restricted last layer all take part: 8 examples, batch 4, 2 passes.
  const options = { steps: 6, lr: 1e-3, batchSize: 4, passes: 2, evalEvery: 0, maxLength: 48, seed: 1 };
  const { predictor, record } = await pet.create(model, task.labels, options).fit(train, []);
  const proba = await predictor.predictProba(test.slice(0, 4));
  const got = { losses: record.losses, proba };
  const agrees = got.losses.length === NUMERICS_REFERENCE.losses.length && got.proba.length === NUMERICS_REFERENCE.proba.length &&
    got.losses.every((l, i) => close(l, NUMERICS_REFERENCE.losses[i])) &&
    got.proba.every((p, i) => p.every((x, j) => close(x, NUMERICS_REFERENCE.proba[i][j])));
  assert.ok(
    agrees,
    `training numerics changed: numerics ${NUMERICS_VERSION} recorded ${JSON.stringify(NUMERICS_REFERENCE)}, this code gives ` +
      `${JSON.stringify(got)}. Add a new numerics version to NUMERICS_EPOCHS (lib/engine/numerics.ts) and re-record ` +
      "NUMERICS_REFERENCE with these values (or undo the change if it was not meant to change numbers).",
  );
}

Deno.test("numerics: epochs are named once, in order, each with its first commit", () => {
  const versions = NUMERICS_EPOCHS.map((e) => e.version);
  assert.equal(new Set(versions).size, versions.length);
  assert.deepEqual([...versions].sort(), versions);
  assert.equal(NUMERICS_VERSION, versions.at(-1));
  for (const e of NUMERICS_EPOCHS) assert.match(e.commit, /^[0-9a-f]{7,40}$/);
});
