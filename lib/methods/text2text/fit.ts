/**
 * Training of the text-to-text method: the teacher-forced cross-entropy of each example's gold target (its
 * label's `<extra_id_0>` + word), one compiled step per batch shape, the shared loop (seeded batches, AdamW,
 * best on dev); every weight (`finetune`) or the soft prompt alone (`prompt-tuning`).
 * @module
 */
import type { Row } from "../../data/types.ts";
import type { GradientStep } from "../../engine/gradient_step.ts";
import { type LoopResult, trainLoop } from "../../train/loop.ts";
import { stepSeed } from "../../train/step_seed.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { labelIndices } from "../checks.ts";
import { accuracyOf } from "../predict.ts";
import type { FitOptions } from "../types.ts";
import { teacherForcedBatch } from "./teacher_forcing.ts";
import type { Text2TextPredictor } from "./predictor.ts";

/**
 * Train `params` (tensors of `predictor.weights`, updated in place, the best state on `dev` restored) on
 * `train`'s gold targets.
 */
export async function fitText2Text(
  predictor: Text2TextPredictor,
  params: TensorMap,
  train: readonly Row[],
  dev: readonly Row[],
  onProgress: FitOptions["onProgress"],
): Promise<LoopResult> {
  const { model, options: o, weights, labels, targets } = predictor;
  const t2t = model.backbone.textToText;
  const prompts = predictor.encode(train);
  const gold = labelIndices(train, labels, "train"), devGold = labelIndices(dev, labels, "dev");
  // One target length for every step: the longest label's, the others padded with ignored labels.
  const tgtLen = Math.max(...targets.map((t) => t.length));
  const steps = new Map<string, Promise<GradientStep>>();
  try {
    return await trainLoop({
      params,
      examples: prompts.map((ids, i) => ({ ids, label: gold[i] })),
      onProgress,
      step: async (batch, step) => {
        const { shape, feeds } = teacherForcedBatch(
          t2t,
          model.tokenizer,
          batch.map((e) => e.ids),
          batch.map((e) => targets[e.label]),
          tgtLen,
        );
        const key = `${shape.batch}x${shape.srcLen}`;
        if (!steps.has(key)) steps.set(key, t2t.trainStep(weights, (n) => params.has(n), shape, predictor.softPrompt));
        const { loss, grads } = await (await steps.get(key)!).run(weights, { ...feeds, dropout_seed: stepSeed(o.seed, step) });
        return { loss, grads };
      },
      evaluate: dev.length ? async () => accuracyOf(await predictor.predictProba(dev), devGold) : undefined,
    }, o);
  } finally {
    for (const s of steps.values()) await (await s).release();
  }
}
