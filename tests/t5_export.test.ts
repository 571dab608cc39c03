/**
 * The T5 export (issue 28 part 6): each tiny T5 fixture written as a text2text-generation folder and run by
 * transformers.js offline. Its greedy generations equal the kit's `T5Runner.greedy` token by token on 20 texts
 * (short, padded in a batch, and longer than `relative_attention_max_distance`, so the clipped relative
 * positions are exercised), its teacher-forced logits equal the PyTorch reference's, the export folder is
 * guarded as every export of the kit, and `cli export --model T5DIR --out DIR` writes it.
 */
import assert from "node:assert/strict";
import { Tensor } from "@huggingface/transformers";
import * as ort from "onnxruntime-node";
import { EXPORT_MARKER } from "../lib/model/export_folder.ts";
import { T5_ONNX_FILES, writeT5Export } from "../lib/model/t5/export.ts";
import { openT5Export } from "../lib/model/t5/export_pipeline.ts";
import { loadT5Folder, type T5Folder } from "../lib/model/t5/folder.ts";
import { T5Runner } from "../lib/model/t5/runner.ts";
import { rejects } from "./_assert.ts";
import { root } from "./_shared.ts";
import { LONG_TEXTS, SHORT_TEXTS } from "./_t5_texts.ts";
import { runDeno, taskFlags } from "./_subprocess.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const MAX_NEW_TOKENS = 8;

const TEXTS = [...SHORT_TEXTS, ...LONG_TEXTS];

/** Ids up to and including the first `</s>` (what a generation means; the rest is padding or noise). */
function untilEos(ids: readonly number[], eos: number): number[] {
  const at = ids.indexOf(eos);
  return at < 0 ? [...ids] : ids.slice(0, at + 1);
}

const int64 = (rows: readonly (readonly number[])[]) =>
  new Tensor("int64", BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0].length]);

async function exported(variant: string): Promise<{ folder: T5Folder; out: string }> {
  const folder = await loadT5Folder(`${FIXTURES}${variant}`);
  const out = `${await Deno.makeTempDir()}/${variant}-export`;
  await writeT5Export(out, folder, "--out");
  return { folder, out };
}

for (const variant of ["tiny-t5-v1_1", "tiny-t5"]) {
  Deno.test(`t5 export ${variant}: the exported encoder's states equal the kit's on 20 texts, long ones included`, async () => {
    const { folder, out } = await exported(variant);
    const batch = folder.tokenizer.encodeBatch(TEXTS);
    const runner = new T5Runner(folder.config, folder.weights);
    const session = await ort.InferenceSession.create(`${out}/${T5_ONNX_FILES.encoder}`);
    try {
      const want = await runner.encode(batch);
      const tokens = (rows: number[][]) => new ort.Tensor("int64", BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0].length]);
      const { last_hidden_state: got } = await session.run({
        input_ids: tokens(batch.inputIds),
        attention_mask: tokens(batch.attentionMask),
      });
      assert.deepEqual(got.dims, [TEXTS.length, batch.inputIds[0].length, folder.config.d_model]);
      const data = got.data as Float32Array;
      const worst = want.reduce((m, w, i) => Math.max(m, Math.abs(data[i] - w)), 0);
      assert.ok(worst <= 1e-5, `largest difference ${worst}`);
    } finally {
      await runner.release();
      await session.release();
    }
  });

  Deno.test(`t5 export ${variant}: pipeline('text2text-generation') generates the kit's greedy tokens on 20 texts`, async () => {
    const { folder, out } = await exported(variant);
    const { tokenizer, config } = folder;
    assert.equal(TEXTS.length, 20);
    assert.ok(Math.max(...LONG_TEXTS.map((t) => tokenizer.encode(t).length)) > config.relative_attention_max_distance);
    const generate = await openT5Export(out);
    const runner = new T5Runner(config, folder.weights);
    try {
      // One padded batch through both: padding masks and per-row stopping included.
      const batch = tokenizer.encodeBatch(TEXTS);
      const kit = await runner.greedy(batch, MAX_NEW_TOKENS);
      const sequences = await generate.model.generate({
        input_ids: int64(batch.inputIds),
        attention_mask: int64(batch.attentionMask),
        max_new_tokens: MAX_NEW_TOKENS,
        do_sample: false,
      }) as Tensor;
      const rows = (sequences.tolist() as bigint[][]).map((r) => r.map(Number));
      rows.forEach((row, i) => {
        assert.equal(row[0], config.decoder_start_token_id, `text ${i}: decoding starts with decoder_start_token_id`);
        assert.deepEqual(untilEos(row.slice(1), config.eos_token_id), untilEos(kit[i], config.eos_token_id), `text ${i}: ${TEXTS[i]}`);
      });
      // Each text alone through the pipeline, as a user calls it: the kit's generation as text.
      for (const [i, text] of TEXTS.entries()) {
        const [{ generated_text }] = await generate(text, { max_new_tokens: MAX_NEW_TOKENS, do_sample: false }) as {
          generated_text: string;
        }[];
        assert.equal(generated_text, tokenizer.decode(untilEos(kit[i], config.eos_token_id)), `text ${i}: ${text}`);
      }
    } finally {
      await runner.release();
      await generate.dispose();
    }
  });

  Deno.test(`t5 export ${variant}: teacher-forced logits in transformers.js equal the PyTorch reference's within 1e-4`, async () => {
    const { out } = await exported(variant);
    const want = JSON.parse(await Deno.readTextFile(`${FIXTURES}${variant}/expected.json`));
    const generate = await openT5Export(out);
    try {
      const { logits } = await generate.model({
        input_ids: int64(want.input_ids),
        attention_mask: int64(want.attention_mask),
        decoder_input_ids: int64(want.decoder_input_ids),
      }) as { logits: Tensor };
      const [B, T] = [want.decoder_input_ids.length, want.decoder_input_ids[0].length];
      assert.deepEqual(logits.dims, [B, T, want.logits.length / (B * T)]);
      const got = logits.data as Float32Array;
      const worst = want.logits.reduce((m: number, w: number, i: number) => Math.max(m, Math.abs(got[i] - w)), 0);
      assert.ok(worst <= 1e-4, `largest difference ${worst}`);
    } finally {
      await generate.dispose();
    }
  });
}

