// Saved predictors know their base model: method.json records its fingerprint, loading onto another model fails.
import assert from "node:assert/strict";
import { getMethod } from "../lib/methods/registry.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { baseModelFingerprint, modelFingerprint } from "../lib/model/fingerprint.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";

const EMBEDDED = `${root}/models/promptlab-bert-zh-L4-H256`;
const LABELS = ["Positive", "Negative"];
const PET = { mode: "zero-shot", template: "{text}总之很[MASK]。", verbalizer: { Positive: ["好"], Negative: ["差"] } };

/** Save a zero-shot PET predictor made on `baseDir` and try loading it onto `otherDir`. */
async function saveThenLoad(baseDir: string, otherDir: string) {
  const pet = getMethod("pet");
  const base = await loadModelFolder(baseDir);
  const { predictor } = await pet.create(base, LABELS, PET).fit([], []);
  const dir = await Deno.makeTempDir();
  await predictor.save(dir);
  const meta = JSON.parse(await Deno.readTextFile(`${dir}/method.json`));
  const texts = ["很好用", "太差了"];
  const same = await (await pet.load(dir, base)).predictProba(texts);
  assert.deepEqual(same, await predictor.predictProba(texts), "onto its own base model it loads and predicts alike");
  const other = await loadModelFolder(otherDir);
  const attempt = () => pet.load(dir, other);
  return { dir, meta, attempt, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("method.json records the base model's fingerprint; a predictor refuses another base model", async () => {
  const tiny = `${root}/tests/fixtures/tiny-bert`;
  const { dir, meta, attempt, cleanup } = await saveThenLoad(EMBEDDED, tiny);
  assert.deepEqual(meta.base, await baseModelFingerprint(await loadModelFolder(EMBEDDED)));
  assert.equal(meta.base.name, "promptlab-bert-zh-L4-H256");
  assert.equal(meta.base.vocab_size, 4363);
  await assert.rejects(attempt, (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.ok(err.message.startsWith(`${dir}/method.json (field "base"): `), err.message);
    assert.match(
      err.message,
      /saved on base model "promptlab-bert-zh-L4-H256" \(vocabulary 4363\) but loaded onto "tiny-bert" \(vocabulary 245\): their config, tokenizer, weights differ/,
    );
    return true;
  });
  await cleanup();
});

Deno.test("fingerprints: a changed tokenizer changes that part alone; the results id covers config and weights", async () => {
  const dir = await Deno.makeTempDir();
  for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]) {
    await Deno.copyFile(`${root}/tests/fixtures/tiny-bert/${f}`, `${dir}/${f}`);
  }
  const a = await baseModelFingerprint(await loadModelFolder(dir));
  const before = await modelFingerprint(dir);
  const cfg = `${dir}/tokenizer_config.json`;
  await Deno.writeTextFile(cfg, JSON.stringify({ ...JSON.parse(await Deno.readTextFile(cfg)), do_lower_case: false }));
  const b = await baseModelFingerprint(await loadModelFolder(dir));
  assert.deepEqual({ ...b, tokenizer: a.tokenizer }, a, "only the tokenizer part changed");
  assert.notEqual(b.tokenizer, a.tokenizer);
  assert.equal(await modelFingerprint(dir), before, "the results id covers config and weights only");
  await Deno.remove(dir, { recursive: true });
  assert.equal(await modelFingerprint(EMBEDDED), "133cf46bd83f85c8", "the id results rows of the embedded model carry");
});

sharedTest(
  "a PET predictor trained on promptlab-bert-zh-L4-H256 is refused by zh-review-bert-tiny (4363 vs 4578 words)",
  "models/zh-review-bert-tiny",
  async () => {
    const { attempt, cleanup } = await saveThenLoad(EMBEDDED, shared("models/zh-review-bert-tiny"));
    await assert.rejects(attempt, (err: unknown) =>
      err instanceof InputError &&
      /"promptlab-bert-zh-L4-H256" \(vocabulary 4363\) but loaded onto "zh-review-bert-tiny" \(vocabulary 4578\)/.test(err.message));
    await cleanup();
  },
);

Deno.test("a predictor saved without weights over one with weights loads as itself, not with the old weights", async () => {
  const pet = getMethod("pet");
  const model = await loadModelFolder(EMBEDDED);
  const tuned = await pet.create(model, LABELS, { ...PET, mode: "finetune", steps: 1, batchSize: 2, lr: 1e-3, maxLength: 32 })
    .fit([{ text: "很好用", label: "Positive" }, { text: "太差了", label: "Negative" }], []);
  const zeroShot = await pet.create(model, LABELS, { ...PET, maxLength: 32 }).fit([], []);
  const dir = await Deno.makeTempDir();
  await tuned.predictor.save(dir);
  await zeroShot.predictor.save(dir);
  const texts = ["很好用", "太差了"];
  assert.deepEqual(await (await pet.load(dir, model)).predictProba(texts), await zeroShot.predictor.predictProba(texts));
  await Deno.remove(dir, { recursive: true });
});
