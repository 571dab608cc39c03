/**
 * Training and prediction of the pooled-[CLS] classifier methods (fine-tuning, P-tuning v2): one compiled
 * gradient step per shape bucket, the shared loop with best-on-dev selection, the record, and the predictor.
 * The methods differ only in which weights train, what is saved, and whether a prefix is computed in the graph.
 */
import type { InputKind, Row } from "../../data/types.ts";
import type { Graph, Value } from "../../engine/graph.ts";
import { crossEntropy } from "../../engine/layers.ts";
import { type ParamSource, requireCapabilities } from "../../model/backbone.ts";
import type { ModelFolder } from "../../model/folder.ts";
import type { LoopOptions } from "../../train/loop.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { encodeTexts, type TextInput, type TokenBatch, type TokenSeq } from "../../model/batch.ts";
import * as op from "../../engine/ops.ts";
import { candidateProba, candidateTexts, headClasses, type MultipleChoiceOption } from "./choices.ts";
import { checkSavedHead, ClassifierEvaluator, classifierLogits, type ExtraBuilder } from "./head.ts";
import { labelIndices } from "../checks.ts";
import { accuracyOf, predictBatches } from "../predict.ts";
import { recordedInputKind } from "../prompt_inputs.ts";
import { loadMethod, type SavedMethod, saveMethod } from "../saved.ts";
import { fitSupervised } from "../supervised_fit.ts";
import type { Predictor, ProgressCallback, TrainRecord } from "../types.ts";

/** Graph input of a computed prefix's dropout seed (fed the step's seed; the prefix uses its own site). */
const PREFIX_SEED = "prefix_dropout_seed";

/** What one classifier method trains. */
export interface ClassifierFit {
  method: string;
  model: ModelFolder;
  labels: readonly string[];
  options: LoopOptions & { maxLength: number } & Partial<MultipleChoiceOption>;
  /** Every weight the graphs read by name: backbone, head and any extras. */
  weights: TensorMap;
  /** Tensors the loop updates in place (and restores to the best-on-dev state); a subset of `weights`. */
  params: TensorMap;
  /** Which weights are graph inputs with gradients; the rest are frozen graph constants. */
  isTrainable(name: string): boolean;
  /** A prefix computed in the training graph, with a uint32 dropout seed input. */
  prefix?(g: Graph, param: ParamSource, batch: number, dropoutSeed: Value): Value;
  /** The layers the prefix feeds (default every layer). */
  prefixLayers?: readonly number[];
  /** Scores dev sequences with the current state. */
  predictor: Pick<ClassifierPredictor, "predictSeqs" | "encode">;
  /** Notes for the record (model loading, derived options). */
  notes: readonly string[];
}

/**
 * Train with cross-entropy on the head's logits and return the record; labels are checked before any step.
 * The trainable-parameter count covers the weights the graphs actually read as inputs.
 */
export async function fitClassifier(
  fit: ClassifierFit,
  train: readonly Row[],
  dev: readonly Row[],
  onProgress?: ProgressCallback,
): Promise<TrainRecord> {
  const { model, labels, options: o, weights } = fit;
  const gold = labelIndices(train, labels, "train"), devGold = labelIndices(dev, labels, "dev");
  // Rows are texts or sentence pairs (`[CLS] a [SEP] b [SEP]`, token types 0/1), or a multiple-choice row's filled texts.
  const group = o.multipleChoice ? labels.length : 1;
  const enc = fit.predictor.encode(train);
  const devSeqs = fit.predictor.encode(dev).seqs;
  const result = await fitSupervised(
    {
      weights,
      params: fit.params,
      isTrainable: fit.isTrainable,
      options: o,
      onProgress,
      loss(g, params, batch, seqLen, targets) {
        const prefix = fit.prefix?.(g, params.get, batch, g.input(PREFIX_SEED, [], "uint32"));
        const bert = model.backbone.encoder(g, params.get, { batch, seqLen, train: true, prefix, prefixLayers: fit.prefixLayers });
        const logits = classifierLogits(bert, model.backbone, params.get);
        return crossEntropy(group > 1 ? op.reshape(logits, [batch / group, group]) : logits, targets);
      },
      feeds: fit.prefix ? (_b, seed) => ({ [PREFIX_SEED]: seed }) : undefined,
      group,
      evaluate: dev.length ? async () => accuracyOf(await fit.predictor.predictSeqs(devSeqs), devGold) : undefined,
    },
    enc.seqs,
    gold,
  );

  return {
    method: fit.method,
    trainableParams: result.trainableParams,
    steps: result.steps,
    wallSeconds: result.wallSeconds,
    losses: result.losses,
    dev: result.dev,
    bestStep: result.bestStep,
    notes: [...fit.notes, ...(enc.truncated ? [`${enc.truncated} training texts truncated to ${o.maxLength} tokens`] : [])],
  };
}

