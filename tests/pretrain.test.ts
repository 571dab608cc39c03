/**
 * Masked-LM pre-training: vocabulary, masking, checkpoints and exact resume; a resume that would change the
 * checkpoint's options is refused unless asked for (then a new stage of the log), options too small to run
 * are refused up front, and Ctrl-C leaves a checkpoint and exit code 130.
 */
import assert from "node:assert/strict";
import { loadTexts } from "../lib/data/load.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { readSafetensors } from "../lib/model/formats/safetensors.ts";
import { pretrain, type PretrainOptions } from "../lib/pretrain/pretrain.ts";
import { bertWords, buildVocab, SPECIAL_TOKENS } from "../lib/pretrain/vocab.ts";
import { maskBatch } from "../lib/model/masking.ts";
import { packBucket } from "../lib/pretrain/mlm_batches.ts";
import { Rng } from "../lib/util/rng.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";
import { withTempDir } from "./_temp_dir.ts";
import { assertExactResume } from "./_resume.ts";

Deno.test("vocabulary: characters and ## pieces of Latin runs, special tokens first, deterministic", () => {
  assert.deepEqual(bertWords("iPhone 8很好！Café"), ["iphone", "8", "很", "好", "！", "cafe"]);
  const v = buildVocab(["很好很好", "好的 ok", "ok"], { minFreq: 2 });
  assert.deepEqual(v.slice(0, 5), [...SPECIAL_TOKENS]);
  assert.deepEqual(v.slice(5), ["好", "##k", "o", "很"]); // ties by code point
});

Deno.test("masking: 15% of the real, non-special tokens; 80/10/10; padding rows never masked", () => {
  const seqs = Array.from(
    { length: 30 },
    (_, i) => ({ ids: [2, ...Array.from({ length: 20 + (i % 10) }, (_, j) => 10 + ((i * 7 + j) % 90)), 3] }),
  );
  const b = packBucket(seqs, 32, 32, 0);
  const vocab = { vocabSize: 100, maskId: 4, special: new Set([0, 1, 2, 3, 4]) };
  const m = maskBatch(b, new Rng(1), vocab);
  const real = seqs.reduce((s, q) => s + q.ids.length - 2, 0);
  assert.equal(m.masked, Math.round(0.15 * real));
  let asMask = 0;
  for (let k = 0; k < m.masked; k++) {
    const pos = Number(m.rows[k]);
    assert.equal(b.attentionMask[pos], 1);
    assert.ok(!vocab.special.has(Number(b.inputIds[pos])));
    assert.equal(m.targets[k], b.inputIds[pos]);
    if (m.tokens.inputIds[pos] === 4n) asMask++;
  }
  assert.ok(Math.abs(asMask / m.masked - 0.8) < 0.08, `${asMask}/${m.masked} became [MASK]`);
  assert.ok(m.weights.subarray(m.masked).every((w) => w === 0));
});

const texts = (await loadTexts("demo", "train")).map((r) => r.text);
/** A pre-training run of a few seconds on the demo texts. */
const TINY: Partial<PretrainOptions> = {
  corpus: { train: texts.slice(20), heldout: texts.slice(0, 20) },
  layers: 1,
  hidden: 32,
  heads: 2,
  intermediate: 64,
  maxLength: 32,
  minFreq: 1,
  tokensPerBatch: 512,
  steps: 8,
  warmupSteps: 2,
  evalEvery: 4,
  lr: 3e-3,
};

