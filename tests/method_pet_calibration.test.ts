/** PET's contextual calibration: the math, its effect on a lopsided zero-shot prompt, training and saving. */
import assert from "node:assert/strict";
import { loadSplit } from "../lib/data/load.ts";
import { argmax } from "../lib/eval/metrics.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { calibrate, CONTENT_FREE_INPUTS, contentFreeBias } from "../lib/methods/pet/calibration.ts";
import { pet, type PetOptions } from "../lib/methods/pet/pet.ts";
import { InputError } from "../lib/util/errors.ts";
import { templateSensitivity } from "../lib/charts/template_sensitivity.ts";
import { chartRows } from "./_chart_rows.ts";
import { runSplit } from "../lib/experiments/split_run.ts";
import { demoZeroShotArgs, runDeno } from "./_subprocess.ts";
import { root } from "./_shared.ts";

const LABELS = ["Positive", "Negative"];
let loaded: Promise<ModelFolder> | undefined;
const model = () => (loaded ??= loadModelFolder(`${root}/models/promptlab-bert-zh-L4-H256`));
const close = (a: readonly number[], b: readonly number[], what: string) =>
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-9, `${what}: ${a} vs ${b}`));

/** Share of the most often predicted class. */
const majorityShare = (proba: number[][]) => {
  const counts = LABELS.map((_, c) => proba.filter((p) => argmax(p) === c).length);
  return Math.max(...counts) / proba.length;
};

Deno.test("calibration math: p_cf is the renormalised mean; dividing it out makes a content-free input uniform", () => {
  const contentFree = [[0.8, 0.2], [0.6, 0.4]];
  const bias = contentFreeBias(contentFree);
  close(bias, [0.7, 0.3], "p_cf");
  close(contentFreeBias([[2, 1], [4, 1]]), [0.75, 0.25], "unnormalised rows are renormalised");
  close(calibrate([[0.7, 0.3]], bias)[0], [0.5, 0.5], "the mean content-free input");
  // 0.9/0.7 : 0.1/0.3 = 1.2857 : 0.3333, renormalised.
  close(
    calibrate([[0.9, 0.1]], bias)[0],
    [(0.9 / 0.7) / (0.9 / 0.7 + 0.1 / 0.3), (0.1 / 0.3) / (0.9 / 0.7 + 0.1 / 0.3)],
    "W·p renormalised",
  );
  const three = contentFreeBias([[0.5, 0.3, 0.2]]);
  close(calibrate([[0.5, 0.3, 0.2]], three)[0], [1 / 3, 1 / 3, 1 / 3], "three classes");
  assert.throws(() => contentFreeBias([]), /no content-free scores/);
  assert.throws(() => contentFreeBias([[1, 0]]), /probability 0/);
});

Deno.test("zero-shot calibration: predictions are the uncalibrated ones divided by p_cf; a lopsided prompt becomes balanced", async () => {
  const m = await model();
  const test = await loadSplit("demo", "test");
  const texts = test.map((r) => r.text);
  // On the embedded model, 感觉很[MASK] with 好/差 calls nearly every demo review Positive.
  const options: Partial<PetOptions> = { mode: "zero-shot", template: "article", verbalizer: "good-bad" };
  const plain = (await pet.create(m, LABELS, options).fit([], [])).predictor;
  const { predictor, record } = await pet.create(m, LABELS, { ...options, calibrate: true }).fit([], []);
  const raw = await plain.predictProba(texts), calibrated = await predictor.predictProba(texts);

  const bias = contentFreeBias(await plain.predictProba(CONTENT_FREE_INPUTS));
  calibrated.forEach((row, i) => close(row, calibrate([raw[i]], bias)[0], `row ${i}`));
  assert.ok(bias[0] > 0.5, `the prompt's bias favours Positive: ${bias}`);
  assert.ok(record.notes.some((n) => n.startsWith("calibrated: content-free class probabilities Positive 0.")), record.notes.join("; "));

  const before = majorityShare(raw), after = majorityShare(calibrated);
  // The default model: 0.99 of the reviews called Positive before, 0.87 after; the exact division is checked above.
  assert.ok(before >= 0.95 && after <= before - 0.1, `majority predicted class share ${before} -> ${after}`);
  const accuracy = (p: number[][]) => p.filter((row, i) => LABELS[argmax(row)] === test[i].label).length / p.length;
  assert.ok(accuracy(calibrated) > accuracy(raw), `accuracy ${accuracy(raw)} -> ${accuracy(calibrated)}`);
});