/**
 * The kind of input a saved classifier was trained on (`extra.inputs` of its `method.json`); undefined for one
 * saved before the kind was recorded.
 * @throws InputError naming method.json's `extra.inputs` for another value.
 */
export function savedInputs(meta: Pick<SavedMethod, "extra">, dir: string): InputKind | undefined {
  return recordedInputKind(meta.extra?.inputs, { file: `${dir}/method.json`, field: "extra.inputs" });
}

/**
 * Read a saved classifier predictor (fine-tuning, P-tuning v2) for `model`: {@link loadMethod} and the head checked
 * against the labels and the model.
 */
export async function loadClassifier<O extends Partial<MultipleChoiceOption>>(
  dir: string,
  method: string,
  model: ModelFolder,
): Promise<{ meta: SavedMethod<O>; tensors: TensorMap }> {
  requireCapabilities(model, ["pooled"], method);
  const saved = await loadMethod<O>(dir, method, model);
  const { labels, options } = saved.meta;
  checkSavedHead(saved.tensors, model.backbone, labels, `${dir}/weights.safetensors`, `${dir}/method.json`, headClasses(labels, options));
  return saved;
}

/** Predicts with a classifier head (and any prefix) over a model; saves what the method trained. */
export class ClassifierPredictor implements Predictor {
  readonly #evaluator: ClassifierEvaluator;

  /**
   * @param saved the method's own tensors, overriding the model's of the same name (fine-tuning: every weight;
   *   P-tuning v2: prefix encoder and head). Read live, so training them in place shows in predictions.
   * @param inputs the kind of input it was trained on (its training rows'), saved with it; undefined when
   *   unknown (a predictor saved before the kind was recorded, or trained on no rows).
   * @param extra builds the eval graph's prefix from the weights.
   */
  constructor(
    private readonly model: ModelFolder,
    readonly labels: readonly string[],
    private readonly method: string,
    private readonly options: { maxLength: number; evalBatchSize: number } & Partial<MultipleChoiceOption>,
    private readonly saved: TensorMap,
    readonly inputs?: InputKind,
    extra?: ExtraBuilder,
  ) {
    this.#evaluator = new ClassifierEvaluator(model.backbone, new Map([...model.weights, ...saved]), extra);
  }

  /** The sequences of `inputs`: one each, or with `multipleChoice` one per candidate, a row's candidates together. */
  encode(inputs: readonly TextInput[]): { seqs: TokenSeq[]; truncated: number } {
    const texts = this.options.multipleChoice ? candidateTexts(inputs, this.labels.length) : inputs;
    return encodeTexts(this.model.tokenizer, texts, this.options.maxLength);
  }

  /** Probabilities of already encoded sequences ({@link encode}). */
  async predictSeqs(seqs: readonly TokenSeq[]): Promise<number[][]> {
    const { evalBatchSize, maxLength, multipleChoice } = this.options;
    const classes = headClasses(this.labels, this.options);
    const run = (b: TokenBatch) => this.#evaluator.run(b);
    if (!multipleChoice) return predictBatches(seqs, evalBatchSize, maxLength, classes, run, { softmax: true });
    return candidateProba(await predictBatches(seqs, evalBatchSize, maxLength, classes, run), this.labels.length);
  }

  predictProba(inputs: readonly TextInput[]): Promise<number[][]> {
    return this.predictSeqs(this.encode(inputs).seqs);
  }

  save(dir: string): Promise<void> {
    const extra = this.inputs ? { inputs: this.inputs } : undefined;
    return saveMethod(dir, { method: this.method, options: this.options, labels: [...this.labels], extra }, this.model, this.saved);
  }
}