Deno.test("pre-training stopped and resumed reaches bit-identical weights to an uninterrupted run", async () => {
  const base = await Deno.makeTempDir();
  const opts = TINY;
  try {
    await assertExactResume(opts, base);
    // The output is a loadable model folder with its own tokenizer; a finished folder is never overwritten.
    const model = await loadModelFolder(`${base}/a`);
    assert.ok(model.poolerInitialized, "a masked-LM checkpoint has no pooler");
    for (const t of texts.slice(20)) assert.ok(!model.tokenizer.encodeText(t).includes(model.tokenizer.specialIds.unk), t);
    await assert.rejects(pretrain({ ...opts, out: `${base}/a` }), /already holds a pre-trained model/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

const inputError = (field: string | undefined, text: RegExp) => (e: unknown) =>
  e instanceof InputError && e.location.field === field && text.test(e.message);

Deno.test("pretrain resume: the corpus is fixed; a checkpoint from before corpora had names counts as reviews-v1", () =>
  withTempDir(async (dir) => {
    const out = `${dir}/m`;
    assert.ok((await pretrain({ ...TINY, out, stopAt: 2 })).stopped);
    const file = `${out}/checkpoint/state.json`;
    const state = JSON.parse(await Deno.readTextFile(file));
    assert.equal(state.loop.stages[0].options.corpusName, "reviews-v1");
    delete state.loop.stages[0].options.corpusName;
    await Deno.writeTextFile(file, JSON.stringify(state));
    await assert.rejects(
      pretrain({ ...TINY, out, corpusName: "fewclue-v2", allowChanges: true }),
      inputError("corpusName", /is "reviews-v1" in the checkpoint, "fewclue-v2" now/),
    );
    assert.equal((await pretrain({ ...TINY, out, corpusName: "reviews-v1" })).steps, 8);
  }));

Deno.test("pretrain resume: a changed lr, seed or batch size is refused naming it; the checkpoint stays resumable", () =>
  withTempDir(async (dir) => {
    const out = `${dir}/m`;
    assert.ok((await pretrain({ ...TINY, out, stopAt: 2 })).stopped);
    await assert.rejects(
      pretrain({ ...TINY, out, lr: 1e-3 }),
      inputError("lr", /state\.json.*resuming would change lr from 0\.003 to 0\.001; .*--allow-changes/),
    );
    await assert.rejects(pretrain({ ...TINY, out, seed: 7 }), inputError("seed", /change seed from 42 to 7/));
    await assert.rejects(pretrain({ ...TINY, out, tokensPerBatch: 256 }), inputError("tokensPerBatch", /from 512 to 256/));
    // Shape and held-out set cannot change at all, even when changes are allowed.
    await assert.rejects(pretrain({ ...TINY, out, layers: 2, allowChanges: true }), inputError("layers", /is 1 in the checkpoint, 2 now/));
    // Options left out are the checkpoint's: the resumed run ends as an uninterrupted one does.
    const { corpus } = TINY;
    const resumed = await pretrain({ out, corpus });
    assert.equal(resumed.steps, 8);
    assert.equal(resumed.optionStages.length, 1);
    const straight = await pretrain({ ...TINY, out: `${dir}/straight` });
    const [a, b] = await Promise.all([out, `${dir}/straight`].map((d) => readSafetensors(`${d}/model.safetensors`)));
    for (const [name, t] of a.tensors) assert.deepEqual(b.tensors.get(name)!.data, t.data, name);
    const heldout = (log: Record<string, number>[]) => log.map((e) => [e.step, e.heldout_loss]);
    assert.deepEqual(heldout(resumed.log), heldout(straight.log));
  }));

Deno.test("pretrain resume: --allow-changes goes on with the new values, recorded as a new stage", () =>
  withTempDir(async (dir) => {
    const out = `${dir}/m`;
    await pretrain({ ...TINY, out, stopAt: 2 });
    const r = await pretrain({ ...TINY, out, lr: 1e-3, steps: 10, allowChanges: true });
    assert.equal(r.steps, 10);
    assert.deepEqual(r.optionStages.map((s) => [s.fromStep, s.changed, s.options.lr, s.options.steps]), [[0, [], 3e-3, 8], [
      2,
      ["lr", "steps"],
      1e-3,
      10,
    ]]);
    const log = JSON.parse(await Deno.readTextFile(`${out}/training_log.json`));
    assert.deepEqual(log.optionStages, r.optionStages);
    assert.equal(log.options.lr, 1e-3);
  }));

Deno.test("pretrain: options too small to run are refused before any work", () =>
  withTempDir(async (dir) => {
    await assert.rejects(
      pretrain({ ...TINY, out: `${dir}/a`, maxLength: 4 }),
      inputError("maxLength", /at least 32 \(the shortest length bucket\), got 4/),
    );
    await assert.rejects(pretrain({ ...TINY, out: `${dir}/b`, maxLength: 31 }), inputError("maxLength", /at least 32/));
    await assert.rejects(pretrain({ ...TINY, out: `${dir}/c`, steps: undefined }), inputError("steps", /give a budget/));
    await assert.rejects(
      pretrain({ ...TINY, out: `${dir}/d`, hidden: 30, heads: 4 }),
      inputError("hidden", /30 is not divisible by heads 4/),
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    // 32 is enough.
    assert.equal((await pretrain({ ...TINY, out: `${dir}/e`, maxLength: 32, steps: 1 })).steps, 1);
  }));

Deno.test("pretrain --tokenizer: a new model takes a given folder's vocabulary; with --from it is refused", () =>
  withTempDir(async (dir) => {
    const given = `${root}/models/promptlab-bert-zh-L4-H256`;
    const r = await pretrain({ ...TINY, out: `${dir}/a`, tokenizer: given, steps: 2 });
    const [made, source] = await Promise.all([loadModelFolder(`${dir}/a`), loadModelFolder(given)]);
    assert.equal(r.config.vocab_size, source.tokenizer.vocabSize);
    assert.equal(made.tokenizer.files["tokenizer.json"], source.tokenizer.files["tokenizer.json"]);
    // A vocabulary built from the tiny corpus would be far smaller.
    assert.ok(buildVocab(TINY.corpus!.train, { minFreq: 1 }).length < source.tokenizer.vocabSize / 2);
    await assert.rejects(
      pretrain({ ...TINY, out: `${dir}/b`, tokenizer: given, from: `${dir}/a` }),
      inputError("tokenizer", /give --from or --tokenizer, not both/),
    );
  }));

sharedTest("pretrain CLI: Ctrl-C writes a checkpoint and exits 130", "data", () =>
  withTempDir(async (dir) => {
    const args = [
      "run",
      "-A",
      `${root}/lib/cli/main.ts`,
      "pretrain",
      "--out",
      `${dir}/m`,
      "--mirror",
      shared("data"),
      "--steps",
      "100000",
      "--layers",
      "1",
      "--hidden",
      "32",
      "--heads",
      "2",
      "--intermediate",
      "64",
      "--max-length",
      "32",
      "--heldout",
      "20",
      "--tokens-per-batch",
      "256",
      "--eval-every",
      "1",
    ];
    const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped", env: { NO_COLOR: "1" } }).spawn();
    const stderr = new Response(child.stderr).text();
    // Wait for the first log line (a step done), then interrupt.
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGINT");
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
    const status = await child.status;
    const err = await stderr;
    assert.equal(status.code, 130, err);
    assert.match(err, /interrupted at step \d+: checkpoint in .*\/m\/checkpoint; run the same command to go on/);
    assert.doesNotMatch(err, /Uncaught|\bat .*:\d+:\d+/);
    const summary = JSON.parse(out.trim().split("\n").at(-1)!);
    assert.equal(summary.done, false);
    const state = JSON.parse(await Deno.readTextFile(`${dir}/m/checkpoint/state.json`));
    assert.equal(state.loop.step, summary.steps);
    assert.ok(state.loop.step >= 1 && state.loop.step < 100000);
  }));
