/**
 * T5's teacher-forced objective: labels with -100 at positions to ignore, the decoder fed the labels shifted
 * right, cross-entropy averaged over the kept positions (HF `T5ForConditionalGeneration`); and the
 * log-likelihood of whole target sequences, what rank classification compares.
 * @module
 */
import type { Graph, Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import { crossEntropy } from "../../engine/layers.ts";
import type { ParamSource } from "../backbone.ts";
import type { T5Config } from "./config.ts";
import { buildT5, type T5Graph } from "./graph.ts";

/** A label that is not predicted (padding of a shorter target), as in PyTorch's `ignore_index`. */
export const IGNORE_LABEL = -100;

/**
 * Decoder inputs of `labels` (HF `_shift_right`): `decoder_start_token_id`, then each label but the last, with
 * ignored labels fed as padding.
 */
export function shiftRight(
  labels: readonly (readonly number[])[],
  config: Pick<T5Config, "decoder_start_token_id" | "pad_token_id">,
): number[][] {
  return labels.map((row) =>
    [config.decoder_start_token_id, ...row.slice(0, -1)].map((t) => (t === IGNORE_LABEL ? config.pad_token_id : t))
  );
}

/** Kept positions (float 1/0) and safe targets (an ignored label read as 0) of `labels` [B, T], flattened. */
function labelTargets(labels: Value): { keep: Value; targets: Value } {
  const g = labels.graph, n = labels.size;
  const ignored = op.reshape(op.equal(labels, g.scalar(IGNORE_LABEL, "int64")), [n]);
  return {
    keep: op.where(ignored, g.scalar(0), g.scalar(1)),
    targets: op.where(ignored, g.scalar(0, "int64"), op.reshape(labels, [n])),
  };
}

/** A T5 graph with its `labels` [B, T] int64 input and the teacher-forced loss. */
export interface T5LossGraph {
  t5: T5Graph;
  labels: Value;
  /** Mean cross-entropy over the labels that are not {@link IGNORE_LABEL}. */
  loss: Value;
}

/**
 * Build the whole model and its loss; feed `decoder_input_ids` = {@link shiftRight} of the labels.
 * With `train`, dropout is on (a `dropout_seed` input).
 */
export function buildT5Loss(g: Graph, config: T5Config, param: ParamSource, shape: Parameters<typeof buildT5>[3]): T5LossGraph {
  const t5 = buildT5(g, config, param, shape);
  const labels = g.input("labels", [shape.batch, shape.tgtLen], "int64");
  const { keep, targets } = labelTargets(labels);
  return { t5, labels, loss: crossEntropy(t5.decoder.logits, targets, keep) };
}

/** Sum of log p(label) over each row's kept labels: [B] for `logits` [B·T, V] and `labels` [B, T]. */
export function sequenceLogLikelihood(logits: Value, labels: Value): Value {
  const [B, T] = labels.shape;
  const { keep, targets } = labelTargets(labels);
  const picked = op.gatherElements(op.logSoftmax(logits, 1), op.reshape(targets, [B * T, 1]), 1);
  return op.reduceSum(op.reshape(op.mul(op.reshape(picked, [B * T]), keep), [B, T]), [1]);
}
