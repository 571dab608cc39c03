/**
 * Export of trained text-to-text predictors (issue 28 part 6): a fine-tuned and a prompt-tuned predictor on the
 * tiny T5 fixtures, exported with `cli export`, generate in transformers.js' `pipeline('text2text-generation')`
 * (given the prompts `text2textPrompts` fills) exactly the text `cli predict` prints for the saved predictor, on
 * 20 texts (two cut to `maxLength`); `cli predict` on the export prints the same generations and the saved
 * predictor's probabilities.
 */
import assert from "node:assert/strict";
import { env, pipeline, type Text2TextGenerationPipeline } from "@huggingface/transformers";
import type { Row } from "../lib/data/types.ts";
import { getMethod } from "../lib/methods/registry.ts";
import { TEXT2TEXT_SPEC_FILE, type Text2TextExportSpec, text2textPrompts } from "../lib/methods/text2text/generation.ts";
import type { Text2TextPredictor } from "../lib/methods/text2text/predictor.ts";
import { loadAnyModelFolder } from "../lib/model/folder.ts";
import { root } from "./_shared.ts";
import { runDeno, taskFlags } from "./_subprocess.ts";
import { LONG_TEXTS, SHORT_TEXTS } from "./_t5_texts.ts";

const LABELS = ["Positive", "Negative"];
const OPTIONS = { template: "评论：{text}。总之很<extra_id_0>。", targets: { Positive: "好", Negative: "差" }, maxLength: 32 };
// 20 texts, two of them longer than maxLength: cut in the text, never the template, by the kit and by
// text2textPrompts alike.
const TEXTS = [...SHORT_TEXTS, ...LONG_TEXTS];
const ROWS: Row[] = TEXTS.slice(0, 4).map((text, i) => ({ text, label: LABELS[i % 2] }));

const cli = async (...args: string[]) => runDeno(["run", ...(await taskFlags("cli")), `${root}/lib/cli/main.ts`, ...args]);
const textFlags = TEXTS.flatMap((t) => ["--text", t]);

/** `cli predict` rows: generated text and probabilities, one per text. */
async function predictRows(folder: string, model: string): Promise<{ generated: string; probabilities: Record<string, number> }[]> {
  const ran = await cli("predict", folder, "--model", model, ...textFlags);
  assert.equal(ran.code, 0, ran.stderr);
  return ran.stdout.trim().split("\n").map((l) => JSON.parse(l));
}

const CASES = [
  { fixture: "tiny-t5-v1_1", options: { mode: "finetune", steps: 12, batchSize: 4, lr: 3e-3, seed: 1 } },
  { fixture: "tiny-t5", options: { mode: "prompt-tuning", promptLength: 4, steps: 20, batchSize: 4, seed: 2 } },
];

