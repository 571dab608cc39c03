/**
 * Masked-LM graphs of one batch shape: the loss on the masked positions (trained by `model/bert/mlm_step.ts`) and an
 * eval-mode evaluator of held-out loss and accuracy.
 */
import { Graph } from "../../engine/graph.ts";
import { crossEntropy } from "../../engine/layers.ts";
import { feedsFor, SessionCache } from "../../engine/session.ts";
import { buildBert } from "./graph.ts";
import type { BertConfig } from "./config.ts";
import { GraphParams } from "../params.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { argmax } from "../../eval/metrics.ts";
import { type MlmBatch, mlmFeeds } from "../masking.ts";

/**
 * The masked-LM loss graph of `rows` x `length` batches with `capacity` masked positions, every weight a graph
 * input; its inputs are the token feeds and `rows`, `targets`, `weights` of {@link mlmFeeds}.
 */
export function mlmLoss(g: Graph, config: BertConfig, weights: TensorMap, rows: number, length: number, capacity: number, train: boolean) {
  const params = new GraphParams(g, weights, () => true);
  const bert = buildBert(g, config, params.get, { batch: rows, seqLen: length, train });
  const logits = bert.mlmLogits(g.input("rows", [capacity], "int64"));
  const loss = crossEntropy(logits, g.input("targets", [capacity], "int64"), g.input("weights", [capacity]));
  return { params, logits, loss };
}

/** Held-out masked-LM loss and accuracy with the current weights (eval mode). */
export class MlmEvaluator {
  readonly #cache = new SessionCache();

  constructor(private readonly config: BertConfig, private readonly weights: TensorMap) {}

  /** Summed loss and correct predictions over the batch's masked positions. */
  async run(b: MlmBatch): Promise<{ lossSum: number; correct: number; count: number }> {
    const { batch: rows, seqLen: length } = b.tokens, capacity = b.rows.length;
    const compiled = await this.#cache.get(`${rows}:${length}:${capacity}`, () => {
      const g = new Graph();
      const { logits, loss } = mlmLoss(g, this.config, this.weights, rows, length, capacity, false);
      return { graph: g, outputs: { loss, logits } };
    });
    const out = await compiled.run(feedsFor(compiled, mlmFeeds(b), this.weights));
    const logits = out.logits as Float32Array, V = logits.length / capacity;
    let correct = 0;
    for (let k = 0; k < b.masked; k++) {
      if (argmax(Array.from(logits.subarray(k * V, (k + 1) * V))) === Number(b.targets[k])) correct++;
    }
    return { lossSum: Number(out.loss[0]) * b.masked, correct, count: b.masked };
  }

  release(): Promise<void> {
    return this.#cache.clear();
  }
}
