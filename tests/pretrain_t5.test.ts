/**
 * Span-corruption pre-training of a T5 (`pretrain --arch t5`): exact resume, a loadable T5 folder with the kit's
 * tokenizer, the held-out score, the `--out` rules, and a tokenizer without sentinels refused naming its file.
 */
import assert from "node:assert/strict";
import { loadTexts } from "../lib/data/load.ts";
import { loadT5Folder } from "../lib/model/t5/folder.ts";
import { T5Runner } from "../lib/model/t5/runner.ts";
import { t5Shapes } from "../lib/model/t5/weights.ts";
import { readSafetensors } from "../lib/model/formats/safetensors.ts";
import { pretrain, type PretrainOptions } from "../lib/pretrain/pretrain.ts";
import { T5_SIZES, t5Pretraining } from "../lib/pretrain/t5_objective.ts";
import { t5Pieces, t5TokenizerFiles } from "../lib/pretrain/t5_vocab.ts";
import { parseT5Config } from "../lib/model/t5/config.ts";
import { InputError } from "../lib/util/errors.ts";
import { numel } from "../lib/util/tensor.ts";
import { root, shared, sharedTest } from "./_shared.ts";
import { withTempDir } from "./_temp_dir.ts";
import { assertExactResume } from "./_resume.ts";
import { runDeno } from "./_subprocess.ts";

const texts = (await loadTexts("demo", "train")).map((r) => r.text);
/** A T5 pre-training run of a few seconds on the demo texts, in micro-batches of two passes. */
const TINY: Partial<PretrainOptions> = {
  arch: "t5",
  corpus: { train: texts.slice(20), heldout: texts.slice(0, 20) },
  layers: 1,
  hidden: 32,
  heads: 2,
  intermediate: 64,
  maxLength: 64,
  minFreq: 1,
  tokensPerBatch: 512,
  microBatchTokens: 256,
  steps: 8,
  warmupSteps: 2,
  evalEvery: 4,
  lr: 3e-3,
};

Deno.test("pretrain --arch t5: stopped and resumed reaches bit-identical weights; the folder is a T5 the kit loads", () =>
  withTempDir(async (dir) => {
    const { a, b } = await assertExactResume(TINY, dir);
    // The same held-out scores at the same steps (the train loss of a log entry averages only the steps run since
    // the process started, and timings differ).
    const losses = (log: Record<string, number>[]) =>
      log.map(({ step, tokens, heldout_loss, heldout_acc }) => [step, tokens, heldout_loss, heldout_acc]);
    assert.deepEqual(losses(b.log), losses(a.log));

    // The held-out span-corruption loss falls as training goes on, from about a uniform guess's.
    const [first, last] = [a.log[0].heldout_loss, a.log.at(-1)!.heldout_loss];
    assert.ok(last < first && first < Math.log(a.config.vocab_size) + 1, `${first} -> ${last}`);
    assert.equal(Number(a.heldout.loss.toFixed(4)), last);

    const model = await loadT5Folder(`${dir}/a`);
    assert.equal(model.config.model_type, "t5");
    assert.equal(model.config.d_kv, 16);
    assert.equal(model.tokenizer.sentinelIds.length, 100);
    assert.equal(model.config.vocab_size, model.tokenizer.vocabSize);
    for (const t of texts.slice(20, 40)) assert.ok(!model.tokenizer.encode(t).includes(model.tokenizer.unk), t);
    const runner = new T5Runner(model.config, model.weights);
    try {
      const [ids] = await runner.greedy(model.tokenizer.encodeBatch([`${texts[0].slice(0, 5)}<extra_id_0>`]), 4);
      assert.equal(ids.length, 4);
    } finally {
      await runner.release();
    }
    await assert.rejects(pretrain({ ...TINY, out: `${dir}/a` }), /already holds a pre-trained model/);
    // A kit-made T5 continues with --from: its tokenizer and weights, trained further.
    const continued = await pretrain({ ...TINY, out: `${dir}/c`, from: `${dir}/a`, steps: 2 });
    assert.equal(continued.steps, 2);
    assert.equal(await Deno.readTextFile(`${dir}/c/tokenizer.json`), await Deno.readTextFile(`${dir}/a/tokenizer.json`));

    // Its model card: the architecture, every weight counted, the held-out score of the log.
    const card = await runDeno(["run", "-A", `${root}/lib/cli/main.ts`, "model-card", "--model", `${dir}/a`]);
    assert.equal(card.code, 0, card.stderr);
    const readme = await Deno.readTextFile(`${dir}/a/README.md`);
    const parameters = [...model.weights.values()].reduce((n, w) => n + numel(w.shape), 0);
    assert.match(readme, /T5ForConditionalGeneration \(t5\), 1 encoder and 1 decoder blocks, d_model\n32, 2 heads of 16/);
    assert.ok(readme.includes(`${parameters.toLocaleString("en")} parameters`));
    assert.ok(readme.includes(`**loss ${a.heldout.loss.toFixed(4)}, accuracy ${a.heldout.accuracy.toFixed(4)}**`));
  }));

