/**
 * Fine-tuning (Hugging Face `BertForSequenceClassification`): dropout on the pooled [CLS], a linear head,
 * cross-entropy; every parameter trained with AdamW, linear warmup and decay.
 */
import type { Row } from "../data/types.ts";
import { Graph } from "../engine/graph.ts";
import { crossEntropy } from "../engine/layers.ts";
import { buildBert } from "../model/bert.ts";
import type { ModelFolder } from "../model/folder.ts";
import { GraphParams } from "../model/params.ts";
import { GradientStep } from "../train/gradient_step.ts";
import { LOOP_DEFAULTS, type LoopOptions, trainLoop } from "../train/loop.ts";
import { hash32 } from "../util/rng.ts";
import type { TensorMap } from "../util/tensor.ts";
import { encodeTexts, packBatch, type TokenSeq, tokenFeeds } from "./batch.ts";
import { ClassifierEvaluator, classifierLogits, initHead } from "./classifier.ts";
import { checkOption, labelIndices } from "./labels.ts";
import { accuracyOf, predictBatches } from "./predict.ts";
import { loadMethod, saveMethod } from "./saved.ts";
import type { FitOptions, Method, MethodFactory, Predictor, TrainRecord } from "./types.ts";

/** Options of fine-tuning: the loop's plus input length and evaluation batch size. */
export interface FinetuneOptions extends LoopOptions {
  /** Longest input in tokens, [CLS] and [SEP] included. */
  maxLength: number;
  evalBatchSize: number;
}

/** Defaults: LM-BFF's few-shot fine-tuning baseline (lr 1e-5..2e-5, batch 16, evaluation every 50 steps). */
export const FINETUNE_DEFAULTS: FinetuneOptions = {
  ...LOOP_DEFAULTS,
  lr: 2e-5,
  warmupRatio: 0.1,
  steps: 200,
  maxLength: 128,
  evalBatchSize: 32,
};

/** Dropout seed of one step: a function of (seed, step) only, so a resumed run draws the same masks. */
export function stepSeed(seed: number, step: number): Uint32Array {
  return Uint32Array.of(hash32((hash32(seed >>> 0) ^ step) >>> 0));
}

/** Validate the loop options every trained method shares. */
export function checkLoopOptions(o: LoopOptions & { maxLength: number }, maxPositions: number): void {
  checkOption("steps", o.steps, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  checkOption("batchSize", o.batchSize, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  checkOption("lr", o.lr, (v) => v > 0, "positive");
  checkOption("warmupRatio", o.warmupRatio, (v) => v >= 0 && v < 1, "in [0, 1)");
  checkOption("maxLength", o.maxLength, (v) => Number.isInteger(v) && v >= 8 && v <= maxPositions, `an integer in [8, ${maxPositions}]`);
}

/** Predicts with a fine-tuned model. */
class ClassifierPredictor implements Predictor {
  readonly #evaluator: ClassifierEvaluator;

  constructor(
    private readonly model: ModelFolder,
    readonly labels: readonly string[],
    private readonly weights: TensorMap,
    private readonly options: FinetuneOptions,
  ) {
    this.#evaluator = new ClassifierEvaluator(model.config, weights);
  }

  predictSeqs(seqs: readonly TokenSeq[]): Promise<number[][]> {
    const { evalBatchSize, maxLength } = this.options;
    return predictBatches(seqs, evalBatchSize, maxLength, this.labels.length, (b) => this.#evaluator.run(b));
  }

  predictProba(texts: readonly string[]): Promise<number[][]> {
    return this.predictSeqs(encodeTexts(this.model.tokenizer, texts, this.options.maxLength).seqs);
  }

  save(dir: string): Promise<void> {
    return saveMethod(dir, { method: "finetune", options: this.options, labels: [...this.labels] }, this.weights);
  }
}

class Finetune implements Method {
  readonly name = "finetune";

  constructor(private readonly model: ModelFolder, private readonly labels: readonly string[], private readonly options: FinetuneOptions) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels, options: o } = this;
    const gold = labelIndices(train, labels, "train"), devGold = labelIndices(dev, labels, "dev");
    // Train a copy: the loaded model stays as it was for the next run.
    const weights: TensorMap = new Map([...model.weights].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
    for (const [n, t] of initHead(model.config, labels.length, o.seed)) weights.set(n, t);
    const enc = encodeTexts(model.tokenizer, train.map((r) => r.text), o.maxLength);
    const devSeqs = encodeTexts(model.tokenizer, dev.map((r) => r.text), o.maxLength).seqs;
    const predictor = new ClassifierPredictor(model, labels, weights, o);
    const steps = new Map<string, Promise<GradientStep>>();
    const used = new Set<string>();

    const stepFor = (batch: number, seqLen: number) => {
      const key = `${batch}:${seqLen}`;
      if (!steps.has(key)) {
        steps.set(key, GradientStep.build((g: Graph) => {
          const params = new GraphParams(g, weights, () => true);
          const bert = buildBert(g, model.config, params.get, { batch, seqLen, train: true });
          const targets = g.input("labels", [batch], "int64");
          return { loss: crossEntropy(classifierLogits(bert, model.config, params.get), targets), params };
        }));
      }
      return steps.get(key)!;
    };

    const result = await trainLoop({
      params: weights,
      examples: enc.seqs.map((seq, i) => ({ seq, label: gold[i] })),
      onProgress,
      step: async (batch, step) => {
        const b = packBatch(batch.map((e) => e.seq), { maxLength: o.maxLength });
        const s = await stepFor(b.batch, b.seqLen);
        s.trainable.forEach((n) => used.add(n));
        const r = await s.run(weights, {
          ...tokenFeeds(b),
          labels: BigInt64Array.from(batch.map((e) => BigInt(e.label))),
          dropout_seed: stepSeed(o.seed, step),
        });
        return r;
      },
      evaluate: dev.length ? async () => accuracyOf(await predictor.predictSeqs(devSeqs), devGold) : undefined,
    }, o);
    for (const s of steps.values()) await (await s).release();

    const record: TrainRecord = {
      method: this.name,
      trainableParams: [...used].reduce((sum, n) => sum + weights.get(n)!.data.length, 0),
      steps: result.steps,
      wallSeconds: result.wallSeconds,
      losses: result.losses,
      dev: result.dev,
      bestStep: result.bestStep,
      notes: [...model.notes, ...(enc.truncated ? [`${enc.truncated} training texts truncated to ${o.maxLength} tokens`] : [])],
    };
    return { predictor, record };
  }
}

/** Registry entry of fine-tuning. */
export const finetune: MethodFactory<FinetuneOptions> = {
  name: "finetune",
  summary: "fine-tuning: [CLS] pooled output, linear head, every parameter trained",
  defaults: FINETUNE_DEFAULTS,
  create(model, labels, options = {}) {
    const o = { ...FINETUNE_DEFAULTS, ...options };
    checkLoopOptions(o, model.config.max_position_embeddings);
    return new Finetune(model, labels, o);
  },
  async load(dir, model) {
    const { meta, tensors } = await loadMethod<FinetuneOptions>(dir, "finetune");
    return new ClassifierPredictor(model, meta.labels, tensors, meta.options);
  },
};
