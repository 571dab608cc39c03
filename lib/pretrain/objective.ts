/**
 * What the pre-training loop (`pretrain.ts`) needs of a backbone and its objective: a new model's files and
 * weights, the training texts as token sequences, the loss and gradients of one pass, the held-out score and the
 * finished model. Masked LM on a BERT (`bert_objective.ts`) and span corruption on a T5 (`t5_objective.ts`)
 * implement it; batches, micro-batches, seeds, the optimiser, checkpoints and resume stay the loop's.
 * @module
 */
import type { TokenSeq } from "../model/batch.ts";
import type { Rng } from "../util/rng.ts";
import type { TensorMap } from "../util/tensor.ts";
import type { HeldoutResult } from "./heldout.ts";

/** Options that decide the model a run starts from (the loop's options hold these and more). */
export interface ModelOptions {
  /** Output model folder. */
  out: string;
  /** Continue from this model folder. */
  from?: string;
  /** A new model takes this folder's tokenizer. */
  tokenizer?: string;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxLength: number;
  minFreq: number;
  seed: number;
}

/** The first contents of the output folder: config.json and the tokenizer files, by name. */
export interface ModelStart {
  files: Record<string, string>;
  weights: TensorMap;
}

/** Randomness of one pass, a function of (seed, step, pass) so that a resumed run draws the same. */
export interface PassDraw {
  /** Masks or spans. */
  rng: Rng;
  /** The graph's `dropout_seed` feed. */
  dropoutSeed: Uint32Array;
}

/** A model being pre-trained with its objective; its weights are trained in place by the loop. */
export interface PretrainObjective {
  /** The model's config, as in config.json. */
  readonly config: { vocab_size: number };
  /** The training texts as token sequences of at most {@link maxLength} tokens. */
  readonly seqs: TokenSeq[];
  /** Longest sequence the batches hold. */
  readonly maxLength: number;
  /** Mean loss over the pass's predicted tokens, its gradients, and how many tokens it predicted. */
  pass(part: readonly TokenSeq[], rows: number, length: number, draw: PassDraw): Promise<{ loss: number; grads: TensorMap; count: number }>;
  /** Held-out loss and accuracy on the fixed held-out texts with a fixed seed. */
  heldout(): Promise<HeldoutResult>;
  /** Write the finished model into the output folder (before its training log). */
  save(): Promise<void>;
  /** Free the compiled sessions. */
  release(): Promise<void>;
}

/** A backbone the loop can pre-train. */
export interface PretrainArch {
  /** config.json, tokenizer files and initial weights of a new model (or of the one `from` continues). */
  start(o: ModelOptions, train: readonly string[]): Promise<ModelStart>;
  /** The objective on the output folder's config and tokenizer, training `weights`. */
  open(o: ModelOptions, weights: TensorMap, corpus: { train: readonly string[]; heldout: readonly string[] }): Promise<PretrainObjective>;
}
