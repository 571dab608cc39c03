/**
 * P-tuning v2's two ladder knobs: `prefixDepth` (every layer, a list of layers, or `input`) and `head` (`cls`
 * or `mask`). At `input` depth with a `mask` head it is the soft-prompt method with its vectors after [CLS];
 * a list of every layer is the default; a deep prompt read at [MASK] learns with the backbone bit-identical;
 * every rung exports, classifying as the kit does; bad combinations are input errors naming the option (exit 2
 * from the CLI).
 */
import assert from "node:assert/strict";
import { loadFewShot } from "../lib/data/load.ts";
import type { Row } from "../lib/data/types.ts";
import { existsSync } from "node:fs";
import { exportPtuningV2 } from "../lib/methods/classifier/export.ts";
import { PREFIX_TABLE, ptuningV2 } from "../lib/methods/classifier/ptuning_v2.ts";
import { openPredictor } from "../lib/methods/open_predictor.ts";
import { PEFT_PREFIX } from "../lib/methods/peft_adapter.ts";
import { readSafetensors } from "../lib/model/formats/safetensors.ts";
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

/** Probabilities within 1e-4 of the kit's, row by row. */
function assertClose(got: number[][], want: number[][]) {
  assert.equal(got.length, want.length);
  got.forEach((row, i) =>
    row.forEach((p, c) => assert.ok(Math.abs(p - want[i][c]) <= 1e-4, `text ${i} class ${c}: ${p} vs the kit's ${want[i][c]}`))
  );
}
const LOOP = { steps: 6, evalEvery: 3, batchSize: 8, maxLength: 64, seed: 5 };

