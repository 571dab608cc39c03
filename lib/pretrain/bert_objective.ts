/**
 * Masked-LM pre-training of a BERT for the loop (`pretrain.ts`): from scratch on a character-level vocabulary
 * built from the corpus (or a given tokenizer), or continued from a model folder; dynamic masking of each pass.
 * @module
 */
import type { GradientStep } from "../engine/gradient_step.ts";
import { encodeTexts } from "../model/batch.ts";
import { type BertConfig, bertConfigText, parseBertConfig } from "../model/bert/config.ts";
import { readJsonFile } from "../util/json_file.ts";
import { bertBackbone } from "../model/bert/backbone.ts";
import { loadModelFolder, saveModelFolder } from "../model/folder.ts";
import { maskBatch, maskCapacity, maskingVocab } from "../model/masking.ts";
import { MlmEvaluator } from "../model/bert/mlm_graph.ts";
import { mlmFeeds } from "../model/masking.ts";
import { mlmTrainStep } from "../model/bert/mlm_step.ts";
import { randomBertWeights } from "../model/bert/random.ts";
import { bertTokenizerFiles, loadTokenizer } from "../model/tokenizers/tokenizer.ts";
import { InputError } from "../util/errors.ts";
import type { TensorMap } from "../util/tensor.ts";
import { heldoutMlm } from "./heldout.ts";
import { MLM_BUCKETS, packBucket } from "./mlm_batches.ts";
import type { ModelOptions, ModelStart, PretrainArch, PretrainObjective } from "./objective.ts";
import { buildVocab } from "./vocab.ts";

/** Config, weights and tokenizer files of the model to train, fresh or continued. */
async function start(o: ModelOptions, train: readonly string[]): Promise<ModelStart> {
  if (o.from) {
    const m = await loadModelFolder(o.from);
    return { files: { ...m.tokenizer.files, "config.json": bertConfigText(m.config) }, weights: m.weights };
  }
  const given = o.tokenizer ? await loadTokenizer(o.tokenizer) : undefined;
  const vocab = given ? [] : buildVocab(train, { minFreq: o.minFreq });
  const made: BertConfig = parseBertConfig({
    architectures: ["BertForMaskedLM"],
    model_type: "bert",
    vocab_size: given ? given.vocabSize : vocab.length,
    hidden_size: o.hidden,
    num_hidden_layers: o.layers,
    num_attention_heads: o.heads,
    intermediate_size: o.intermediate,
    max_position_embeddings: o.maxLength,
    hidden_act: "gelu",
  });
  const tokenizerFiles = given?.files ?? bertTokenizerFiles(vocab, o.maxLength);
  return { files: { ...tokenizerFiles, "config.json": bertConfigText(made) }, weights: randomBertWeights(made, o.seed) };
}

/** The masked-LM objective on the output folder's BERT. */
async function open(o: ModelOptions, weights: TensorMap, corpus: { train: readonly string[]; heldout: readonly string[] }) {
  const configFile = `${o.out}/config.json`;
  const config = parseBertConfig(await readJsonFile(configFile), configFile);
  const tokenizer = await loadTokenizer(o.out);
  const maxLength = Math.min(o.maxLength, config.max_position_embeddings);
  if (maxLength < MLM_BUCKETS[0]) {
    throw new InputError(
      `max_position_embeddings ${config.max_position_embeddings} is below the shortest length bucket, ${MLM_BUCKETS[0]}`,
      {
        file: `${o.from}/config.json`,
      },
    );
  }
  const vocab = maskingVocab(tokenizer);
  const steps = new Map<string, Promise<GradientStep>>();
  const evaluator = new MlmEvaluator(config, weights);
  const objective: PretrainObjective = {
    config,
    seqs: encodeTexts(tokenizer, corpus.train, maxLength).seqs,
    maxLength,
    async pass(part, rows, length, { rng, dropoutSeed }) {
      const capacity = maskCapacity(rows, length);
      const key = `${rows}:${length}`;
      if (!steps.has(key)) steps.set(key, mlmTrainStep(config, weights, rows, length, capacity));
      const masked = maskBatch(packBucket(part, rows, length, tokenizer.specialIds.pad), rng, vocab);
      const r = await (await steps.get(key)!).run(weights, { ...mlmFeeds(masked), dropout_seed: dropoutSeed });
      return { loss: r.loss, grads: r.grads, count: masked.masked };
    },
    heldout: () => heldoutMlm({ config, weights, tokenizer }, corpus.heldout, { evaluator }),
    async save() {
      // A masked-LM checkpoint: the pooler was never trained, so it is not saved (loaders initialise it, as HF does).
      const saved: TensorMap = new Map([...weights].filter(([n]) => !n.startsWith("bert.pooler.")));
      await saveModelFolder(o.out, { backbone: bertBackbone(config), weights: saved, tokenizerFiles: tokenizer.files });
    },
    async release() {
      await evaluator.release();
      for (const s of steps.values()) await (await s).release();
    },
  };
  return objective;
}

/** BERT with the masked-LM objective. */
export const bertPretraining: PretrainArch = { start, open };
