/**
 * A sequence classifier on BERT's pooled [CLS] (Hugging Face `BertForSequenceClassification`): dropout
 * (classifier_dropout, else hidden_dropout_prob) then a linear head. Fine-tuning trains it with the whole
 * model; P-tuning v2 with a prefix and a frozen backbone.
 */
import { Graph, type Value } from "../../engine/graph.ts";
import { linear } from "../../engine/layers.ts";
import { feedsFor, SessionCache } from "../../engine/session.ts";
import type { Backbone, EncoderGraph, EncoderOptions, ParamSource } from "../../model/backbone.ts";
import { GraphParams } from "../../model/params.ts";
import { InputError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { type TokenBatch, tokenFeeds } from "../../model/batch.ts";

/** Canonical names of the head, as Hugging Face names them. */
export const HEAD_WEIGHT = "classifier.weight", HEAD_BIAS = "classifier.bias";

/** A freshly initialised head, as `backbone` initialises its weights (BERT: N(0, initializer_range) weight, zero bias), from `seed`. */
export function initHead(backbone: Backbone, numClasses: number, seed: number): TensorMap {
  const rng = new Rng(seed).fork("classifier");
  return new Map([
    [HEAD_WEIGHT, backbone.initTensor(HEAD_WEIGHT, [numClasses, backbone.sizes.hiddenSize], rng)],
    [HEAD_BIAS, backbone.initTensor(HEAD_BIAS, [numClasses], rng)],
  ]);
}

/**
 * Refuse a saved head that is missing, sized for another model, or with another class count than `labels`
 * (a predictor would silently drop or invent a class), or than `classes` outputs (a multiple-choice head: 1).
 * @throws InputError naming `weightsFile` and the tensor, or `methodFile`'s `labels` with both counts.
 */
export function checkSavedHead(
  tensors: TensorMap,
  backbone: Backbone,
  labels: readonly string[],
  weightsFile: string,
  methodFile: string,
  classes = labels.length,
): void {
  for (const [name, shape] of [[HEAD_WEIGHT, [classes, backbone.sizes.hiddenSize]], [HEAD_BIAS, [classes]]] as const) {
    const t = tensors.get(name);
    if (!t) {
      throw new InputError("the classification head is missing (an incomplete file, or another method's)", {
        file: weightsFile,
        field: name,
      });
    }
    if (t.shape.length === shape.length && t.shape[0] !== classes) {
      throw new InputError(
        `lists ${labels.length} labels (${labels.join(", ")})${classes === labels.length ? "" : `, a head of ${classes} outputs,`} ` +
          `but the saved head has ${t.shape[0]} classes; the two must agree`,
        {
          file: methodFile,
          field: "labels",
        },
      );
    }
    if (t.shape.join() !== shape.join()) {
      throw new InputError(`shape [${t.shape}] stored, [${shape}] expected for this model`, { file: weightsFile, field: name });
    }
  }
}

/** Class logits [B, C] of the head on the pooled [CLS] of `bert`, an encoder of `backbone`. */
export function classifierLogits(bert: EncoderGraph, backbone: Backbone, param: ParamSource): Value {
  return linear(bert.dropout(bert.pooled(), backbone.sizes.classifierDropout), param(HEAD_WEIGHT), param(HEAD_BIAS));
}

/** Everything but the token feeds of a classifier graph: extra inputs such as a prefix. */
export type ExtraBuilder = (
  g: Graph,
  backbone: Backbone,
  param: ParamSource,
  batch: number,
  train: boolean,
) => Pick<EncoderOptions, "prefix" | "prefixLayers">;

/**
 * Eval-mode class probabilities with the weights as graph inputs, so one compiled session per shape
 * serves every evaluation while the weights change.
 */
export class ClassifierEvaluator {
  readonly #cache = new SessionCache();

  constructor(
    private readonly backbone: Backbone,
    private readonly weights: TensorMap,
    private readonly extra: ExtraBuilder = () => ({}),
  ) {}

  /** Head logits [batch, C], row-major. */
  async run(b: TokenBatch): Promise<Float32Array> {
    const compiled = await this.#cache.get(`eval:${b.batch}:${b.seqLen}`, () => this.#build(b));
    return (await compiled.run(feedsFor(compiled, tokenFeeds(b), this.weights))).logits as Float32Array;
  }

  #build(b: TokenBatch) {
    const g = new Graph();
    const params = new GraphParams(g, this.weights, () => true);
    const extra = this.extra(g, this.backbone, params.get, b.batch, false);
    const bert = this.backbone.encoder(g, params.get, { batch: b.batch, seqLen: b.seqLen, train: false, ...extra });
    return { graph: g, outputs: { logits: classifierLogits(bert, this.backbone, params.get) } };
  }

  /** Release the compiled sessions. */
  release(): Promise<void> {
    return this.#cache.clear();
  }
}
