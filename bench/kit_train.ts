/**
 * The kit's side of the training-step cases: masked-LM steps (`train-tiny`, `train-base`) and P-tuning v2
 * against full fine-tuning on one batch (`ptuning-v2-tiny`). A step is forward, loss, backward, clipping at
 * 1.0 and AdamW, as in the methods' loop.
 */
import { crossEntropy } from "../lib/engine/layers.ts";
import type { TensorData } from "../lib/engine/graph.ts";
import { threadCount } from "../lib/engine/session.ts";
import { buildBert } from "../lib/model/bert/graph.ts";
import type { BertConfig } from "../lib/model/bert/config.ts";
import { GraphParams } from "../lib/model/params.ts";
import { randomBertWeights } from "../lib/model/bert/random.ts";
import { bertBackbone } from "../lib/model/bert/backbone.ts";
import { AdamW } from "../lib/train/adamw.ts";
import { clipScale, gradNorm } from "../lib/train/clip.ts";
import { GradientStep, type LossGraph } from "../lib/engine/gradient_step.ts";
import type { Graph } from "../lib/engine/graph.ts";
import { classifierLogits, initHead } from "../lib/methods/classifier/head.ts";
import { initPrefix, prefixValue } from "../lib/methods/classifier/ptuning_v2.ts";
import { classScores } from "../lib/methods/pet/verbalizer.ts";
import { initPrompt, promptValue, softSlotsHook } from "../lib/methods/soft_prompt/prompt.ts";
import type { ModelFolder } from "../lib/model/folder.ts";
import { Rng } from "../lib/util/rng.ts";
import type { TensorMap } from "../lib/util/tensor.ts";
import { flopsPerStep } from "./flops.ts";
import { median, peakRssMb, round, timeSteps } from "./measure.ts";

export const MASK_RATE = 0.15;

/** Shape and length of a training-step case. */
export interface StepShape {
  batch: number;
  seq: number;
  steps: number;
  warmup: number;
}

/** Random token ids, type ids and a full attention mask for a batch. */
function tokenBatch(rng: Rng, vocab: number, batch: number, seq: number) {
  return {
    input_ids: BigInt64Array.from({ length: batch * seq }, () => BigInt(rng.int(vocab))),
    token_type_ids: new BigInt64Array(batch * seq),
    attention_mask: new Float32Array(batch * seq).fill(1),
  };
}

/** Compile `build`, then time AdamW training steps on feeds from `feeds(step)` (a `dropout_seed` added to them). */
export async function timeTraining(
  weights: TensorMap,
  build: (g: Graph) => LossGraph,
  feeds: (step: number) => Record<string, TensorData>,
  s: StepShape,
) {
  const t0 = performance.now();
  const step = await GradientStep.build(build);
  const buildSeconds = (performance.now() - t0) / 1000;
  const trained: TensorMap = new Map(step.trainable.map((n) => [n, weights.get(n)!]));
  const opt = new AdamW(trained, { lr: 1e-5, weightDecay: 0.01 });
  let loss = NaN;
  const times = await timeSteps(s.warmup, s.steps, async (i) => {
    const r = await step.run(weights, { ...feeds(i), dropout_seed: Uint32Array.of(i) });
    opt.step(r.grads, opt.lr, clipScale(gradNorm(r.grads), 1.0));
    loss = r.loss;
  });
  await step.release();
  return { stepSeconds: median(times), minSeconds: Math.min(...times), buildSeconds, loss };
}

