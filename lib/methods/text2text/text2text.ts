/**
 * Text-to-text classification on an encoder-decoder (T5; capability `text-to-text`): the input becomes a prompt
 * with a sentinel where the answer goes (`prompt.ts`), each label a target string, and a class's score the
 * decoder's log-likelihood of its target (rank classification, `predictor.ts`). `zero-shot` uses the model as it
 * is; `finetune` trains every weight with the teacher-forced cross-entropy of the gold label's target;
 * `prompt-tuning` trains only soft vectors before the prompt, the model frozen (`fit.ts`). Its predictors also
 * generate text greedily, which `cli predict` prints beside the probabilities.
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
import type { TextToTextFolder } from "../../model/folder.ts";
import { LOOP_DEFAULTS } from "../../train/loop.ts";
import { InputError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import type { HostTensor, TensorMap } from "../../util/tensor.ts";
import { checkLoopOptions, checkOption } from "../checks.ts";
import { CI_LOOP, TEST_LOOP } from "../loop_presets.ts";
import { checkTemplateInputs } from "../prompt_inputs.ts";
import { loadMethod } from "../saved.ts";
import { type FitOptions, type Method, type MethodFactory, untrainedRecord } from "../types.ts";
import { fitText2Text } from "./fit.ts";
import { SOFT_PROMPT, TEXT2TEXT, type Text2TextOptions, Text2TextPredictor } from "./predictor.ts";
import { parseText2TextTemplate, targetStrings, taskPrompt, type Text2TextTemplate } from "./prompt.ts";

export type { Text2TextOptions } from "./predictor.ts";

const MODES: readonly Text2TextOptions["mode"][] = ["zero-shot", "finetune", "prompt-tuning"];

/**
 * Defaults: PET's sentiment prompt with the sentinel for `[MASK]` and its 好/差 words; fine-tuning at T5's usual
 * AdamW rate for small data (1e-4), one pass per batch; 20 soft vectors for prompt tuning.
 */
export const TEXT2TEXT_DEFAULTS: Text2TextOptions = {
  ...LOOP_DEFAULTS,
  lr: 1e-4,
  passes: 1,
  mode: "finetune",
  template: "{text}总之很<extra_id_0>。",
  targets: "good-bad",
  promptLength: 20,
  maxLength: 128,
  evalBatchSize: 32,
  maxNewTokens: 8,
};

/** The pair task default: BUSTM's FewCLUE question prompt, 是/不 (yes/no) answering whether they mean the same. */
const PAIR_DEFAULTS = { template: "{text}？<extra_id_0>，{text_b}", targets: "yes-no" } as const;

/** Prompt tuning's learning rate unless one is given, Lester et al.'s: soft vectors need a far larger step than weights. */
const PROMPT_TUNING_LR = 0.3;

/**
 * The soft prompt's first state (Lester et al.'s vocabulary initialisation): rows of the word embeddings at ids
 * drawn by `seed` past the special tokens.
 */
function initSoftPrompt(model: TextToTextFolder, length: number, seed: number): HostTensor {
  const shared = model.weights.get(model.backbone.wordEmbeddings)!, [V, D] = shared.shape;
  const rng = new Rng(seed).fork(SOFT_PROMPT), data = new Float32Array(length * D);
  const first = Math.max(model.tokenizer.pad, model.tokenizer.eos, model.tokenizer.unk) + 1;
  for (let p = 0; p < length; p++) {
    const id = first + rng.int(V - first);
    data.set(shared.data.subarray(id * D, (id + 1) * D), p * D);
  }
  return { shape: [length, D], data };
}

class Text2Text implements Method {
  readonly name = TEXT2TEXT;

  constructor(
    private readonly model: TextToTextFolder,
    private readonly labels: readonly string[],
    private readonly options: Text2TextOptions,
    private readonly template: Text2TextTemplate,
  ) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels, options: o, template } = this;
    const untrained = untrainedRecord(this.name, [...model.notes]);
    if (o.mode === "zero-shot") return { predictor: new Text2TextPredictor(model, labels, o, template, model.weights), record: untrained };
    // Train copies (every weight, or a new soft prompt beside the frozen model): the loaded model stays as it was.
    const params: TensorMap = o.mode === "finetune"
      ? new Map([...model.weights].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]))
      : new Map([[SOFT_PROMPT, initSoftPrompt(model, o.promptLength, o.seed)]]);
    const weights = o.mode === "finetune" ? params : new Map([...model.weights, ...params]);
    const predictor = new Text2TextPredictor(model, labels, o, template, weights);
    const result = await fitText2Text(predictor, params, train, dev, onProgress);
    const trainableParams = [...params.values()].reduce((s, t) => s + t.data.length, 0);
    return { predictor, record: { ...untrained, ...result, trainableParams } };
  }
}

