/**
 * BERT behind the backbone seam: its graph, sizes, weight names and masked-LM step as `../backbone.ts` asks for
 * them. It has every capability: a pooler, an MLM head, per-layer prefixes and soft input embeddings.
 * @module
 */
import type { Backbone, Capability } from "../backbone.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { type BertConfig, bertConfigToJson } from "./config.ts";
import { buildBert, DECODER } from "./graph.ts";
import { mlmTrainStep } from "./mlm_step.ts";
import { initTensor, loadWeights } from "./weights.ts";

/** `model_type` of a BERT config.json. */
export const BERT_TYPE = "bert";

/** Canonical name of BERT's word-embedding table. */
export const BERT_WORD_EMBEDDINGS = "bert.embeddings.word_embeddings.weight";

const CAPABILITIES: ReadonlySet<Capability> = new Set(["pooled", "mlm", "prefix", "soft-input"]);

/** The BERT backbone of `config`. */
export function bertBackbone(config: BertConfig): Backbone<BertConfig> {
  return {
    type: BERT_TYPE,
    config,
    sizes: {
      hiddenSize: config.hidden_size,
      layers: config.num_hidden_layers,
      heads: config.num_attention_heads,
      vocabSize: config.vocab_size,
      maxPositions: config.max_position_embeddings,
      hiddenDropout: config.hidden_dropout_prob,
      classifierDropout: config.classifier_dropout ?? config.hidden_dropout_prob,
    },
    capabilities: CAPABILITIES,
    wordEmbeddings: BERT_WORD_EMBEDDINGS,
    answerEmbeddings: (weights: TensorMap) => weights.get(DECODER) ?? weights.get(BERT_WORD_EMBEDDINGS)!,
    encoder: (g, param, opts) => buildBert(g, config, param, opts),
    initTensor: (name, shape, rng) => initTensor(name, shape, config, rng),
    mlmTrainStep: (weights, rows, length, capacity) => mlmTrainStep(config, weights, rows, length, capacity),
    loadWeights: (path, opts) => loadWeights(path, config, opts),
    configJson: () => bertConfigToJson(config),
  };
}
