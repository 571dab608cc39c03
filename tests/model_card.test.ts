/** The model card renders the training log and the comparison rows it is given. */
import assert from "node:assert/strict";
import { comparisonTables, corpusSection, modelCard, type ModelComparison, type TrainingLog } from "../lib/experiments/model_card.ts";

const row = (name: string, loss: number): ModelComparison => ({
  name,
  dir: `/m/${name}`,
  parameters: 4_400_000,
  heldout: { loss, accuracy: 0.4, masked: 1000, texts: 2000 },
  zeroShot: [{ template: "fewclue", verbalizer: "fewclue", accuracy: 0.75, macroF1: 0.74 }],
  fewShot: [{
    method: "pet",
    dataset: "eprstmt",
    protocol: "fewclue",
    splits: 5,
    accuracyMean: 0.8,
    accuracyStd: 0.02,
    macroF1Mean: 0.8,
    trainableParams: 1,
    wallSeconds: 1,
  }],
});

Deno.test("model card: training trajectory, held-out, zero-shot and few-shot tables from the given rows", () => {
  const log: TrainingLog = {
    steps: 10,
    tokensSeen: 5000,
    seconds: 100,
    heldout: { loss: 3, accuracy: 0.4, masked: 1000, texts: 2000 },
    log: [{ step: 5, tokens: 2500, seconds: 50, tokens_per_s: 50, train_loss: 4, heldout_loss: 3.5, heldout_acc: 0.3, rss_mb: 900 }],
    corpus: { sources: { eprstmt: 10 }, train: 8, heldout: 2, characters: 99 },
    options: { minFreq: 3, tokensPerBatch: 8192, lr: 0.001, beta2: 0.98, weightDecay: 0.01, warmupSteps: 100, seed: 42, minutes: 60 },
  };
  const card = modelCard("mini", { num_hidden_layers: 4, hidden_size: 256, vocab_size: 4000 }, log, [row("mini", 3.1), row("ref", 2.9)]);
  assert.match(card, /\| 5 \| 2500 \| 0\.8 \| 50 \| 4 \| 3\.5 \| 0\.3 \| 900 \|/);
  assert.match(card, /\| mini \| 4,400,000 \| 3\.100 \| 0\.400 \| 1000 \|/);
  assert.match(card, /\| ref \| 75\.0 \/ 74\.0 \|/);
  assert.match(comparisonTables([row("ref", 2.9)]), /\| ref \| 80\.0 ± 2\.0 \(5 splits\) \|/);
  // A continued run reports every stage and the totals.
  const continued = modelCard("mini", {}, { ...log, options: { ...log.options, from: "models/a" }, stages: [log] }, []);
  assert.match(continued, /### Stage 1[\s\S]*### Stage 2[\s\S]*continued from `models\/a`/);
  assert.match(continued, /\*\*20 steps, 10,000 tokens,\s+3\.3 minutes\*\*/);
});

Deno.test("model card: the corpus section names the corpus; a log from before corpora had names read reviews-v1", () => {
  const log = (corpus: Record<string, unknown>) => ({ corpus, options: {} }) as unknown as TrainingLog;
  const old = corpusSection(log({ sources: { eprstmt: 10 }, train: 8, heldout: 2, characters: 99, decontaminated: 1 }));
  assert.match(old, /Corpus `reviews-v1`/);
  assert.match(old, /source task's own evaluation split was removed \(1\)/);
  assert.match(old, /the first texts in corpus order/);
  const wide = corpusSection(log({ name: "fewclue-v2", sources: { eprstmt: 10, chid: 3 }, train: 11, heldout: 2 }));
  assert.match(wide, /Corpus `fewclue-v2`/);
  assert.match(wide, /any registered task's evaluation split/);
  assert.match(wide, /held-out texts of `reviews-v1` that this corpus keeps/);
  assert.match(wide, /eprstmt 10, chid 3/);
  assert.throws(() => corpusSection(log({ name: "reviews-v0" })), /unknown corpus "reviews-v0"/);
});
