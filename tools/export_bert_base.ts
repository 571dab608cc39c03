/**
 * By hand (docs/export.md): exports from a bert-base-shaped random model (12 x 768, vocabulary 21128, stored
 * without a pooler, `tokenizer_config.json` naming no special tokens), P-tuning v2 (2 steps) and zero-shot PET
 * (a pair template; multi-token label words). Each export is read three ways — the kit's predictor, `cli
 * predict`'s path (transformers.js pipelines), the shipped `promptlab_scorer.mjs` — plus the batched
 * text-classification pipeline and the PEFT adapter through `tools/peft_check.py` (needs Python with torch).
 * Prints timings and the largest probability differences.
 *
 *     PROMPTLAB_THREADS=2 deno run -A tools/export_bert_base.ts
 * @module
 */
import * as ort from "onnxruntime-node";
import { AutoTokenizer, env, pipeline, type TextClassificationPipeline } from "@huggingface/transformers";
import { bertBaseChineseConfig, writeRandomModelFolder } from "../lib/model/bert/random.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { getMethod } from "../lib/methods/registry.ts";
import { exportSaved } from "../lib/methods/export.ts";
import { openPredictor } from "../lib/methods/open_predictor.ts";
import { loadFewShot } from "../lib/data/load.ts";
import { python } from "../lib/util/config.ts";
const t0 = performance.now();
const log = (s: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}`);
const root = await Deno.makeTempDir();
const base = `${root}/bert-base-random`;
await writeRandomModelFolder(base, bertBaseChineseConfig(), { seed: 7, naming: "original" });
await Deno.writeTextFile(`${base}/tokenizer_config.json`, JSON.stringify({ do_lower_case: true }));
const model = await loadModelFolder(base);
log(`base written and loaded; poolerInitialized=${model.poolerInitialized}`);
const data = await loadFewShot("demo", { kind: "sampled", k: 4, seed: 1 }, { mirror: null, download: false });
const texts = data.test.slice(0, 20).map((r) => r.text);
const pairs = texts.slice(0, 10).map((t, i) => ({ text: t, textB: texts[10 + i] }));
const maxdiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((p, c) => Math.abs(p - b[i][c]))));
const cases = [
  ["ptuning-v2", { steps: 2, batchSize: 4, evalEvery: 0, maxLength: 64, prefixLength: 4, lr: 3e-2, seed: 3 }, "text", texts],
  [
    "pet",
    { mode: "zero-shot", maxLength: 64, template: "pair-question", verbalizer: { Positive: ["是"], Negative: ["不"] } },
    "pair",
    pairs,
  ],
  [
    "pet",
    { mode: "zero-shot", maxLength: 64, template: "{text}总之很[MASK]。", verbalizer: { Positive: ["满意", "好"], Negative: ["不满"] } },
    "text",
    texts,
  ],
] as const;
for (const [method, options, kind, inputs] of cases) {
  const { predictor } = await getMethod(method).create(model, data.task.labels, options as never, kind).fit(data.train.slice(0, 8), []);
  log(`${method} ${kind}: trained`);
  const saved = `${root}/${method}-${kind}-saved`, out = `${root}/${method}-${kind}`;
  await predictor.save(saved);
  let t = performance.now();
  await exportSaved(saved, model, out);
  log(`${method} ${kind}: exported in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const kit = await predictor.predictProba(inputs);
  t = performance.now();
  const cli = await (await openPredictor(out, base)).predictProba(inputs);
  log(
    `${method} ${kind}: cli predict path (transformers.js) ${((performance.now() - t) / 1000).toFixed(1)} s, max |diff| vs kit ${
      maxdiff(cli, kit).toExponential(2)
    }`,
  );
  env.localModelPath = `${root}/`;
  const { createScorer } = await import(`file://${out}/promptlab_scorer.mjs`);
  const json = (f: string) => JSON.parse(Deno.readTextFileSync(`${out}/${f}`));
  t = performance.now();
  const scorer = createScorer({
    tokenizer: await AutoTokenizer.from_pretrained(out.slice(root.length + 1), { local_files_only: true }),
    session: await ort.InferenceSession.create(`${out}/onnx/model.onnx`),
    Tensor: ort.Tensor,
    config: json("config.json"),
    promptlab: method === "pet" ? json("promptlab.json") : undefined,
  });
  const scored = await scorer.predictProba(inputs);
  log(
    `${method} ${kind}: scorer ${((performance.now() - t) / 1000).toFixed(1)} s, max |diff| vs cli predict ${
      maxdiff(scored, cli).toExponential(2)
    }`,
  );
  if (method === "ptuning-v2") {
    const classify = await pipeline("text-classification", out.slice(root.length + 1), {
      local_files_only: true,
    }) as TextClassificationPipeline;
    const rows = await classify(texts, { top_k: null }) as unknown as { label: string; score: number }[][];
    const viaPipe = rows.map((r) => data.task.labels.map((l) => r.find((e) => e.label === l)!.score));
    log(`text-classification pipeline (batch of 20): max |diff| vs cli predict ${maxdiff(viaPipe, cli).toExponential(2)}`);
    const rowsOut = texts.map((x) => {
      const e = model.tokenizer.encode([x], { maxLength: 64 });
      return { input_ids: e.inputIds[0], token_type_ids: e.tokenTypeIds[0] };
    });
    await Deno.writeTextFile(`${root}/kit.json`, JSON.stringify({ rows: rowsOut, probabilities: kit }));
    const ran = await new Deno.Command(python(), {
      args: [new URL("./peft_check.py", import.meta.url).pathname, "--base", base, "--export", out, "--inputs", `${root}/kit.json`],
    }).output();
    log(`peft_check: ${new TextDecoder().decode(ran.stdout).trim()} ${new TextDecoder().decode(ran.stderr).slice(-300)}`);
  }
}
await Deno.remove(root, { recursive: true });
