/**
 * A prompt read at `[MASK]` through the MLM head and a verbalizer, on a BERT that may carry trained vectors at
 * a template's soft slots (the soft-prompt method) and trained key/value prefixes in its layers (P-tuning v2's
 * `head: "mask"`): encoding, the class-score graph and its feeds, eval-mode scores, training, and the
 * predictor. Each rung of the article's ladder between the discrete prompt and P-tuning v2 is one of these.
 */
import type { InputKind, Row } from "../../data/types.ts";
import { Graph, type Value } from "../../engine/graph.ts";
import { crossEntropy } from "../../engine/layers.ts";
import { feedsFor, SessionCache } from "../../engine/session.ts";
import type { ParamSource } from "../../model/backbone.ts";
import { type TextInput, type TokenBatch, tokenFeeds, type TokenSeq } from "../../model/batch.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { GraphParams } from "../../model/params.ts";
import type { LoopOptions } from "../../train/loop.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { labelIndices, rowsInputKind } from "../checks.ts";
import { accuracyOf, predictBatches } from "../predict.ts";
import { templateInputs } from "../prompt_inputs.ts";
import { saveMethod } from "../saved.ts";
import { fitSupervised } from "../supervised_fit.ts";
import type { Template } from "../pet/template.ts";
import type { Verbalizer } from "../pet/verbalizer.ts";
import { encodeReadout, readoutFeeds, readoutScores } from "../pet/mask_readout.ts";
import type { Predictor, ProgressCallback, TrainRecord } from "../types.ts";
import { type PromptShape, promptValue, softSlotFeeds, softSlotsHook } from "./prompt.ts";

/** Graph input of a computed prefix's dropout seed (fed the step's seed). */
const PREFIX_SEED = "prefix_dropout_seed";

/** Per-layer prefixes computed in the graph: the prefix value and the layers it feeds. */
export interface PatternPrefix {
  /** Prefix keys/values [2·layers, B or 1, heads, P, d]; `dropoutSeed` only while training. */
  build(g: Graph, param: ParamSource, batch: number, dropoutSeed?: Value): Value;
  /** Layers the rows belong to (default every layer). */
  layers?: readonly number[];
}

/** Options a pattern reads: input length, evaluation batch, and the soft prompt's shape (with soft slots). */
export type PatternOptions = LoopOptions & PromptShape & { maxLength: number; evalBatchSize: number };

/** A template and verbalizer on a model, with soft slots and/or a prefix. */
export class PromptPattern {
  readonly #cache = new SessionCache();

  constructor(
    readonly model: ModelFolder,
    readonly template: Template,
    readonly verbalizer: Verbalizer,
    /** Backbone and trained weights, read live at each run. */
    readonly weights: TensorMap,
    /** Weights fed at each run (the trained ones); the rest are baked into the graphs. */
    readonly trained: (name: string) => boolean,
    readonly options: PatternOptions,
    readonly prefix?: PatternPrefix,
  ) {}

  encode(inputs: readonly TextInput[]): { seqs: TokenSeq[]; truncated: number } {
    return encodeReadout(this.model.tokenizer, this.template, inputs, this.verbalizer, this.options.maxLength);
  }

  /** Feeds of a packed batch (rows `part`) besides its tokens: the mask readout's and any soft slots. */
  feeds(b: TokenBatch, part: readonly TokenSeq[]) {
    const soft = this.template.soft ? softSlotFeeds(b, this.model.tokenizer.specialIds.pad, this.template.soft) : {};
    return { ...readoutFeeds(b, part, this.model, this.verbalizer), ...soft };
  }

