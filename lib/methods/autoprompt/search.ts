/**
 * AutoPrompt's gradient-guided trigger search (ucinlp/autoprompt `create_trigger.py`), on a frozen model:
 * each iteration averages the gradient of the loss with respect to the trigger embeddings, picks one trigger
 * slot at random, ranks every vocabulary token by the first-order loss change −(E·g) (HotFlip), and keeps the
 * best of the top candidates only if it strictly beats the current trigger on the same fresh batches (by
 * accuracy, gold log-likelihood, or accuracy with log-likelihood ties: {@link accepts}). The trigger set with the
 * best dev accuracy is kept.
 */
import type { BertTokenizer } from "../../model/tokenizers/tokenizer.ts";
import { argmax } from "../../eval/metrics.ts";
import { Rng } from "../../util/rng.ts";
import type { HostTensor } from "../../util/tensor.ts";
import type { FrozenScorer } from "./scorer.ts";
import { type PromptSeq, withTriggers } from "./template.ts";
import { chunks, packBatch } from "../../model/batch.ts";
import type { ProgressCallback } from "../types.ts";

/** Settings of {@link searchTriggers}. */
export interface SearchOptions {
  /** Search iterations (one slot flip considered per iteration). */
  iterations: number;
  /** Rows per gradient batch. */
  batchSize: number;
  /** Batches per gradient estimate, and per candidate evaluation. */
  accumulationSteps: number;
  /** Candidates evaluated per iteration. */
  numCand: number;
  /**
   * How candidates are compared on the same rows: `accuracy` (AutoPrompt with a label map), `loss` (the summed
   * log-likelihood of the gold class), or `accuracy+loglik` (accuracy, ties broken by the gold log-likelihood,
   * so a small batch whose count of correct rows rarely changes still moves). See {@link accepts}.
   */
  metric: SearchMetric;
  evalBatchSize: number;
  maxLength: number;
  seed: number;
}

/** The candidate comparisons of {@link SearchOptions.metric}. */
export const SEARCH_METRICS = ["accuracy", "loss", "accuracy+loglik"] as const;
export type SearchMetric = typeof SEARCH_METRICS[number];

/** A trigger set's score on the drawn rows: correct rows and the summed log-likelihood of the gold class. */
export interface CandidateScore {
  correct: number;
  logLik: number;
}

/**
 * The acceptance rule: does `candidate` strictly beat `current` under `metric`? With `accuracy+loglik`, more
 * correct rows win, and equal counts go to the higher gold log-likelihood.
 *
 * @example
 * ```ts
 * accepts({ correct: 5, logLik: -3 }, { correct: 5, logLik: -4 }, "accuracy+loglik"); // true
 * accepts({ correct: 5, logLik: -3 }, { correct: 5, logLik: -4 }, "accuracy"); // false
 * ```
 */
export function accepts(candidate: CandidateScore, current: CandidateScore, metric: SearchMetric): boolean {
  if (metric === "loss") return candidate.logLik > current.logLik;
  if (candidate.correct !== current.correct || metric === "accuracy") return candidate.correct > current.correct;
  return candidate.logLik > current.logLik;
}

/** A training or dev example: its encoded prompt and gold class. */
export interface PromptExample {
  seq: PromptSeq;
  gold: number;
}

/** What the search found and how it went. */
export interface SearchResult {
  /** Kept (best-on-dev) trigger ids. */
  triggers: number[];
  /** Mean loss of the current triggers at each iteration (from the gradient pass). */
  losses: number[];
  /** Dev accuracy of the current triggers: step 0 is the initial `[MASK]` triggers. */
  dev: { step: number; accuracy: number }[];
  /** Iteration of the kept triggers (0: the initial ones). */
  bestStep: number;
  /** Iterations whose best candidate was accepted (a trigger slot changed). */
  acceptedFlips: number;
}

/**
 * Tokens never used as triggers or label words: the special tokens (`[CLS] [SEP] [PAD] [MASK] [UNK]`), the
 * `[unusedN]` placeholders, and ids past the tokenizer's vocabulary. 1 = blocked, indexed by id.
 */
export function blockedTokens(tok: BertTokenizer, vocabSize: number): Uint8Array {
  const blocked = new Uint8Array(vocabSize).fill(1);
  for (let id = 0; id < Math.min(vocabSize, tok.vocabSize); id++) blocked[id] = /^\[unused\d+\]$/.test(tok.idToToken(id)) ? 1 : 0;
  for (const id of Object.values(tok.specialIds)) blocked[id] = 1;
  return blocked;
}

/**
 * The `numCand` token ids with the highest −(E·g), skipping `blocked` ones; ties go to the lower id.
 *
 * @param embeddings the input embedding matrix E [V, H].
 * @param grad averaged gradient g [H] of the loss at one trigger slot.
 * @example
 * ```ts
 * hotflipCandidates({ shape: [3, 1], data: Float32Array.of(1, -2, 3) }, Float32Array.of(1), 1, new Uint8Array(3)); // [1]
 * ```
 */
export function hotflipCandidates(embeddings: HostTensor, grad: Float32Array, numCand: number, blocked: Uint8Array): number[] {
  const [V, H] = embeddings.shape, E = embeddings.data;
  const scored: { id: number; score: number }[] = [];
  for (let v = 0; v < V; v++) {
    if (blocked[v]) continue;
    let dot = 0;
    for (let h = 0, o = v * H; h < H; h++) dot += E[o + h] * grad[h];
    scored.push({ id: v, score: -dot });
  }
  scored.sort((a, b) => b.score - a.score || a.id - b.id);
  return scored.slice(0, numCand).map((s) => s.id);
}