/** `train-tiny`, `train-base`: masked-LM steps on random tokens, the head only at the masked positions. */
export async function kitMlmStep(config: BertConfig, s: StepShape) {
  const weights = randomBertWeights(config, 42);
  const perSeq = Math.max(1, Math.round(MASK_RATE * s.seq)), masked = s.batch * perSeq;
  const rng = new Rng(42);
  const tokens = tokenBatch(rng, config.vocab_size, s.batch, s.seq);
  const r = await timeTraining(weights, (g) => {
    const params = new GraphParams(g, weights, () => true);
    const bert = buildBert(g, config, params.get, { batch: s.batch, seqLen: s.seq, train: true });
    const rows = g.input("rows", [masked], "int64"), targets = g.input("targets", [masked], "int64");
    return { loss: crossEntropy(bert.mlmLogits(rows), targets), params };
  }, () => {
    const rows = new BigInt64Array(masked), targets = new BigInt64Array(masked);
    for (let b = 0; b < s.batch; b++) {
      rng.shuffle([...Array(s.seq).keys()]).slice(0, perSeq).forEach((p, j) => (rows[b * perSeq + j] = BigInt(b * s.seq + p)));
    }
    for (let i = 0; i < masked; i++) targets[i] = BigInt(rng.int(config.vocab_size));
    return { ...tokens, rows, targets };
  }, s);
  const flops = flopsPerStep(config, s.batch, s.seq, masked);
  return {
    tokens_per_s: round(s.batch * s.seq / r.stepSeconds),
    step_s_median: round(r.stepSeconds, 4),
    step_s_min: round(r.minSeconds, 4),
    build_s: round(r.buildSeconds, 2),
    masked,
    gflops_per_s: round(flops / r.stepSeconds / 1e9, 2),
    final_loss: round(r.loss, 4),
    threads: threadCount(),
    peak_rss_mb: peakRssMb(),
  };
}

/** Prefix length of `ptuning-v2-tiny`. */
export const PREFIX = 8;

/**
 * `ptuning-v2-tiny`: P-tuning v2 steps (prefix and head trained, backbone frozen as graph constants) and, on
 * the same batch, full fine-tuning steps of the same classifier; `vs_finetune` is the ratio of their times.
 */
