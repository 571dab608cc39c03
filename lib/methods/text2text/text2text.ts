/**
 * Text-to-text classification on an encoder-decoder (T5; capability `text-to-text`): the input becomes a prompt
 * with a sentinel where the answer goes (`prompt.ts`), each label a target string, and a class's score the
 * decoder's log-likelihood of its target (rank classification: class probabilities are the softmax over the
 * targets' summed log-probabilities). `zero-shot` uses the model as it is; `finetune` trains every weight with
 * the teacher-forced cross-entropy of the gold label's target. Its predictors also generate text greedily
 * (`generate`), which `cli predict` prints beside the probabilities.
 *
 * @example
 * ```ts
 * const m = getMethod("text2text").create(await loadAnyModelFolder(t5Dir), ["Positive", "Negative"], { mode: "zero-shot" });
 * const { predictor } = await m.fit([], []);
 * await predictor.predictProba(["质量很好"]);
 * ```
 * @module
 */
import type { Row } from "../../data/types.ts";
import { requireCapabilities } from "../../model/backbone.ts";
import { chunks, type TextInput } from "../../model/batch.ts";
import type { TextToTextFolder } from "../../model/folder.ts";
import type { TextBatch, TextToTextRunner } from "../../model/text_to_text.ts";
import { LOOP_DEFAULTS, type LoopOptions, trainLoop } from "../../train/loop.ts";
import { stepSeed } from "../../train/step_seed.ts";
import { InputError } from "../../util/errors.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { checkLoopOptions, checkOption, labelIndices } from "../checks.ts";
import { CI_LOOP, TEST_LOOP } from "../loop_presets.ts";
import { accuracyOf, softmaxRow } from "../predict.ts";
import { checkTemplateInputs, templateInputs } from "../prompt_inputs.ts";
import { loadMethod, saveMethod } from "../saved.ts";
import type { FitOptions, Method, MethodFactory, Predictor } from "../types.ts";
import { encodePrompts, padBatch, parseText2TextTemplate, type TargetSpec, targetStrings, taskPrompt, type Text2TextTemplate } from "./prompt.ts";

/** Options of the text-to-text method. */
export interface Text2TextOptions extends LoopOptions {
  /** `zero-shot`: the model as it is; `finetune`: every weight trained on the gold targets. */
  mode: "zero-shot" | "finetune";
  /** `{text}` (and `{text_b}`) around `<extra_id_0>`, the answer's place. */
  template: string;
  /** Label → word (its target is `<extra_id_0>` + word), or a PET verbalizer preset with one word per label. */
  targets: TargetSpec;
  /** Longest prompt in tokens, its end token included. */
  maxLength: number;
  evalBatchSize: number;
  /** Longest generation of `generate`, in tokens. */
  maxNewTokens: number;
}

/**
 * Defaults: PET's sentiment prompt with the sentinel for `[MASK]` and its 好/差 words; fine-tuning at T5's usual
 * AdamW rate for small data (1e-4), one pass per batch (T5 has no length buckets of its own to split by).
 */
export const TEXT2TEXT_DEFAULTS: Text2TextOptions = {
  ...LOOP_DEFAULTS,
  lr: 1e-4,
  passes: 1,
  mode: "finetune",
  template: "{text}总之很<extra_id_0>。",
  targets: "good-bad",
  maxLength: 128,
  evalBatchSize: 32,
  maxNewTokens: 8,
};

/** The pair task default: BUSTM's FewCLUE question prompt, 是/不 (yes/no) answering whether they mean the same. */
const PAIR_DEFAULTS = { template: "{text}？<extra_id_0>，{text_b}", targets: "yes-no" } as const;

/** Rank classification of prompts on one set of weights. */
export class Text2TextPredictor implements Predictor {
  readonly inputs;
  readonly #targets: number[][];

  constructor(
    readonly model: TextToTextFolder,
    readonly labels: readonly string[],
    readonly options: Text2TextOptions,
    readonly template: Text2TextTemplate,
    readonly weights: TensorMap,
  ) {
    this.inputs = templateInputs(template);
    this.#targets = targetStrings(model.tokenizer, labels, options.targets).map((t) => model.tokenizer.encode(t));
  }

