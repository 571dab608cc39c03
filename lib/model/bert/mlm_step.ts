/** The masked-LM training step (loss and every gradient) of pre-training and PET's auxiliary objective. */
import { GradientStep } from "../../engine/gradient_step.ts";
import type { TensorMap } from "../../util/tensor.ts";
import type { BertConfig } from "./config.ts";
import { mlmLoss } from "./mlm_graph.ts";

/** The training step of one shape: every weight trainable, dropout on. */
export function mlmTrainStep(
  config: BertConfig,
  weights: TensorMap,
  rows: number,
  length: number,
  capacity: number,
): Promise<GradientStep> {
  return GradientStep.build((g) => {
    const { params, loss } = mlmLoss(g, config, weights, rows, length, capacity, true);
    return { loss, params };
  });
}