Deno.test("calibration is estimated with the trained weights and saved: a loaded predictor predicts the same", async () => {
  const m = await model();
  const train = (await loadSplit("demo", "train")).slice(0, 16), texts = train.map((r) => r.text);
  const options: Partial<PetOptions> = {
    template: "article",
    verbalizer: "good-bad",
    steps: 4,
    batchSize: 8,
    lr: 1e-4,
    maxLength: 48,
    evalEvery: 0,
    calibrate: true,
  };
  const zeroShot = (await pet.create(m, LABELS, { ...options, mode: "zero-shot" }).fit([], [])).record.notes.find((n) =>
    n.startsWith("calibrated")
  );
  const { predictor, record } = await pet.create(m, LABELS, { ...options, mode: "finetune" }).fit(train, []);
  const trained = record.notes.find((n) => n.startsWith("calibrated"));
  assert.ok(trained && zeroShot && trained !== zeroShot, `p_cf after training differs from the pretrained one: ${trained} / ${zeroShot}`);
  const proba = await predictor.predictProba(texts);

  const dir = await Deno.makeTempDir();
  try {
    await predictor.save(dir);
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/method.json`));
    assert.equal(saved.options.calibrate, true);
    assert.equal(saved.extra.calibration.length, 1);
    // Its one variant reads the same trained weights uncalibrated: those divided by p_cf are its predictions.
    const readings = await predictor.predictReadings!(texts);
    assert.deepEqual(readings.proba, proba);
    const [variant, ...more] = readings.variants;
    assert.deepEqual([variant.name, variant.options, more.length], ["uncalibrated", { calibrate: false }, 0]);
    const uncalibrated = variant.proba;
    uncalibrated.forEach((row, i) => close(calibrate([row], saved.extra.calibration[0])[0], proba[i], `row ${i}`));
    assert.ok(uncalibrated.some((row, i) => Math.abs(row[0] - proba[i][0]) > 1e-3), "calibration changed the probabilities");
    assert.deepEqual(await (await pet.load(dir, m)).predictProba(texts), proba);

    // Calibrated but the saved p_cf is gone: refused, naming the file and field.
    delete saved.extra;
    await Deno.writeTextFile(`${dir}/method.json`, JSON.stringify(saved));
    await assert.rejects(
      pet.load(dir, m),
      (e) => e instanceof InputError && /method\.json/.test(e.message) && /extra\.calibration/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.throws(() => pet.create(m, LABELS, { calibrate: "yes" as unknown as boolean }), /field "calibrate"/);
});

Deno.test("each call scores its inputs: a refilled array gets its new texts' probabilities, variants included", async () => {
  const m = await model();
  const texts = (await loadSplit("demo", "test")).map((r) => r.text);
  const { predictor } = await pet.create(m, LABELS, { mode: "zero-shot", template: "article", verbalizer: "good-bad", calibrate: true })
    .fit([], []);
  const [first, second] = [texts.slice(0, 8), texts.slice(8, 16)];
  const expected = await predictor.predictProba(second);
  const inputs = [...first];
  assert.notDeepEqual(await predictor.predictProba(inputs), expected, "the two halves score differently");
  inputs.splice(0, inputs.length, ...second);
  assert.deepEqual(await predictor.predictProba(inputs), expected);
  const readings = await predictor.predictReadings!(inputs);
  assert.deepEqual(readings.proba, expected);
  inputs.splice(0, inputs.length, ...first);
  assert.notDeepEqual((await predictor.predictReadings!(inputs)).variants, readings.variants);
});

Deno.test("a calibrated run also scores its uncalibrated reading: exactly what a run without calibration gives", async () => {
  const model = await loadModelFolder(`${root}/models/promptlab-bert-zh-L4-H256`);
  const run = (calibrate: boolean) =>
    runSplit({
      method: "pet",
      options: { mode: "zero-shot", template: "article", verbalizer: "good-bad", calibrate },
      dataset: "demo",
      split: { kind: "zero-shot" },
      model,
    });
  const [calibrated, plain] = [await run(true), await run(false)];
  const { options, ...scores } = calibrated.variants!.uncalibrated;
  assert.deepEqual(options, { calibrate: false });
  assert.deepEqual(scores, {
    accuracy: plain.accuracy,
    macroF1: plain.macroF1,
    confusion: plain.confusion,
    labels: plain.labels,
    n: plain.n,
  });
  assert.notEqual(calibrated.accuracy, plain.accuracy);
  assert.equal(plain.variants, undefined);
});

Deno.test("cli run prints a calibrated run's uncalibrated reading beside its own scores", async () => {
  const run = (calibrate: boolean) =>
    runDeno(demoZeroShotArgs("1", "--template", "article", "--verbalizer", "good-bad", "--calibrate", String(calibrate)), {
      env: { PROMPTLAB_OFFLINE: "1" },
    });
  const [calibrated, plain] = [await run(true), await run(false)];
  assert.equal(calibrated.code, 0, calibrated.stderr);
  const accuracy = (out: string) => out.match(/\): accuracy ([\d.]+)/)![1];
  const line = calibrated.stdout.match(/^variant uncalibrated \(calibrate=false, the same weights\): accuracy ([\d.]+), macro-F1 [\d.]+$/m);
  assert.ok(line, calibrated.stdout);
  assert.equal(line[1], accuracy(plain.stdout));
  assert.notEqual(accuracy(calibrated.stdout), accuracy(plain.stdout));
  assert.doesNotMatch(plain.stdout, /^variant/m);
});

Deno.test("template-sensitivity chart: calibrated runs get panels of their own, zero-shot ones first", () => {
  const pet = chartRows().filter((r) => r.method === "pet");
  const rows = [...pet, ...pet.map((r) => ({ ...r, key: `${r.key}+c`, options: { ...r.options, calibrate: true }, accuracy: 0.9 }))];
  const spec = JSON.stringify(templateSensitivity(rows));
  const order = ["zero-shot", "zero-shot, calibrated", "trained K=4", "trained K=4, calibrated", "trained K=8", "trained K=8, calibrated"];
  assert.ok(spec.includes(JSON.stringify(order)), "row order of the panels");
  assert.ok(spec.includes(`one row of panels per setting, top to bottom: ${order.join("; ")}.`), "the caption names the panels in order");
  const plain = pet.filter((r) => r.k === 0 || r.k === 4);
  assert.ok(JSON.stringify(templateSensitivity(plain)).includes("zero-shot (top) and trained (bottom)."), "the plain grid's caption");
  const means = [
    ...spec.matchAll(/"setting":"zero-shot, calibrated"[^}]*"mean":([\d.]+)|"mean":([\d.]+)[^}]*"setting":"zero-shot, calibrated"/g),
  ];
  assert.ok(
    means.length > 0 && means.every((m) => Number(m[1] ?? m[2]) === 0.9),
    "calibrated means are not averaged with uncalibrated ones",
  );
});