sharedTest(
  "ptuning-v2 --prefix-depth input --head mask equals the soft-prompt method with [P]{text}[MASK] on the same seed",
  MODEL,
  async () => {
    const { model, train, dev, labels } = await setup();
    const texts = train.slice(0, 16).map((r) => r.text);
    const a = await ptuningV2.create(model, labels, {
      ...LOOP,
      prefixDepth: "input",
      head: "mask",
      verbalizer: "good-bad",
      prefixLength: 3,
    }).fit(train, dev);
    const b = await softPrompt.create(model, labels, { ...LOOP, template: "[P]{text}[MASK]", promptLength: 3, verbalizer: "good-bad" }).fit(
      train,
      dev,
    );
    assert.deepEqual(a.record.losses, b.record.losses);
    assert.deepEqual(a.record.dev, b.record.dev);
    assert.equal(a.record.trainableParams, 3 * 256);
    assert.equal(a.record.trainableParams, b.record.trainableParams);
    assert.deepEqual(await a.predictor.predictProba(texts), await b.predictor.predictProba(texts));
    // Exported, its vectors are baked in at the slots after [CLS], and its adapter is PEFT's prompt tuning.
    const dir = await Deno.makeTempDir();
    try {
      await a.predictor.save(`${dir}/saved`);
      await exportPtuningV2(`${dir}/saved`, model, `${dir}/export`);
      const spec = JSON.parse(await Deno.readTextFile(`${dir}/export/promptlab.json`));
      assert.equal(spec.patterns[0].template, "[P][P][P]{text}[MASK]");
      assertClose(await (await openPredictor(`${dir}/export`, model.dir)).predictProba(texts), await a.predictor.predictProba(texts));
      const adapter = JSON.parse(await Deno.readTextFile(`${dir}/export/adapter_config.json`));
      assert.deepEqual([adapter.peft_type, adapter.num_virtual_tokens, adapter.token_dim], ["PROMPT_TUNING", 3, 256]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

sharedTest(
  "ptuning-v2 --prefix-depth listing every layer is the default, bit for bit; a shorter list trains only its layers' prefixes and exports them",
  MODEL,
  async () => {
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
      // Exported, the prefix feeds the same two layers; PEFT's prefix tuning feeds every layer: no adapter.
      const out = `${dir}/export`;
      await exportPtuningV2(dir, model, out);
      assertClose(await (await openPredictor(out, model.dir)).predictProba(texts), await two.predictor.predictProba(texts));
      assert.ok(!existsSync(`${out}/adapter_config.json`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

sharedTest(
  "ptuning-v2 --head mask (deep prompt read at [MASK]): learns, no [CLS] head, backbone bit-identical, save/load, export",
  MODEL,
  async () => {
    const { model, train, labels } = await setup();
    const before = new Map([...model.weights].map(([n, t]) => [n, t.data.slice()]));
    const { predictor, record } = await ptuningV2.create(model, labels, { steps: 30, evalEvery: 0, head: "mask", verbalizer: "good-bad" })
      .fit(train, []);
    assert.ok(mean(record.losses.slice(-10)) < mean(record.losses.slice(0, 5)) - 0.05, `loss did not fall: ${record.losses}`);
    assert.equal(record.trainableParams, 4 * 4 * 2 * 256);
    for (const [name, data] of before) assert.deepEqual(model.weights.get(name)!.data, data, `${name} changed`);
    const texts = train.map((r) => r.text);
    const proba = await predictor.predictProba(texts);
    const dir = await Deno.makeTempDir();
    try {
      await predictor.save(dir);
      assert.deepEqual(await (await ptuningV2.load(dir, model)).predictProba(texts), proba);
      // The export: the prefix baked into the fill-mask graph, read at [MASK] as cli predict reads it; the
      // prefix as a PEFT adapter of every layer.
      const out = `${dir}/export`;
      assert.equal(await exportPtuningV2(dir, model, out), "text");
      const opened = await openPredictor(out, model.dir);
      assert.equal(opened.kind, "export fill-mask (P-tuning v2)");
      assertClose(await opened.predictProba(texts), proba);
      const adapter = JSON.parse(await Deno.readTextFile(`${out}/adapter_config.json`));
      assert.deepEqual([adapter.peft_type, adapter.task_type, adapter.num_virtual_tokens, adapter.modules_to_save], [
        "PREFIX_TUNING",
        "FEATURE_EXTRACTION",
        4,
        undefined,
      ]);
      const table = (await readSafetensors(`${out}/adapter_model.safetensors`)).tensors.get(PEFT_PREFIX)!;
      assert.deepEqual(table.data, (await readSafetensors(`${dir}/weights.safetensors`)).tensors.get(PREFIX_TABLE)!.data);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

sharedTest("ptuning-v2: bad depth and head options are input errors naming the option; exit 2 from the CLI", MODEL, async () => {
  const { model, labels } = await setup();
  const field = (options: Record<string, unknown>, name: string, text: RegExp) =>
    assert.throws(
      () => ptuningV2.create(model, labels, options),
      (e) => e instanceof InputError && e.location.field === name && text.test(e.message),
      name,
    );
  field({ head: "mask" }, "verbalizer", /head "mask" reads label words at \[MASK\]/);
  field({ verbalizer: "good-bad" }, "verbalizer", /head "mask" only/);
  field({ head: "pooled" }, "head", /"cls" or "mask"/);
  field({ prefixDepth: "input" }, "prefixDepth", /use head "mask"/);
  field({ prefixDepth: [3, 1] }, "prefixDepth", /ascending layer indices in \[0, 3\]/);
  field({ prefixDepth: "0,4" }, "prefixDepth", /ascending layer indices/);
  field({ prefixDepth: "input", head: "mask", verbalizer: "good-bad", prefixProjection: true }, "prefixProjection", /deep prefixes/);

  const { code, stderr } = await runDeno(
    [
      "run",
      "-A",
      `${root}/lib/cli/main.ts`,
      "run",
      "--method",
      "ptuning-v2",
      "--dataset",
      "demo",
      "--protocol",
      "sampled",
      "--k",
      "4",
      "--seeds",
      "1",
      "--head",
      "mask",
    ],
    { env: { PROMPTLAB_OFFLINE: "1" } },
  );
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^error: field "verbalizer": head "mask" reads label words at \[MASK\][^\n]*\n$/);
  const help = await runDeno(["run", "-A", `${root}/lib/cli/main.ts`, "run", "--help"]);
  const block = help.stdout.slice(help.stdout.indexOf("  ptuning-v2:"), help.stdout.indexOf("  soft-prompt:"));
  for (const flag of ["--prefix-depth all", "--head cls", "--verbalizer"]) {
    assert.ok(block.includes(flag), `${flag} missing from:\n${block}`);
  }
});
