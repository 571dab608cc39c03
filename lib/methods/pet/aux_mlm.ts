/**
 * PET's auxiliary masked-LM objective: alongside each labelled step, a masked-LM step on unlabelled text (or
 * sentence pairs, encoded as BERT pairs) with the same weights, the two gradients mixed as α·CE + (1 − α)·MLM
 * (PET's default α = 0.9999), so prompt-based fine-tuning keeps the model a language model.
 */
import type { Backbone } from "../../model/backbone.ts";
import type { BertTokenizer } from "../../model/tokenizers/tokenizer.ts";
import type { GradientStep } from "../../engine/gradient_step.ts";
import { encodeTexts, packBatch, type TextInput, type TokenSeq } from "../../model/batch.ts";
import { maskBatch, maskCapacity, maskingVocab } from "../../model/masking.ts";
import { mlmFeeds } from "../../model/masking.ts";
import { stepSeed } from "../../train/step_seed.ts";
import { mixSeed, Rng } from "../../util/rng.ts";
import type { TensorMap } from "../../util/tensor.ts";

/** Options of the auxiliary objective. */
export interface AuxMlmOptions {
  /** Weight of the task loss; the MLM loss gets 1 − alpha. */
  alpha: number;
  /** Unlabelled texts per auxiliary step. */
  batchSize: number;
}

/** Runs the auxiliary MLM step of each training step on unlabelled texts, seeded by (seed, step). */
export class AuxMlm {
  readonly #seqs: TokenSeq[];
  readonly #steps = new Map<string, Promise<GradientStep>>();
  readonly #order: number[];

  constructor(
    private readonly backbone: Backbone,
    private readonly tokenizer: BertTokenizer,
    texts: readonly TextInput[],
    private readonly options: AuxMlmOptions & { maxLength: number; seed: number },
  ) {
    if (texts.length === 0) throw new Error("auxiliary MLM: no unlabelled texts");
    this.#seqs = encodeTexts(tokenizer, texts, options.maxLength).seqs;
    this.#order = new Rng(options.seed).fork("aux-mlm").shuffle([...this.#seqs.keys()]);
  }

  /** The MLM loss and gradients of step `step` on `weights`. */
  async step(weights: TensorMap, step: number): Promise<{ loss: number; grads: TensorMap }> {
    const { batchSize, maxLength, seed } = this.options;
    const seqs = Array.from({ length: batchSize }, (_, i) => this.#seqs[this.#order[(step * batchSize + i) % this.#order.length]]);
    const tokens = packBatch(seqs, { maxLength, padId: this.tokenizer.specialIds.pad });
    const masked = maskBatch(tokens, new Rng(mixSeed(seed, step, 0xa0)), maskingVocab(this.tokenizer));
    const key = `${tokens.batch}:${tokens.seqLen}`;
    if (!this.#steps.has(key)) {
      this.#steps.set(key, this.backbone.mlmTrainStep(weights, tokens.batch, tokens.seqLen, maskCapacity(tokens.batch, tokens.seqLen)));
    }
    const s = await this.#steps.get(key)!;
    return s.run(weights, { ...mlmFeeds(masked), dropout_seed: stepSeed(seed ^ 0x5a5a, step) });
  }

  /** Mix a task step's result with this step's: α·task + (1 − α)·MLM, for the loss and every gradient. */
  async mix(weights: TensorMap, step: number, task: { loss: number; grads: TensorMap }): Promise<{ loss: number; grads: TensorMap }> {
    const { alpha } = this.options;
    const aux = await this.step(weights, step);
    const grads: TensorMap = new Map();
    for (const name of new Set([...task.grads.keys(), ...aux.grads.keys()])) {
      const a = task.grads.get(name), b = aux.grads.get(name);
      const data = new Float32Array((a ?? b)!.data.length);
      for (let i = 0; i < data.length; i++) data[i] = alpha * (a?.data[i] ?? 0) + (1 - alpha) * (b?.data[i] ?? 0);
      grads.set(name, { shape: (a ?? b)!.shape, data });
    }
    return { loss: alpha * task.loss + (1 - alpha) * aux.loss, grads };
  }

  /** Release the compiled steps. */
  async release(): Promise<void> {
    for (const s of this.#steps.values()) await (await s).release();
  }
}