for (const { fixture, options } of CASES) {
  Deno.test(`text2text export (${options.mode}, ${fixture}): pipeline('text2text-generation') generates what cli predict prints on 20 texts`, async () => {
    const modelDir = `${root}/tests/fixtures/${fixture}`;
    const model = await loadAnyModelFolder(modelDir);
    const method = getMethod("text2text");
    const { predictor } = await method.create(model, LABELS, { ...OPTIONS, ...options, evalEvery: 0 }).fit(ROWS, []);
    const tmp = await Deno.makeTempDir();
    const [saved, out] = [`${tmp}/saved`, `${tmp}/export`];
    let generate: Text2TextGenerationPipeline | undefined;
    try {
      await predictor.save(saved);
      const exported = await cli("export", saved, "--model", modelDir, "--out", out);
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, new RegExp(`next: +deno task cli predict ${out} --text .*pipeline\\("text2text-generation"\\)`));

      const kit = await predictRows(saved, modelDir);
      assert.equal(kit.length, 20);
      // The trained model generates, and what it generates depends on the training (not the base model's text).
      const base = await method.create(model, LABELS, { ...OPTIONS, mode: "zero-shot" }).fit([], []);
      const baseText = await (base.predictor as Text2TextPredictor).generate(TEXTS);
      assert.ok(kit.some((r, i) => r.generated !== baseText[i]), "training changed some generation");

      // As a user runs the export: the pipeline offline, given the prompts of promptlab.json's template.
      env.allowRemoteModels = false;
      env.localModelPath = `${tmp}/`;
      generate = await pipeline("text2text-generation", "export", { local_files_only: true }) as Text2TextGenerationPipeline;
      const spec = JSON.parse(await Deno.readTextFile(`${out}/${TEXT2TEXT_SPEC_FILE}`)) as Text2TextExportSpec;
      assert.equal(spec.softPromptLength, options.mode === "prompt-tuning" ? 4 : 0);
      const prompts = text2textPrompts(generate.tokenizer, spec, TEXTS);
      assert.equal(prompts[5], "评论：孩子很喜欢。总之很<extra_id_0>。");
      for (const [i, prompt] of prompts.entries()) {
        const [{ generated_text }] = await generate(prompt, { max_new_tokens: spec.maxNewTokens, do_sample: false }) as {
          generated_text: string;
        }[];
        assert.equal(generated_text, kit[i].generated, `text ${i}: ${TEXTS[i]}`);
      }

      // cli predict on the export: the same generations, the saved predictor's probabilities.
      const viaExport = await predictRows(out, modelDir);
      assert.deepEqual(viaExport.map((r) => r.generated), kit.map((r) => r.generated));
      viaExport.forEach((r, i) =>
        LABELS.forEach((l) => assert.ok(Math.abs(r.probabilities[l] - kit[i].probabilities[l]) < 1e-4, `text ${i} ${l}`))
      );
    } finally {
      await generate?.dispose();
      await Deno.remove(tmp, { recursive: true });
    }
  });
}

Deno.test("text2text: cli run --save on a T5 prints the export command with its --model, which writes what cli predict opens", async () => {
  const modelDir = `${root}/tests/fixtures/tiny-t5-v1_1`;
  const tmp = await Deno.makeTempDir();
  try {
    const flags = ["--k", "2", "--seeds", "1", "--steps", "2", "--batch-size", "2", "--eval-every", "0", "--max-length", "32"];
    const args = ["--method", "text2text", "--model", modelDir, "--dataset", "demo", "--protocol", "sampled", ...flags];
    const ran = await cli("run", ...args, "--save", `${tmp}/saved`);
    assert.equal(ran.code, 0, ran.stderr);
    const next = /next: +deno task cli export (\S+) --model (\S+) --out <dir> +#/.exec(ran.stdout);
    assert.ok(next, ran.stdout);
    assert.deepEqual([next[1], next[2]], [`${tmp}/saved/k2_seed1`, modelDir]);
    const exported = await cli("export", next[1], "--model", next[2], "--out", `${tmp}/export`);
    assert.equal(exported.code, 0, exported.stderr);
    const [saved, viaExport] = [await predictRows(next[1], modelDir), await predictRows(`${tmp}/export`, modelDir)];
    assert.deepEqual(viaExport.map((r) => r.generated), saved.map((r) => r.generated));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("text2text export: a T5 predictor exported onto a BERT --model is one line naming the capability, exit 2", async () => {
  const modelDir = `${root}/tests/fixtures/tiny-t5-v1_1`;
  const model = await loadAnyModelFolder(modelDir);
  const { predictor } = await getMethod("text2text").create(model, LABELS, { ...OPTIONS, mode: "zero-shot" }).fit([], []);
  const tmp = await Deno.makeTempDir();
  try {
    await predictor.save(`${tmp}/saved`);
    const ran = await cli("export", `${tmp}/saved`, "--out", `${tmp}/export`);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr.trim(), /^error: .*config\.json \(field "model_type"\): .*text2text/);
    assert.equal(ran.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
