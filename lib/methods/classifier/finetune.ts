/**
 * Fine-tuning (Hugging Face `BertForSequenceClassification`): dropout on the pooled [CLS], a linear head,
 * cross-entropy; every parameter trained with AdamW, linear warmup and decay.
 */
import type { Row } from "../../data/types.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { requireCapabilities } from "../../model/backbone.ts";
import { notesFor } from "../../model/weights.ts";
import { LOOP_DEFAULTS, type LoopOptions } from "../../train/loop.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { initHead } from "./head.ts";
import { checkMultipleChoice, headClasses, type MultipleChoiceOption } from "./choices.ts";
import { ClassifierPredictor, fitClassifier, loadClassifier, savedInputs } from "./fit.ts";
import { checkLoopOptions, rowsInputKind } from "../checks.ts";
import { CI_LOOP, DEMO_LOOP, TEST_LOOP } from "../loop_presets.ts";
import type { FitOptions, Method, MethodFactory } from "../types.ts";

/** Options of fine-tuning: the loop's plus input length and evaluation batch size. */
export interface FinetuneOptions extends LoopOptions, MultipleChoiceOption {
  /** Longest input in tokens, [CLS] and [SEP] included. */
  maxLength: number;
  evalBatchSize: number;
}

/** Defaults: LM-BFF's few-shot fine-tuning baseline (lr 1e-5..2e-5, batch 16, evaluation every 50 steps). */
export const FINETUNE_DEFAULTS: FinetuneOptions = {
  ...LOOP_DEFAULTS,
  lr: 2e-5,
  warmupRatio: 0.1,
  minSteps: 200,
  maxLength: 128,
  evalBatchSize: 32,
  multipleChoice: false,
};

class Finetune implements Method {
  readonly name = "finetune";

  constructor(private readonly model: ModelFolder, private readonly labels: readonly string[], private readonly options: FinetuneOptions) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels, options } = this;
    // One kind of input throughout; the predictor records it (a pair model refuses single texts in cli predict).
    const inputs = rowsInputKind({ train, dev });
    // Train a copy: the loaded model stays as it was for the next run.
    const weights: TensorMap = new Map([...model.weights].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
    for (const [n, t] of initHead(model.backbone, headClasses(labels, options), options.seed)) weights.set(n, t);
    const predictor = new ClassifierPredictor(model, labels, this.name, options, weights, inputs);
    const fit = { method: this.name, model, labels, options, notes: notesFor(model, "pooler"), predictor };
    const record = await fitClassifier({ ...fit, weights, params: weights, isTrainable: () => true }, train, dev, onProgress);
    return { predictor, record };
  }
}

/** Registry entry of fine-tuning. */
export const finetune: MethodFactory<FinetuneOptions> = {
  name: "finetune",
  summary: "fine-tuning: [CLS] pooled output, linear head, every parameter trained",
  kind: "full",
  trains: "weights",
  display: { name: "fine-tuning", colour: "#f58518" },
  presets: { ci: CI_LOOP, test: { ...TEST_LOOP, lr: 1e-4 }, demo: { ...DEMO_LOOP, lr: 5e-5 }, choices: { multipleChoice: true } },
  defaults: FINETUNE_DEFAULTS,
  create(model, labels, options = {}) {
    const o = { ...FINETUNE_DEFAULTS, ...options };
    checkLoopOptions(o, model.backbone.sizes.maxPositions);
    checkMultipleChoice(o);
    requireCapabilities(model, ["pooled"], finetune.name);
    return new Finetune(model, labels, o);
  },
  async load(dir, model) {
    const { meta, tensors } = await loadClassifier<FinetuneOptions>(dir, finetune.name, model);
    return new ClassifierPredictor(model, meta.labels, finetune.name, meta.options, tensors, savedInputs(meta, dir));
  },
};
