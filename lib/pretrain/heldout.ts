/**
 * Held-out masked-LM loss and accuracy of a model on fixed texts with a fixed masking seed, so two models
 * (e.g. the kit's and the PyTorch reference) are scored on the same text the same way. Each model uses its
 * own tokenizer; positions are masked at the same rate and seed.
 */
import type { BertConfig } from "../model/bert/config.ts";
import type { BertTokenizer } from "../model/tokenizers/tokenizer.ts";
import type { TensorMap } from "../util/tensor.ts";
import { mixSeed, Rng } from "../util/rng.ts";
import { encodeTexts } from "../model/batch.ts";
import { maskBatch, maskingVocab } from "../model/masking.ts";
import { MlmEvaluator } from "../model/bert/mlm_graph.ts";
import { BucketedBatches, packBucket } from "./mlm_batches.ts";

/** Result of {@link heldoutMlm}. */
export interface HeldoutResult {
  loss: number;
  accuracy: number;
  masked: number;
  texts: number;
}

/** Score `texts` with `evaluator` (reused during training) or a fresh one. */
export async function heldoutMlm(
  model: { config: BertConfig; weights: TensorMap; tokenizer: BertTokenizer },
  texts: readonly string[],
  { seed = 1234, tokensPerBatch = 8192, evaluator }: { seed?: number; tokensPerBatch?: number; evaluator?: MlmEvaluator } = {},
): Promise<HeldoutResult> {
  const maxLength = Math.min(128, model.config.max_position_embeddings);
  const seqs = encodeTexts(model.tokenizer, texts, maxLength).seqs;
  const batches = new BucketedBatches(seqs, tokensPerBatch, seed, maxLength).epoch(0);
  const ev = evaluator ?? new MlmEvaluator(model.config, model.weights);
  const vocab = maskingVocab(model.tokenizer);
  let lossSum = 0, correct = 0, count = 0;
  for (const [i, b] of batches.entries()) {
    const masked = maskBatch(packBucket(b.seqs, b.rows, b.length, model.tokenizer.specialIds.pad), new Rng(mixSeed(seed, i)), vocab);
    const r = await ev.run(masked);
    lossSum += r.lossSum;
    correct += r.correct;
    count += r.count;
  }
  if (!evaluator) await ev.release();
  return { loss: lossSum / count, accuracy: correct / count, masked: count, texts: texts.length };
}
