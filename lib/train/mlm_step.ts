/** The masked-LM training step (loss and every gradient) of pre-training and PET's auxiliary objective. */
import type { BertConfig } from "../model/config.ts";
import { mlmLoss } from "../model/mlm_graph.ts";
import type { TensorMap } from "../util/tensor.ts";
import { GradientStep } from "./gradient_step.ts";

/** The training step of one shape: every weight trainable, dropout on. */
export function mlmTrainStep(config: BertConfig, weights: TensorMap, rows: number, length: number, capacity: number): Promise<GradientStep> {
  return GradientStep.build((g) => {
    const { params, loss } = mlmLoss(g, config, weights, rows, length, capacity, true);
    return { loss, params };
  });
}