  /** Target ids of each label (closed by the end token), in label order. */
  get targets(): readonly (readonly number[])[] {
    return this.#targets;
  }

  /** Run `each` over `inputs` in batches of `evalBatchSize` prompts with one runner; rows in input order. */
  async #batches<T>(inputs: readonly TextInput[], each: (runner: TextToTextRunner, batch: TextBatch, n: number) => Promise<T[]>): Promise<T[]> {
    const { model, options: o } = this;
    const prompts = encodePrompts(model.tokenizer, this.template, inputs, o.maxLength);
    const runner = model.backbone.textToText.runner(this.weights);
    try {
      const out: T[] = [];
      for (const part of chunks(prompts, o.evalBatchSize)) {
        out.push(...(await each(runner, padBatch(model.tokenizer, part, o.evalBatchSize), part.length)));
      }
      return out;
    } finally {
      await runner.release();
    }
  }

  /** Softmax over the labels' target log-likelihoods, one row per input. */
  predictProba(inputs: readonly TextInput[]): Promise<number[][]> {
    return this.#batches(inputs, async (runner, batch, n) => (await runner.logLikelihoods(batch, this.#targets)).slice(0, n).map(softmaxRow));
  }

  /** The decoder's greedy output for each input, as text (special tokens dropped). */
  generate(inputs: readonly TextInput[]): Promise<string[]> {
    return this.#batches(inputs, async (runner, batch, n) =>
      (await runner.greedy(batch, this.options.maxNewTokens)).slice(0, n).map((ids) => this.model.tokenizer.decode(ids))
    );
  }

  save(dir: string): Promise<void> {
    const meta = { method: text2text.name, options: this.options, labels: [...this.labels], extra: { inputs: this.inputs } };
    return saveMethod(dir, meta, this.model, this.options.mode === "finetune" ? this.weights : undefined);
  }
}

class Text2Text implements Method {
  readonly name = "text2text";

  constructor(
    private readonly model: TextToTextFolder,
    private readonly labels: readonly string[],
    private readonly options: Text2TextOptions,
    private readonly template: Text2TextTemplate,
  ) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels, options: o, template } = this;
    const record = { method: this.name, trainableParams: 0, steps: 0, wallSeconds: 0, losses: [], dev: [], bestStep: 0, notes: model.notes };
    if (o.mode === "zero-shot") return { predictor: new Text2TextPredictor(model, labels, o, template, model.weights), record };
    // Train a copy: the loaded model stays as it was for the next run.
    const weights: TensorMap = new Map([...model.weights].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
    const predictor = new Text2TextPredictor(model, labels, o, template, weights);
    const result = await fitText2Text(predictor, train, dev, onProgress);
    return { predictor, record: { ...record, ...result, trainableParams: [...weights.values()].reduce((s, t) => s + t.data.length, 0) } };
  }
}