/** `n` examples in a fresh seeded order, whole shuffled passes over `items` concatenated as needed. */
function draw<T>(items: readonly T[], n: number, rng: Rng): T[] {
  const out: T[] = [];
  while (out.length < n) out.push(...rng.shuffle(items));
  return out.slice(0, n);
}

/**
 * Correct rows and summed gold-class log-likelihood (the class score) of each trigger set over the same
 * `examples`. All sets' rows are scored in one length-sorted pass, so each batch holds rows of nearly one length
 * (every length recurs once per set) instead of each set padding its own longest rows; a row's scores do not
 * depend on the rows it shares a batch with.
 */
async function candidateScores(
  scorer: FrozenScorer,
  examples: readonly PromptExample[],
  triggerSets: readonly (readonly number[])[],
  o: SearchOptions,
): Promise<CandidateScore[]> {
  const seqs = triggerSets.flatMap((triggers) => examples.map((e) => withTriggers(e.seq, triggers)));
  const scores = await scorer.scoreSeqs(seqs, o.evalBatchSize, o.maxLength);
  return triggerSets.map((_, set) => {
    const score = { correct: 0, logLik: 0 };
    examples.forEach((e, i) => {
      const s = scores[set * examples.length + i];
      score.correct += Number(argmax(s) === e.gold);
      score.logLik += s[e.gold];
    });
    return score;
  });
}

/**
 * Search triggers for `scorer`'s label tokens, starting from `[MASK]` in every slot.
 *
 * @param embeddings the input embedding matrix E [V, H] of the (frozen) model.
 * @param blocked tokens never proposed (see {@link blockedTokens}); the caller adds the label tokens.
 */
export async function searchTriggers(
  scorer: FrozenScorer,
  train: readonly PromptExample[],
  dev: readonly PromptExample[],
  embeddings: HostTensor,
  blocked: Uint8Array,
  maskId: number,
  o: SearchOptions,
  onProgress?: ProgressCallback,
): Promise<SearchResult> {
  const T = train[0].seq.triggerPos.length, H = embeddings.shape[1];
  const rng = new Rng(o.seed).fork("autoprompt");
  const batchRng = rng.fork("batches"), slotRng = rng.fork("slots");
  const size = Math.min(o.batchSize, train.length);
  const triggers = new Array<number>(T).fill(maskId);
  const losses: number[] = [], history: SearchResult["dev"] = [];
  let acceptedFlips = 0;
  // The kept triggers: best dev accuracy (first reached); with accuracy+loglik, dev ties go to the higher gold
  // log-likelihood, as candidate ties do.
  const devMetric = o.metric === "accuracy+loglik" ? o.metric : "accuracy";
  let best = { triggers: triggers.slice(), score: { correct: -Infinity, logLik: -Infinity }, step: 0 };
  // An iteration that accepts no flip leaves the triggers, and so their dev score, as they were: not re-scored.
  let scored: { triggers: string; score: CandidateScore } | undefined;
  const track = async (step: number) => {
    if (!dev.length) return void (best = { triggers: triggers.slice(), score: { correct: 0, logLik: 0 }, step });
    const key = triggers.join(",");
    if (scored?.triggers !== key) scored = { triggers: key, score: (await candidateScores(scorer, dev, [triggers], o))[0] };
    const score = scored.score;
    history.push({ step, accuracy: score.correct / dev.length });
    if (accepts(score, best.score, devMetric)) best = { triggers: triggers.slice(), score, step };
  };
  await track(0);

  for (let it = 1; it <= o.iterations; it++) {
    // Gradient of the mean loss at each trigger slot, summed over the batch and averaged over accumulation.
    const grad = new Float32Array(T * H);
    let loss = 0;
    // Sorted by length, the batches pad less; the accumulated gradient is the same sum over the drawn rows.
    const drawn = draw(train, size * o.accumulationSteps, batchRng).sort((a, b) => a.seq.ids.length - b.seq.ids.length);
    for (const batch of chunks(drawn, size)) {
      const seqs = batch.map((e) => withTriggers(e.seq, triggers));
      const b = packBatch(seqs, { batch: size, maxLength: o.maxLength });
      const r = await scorer.gradient(b, seqs, batch.map((e) => e.gold));
      loss += r.loss / o.accumulationSteps;
      seqs.forEach((s, row) =>
        s.triggerPos.forEach((p, j) => {
          const at = (row * b.seqLen + p) * H;
          for (let h = 0; h < H; h++) grad[j * H + h] += r.grad[at + h] / o.accumulationSteps;
        })
      );
    }
    losses.push(loss);
    const slot = slotRng.int(T);
    const candidates = hotflipCandidates(embeddings, grad.subarray(slot * H, (slot + 1) * H), o.numCand, blocked);
    // Current trigger and every candidate on the same fresh rows; replace only on a strict improvement.
    const rows = draw(train, size * o.accumulationSteps, batchRng);
    const [current, ...scores] = await candidateScores(scorer, rows, [
      triggers,
      ...candidates.map((c) => triggers.map((t, j) => (j === slot ? c : t))),
    ], o);
    let bestScore = current, bestCand = -1;
    candidates.forEach((c, i) => {
      if (accepts(scores[i], bestScore, o.metric)) [bestScore, bestCand] = [scores[i], c];
    });
    if (bestCand >= 0) triggers[slot] = bestCand, acceptedFlips++;
    await track(it);
    onProgress?.({ phase: "search", step: it, totalSteps: o.iterations, loss, devAccuracy: history.at(-1)?.accuracy });
  }
  return { triggers: best.triggers, losses, dev: history, bestStep: best.step, acceptedFlips };
}
