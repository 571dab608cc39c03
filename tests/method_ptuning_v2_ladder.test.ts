/**
 * P-tuning v2's two ladder knobs: `prefixDepth` (every layer, a list of layers, or `input`) and `head` (`cls`
 * or `mask`). At `input` depth with a `mask` head it is the soft-prompt method with its vectors after [CLS];
 * a list of every layer is the default; a deep prompt read at [MASK] learns with the backbone bit-identical;
 * bad combinations are input errors naming the option (exit 2 from the CLI).
 */
import assert from "node:assert/strict";
import { loadFewShot } from "../lib/data/load.ts";
import type { Row } from "../lib/data/types.ts";
import { exportPtuningV2 } from "../lib/methods/classifier/export.ts";
import { ptuningV2 } from "../lib/methods/classifier/ptuning_v2.ts";
import { softPrompt } from "../lib/methods/soft_prompt/soft_prompt.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";
import { runDeno } from "./_subprocess.ts";

const MODEL = "models/zh-review-bert-tiny";

let cached: Promise<{ model: ModelFolder; train: Row[]; dev: Row[]; labels: string[] }> | undefined;
function setup() {
  cached ??= (async () => {
    const model = await loadModelFolder(shared(MODEL));
    const { train, dev, task } = await loadFewShot("eprstmt", { kind: "official", index: 0 }, { mirror: shared("data") });
    return { model, train, dev: dev.slice(0, 16), labels: task.labels };
  })();
  return cached;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const LOOP = { steps: 6, evalEvery: 3, batchSize: 8, maxLength: 64, seed: 5 };

sharedTest("ptuning-v2 --prefix-depth input --head mask equals the soft-prompt method with [P]{text}[MASK] on the same seed", MODEL, async () => {
  const { model, train, dev, labels } = await setup();
  const texts = train.slice(0, 16).map((r) => r.text);
  const a = await ptuningV2.create(model, labels, { ...LOOP, prefixDepth: "input", head: "mask", verbalizer: "good-bad", prefixLength: 3 }).fit(train, dev);
  const b = await softPrompt.create(model, labels, { ...LOOP, template: "[P]{text}[MASK]", promptLength: 3, verbalizer: "good-bad" }).fit(train, dev);
  assert.deepEqual(a.record.losses, b.record.losses);
  assert.deepEqual(a.record.dev, b.record.dev);
  assert.equal(a.record.trainableParams, 3 * 256);
  assert.equal(a.record.trainableParams, b.record.trainableParams);
  assert.deepEqual(await a.predictor.predictProba(texts), await b.predictor.predictProba(texts));
});

sharedTest("ptuning-v2 --prefix-depth listing every layer is the default, bit for bit; a shorter list trains only its layers' prefixes", MODEL, async () => {
  const { model, train, dev, labels } = await setup();
  const texts = train.slice(0, 16).map((r) => r.text);
  const all = await ptuningV2.create(model, labels, LOOP).fit(train, dev);
  const listed = await ptuningV2.create(model, labels, { ...LOOP, prefixDepth: [0, 1, 2, 3] }).fit(train, dev);
  assert.deepEqual(listed.record.losses, all.record.losses);
  assert.deepEqual(await listed.predictor.predictProba(texts), await all.predictor.predictProba(texts));

  // From the command line the list is a string.
  const two = await ptuningV2.create(model, labels, { ...LOOP, prefixDepth: "1,3" }).fit(train, dev);
  assert.equal(two.record.trainableParams, 4 * 2 * 2 * 256 + 2 * 256 + 2);
  assert.notDeepEqual(two.record.losses, all.record.losses);
  const dir = await Deno.makeTempDir();
  try {
    await two.predictor.save(dir);
    const loaded = await ptuningV2.load(dir, model);
    assert.deepEqual(await loaded.predictProba(texts), await two.predictor.predictProba(texts));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

sharedTest("ptuning-v2 --head mask (deep prompt read at [MASK]): learns, no [CLS] head, backbone bit-identical, save/load, no export", MODEL, async () => {
  const { model, train, labels } = await setup();
  const before = new Map([...model.weights].map(([n, t]) => [n, t.data.slice()]));
  const { predictor, record } = await ptuningV2.create(model, labels, { steps: 30, evalEvery: 0, head: "mask", verbalizer: "good-bad" }).fit(train, []);
  assert.ok(mean(record.losses.slice(-10)) < mean(record.losses.slice(0, 5)) - 0.05, `loss did not fall: ${record.losses}`);
  assert.equal(record.trainableParams, 4 * 4 * 2 * 256);
  for (const [name, data] of before) assert.deepEqual(model.weights.get(name)!.data, data, `${name} changed`);
  const texts = train.map((r) => r.text);
  const proba = await predictor.predictProba(texts);
  const dir = await Deno.makeTempDir();
  try {
    await predictor.save(dir);
    assert.deepEqual(await (await ptuningV2.load(dir, model)).predictProba(texts), proba);
    // No export of a [MASK] head yet: an input error naming the option, nothing written.
    const out = `${dir}/export`;
    await assert.rejects(() => exportPtuningV2(dir, model, out), (e) => e instanceof InputError && e.location.field === "options.head");
    assert.throws(() => Deno.statSync(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

sharedTest("ptuning-v2: bad depth and head options are input errors naming the option; exit 2 from the CLI", MODEL, async () => {
  const { model, labels } = await setup();
  const field = (options: Record<string, unknown>, name: string, text: RegExp) =>
    assert.throws(() => ptuningV2.create(model, labels, options), (e) => e instanceof InputError && e.location.field === name && text.test(e.message), name);
  field({ head: "mask" }, "verbalizer", /head "mask" reads label words at \[MASK\]/);
  field({ verbalizer: "good-bad" }, "verbalizer", /head "mask" only/);
  field({ head: "pooled" }, "head", /"cls" or "mask"/);
  field({ prefixDepth: "input" }, "prefixDepth", /use head "mask"/);
  field({ prefixDepth: [3, 1] }, "prefixDepth", /ascending layer indices in \[0, 3\]/);
  field({ prefixDepth: "0,4" }, "prefixDepth", /ascending layer indices/);
  field({ prefixDepth: "input", head: "mask", verbalizer: "good-bad", prefixProjection: true }, "prefixProjection", /deep prefixes/);

  const { code, stderr } = await runDeno(
    ["run", "-A", `${root}/lib/cli/main.ts`, "run", "--method", "ptuning-v2", "--dataset", "demo", "--protocol", "sampled", "--k", "4", "--seeds", "1", "--head", "mask"],
    { env: { PROMPTLAB_OFFLINE: "1" } },
  );
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^error: field "verbalizer": head "mask" reads label words at \[MASK\][^\n]*\n$/);
  const help = await runDeno(["run", "-A", `${root}/lib/cli/main.ts`, "run", "--help"]);
  const block = help.stdout.slice(help.stdout.indexOf("  ptuning-v2:"), help.stdout.indexOf("  soft-prompt:"));
  for (const flag of ["--prefix-depth all", "--head cls", "--verbalizer"]) assert.ok(block.includes(flag), `${flag} missing from:\n${block}`);
});