export async function kitPtuningStep(config: BertConfig, backbone: TensorMap, s: StepShape, { finetune = true } = {}) {
  const o = { prefixLength: PREFIX, prefixProjection: false, prefixHiddenSize: 512 };
  const bb = bertBackbone(config);
  const head = initHead(bb, 2, 42), prefix = initPrefix(bb, o, 42);
  const rng = new Rng(42);
  const tokens = tokenBatch(rng, config.vocab_size, s.batch, s.seq);
  const feeds = () => ({ ...tokens, labels: BigInt64Array.from({ length: s.batch }, () => BigInt(rng.int(2))) });
  const classifier = (weights: TensorMap, trains: (n: string) => boolean, withPrefix: boolean) => (g: Graph): LossGraph => {
    const params = new GraphParams(g, weights, trains);
    const seed = withPrefix ? g.input("prefix_dropout_seed", [], "uint32") : undefined;
    const pre = seed && prefixValue(bb, params.get, o, s.batch, seed);
    const bert = buildBert(g, config, params.get, { batch: s.batch, seqLen: s.seq, train: true, prefix: pre });
    return { loss: crossEntropy(classifierLogits(bert, bb, params.get), g.input("labels", [s.batch], "int64")), params };
  };
  const tuned = new Map([...backbone, ...head, ...prefix]);
  const pt = await timeTraining(
    tuned,
    classifier(tuned, (n) => head.has(n) || prefix.has(n), true),
    (i) => ({ ...feeds(), prefix_dropout_seed: Uint32Array.of(i) }),
    s,
  );
  const ptRss = peakRssMb();
  // Full fine-tuning trains a copy, so the backbone the prefix run saw stays as loaded.
  const full: TensorMap = new Map([...backbone, ...head].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
  const ft = finetune ? await timeTraining(full, classifier(full, () => true, false), feeds, s) : { stepSeconds: NaN };
  return {
    tokens_per_s: round(s.batch * s.seq / pt.stepSeconds),
    step_s_median: round(pt.stepSeconds, 4),
    step_s_min: round(pt.minSeconds, 4),
    build_s: round(pt.buildSeconds, 2),
    finetune_step_s_median: round(ft.stepSeconds, 4),
    vs_finetune: round(pt.stepSeconds / ft.stepSeconds, 3),
    prefix: PREFIX,
    final_loss: round(pt.loss, 4),
    threads: threadCount(),
    // The prefix run's own peak, before fine-tuning's gradients and moments exist.
    peak_rss_mb: ptRss,
    peak_rss_with_finetune_mb: peakRssMb(),
  };
}

/**
 * `soft-prompt-tiny`: soft-prompt steps (P = {@link PREFIX} vectors after [CLS], read at a [MASK] before the
 * last token through the MLM head and two label words; backbone frozen as graph constants, so backward stops
 * at the word-embedding hook) beside P-tuning v2's and full prompt-based fine-tuning's steps on the same batch:
 * `vs_ptuning_v2` and `vs_finetune` are the ratios of their step times.
 */
export async function kitSoftPromptStep(model: ModelFolder, s: StepShape) {
  const { config } = model, P = PREFIX;
  const shape = { promptLength: P, promptEncoder: "none", encoderHiddenSize: config.hidden_size, initWords: "" } as const;
  const prompt = initPrompt(model, shape, 42), rng = new Rng(42);
  const tokens = tokenBatch(rng, config.vocab_size, s.batch, s.seq);
  const softIndex = new BigInt64Array(s.batch * s.seq), softMask = new Float32Array(s.batch * s.seq);
  for (let r = 0; r < s.batch; r++) {
    for (let p = 0; p < P; p++) [softIndex[r * s.seq + 1 + p], softMask[r * s.seq + 1 + p]] = [BigInt(p), 1];
  }
  const maskRows = BigInt64Array.from({ length: s.batch }, (_, r) => BigInt(r * s.seq + s.seq - 2));
  const verbalizer = { spec: {}, words: [[{ word: "好", ids: [1] }], [{ word: "差", ids: [2] }]], maskCount: 1 };
  const feeds = () => ({
    ...tokens,
    labels: BigInt64Array.from({ length: s.batch }, () => BigInt(rng.int(2))),
    soft_index: softIndex,
    soft_mask: softMask,
    mask_rows: maskRows,
  });
  const promptLoss = (weights: TensorMap, trains: (n: string) => boolean) => (g: Graph): LossGraph => {
    const params = new GraphParams(g, weights, trains);
    const hook = softSlotsHook(g, promptValue(params.get, shape), s.batch, s.seq);
    const bert = buildBert(g, config, params.get, { batch: s.batch, seqLen: s.seq, train: true, wordEmbeddingsHook: hook });
    const scores = classScores(bert, g.input("mask_rows", [s.batch], "int64"), verbalizer);
    return { loss: crossEntropy(scores, g.input("labels", [s.batch], "int64")), params };
  };
  const soft = new Map([...model.weights, ...prompt]);
  const sp = await timeTraining(soft, promptLoss(soft, (n) => prompt.has(n)), feeds, s);
  const spRss = peakRssMb();
  const pt = await kitPtuningStep(config, model.weights, s, { finetune: false });
  // Full prompt-based fine-tuning trains a copy of every weight and the vectors.
  const full: TensorMap = new Map([...soft].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
  const ft = await timeTraining(full, promptLoss(full, () => true), feeds, s);
  return {
    tokens_per_s: round(s.batch * s.seq / sp.stepSeconds),
    step_s_median: round(sp.stepSeconds, 4),
    build_s: round(sp.buildSeconds, 2),
    ptuning_v2_step_s_median: pt.step_s_median,
    vs_ptuning_v2: round(sp.stepSeconds / pt.step_s_median, 3),
    finetune_step_s_median: round(ft.stepSeconds, 4),
    vs_finetune: round(sp.stepSeconds / ft.stepSeconds, 3),
    prompt: P,
    final_loss: round(sp.loss, 4),
    threads: threadCount(),
    peak_rss_mb: spRss,
  };
}
