/**
 * The frozen masked LM as AutoPrompt uses it: no weight trained, eval mode (no dropout). Three
 * compiled graphs per shape bucket: class scores at the prediction slot, the MLM-transform features there
 * (for label search), and the gradient of the loss with respect to the word-embedding output (for the
 * trigger search).
 *
 * A class score is log Σ_{t ∈ label tokens} p(t | [MASK]), the softmax taken over the whole vocabulary;
 * the loss is its negative at the gold class (ucinlp/autoprompt `get_loss`). On multiple choice the classes
 * are each row's candidates, scored at the prediction slot's masks as PET scores them (`pet/choice_scores.ts`).
 */
import { Graph, type TensorData, type Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import { feedsFor, SessionCache } from "../../engine/session.ts";
import type { EncoderGraph } from "../../model/backbone.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { GraphParams } from "../../model/params.ts";
import { GradientStep } from "../../engine/gradient_step.ts";
import type { PromptSeq } from "./template.ts";
import { type TokenBatch, tokenFeeds } from "../../model/batch.ts";
import { predictBatches } from "../predict.ts";
import { choiceColumns, choiceScores, type ChoiceSeq } from "../pet/choice_scores.ts";

// Added to the padding slots of the [C, K] label-token table: exp() of it is exactly 0 in float32.
const PAD_LOGIT = -1e9;

/** Flat row indices (b·L + position) of the `masks` masks of each row's prediction slot of `b`; 0 for padding rows. */
export function predictRows(seqs: readonly Pick<PromptSeq, "predictPos">[], b: TokenBatch, masks = 1): BigInt64Array {
  const rows = new BigInt64Array(b.batch * masks);
  seqs.forEach((s, r) => {
    for (let j = 0; j < masks; j++) rows[r * masks + j] = BigInt(r * b.seqLen + s.predictPos + j);
  });
  return rows;
}

/** Multiple choice: `count` candidates per row, read at `masks` masks (`pet/choice_scores.ts`). */
export interface ChoiceScoring {
  count: number;
  masks: number;
}

/**
 * Class scores [B, C] from the MLM logits at `rows`: log Σ_k p(label_ids[c, k]) over each class's tokens,
 * computed stably as x₀ − logSoftmax(x)₀ (log-sum-exp through LogSoftmax; slot 0 is always a real token).
 */
function classScores(bert: EncoderGraph, rows: Value, labelIds: Value, labelPad: Value): Value {
  const [C, K] = labelPad.shape, B = rows.shape[0];
  const logp = op.logSoftmax(bert.mlmLogits(rows), 1);
  const picked = op.reshape(op.transpose(op.gather(op.transpose(logp, [1, 0]), labelIds), [1, 0]), [B, C, K]);
  const x = op.add(picked, labelPad);
  const first = (v: Value) => op.reshape(op.slice(v, 2, 0, 1), [B, C]);
  return op.sub(first(x), first(op.logSoftmax(x, 2)));
}

/** Scores, features and embedding gradients of a frozen model for one label-token table. */
export class FrozenScorer {
  readonly #cache = new SessionCache();
  readonly #steps = new Map<string, Promise<GradientStep>>();
  readonly #labelIds: BigInt64Array;
  readonly #labelPad: Float32Array;
  readonly #K: number;

  /**
   * @param labelTokens token ids per class (at least one each); empty for feature extraction only, or with `choice`.
   * @param choice multiple choice: the classes are each row's candidates (`PromptSeq.candidates`).
   */
  constructor(
    private readonly model: ModelFolder,
    readonly labelTokens: readonly (readonly number[])[],
    readonly choice?: ChoiceScoring,
  ) {
    this.#K = Math.max(1, ...labelTokens.map((t) => t.length));
    this.#labelIds = new BigInt64Array(labelTokens.length * this.#K);
    this.#labelPad = new Float32Array(labelTokens.length * this.#K).fill(PAD_LOGIT);
    labelTokens.forEach((ids, c) =>
      ids.forEach((id, k) => {
        this.#labelIds[c * this.#K + k] = BigInt(id);
        this.#labelPad[c * this.#K + k] = 0;
      })
    );
  }

  #build(b: TokenBatch, g: Graph) {
    const params = new GraphParams(g, this.model.weights, () => false);
    const bert = this.model.backbone.encoder(g, params.get, { batch: b.batch, seqLen: b.seqLen, train: false });
    const { choice } = this, C = this.classes, m = choice?.masks ?? 1;
    const rows = g.input("predict_rows", [b.batch * m], "int64");
    const scores = () =>
      choice
        ? choiceScores(bert, rows, g.input("choice_columns", [b.batch, C * m], "int64"), m)
        : classScores(bert, rows, g.input("label_ids", [C * this.#K], "int64"), g.input("label_pad", [C, this.#K]));
    return { params, bert, rows, scores };
  }

  /** Classes of a row: the label words' classes, or a multiple-choice row's candidates. */
  get classes(): number {
    return this.choice?.count ?? this.labelTokens.length;
  }

  #feeds(b: TokenBatch, seqs: readonly PromptSeq[], extra: Record<string, TensorData> = {}): Record<string, TensorData> {
    const { choice } = this;
    const labels = choice
      ? choiceColumns(seqs as readonly ChoiceSeq[], b.batch, choice.count, choice.masks, this.model.backbone.sizes.vocabSize)
      : { label_ids: this.#labelIds, label_pad: this.#labelPad };
    return { ...tokenFeeds(b), predict_rows: predictRows(seqs, b, choice?.masks), ...labels, ...extra };
  }

  /** Class scores [B·C] of a batch packed from `seqs`. */
  async scores(b: TokenBatch, seqs: readonly PromptSeq[]): Promise<Float32Array> {
    const compiled = await this.#cache.get(`scores:${b.batch}:${b.seqLen}`, () => {
      const g = new Graph();
      return { graph: g, outputs: { scores: this.#build(b, g).scores() } };
    });
    return (await compiled.run(feedsFor(compiled, this.#feeds(b, seqs), this.model.weights))).scores as Float32Array;
  }

  /** MLM-transform output [B·H] at the prediction slot (no gradient anywhere: label search's features). */
  async features(b: TokenBatch, seqs: readonly PromptSeq[]): Promise<Float32Array> {
    const compiled = await this.#cache.get(`features:${b.batch}:${b.seqLen}`, () => {
      const g = new Graph();
      const { bert, rows } = this.#build(b, g);
      return { graph: g, outputs: { features: bert.mlmTransform(rows) } };
    });
    return (await compiled.run(feedsFor(compiled, this.#feeds(b, seqs), this.model.weights))).features as Float32Array;
  }

  /**
   * Mean loss over the real rows of `b` and its gradient [B, L, H] with respect to the word-embedding output.
   * @param gold class index per sequence of `seqs`.
   */
  async gradient(b: TokenBatch, seqs: readonly PromptSeq[], gold: readonly number[]): Promise<{ loss: number; grad: Float32Array }> {
    const key = `${b.batch}:${b.seqLen}`;
    if (!this.#steps.has(key)) {
      this.#steps.set(
        key,
        GradientStep.build((g) => {
          const { params, bert, scores } = this.#build(b, g);
          const targets = g.input("targets", [b.batch, this.classes]);
          const total = op.reduceSum(op.mul(targets, scores()), [0, 1]);
          const loss = op.div(op.neg(total), op.reduceSum(targets, [0, 1]));
          return { loss, params, wrt: { embeddings: bert.wordEmbeddings } };
        }),
      );
    }
    const C = this.classes;
    const targets = new Float32Array(b.batch * C);
    gold.forEach((c, r) => (targets[r * C + c] = 1));
    const r = await (await this.#steps.get(key)!).run(this.model.weights, this.#feeds(b, seqs, { targets }));
    return { loss: r.loss, grad: r.grads.get("embeddings")!.data };
  }

  /** Class scores per sequence, in input order (softmax over classes with `softmax: true`). */
  scoreSeqs(seqs: readonly PromptSeq[], batchSize: number, maxLength: number, softmax = false): Promise<number[][]> {
    return predictBatches(seqs, batchSize, maxLength, this.classes, (b, part) => this.scores(b, part), { softmax });
  }

  /** Release the gradient sessions (the search is over; scoring sessions stay for prediction). */
  async releaseGradients(): Promise<void> {
    for (const s of this.#steps.values()) await (await s).release();
    this.#steps.clear();
  }

  /** Release every compiled session. */
  async release(): Promise<void> {
    await this.releaseGradients();
    await this.#cache.clear();
  }
}
