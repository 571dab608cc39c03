/**
 * What an encoder-decoder offers a method behind the seam (capability `text-to-text`): its tokenizer's view of
 * prompts and target strings, inference on frozen weights (log-likelihood of given targets, greedy
 * generation) and the compiled teacher-forced training step. T5 implements it (`t5/backbone.ts`); methods
 * reach it as `Backbone.textToText` and the folder's tokenizer, never by the architecture's name.
 * @module
 */
import type { GradientStep } from "../engine/gradient_step.ts";
import type { TensorMap } from "../util/tensor.ts";

/** A padded batch of encoder inputs (1 for tokens, 0 for padding in the mask). */
export interface TextBatch {
  inputIds: number[][];
  attentionMask: number[][];
}

/** A text-to-text model's tokenizer, as methods use it. */
export interface TextToTextTokenizer {
  /** Number of ids (largest id + 1). */
  readonly vocabSize: number;
  /** Ids of the padding, end-of-sequence and unknown tokens. */
  readonly pad: number;
  readonly eos: number;
  readonly unk: number;
  /** Raw contents of the tokenizer files, by file name (fingerprints, saved folders). */
  readonly files: Record<string, string>;
  /** Ids of `text`, closed by the end-of-sequence token unless `eos` is false. */
  encode(text: string, opts?: { eos?: boolean }): number[];
  /** Texts as encoder input: each encoded, cut to `maxLength` keeping its end token, padded to the longest. */
  encodeBatch(texts: readonly string[], maxLength?: number): TextBatch;
  /** Text of `ids`, special tokens dropped. */
  decode(ids: readonly number[]): string;
}

/** Inference on one set of frozen weights; compiled sessions are cached until {@link release}. */
export interface TextToTextRunner {
  /** [input][candidate]: sum over each candidate's ids (its end token included) of log p(id | input, ids before). */
  logLikelihoods(batch: TextBatch, candidates: readonly (readonly number[])[]): Promise<number[][]>;
  /** Greedy decoding of up to `maxNewTokens` ids per input (rows of equal length, padded after the end token). */
  greedy(batch: TextBatch, maxNewTokens: number): Promise<number[][]>;
  release(): Promise<void>;
}

/** Shapes of one teacher-forced training step. */
export interface TextToTextShape {
  batch: number;
  srcLen: number;
  tgtLen: number;
}

/**
 * The text-to-text side of a backbone. A step's feeds are `input_ids` [B, S] int64, `attention_mask` [B, S]
 * float32, `decoder_input_ids` ({@link shiftRight} of the labels) and `labels` [B, T] int64 (`ignoreLabel` at
 * positions not predicted), `dropout_seed`; its loss is the mean cross-entropy over the predicted positions.
 */
export interface TextToText {
  /** The label of a target position that is not predicted (padding of a shorter target). */
  readonly ignoreLabel: number;
  /**
   * Inference on `weights` (all frozen). With `softPrompt`, the name of a [P, hidden] tensor of `weights`, its
   * rows replace the token embeddings of the first P positions of every input (prompt tuning: give P
   * placeholder ids there).
   */
  runner(weights: TensorMap, softPrompt?: string): TextToTextRunner;
  /**
   * The compiled training step of one shape over `weights`, the ones `isTrainable` names as inputs, dropout on;
   * `softPrompt` as in {@link runner}.
   */
  trainStep(
    weights: TensorMap,
    isTrainable: (name: string) => boolean,
    shape: TextToTextShape,
    softPrompt?: string,
  ): Promise<GradientStep>;
  /** Decoder inputs of `labels`: the start token, then each label but the last, ignored ones fed as padding. */
  shiftRight(labels: readonly (readonly number[])[]): number[][];
  /**
   * Write into the claimed export folder `out` the files transformers.js runs with
   * `pipeline('text2text-generation')`: the model of folder `dir` with `weights`, and with `softPrompt` (as in
   * {@link runner}) its vectors baked in before every input (docs/export.md).
   */
  writeExport(out: string, dir: string, weights: TensorMap, softPrompt?: string): Promise<void>;
}
