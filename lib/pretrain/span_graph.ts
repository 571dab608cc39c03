/**
 * Span-corruption batches for a T5: a length bucket's token sequences corrupted (`span_corruption.ts`) and packed
 * into the bucket's fixed shapes, the teacher-forced training step on them, and an eval-mode evaluator of loss
 * and target-token accuracy (held-out score).
 * @module
 */
import { GradientStep } from "../engine/gradient_step.ts";
import { Graph, type TensorData } from "../engine/graph.ts";
import { feedsFor, SessionCache } from "../engine/session.ts";
import { argmax } from "../eval/metrics.ts";
import type { TokenSeq } from "../model/batch.ts";
import { GraphParams } from "../model/params.ts";
import type { T5Config } from "../model/t5/config.ts";
import { buildT5Loss, IGNORE_LABEL, shiftRight } from "../model/t5/loss.ts";
import type { Rng } from "../util/rng.ts";
import type { TensorMap } from "../util/tensor.ts";
import { spanCorrupt, spanCorruptedCapacity, type SpanVocab } from "./span_corruption.ts";

/** A packed span-corruption batch: the feeds of a T5 loss graph, and how many labels it predicts. */
export interface SpanBatch {
  rows: number;
  srcLen: number;
  tgtLen: number;
  feeds: Record<string, TensorData>;
  /** Flattened labels [rows·tgtLen], {@link IGNORE_LABEL} at padding. */
  labels: number[];
  /** Labels that are not padding (the loss's denominator). */
  targets: number;
}

/**
 * Corrupt each of `seqs` (text ids without `</s>`) with spans drawn from `rng`, in order, and pack them into
 * `rows` rows of the bucket's shapes ({@link spanCorruptedCapacity} of `length`): inputs padded with `pad` under
 * a zero attention mask, labels padded with {@link IGNORE_LABEL}; missing rows are all padding.
 */
export function packSpanBatch(
  seqs: readonly TokenSeq[],
  rows: number,
  length: number,
  rng: Rng,
  vocab: SpanVocab & { pad: number },
  config: Pick<T5Config, "decoder_start_token_id" | "pad_token_id">,
): SpanBatch {
  const { inputs: srcLen, targets: tgtLen } = spanCorruptedCapacity(length);
  const pad = (xs: readonly number[], n: number, value: number) => [...xs, ...new Array(n - xs.length).fill(value)];
  const examples = seqs.map((s) => spanCorrupt(s.ids, rng, vocab));
  const empty = { inputs: [], targets: [] };
  const all = Array.from({ length: rows }, (_, r) => examples[r] ?? empty);
  const labels = all.map((e) => pad(e.targets, tgtLen, IGNORE_LABEL));
  return {
    rows,
    srcLen,
    tgtLen,
    feeds: {
      input_ids: BigInt64Array.from(all.flatMap((e) => pad(e.inputs, srcLen, vocab.pad)), BigInt),
      attention_mask: Float32Array.from(all.flatMap((e) => pad(e.inputs.map(() => 1), srcLen, 0))),
      decoder_input_ids: BigInt64Array.from(shiftRight(labels, config).flat(), BigInt),
      labels: BigInt64Array.from(labels.flat(), BigInt),
    },
    labels: labels.flat(),
    targets: examples.reduce((s, e) => s + e.targets.length, 0),
  };
}

/** The teacher-forced training step of one batch shape: every weight trainable, dropout on (`dropout_seed`). */
export function spanTrainStep(config: T5Config, weights: TensorMap, shape: { rows: number; srcLen: number; tgtLen: number }) {
  return GradientStep.build((g) => {
    const params = new GraphParams(g, weights, () => true);
    const { loss } = buildT5Loss(g, config, params.get, { batch: shape.rows, srcLen: shape.srcLen, tgtLen: shape.tgtLen, train: true });
    return { loss, params };
  });
}

/** Held-out span-corruption loss and target-token accuracy with the current weights (eval mode). */
export class SpanEvaluator {
  readonly #cache = new SessionCache();

  constructor(private readonly config: T5Config, private readonly weights: TensorMap) {}

  /** Summed loss and correct predictions over the batch's labels. */
  async run(b: SpanBatch): Promise<{ lossSum: number; correct: number; count: number }> {
    const compiled = await this.#cache.get(`${b.rows}:${b.srcLen}:${b.tgtLen}`, () => {
      const g = new Graph();
      // Every weight a graph input, fed each run: constants would keep the weights of the first evaluation.
      const params = new GraphParams(g, this.weights, () => true);
      const { loss, t5 } = buildT5Loss(g, this.config, params.get, { batch: b.rows, srcLen: b.srcLen, tgtLen: b.tgtLen, train: false });
      return { graph: g, outputs: { loss, logits: t5.decoder.logits } };
    });
    const out = await compiled.run(feedsFor(compiled, b.feeds, this.weights));
    const logits = out.logits as Float32Array, V = this.config.vocab_size;
    let correct = 0;
    b.labels.forEach((label, k) => {
      if (label !== IGNORE_LABEL && argmax(Array.from(logits.subarray(k * V, (k + 1) * V))) === label) correct++;
    });
    return { lossSum: Number(out.loss[0]) * b.targets, correct, count: b.targets };
  }

  release(): Promise<void> {
    return this.#cache.clear();
  }
}