/** Train every weight of `predictor` on the gold targets of `train`, the best state on `dev` kept. */
async function fitText2Text(predictor: Text2TextPredictor, train: readonly Row[], dev: readonly Row[], onProgress: FitOptions["onProgress"]) {
  const { model, options: o, weights, labels } = predictor;
  const t2t = model.backbone.textToText;
  const prompts = encodePrompts(model.tokenizer, predictor.template, train, o.maxLength);
  const gold = labelIndices(train, labels, "train"), devGold = labelIndices(dev, labels, "dev");
  // One target length for every step: the longest label's, the others padded with ignored labels.
  const tgtLen = Math.max(...predictor.targets.map((t) => t.length));
  const steps = new Map<string, ReturnType<typeof t2t.trainStep>>();
  const started = performance.now();
  try {
    const result = await trainLoop({
      params: weights,
      examples: prompts.map((ids, i) => ({ ids, label: gold[i] })),
      onProgress,
      step: async (batch, step) => {
        const enc = padBatch(model.tokenizer, batch.map((e) => e.ids), batch.length);
        const shape = { batch: batch.length, srcLen: enc.inputIds[0].length, tgtLen };
        const key = `${shape.batch}x${shape.srcLen}`;
        if (!steps.has(key)) steps.set(key, t2t.trainStep(weights, () => true, shape));
        const labelRows = batch.map((e) => {
          const t = predictor.targets[e.label];
          return [...t, ...new Array(tgtLen - t.length).fill(t2t.ignoreLabel)];
        });
        const r = await (await steps.get(key)!).run(weights, {
          input_ids: BigInt64Array.from(enc.inputIds.flat(), BigInt),
          attention_mask: Float32Array.from(enc.attentionMask.flat()),
          decoder_input_ids: BigInt64Array.from(t2t.shiftRight(labelRows).flat(), BigInt),
          labels: BigInt64Array.from(labelRows.flat(), BigInt),
          dropout_seed: stepSeed(o.seed, step),
        });
        return { loss: r.loss, grads: r.grads };
      },
      evaluate: dev.length ? async () => accuracyOf(await predictor.predictProba(dev), devGold) : undefined,
    }, o);
    return { ...result, wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    for (const s of steps.values()) await (await s).release();
  }
}

/** Options with the defaults and the pair defaults where the inputs are pairs; checked. */
function checkedOptions(model: TextToTextFolder, options: Partial<Text2TextOptions>, pair: boolean): Text2TextOptions {
  const o = { ...TEXT2TEXT_DEFAULTS, ...(pair ? PAIR_DEFAULTS : {}), ...options };
  if (o.mode !== "zero-shot" && o.mode !== "finetune") throw new InputError(`must be "zero-shot" or "finetune", got "${o.mode}"`, { field: "mode" });
  checkLoopOptions(o, model.backbone.sizes.maxPositions);
  checkOption("maxNewTokens", o.maxNewTokens, (v) => Number.isInteger(v) && v >= 1 && v <= 512, "an integer in [1, 512]");
  return o;
}

/** Registry entry of the text-to-text method. */
export const text2text: MethodFactory<Text2TextOptions, TextToTextFolder> = {
  name: "text2text",
  summary: "text-to-text (T5): a prompt with a sentinel, labels ranked by the decoder's likelihood of their words",
  kind: "full",
  trains: "weights",
  display: { name: "text-to-text", colour: "#8c564b", zeroShotColour: "#c49c94" },
  presets: {
    ci: CI_LOOP,
    test: { ...TEST_LOOP, lr: 1e-3 },
    forTask: (prompt) => taskPrompt(prompt),
    zeroShot: { mode: "zero-shot" },
    // Its grid cells need a T5 model, which the comparison grids' BERT models are not.
    inComparisons: false,
  },
  defaults: TEXT2TEXT_DEFAULTS,
  create(model, labels, options = {}, inputs = "text") {
    requireCapabilities(model, ["text-to-text"], text2text.name);
    const o = checkedOptions(model, options, inputs === "pair");
    const template = parseText2TextTemplate(o.template);
    const method = new Text2Text(model, labels, o, template);
    // The template against the task's inputs and the targets against the labels, before any data is read.
    checkTemplateInputs(template, inputs, "{text_b}");
    targetStrings(model.tokenizer, labels, o.targets);
    return method;
  },
  async load(dir, model) {
    requireCapabilities(model, ["text-to-text"], text2text.name);
    const { meta, tensors } = await loadMethod<Text2TextOptions>(dir, text2text.name, model);
    const file = `${dir}/method.json`;
    const o = meta.options;
    let template: Text2TextTemplate;
    try {
      template = parseText2TextTemplate(o.template);
    } catch (e) {
      throw e instanceof InputError ? new InputError(e.message, { file, field: "options.template" }) : e;
    }
    let weights = model.weights;
    if (tensors.size) {
      const missing = [...model.weights.keys()].find((n) => !tensors.has(n));
      if (missing) throw new InputError("tensor missing from the saved weights", { file: `${dir}/weights.safetensors`, field: missing });
      weights = tensors;
    }
    return new Text2TextPredictor(model, meta.labels, o, template, weights);
  },
};
