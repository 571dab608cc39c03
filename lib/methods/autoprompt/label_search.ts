/**
 * AutoPrompt's label-token search (ucinlp/autoprompt `label_search.py`): the MLM-transform output at the
 * prediction slot is a feature vector; a logistic classifier Linear(H, C) is trained on it with Adam; every
 * vocabulary token d (a row of the decoder, tied to the word embeddings) is scored per class as softmax_c(W·d),
 * and each class takes its top-k tokens as label words.
 */
import { argmax } from "../../eval/metrics.ts";
import { AdamW } from "../../train/adamw.ts";
import { InputError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import type { HostTensor, TensorMap } from "../../util/tensor.ts";
import type { PromptExample } from "./search.ts";
import type { FrozenScorer } from "./scorer.ts";
import { chunks, packBatch } from "../../model/batch.ts";
import { softmaxRow } from "../predict.ts";

/** Settings of {@link searchLabelWords}. */
export interface LabelSearchOptions {
  /** Passes over the training features. */
  epochs: number;
  lr: number;
  batchSize: number;
  /** Label words kept per class. */
  wordsPerClass: number;
  seed: number;
}

/** MLM-transform features [H] at the prediction slot of each example (model frozen, eval mode). */
export async function promptFeatures(
  scorer: FrozenScorer,
  seqs: readonly PromptExample["seq"][],
  batchSize: number,
  maxLength: number,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const part of chunks(seqs, batchSize)) {
    const b = packBatch(part, { batch: batchSize, maxLength });
    const f = await scorer.features(b, part);
    const H = f.length / b.batch;
    for (let r = 0; r < part.length; r++) out.push(f.slice(r * H, (r + 1) * H));
  }
  return out;
}

/** A trained logistic classifier: weight [C, H] row-major and bias [C]. */
export interface Logistic {
  weight: Float32Array;
  bias: Float32Array;
}

function logits(m: Logistic, x: Float32Array): number[] {
  const H = x.length;
  return Array.from(m.bias, (b, c) => {
    let s = b;
    for (let h = 0; h < H; h++) s += m.weight[c * H + h] * x[h];
    return s;
  });
}

/**
 * Train Linear(H, C) with cross-entropy and Adam on `x`, keeping the epoch with the best accuracy on `dev`
 * (the last epoch without dev). Starts from zeros: with a few dozen examples there are only a few dozen
 * updates, too few to wash out a random initialisation that would then rank the vocabulary by itself.
 */
export function trainLogistic(
  x: readonly Float32Array[],
  gold: readonly number[],
  numClasses: number,
  o: LabelSearchOptions,
  dev: { x: readonly Float32Array[]; gold: readonly number[] } = { x: [], gold: [] },
): Logistic {
  const H = x[0].length, C = numClasses;
  const params: TensorMap = new Map([["weight", { shape: [C, H], data: new Float32Array(C * H) }], ["bias", {
    shape: [C],
    data: new Float32Array(C),
  }]]);
  const model: Logistic = { weight: params.get("weight")!.data, bias: params.get("bias")!.data };
  const adam = new AdamW(params, { lr: o.lr });
  const rng = new Rng(o.seed).fork("label-search");
  const accuracy = () => dev.x.filter((xi, i) => argmax(logits(model, xi)) === dev.gold[i]).length / dev.x.length;
  let best = { accuracy: -Infinity, weight: model.weight.slice(), bias: model.bias.slice() };
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (const batch of chunks(rng.shuffle(x.map((_, i) => i)), o.batchSize)) {
      const gw = new Float32Array(C * H), gb = new Float32Array(C);
      for (const i of batch) {
        const p = softmaxRow(logits(model, x[i]));
        for (let c = 0; c < C; c++) {
          const d = (p[c] - (c === gold[i] ? 1 : 0)) / batch.length;
          gb[c] += d;
          for (let h = 0; h < H; h++) gw[c * H + h] += d * x[i][h];
        }
      }
      adam.step(new Map([["weight", { shape: [C, H], data: gw }], ["bias", { shape: [C], data: gb }]]));
    }
    if (dev.x.length) {
      const acc = accuracy();
      if (acc > best.accuracy) best = { accuracy: acc, weight: model.weight.slice(), bias: model.bias.slice() };
    }
  }
  return dev.x.length ? { weight: best.weight, bias: best.bias } : model;
}

/**
 * `k` tokens per class by softmax_c(W·d) over the decoder rows d, skipping `blocked` tokens, no token serving
 * two classes. Pairs (token, class) are taken greedily by probability: a token goes to the best class that
 * still needs words, so a class that is no token's argmax (common with dozens of classes: IFLYTEK's 119)
 * still gets the tokens it scores highest among those left, instead of none.
 * @throws InputError when the vocabulary has fewer than k·C unblocked tokens.
 */
export function labelWordsFromWeights(weight: Float32Array, decoder: HostTensor, k: number, blocked: Uint8Array): number[][] {
  const [V, H] = decoder.shape, C = weight.length / H;
  const free = V - blocked.reduce((n, b) => n + (b ? 1 : 0), 0);
  if (free < k * C) {
    throw new InputError(`${C} classes x ${k} label words need ${k * C} tokens, the vocabulary has ${free} unblocked`, {
      field: "wordsPerClass",
    });
  }
  const p = new Float32Array(V * C);
  const pairs: number[] = [];
  for (let v = 0; v < V; v++) {
    if (blocked[v]) continue;
    p.set(softmaxRow(logits({ weight, bias: new Float32Array(C) }, decoder.data.subarray(v * H, (v + 1) * H))), v * C);
    for (let c = 0; c < C; c++) pairs.push(v * C + c);
  }
  // Highest probability first; ties by token id, then class, so the result does not depend on the sort.
  pairs.sort((a, b) => p[b] - p[a] || a - b);
  const perClass: number[][] = Array.from({ length: C }, () => []);
  const taken = new Uint8Array(V);
  let left = k * C;
  for (const pair of pairs) {
    const v = Math.floor(pair / C), c = pair % C;
    if (taken[v] || perClass[c].length === k) continue;
    taken[v] = 1;
    perClass[c].push(v);
    if (--left === 0) break;
  }
  return perClass;
}

/** Label words (token ids) per class found from the prediction-slot features of `train` (and `dev` for selection). */
export async function searchLabelWords(
  scorer: FrozenScorer,
  train: readonly PromptExample[],
  dev: readonly PromptExample[],
  numClasses: number,
  decoder: HostTensor,
  blocked: Uint8Array,
  o: LabelSearchOptions & { evalBatchSize: number; maxLength: number },
): Promise<number[][]> {
  const feats = (es: readonly PromptExample[]) => promptFeatures(scorer, es.map((e) => e.seq), o.evalBatchSize, o.maxLength);
  const model = trainLogistic(await feats(train), train.map((e) => e.gold), numClasses, o, {
    x: await feats(dev),
    gold: dev.map((e) => e.gold),
  });
  return labelWordsFromWeights(model.weight, decoder, o.wordsPerClass, blocked);
}