  /** Class scores [batch, C] of the prompted BERT built into `g` (with a `prefix_dropout_seed` input when training a prefix). */
  scores(g: Graph, param: ParamSource, batch: number, seqLen: number, train: boolean): Value {
    const hook = this.template.soft ? softSlotsHook(g, promptValue(param, this.options), batch, seqLen) : undefined;
    const prefix = this.prefix?.build(g, param, batch, train ? g.input(PREFIX_SEED, [], "uint32") : undefined);
    const bert = this.model.backbone.encoder(g, param, {
      batch,
      seqLen,
      train,
      wordEmbeddingsHook: hook,
      prefix,
      prefixLayers: this.prefix?.layers,
    });
    return readoutScores(g, bert, batch, this.verbalizer);
  }

  /** Class probabilities of encoded sequences with the current weights. */
  proba(seqs: readonly TokenSeq[]): Promise<number[][]> {
    const { evalBatchSize, maxLength } = this.options;
    return predictBatches(seqs, evalBatchSize, maxLength, this.verbalizer.words.length, async (b, part) => {
      const compiled = await this.#cache.get(`eval:${b.batch}:${b.seqLen}`, () => {
        const g = new Graph();
        return {
          graph: g,
          outputs: { scores: this.scores(g, new GraphParams(g, this.weights, this.trained).get, b.batch, b.seqLen, false) },
        };
      });
      return (await compiled.run(feedsFor(compiled, { ...tokenFeeds(b), ...this.feeds(b, part) }, this.weights))).scores as Float32Array;
    }, { softmax: true });
  }
}

/**
 * Train `params` (a subset of the pattern's weights, updated in place) with cross-entropy over the class scores
 * on `train`, keeping the best state on `dev`; `notes` open the record's notes.
 */
export async function fitPattern(
  method: string,
  pattern: PromptPattern,
  params: TensorMap,
  sets: { train: readonly Row[]; dev: readonly Row[]; labels: readonly string[] },
  notes: readonly string[],
  onProgress?: ProgressCallback,
): Promise<TrainRecord> {
  const { train, dev, labels } = sets, o = pattern.options;
  rowsInputKind({ train, dev });
  const gold = labelIndices(train, labels, "train"), devGold = labelIndices(dev, labels, "dev");
  const enc = pattern.encode(train), devSeqs = pattern.encode(dev).seqs;
  const result = await fitSupervised(
    {
      weights: pattern.weights,
      params,
      isTrainable: (n) => params.has(n),
      options: o,
      onProgress,
      loss: (g, p, batch, seqLen, targets) => crossEntropy(pattern.scores(g, p.get, batch, seqLen, true), targets),
      feeds: (b, seed, seqs) => ({ ...pattern.feeds(b, seqs), ...(pattern.prefix ? { [PREFIX_SEED]: seed } : {}) }),
      evaluate: dev.length ? async () => accuracyOf(await pattern.proba(devSeqs), devGold) : undefined,
    },
    enc.seqs,
    gold,
  );
  const { losses, dev: devs, steps, bestStep, wallSeconds, trainableParams } = result;
  const truncated = enc.truncated ? [`${enc.truncated} training texts truncated to fit ${o.maxLength} tokens`] : [];
  return { method, trainableParams, steps, wallSeconds, losses, dev: devs, bestStep, notes: [...notes, ...truncated] };
}

/** Predicts with a pattern; saves `saved` (what trained) under `method` with `options`. */
export class PatternPredictor implements Predictor {
  constructor(
    readonly labels: readonly string[],
    /** What it predicts with (an export writes it out). */
    readonly pattern: PromptPattern,
    private readonly saved: TensorMap,
    private readonly method: string,
    private readonly options: object,
  ) {}

  get inputs(): InputKind {
    return templateInputs(this.pattern.template);
  }

  predictProba(inputs: readonly TextInput[]): Promise<number[][]> {
    return this.pattern.proba(this.pattern.encode(inputs).seqs);
  }

  save(dir: string): Promise<void> {
    const meta = { method: this.method, options: this.options, labels: [...this.labels], extra: { inputs: this.inputs } };
    return saveMethod(dir, meta, this.pattern.model, this.saved);
  }
}
