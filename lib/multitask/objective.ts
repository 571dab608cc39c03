/**
 * What multitask training (`train.ts`) needs of a backbone: the out folder's first files and the weights to train
 * (the mixture's prompts checked against the base model's tokenizer first), and on the out folder's model the loss
 * and gradients of one step's draw, the finished model and the words its card describes it with. Sampling, the
 * optimiser, checkpoints and resume stay the loop's, so every objective resumes exactly as it does. PET's masked
 * LM on an encoder (`pet_objective.ts`) and text-to-text on an encoder-decoder (`text2text_objective.ts`)
 * implement it; `backbone_path.ts` picks one by the model's capabilities.
 * @module
 */
import type { StepDraw } from "./sampling.ts";
import type { TaskRows } from "./builder.ts";
import type { Mixture } from "./mixture.ts";
import type { TensorMap } from "../util/tensor.ts";

/** A model being trained on the mixture; its weights are trained in place by the loop. */
export interface MultitaskObjective {
  /** Mean loss of one step's draw (rows of task `draw.task`, each with its template), its gradients, and the encoder tokens it read. */
  step(draw: StepDraw, dropoutSeed: Uint32Array): Promise<{ loss: number; grads: TensorMap; tokens: number }>;
  /** Write the finished model (config, weights, tokenizer) into the out folder. */
  save(): Promise<void>;
  /** The model card's words: what the model is, its sizes, and its loss. */
  readonly card: ObjectiveCard;
  /** Free the compiled steps. */
  release(): Promise<void>;
}

/** How a model card describes a multitask model and its objective. */
export interface ObjectiveCard {
  /** e.g. "A Chinese BERT (masked LM)". */
  model: string;
  /** Layers, widths and vocabulary, one sentence. */
  sizes: string;
  /** The methods that load it, e.g. "every method of the kit". */
  methods: string;
  /** How a rendered row is trained on (after "each rendered with one of its templates drawn at random; "). */
  loss: string;
}

/** Training on the mixture for one kind of backbone. */
export interface MultitaskArch {
  /** Recorded in `multitask.json`: `pet-mlm` or the text-to-text method's name. */
  readonly objective: string;
  /**
   * The out folder's first files (config.json and the tokenizer's, by name) and the weights training starts from,
   * read from the base model folder `dir`.
   * @throws InputError naming the mixture file: label words or templates the base model's tokenizer cannot take.
   */
  start(dir: string, mixture: Mixture): Promise<{ files: Record<string, string>; weights: TensorMap }>;
  /** The objective on the out folder's config and tokenizer, training `weights` on `rows` (the mixture's tasks in order). */
  open(out: string, mixture: Mixture, rows: readonly TaskRows[], weights: TensorMap): Promise<MultitaskObjective>;
}