/** Options with the defaults (the pair defaults where the inputs are pairs, prompt tuning's rate), checked. */
function checkedOptions(model: TextToTextFolder, options: Partial<Text2TextOptions>, pair: boolean): Text2TextOptions {
  const o = {
    ...TEXT2TEXT_DEFAULTS,
    ...(pair ? PAIR_DEFAULTS : {}),
    ...(options.mode === "prompt-tuning" ? { lr: PROMPT_TUNING_LR } : {}),
    ...options,
  };
  if (!MODES.includes(o.mode)) throw new InputError(`must be one of ${MODES.join(", ")}, got "${o.mode}"`, { field: "mode" });
  checkLoopOptions(o, model.backbone.sizes.maxPositions);
  checkOption("maxNewTokens", o.maxNewTokens, (v) => Number.isInteger(v) && v >= 1 && v <= 512, "an integer in [1, 512]");
  checkOption(
    "promptLength",
    o.promptLength,
    (v) => Number.isInteger(v) && v >= 1 && v <= o.maxLength - 8,
    `an integer in [1, maxLength − 8]`,
  );
  return o;
}

/** The template of saved options, its errors naming `method.json`. */
function savedTemplate(source: string, file: string): Text2TextTemplate {
  try {
    return parseText2TextTemplate(source);
  } catch (e) {
    throw e instanceof InputError ? new InputError(e.message, { file, field: "options.template" }) : e;
  }
}

/** Registry entry of the text-to-text method. */
export const text2text: MethodFactory<Text2TextOptions, TextToTextFolder> = {
  name: TEXT2TEXT,
  summary: "text-to-text (T5): a prompt with a sentinel, labels ranked by the decoder's likelihood of their words",
  kind: "full",
  trains: "weights",
  display: { name: "text-to-text", colour: "#8c564b", zeroShotColour: "#c49c94" },
  presets: {
    ci: CI_LOOP,
    test: { ...TEST_LOOP, lr: 1e-3 },
    forTask: (prompt) => taskPrompt(prompt),
    zeroShot: { mode: "zero-shot" },
    // Its cells need a T5, which the comparison grids' models are not (nor the demo's: no `demo` options).
    inComparisons: false,
  },
  defaults: TEXT2TEXT_DEFAULTS,
  create(model, labels, options = {}, inputs = "text") {
    requireCapabilities(model, ["text-to-text"], text2text.name);
    const o = checkedOptions(model, options, inputs === "pair");
    const template = parseText2TextTemplate(o.template);
    // The template against the task's inputs and the targets against the labels, before any data is read.
    checkTemplateInputs(template, inputs, "{text_b}");
    targetStrings(model.tokenizer, labels, o.targets);
    return new Text2Text(model, labels, o, template);
  },
  async load(dir, model) {
    requireCapabilities(model, ["text-to-text"], text2text.name);
    const { meta, tensors } = await loadMethod<Text2TextOptions>(dir, text2text.name, model);
    const o = meta.options, file = `${dir}/weights.safetensors`;
    const expected = o.mode === "finetune" ? [...model.weights.keys()] : o.mode === "prompt-tuning" ? [SOFT_PROMPT] : [];
    const missing = expected.find((n) => !tensors.has(n));
    if (missing) throw new InputError(`tensor missing from the saved weights (mode ${o.mode})`, { file, field: missing });
    const soft = tensors.get(SOFT_PROMPT), width = model.backbone.sizes.hiddenSize;
    if (o.mode === "prompt-tuning" && `${soft!.shape}` !== `${[o.promptLength, width]}`) {
      throw new InputError(`shape [${soft!.shape}] saved, [${o.promptLength},${width}] expected`, { file, field: SOFT_PROMPT });
    }
    const weights = o.mode === "finetune" ? tensors : new Map([...model.weights, ...tensors]);
    return new Text2TextPredictor(model, meta.labels, o, savedTemplate(o.template, `${dir}/method.json`), weights);
  },
};