Deno.test("t5 export: the folder holds what transformers.js loads (mT5 too); a second export replaces the first; a foreign folder or a NaN weight is refused", async () => {
  const { folder, out } = await exported("tiny-t5-v1_1");
  const marker = JSON.parse(await Deno.readTextFile(`${out}/${EXPORT_MARKER}`));
  assert.deepEqual(marker.files, [
    "config.json",
    "generation_config.json",
    "model.safetensors",
    T5_ONNX_FILES.decoder,
    T5_ONNX_FILES.encoder,
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
  ]);
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  assert.equal(config.model_type, "t5");
  assert.equal(config.is_encoder_decoder, true);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${out}/generation_config.json`)), {
    decoder_start_token_id: 0,
    eos_token_id: 1,
    pad_token_id: 0,
    do_sample: false,
  });
  // The safetensors beside reads back as the same T5 (Python transformers' names).
  const copy = await Deno.makeTempDir();
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) await Deno.copyFile(`${out}/${f}`, `${copy}/${f}`);
  const reread = await loadT5Folder(copy);
  assert.deepEqual([...reread.weights.keys()].sort(), [...folder.weights.keys()].sort());

  // An mT5 config exports as transformers' MT5 class, which transformers.js runs as well.
  const mt5 = await Deno.makeTempDir();
  for (const f of ["model.safetensors", "tokenizer.json", "tokenizer_config.json"]) {
    await Deno.copyFile(`${FIXTURES}tiny-t5-v1_1/${f}`, `${mt5}/${f}`);
  }
  await Deno.writeTextFile(
    `${mt5}/config.json`,
    JSON.stringify({ ...JSON.parse(await Deno.readTextFile(`${FIXTURES}tiny-t5-v1_1/config.json`)), model_type: "mt5" }),
  );
  await writeT5Export(`${mt5}/export`, await loadT5Folder(mt5), "--out");
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${mt5}/export/config.json`)).architectures, ["MT5ForConditionalGeneration"]);
  const generate = await openT5Export(`${mt5}/export`);
  const runner = new T5Runner(folder.config, folder.weights);
  const [{ generated_text }] = await generate(SHORT_TEXTS[0], { max_new_tokens: MAX_NEW_TOKENS }) as { generated_text: string }[];
  assert.equal(
    generated_text,
    folder.tokenizer.decode(untilEos((await runner.greedy(folder.tokenizer.encodeBatch([SHORT_TEXTS[0]]), MAX_NEW_TOKENS))[0], 1)),
  );
  await Promise.all([runner.release(), generate.dispose()]);

  await Deno.writeTextFile(`${out}/NOTES.md`, "mine");
  await writeT5Export(out, folder, "--out");
  assert.equal(await Deno.readTextFile(`${out}/NOTES.md`), "mine");
  const foreign = await Deno.makeTempDir();
  await Deno.writeTextFile(`${foreign}/weights.bin`, "x");
  await rejects(() => writeT5Export(foreign, folder, "--out"), "--out", /holds files the kit did not export/);
  await rejects(() => openT5Export(foreign), `${foreign}/config.json`, /missing file/);

  // A weight that is not finite names the weights file and writes nothing.
  const weights = new Map(folder.weights);
  const shared = weights.get("shared.weight")!;
  weights.set("shared.weight", { ...shared, data: Float32Array.from(shared.data, (x, i) => (i === 5 ? NaN : x)) });
  const fresh = `${foreign}-nan`;
  await rejects(() => writeT5Export(fresh, { ...folder, weights }, "--out"), folder.weightsFile, /non-finite weight NaN/);
  await assert.rejects(() => Deno.stat(fresh), Deno.errors.NotFound);
});

Deno.test("cli export --model T5DIR --out DIR: the T5 itself exported, the next step runs it; without a T5 or a saved predictor, exit 2", async () => {
  const cli = async (...args: string[]) => runDeno(["run", ...(await taskFlags("cli")), `${root}/lib/cli/main.ts`, "export", ...args]);
  const out = `${await Deno.makeTempDir()}/t5`;
  const ok = await cli("--model", `${FIXTURES}tiny-t5`, "--out", out);
  assert.equal(ok.code, 0, ok.stderr);
  const next = /^wrote: (.*)\nnext: {2}deno eval "(.*)" +# /.exec(ok.stdout);
  assert.ok(next, ok.stdout);
  assert.equal(next[1], out);
  const ran = await runDeno(["eval", next[2]]);
  assert.equal(ran.code, 0, ran.stderr);
  const folder = await loadT5Folder(`${FIXTURES}tiny-t5`);
  const runner = new T5Runner(folder.config, folder.weights);
  const kit = folder.tokenizer.decode(untilEos((await runner.greedy(folder.tokenizer.encodeBatch(["这个手机很好"]), 16))[0], 1));
  await runner.release();
  assert.equal(ran.stdout.trim(), `[ { generated_text: ${JSON.stringify(kit)} } ]`);

  const bert = await cli("--out", `${out}-bert`);
  assert.equal(bert.code, 2);
  assert.equal(
    bert.stderr.trim(),
    `error: missing saved predictor folder; usage: deno task cli export <saved predictor folder> --out DIR [--model DIR] (or --model a T5 folder to export the model itself)`,
  );
});
