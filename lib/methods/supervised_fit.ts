/**
 * Supervised training shared by every method that trains weights with a cross-entropy loss (fine-tuning,
 * P-tuning v2, PET): one compiled gradient step per batch shape, the shared loop (seeded batches, best-on-dev,
 * divergence stop), and the count of the weights that actually trained.
 */
import type { Graph, TensorData, Value } from "../engine/graph.ts";
import { GraphParams } from "../model/params.ts";
import { GradientStep } from "../engine/gradient_step.ts";
import { type LoopOptions, type LoopResult, trainLoop } from "../train/loop.ts";
import type { TensorMap } from "../util/tensor.ts";
import { packBatch, type TokenBatch, tokenFeeds, type TokenSeq } from "../model/batch.ts";
import type { ProgressCallback } from "../train/progress.ts";
import { stepSeed } from "../train/step_seed.ts";
import { GradAccumulator } from "../train/grad_accumulator.ts";
import { lengthPasses } from "../train/length_passes.ts";
import { mixSeed } from "../util/rng.ts";

/** What one supervised run trains and how its loss is built. */
export interface SupervisedFit {
  /** Every weight the graphs read by name. */
  weights: TensorMap;
  /** The tensors the loop updates in place (restored to the best-on-dev state); a subset of `weights`. */
  params: TensorMap;
  /** Which weights are graph inputs with gradients; the rest are frozen graph constants. */
  isTrainable(name: string): boolean;
  options: LoopOptions & { maxLength: number };
  /**
   * Sequences per example (default 1): `seqs` holds `group` consecutive sequences per label (a multiple-choice
   * row's candidates), packed together into a batch of `group`·examples rows.
   */
  group?: number;
  /**
   * The scalar loss (a mean over the batch's examples) of one batch shape; `batch` counts sequences, `labels`
   * [batch / group] is the int64 class input.
   */
  loss(g: Graph, params: GraphParams, batch: number, seqLen: number, labels: Value): Value;
  /** Feeds the loss graph needs beyond tokens, labels and the dropout seed; `seqs` are the batch's rows. */
  feeds?(b: TokenBatch, seed: Uint32Array, seqs: readonly TokenSeq[]): Record<string, TensorData>;
  /** Dev accuracy of the current state; without it the final state is kept. */
  evaluate?(): Promise<number>;
  onProgress?: ProgressCallback;
  /** Combines a step's loss and gradients with another objective's (PET's auxiliary MLM loss). */
  mix?(step: number, result: { loss: number; grads: TensorMap }): Promise<{ loss: number; grads: TensorMap }>;
}

/**
 * Train on `seqs` with class indices `gold` (one per `fit.group` sequences).
 * @returns the loop's result and the number of scalars that trained (the weights the graphs read as inputs).
 */
export async function fitSupervised(
  fit: SupervisedFit,
  seqs: readonly TokenSeq[],
  gold: readonly number[],
): Promise<LoopResult & { trainableParams: number }> {
  const { weights, options: o } = fit, group = fit.group ?? 1;
  const steps = new Map<string, Promise<GradientStep>>();
  const used = new Set<string>();
  const stepFor = (batch: number, seqLen: number) => {
    const key = `${batch}:${seqLen}`;
    if (!steps.has(key)) {
      steps.set(
        key,
        GradientStep.build((g: Graph) => {
          const params = new GraphParams(g, weights, fit.isTrainable);
          return { loss: fit.loss(g, params, batch, seqLen, g.input("labels", [batch / group], "int64")), params };
        }),
      );
    }
    return steps.get(key)!;
  };
  try {
    const result = await trainLoop({
      params: fit.params,
      examples: gold.map((label, i) => ({ seqs: seqs.slice(i * group, (i + 1) * group), label })),
      onProgress: fit.onProgress,
      step: async (batch, step) => {
        // Passes over the batch sorted by length, each padded to its own bucket; the loss is a mean over rows,
        // so weighting each pass by its rows gives the whole batch's mean and gradient.
        const sum = new GradAccumulator();
        const length = (e: { seqs: readonly TokenSeq[] }) => Math.max(...e.seqs.map((s) => s.ids.length));
        for (const [i, part] of lengthPasses(batch, length, o.passes).entries()) {
          const seqs = part.flatMap((e) => e.seqs);
          const b = packBatch(seqs, { maxLength: o.maxLength });
          const s = await stepFor(b.batch, b.seqLen);
          s.trainable.forEach((n) => used.add(n));
          // Each pass draws its own dropout masks: same-shaped passes with one seed would share them.
          const seed = stepSeed(i ? mixSeed(o.seed, i) : o.seed, step);
          const r = await s.run(weights, {
            ...tokenFeeds(b),
            ...fit.feeds?.(b, seed, seqs),
            labels: BigInt64Array.from(part.map((e) => BigInt(e.label))),
            dropout_seed: seed,
          });
          sum.add(r.loss, r.grads, part.length);
        }
        const result = sum.result();
        return fit.mix ? fit.mix(step, result) : result;
      },
      evaluate: fit.evaluate,
    }, o);
    return { ...result, trainableParams: [...used].reduce((sum, n) => sum + weights.get(n)!.data.length, 0) };
  } finally {
    for (const s of steps.values()) await (await s).release();
  }
}