const inputError = (file: RegExp, text: RegExp) => (e: unknown) =>
  e instanceof InputError && file.test(e.location.file ?? "") && text.test(e.message);

Deno.test("pretrain --arch t5: a tokenizer without sentinels, a BERT to continue, another arch on resume, a foreign folder: refused, named", () =>
  withTempDir(async (dir) => {
    for (const [name, text] of Object.entries(t5TokenizerFiles(t5Pieces(texts, { minFreq: 1, sentinels: 0 })))) {
      await Deno.mkdir(`${dir}/tok`, { recursive: true });
      await Deno.writeTextFile(`${dir}/tok/${name}`, text);
    }
    await assert.rejects(
      pretrain({ ...TINY, out: `${dir}/a`, tokenizer: `${dir}/tok` }),
      inputError(/tok\/tokenizer\.json$/, /no sentinel <extra_id_\d+>/),
    );
    await Deno.mkdir(`${dir}/mine`);
    await Deno.writeTextFile(`${dir}/mine/notes.txt`, "keep");
    await assert.rejects(
      pretrain({ ...TINY, out: `${dir}/mine` }),
      inputError(/mine$/, /holds files pre-training did not write \(notes\.txt\)/),
    );
    assert.equal(await Deno.readTextFile(`${dir}/mine/notes.txt`), "keep");
    await assert.rejects(
      pretrain({ ...TINY, out: `${dir}/c`, arch: "gpt" as "t5" }),
      (e) => e instanceof InputError && /must be one of bert, t5/.test(e.message),
    );
    // A BERT folder is no T5 to continue; a checkpoint's arch is fixed.
    await assert.rejects(
      pretrain({ ...TINY, out: `${dir}/d`, from: `${root}/models/promptlab-bert-zh-L2-H64` }),
      inputError(/promptlab-bert-zh-L2-H64\/config\.json$/, /not a T5 config/),
    );
    assert.ok((await pretrain({ ...TINY, out: `${dir}/e`, stopAt: 1 })).stopped);
    await assert.rejects(
      pretrain({ ...TINY, out: `${dir}/e`, arch: "bert" }),
      (e) => e instanceof InputError && e.location.field === "arch" && /is "t5" in the checkpoint, "bert" now/.test(e.message),
    );
  }));

Deno.test("a new T5's untied head starts at std d_model^-0.5, its embeddings at HF's std 1", async () => {
  const o = { ...TINY, out: "unused", seed: 1 } as PretrainOptions;
  const { weights, files } = await t5Pretraining.start(o, texts);
  const head = weights.get("lm_head.weight")!.data, shared = weights.get("shared.weight")!.data;
  const std = (xs: Float32Array) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
  assert.ok(Math.abs(std(head) / (32 ** -0.5) - 1) < 0.05, `${std(head)}`);
  assert.ok(Math.abs(std(shared) - 1) < 0.05, `${std(shared)}`); // the embeddings keep HF's std 1
  assert.equal(JSON.parse(files["config.json"]).tie_word_embeddings, false);
});

Deno.test("default T5 size: within 1% of the default BERT's parameter count at the corpus' vocabulary", async () => {
  const bert = await readSafetensors(`${root}/models/promptlab-bert-zh-L4-H256/model.safetensors`);
  const bertCount = [...bert.tensors.values()].reduce((s, t) => s + numel(t.shape), 0);
  // The full corpus keeps 4436 pieces at min-freq 3 (specials and 100 sentinels included), measured once.
  const config = parseT5Config({
    model_type: "t5",
    vocab_size: 4436,
    d_model: T5_SIZES.hidden,
    d_kv: T5_SIZES.hidden / T5_SIZES.heads,
    d_ff: T5_SIZES.intermediate,
    num_layers: T5_SIZES.layers,
    num_heads: T5_SIZES.heads,
    feed_forward_proj: "gated-gelu",
    tie_word_embeddings: false,
  });
  const t5Count = [...t5Shapes(config).values()].reduce((s, shape) => s + numel(shape), 0);
  assert.ok(Math.abs(t5Count / bertCount - 1) < 0.01, `${t5Count} vs ${bertCount}`);
});

sharedTest(
  "pretrain CLI --arch t5: a tokenizer without sentinels exits 2 with one line naming its tokenizer.json",
  "data",
  () =>
    withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/tok`);
      for (const [name, text] of Object.entries(t5TokenizerFiles(t5Pieces(texts, { minFreq: 1, sentinels: 0 })))) {
        await Deno.writeTextFile(`${dir}/tok/${name}`, text);
      }
      const args = ["--arch", "t5", "--tokenizer", `${dir}/tok`, "--out", `${dir}/m`, "--steps", "2", "--mirror", shared("data")];
      const r = await runDeno(["run", "-A", `${root}/lib/cli/main.ts`, "pretrain", ...args]);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^error: .*tok\/tokenizer\.json.*no sentinel <extra_id_\d+>/);
    }),
);
