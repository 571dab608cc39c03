/**
 * Random-weight BERT models for tests: weights initialised as transformers does, and whole model folders
 * (config, safetensors, a generated WordPiece tokenizer) in HF layout or in bert-base-chinese's original naming.
 *
 * @example
 * ```ts
 * const config = bertBaseChineseConfig({ num_hidden_layers: 2 });
 * await writeRandomModelFolder("/tmp/m", config, { seed: 1, naming: "original" });
 * ```
 * @module
 */
import { Rng } from "../../util/rng.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { type BertConfig, parseBertConfig } from "./config.ts";
import { saveModelFolder } from "../folder.ts";
import { bertBackbone } from "./backbone.ts";
import { bertTokenizerFiles } from "../tokenizers/tokenizer.ts";
import { expectedShapes, initTensor } from "./weights.ts";

/**
 * bert-base-chinese's configuration (12 layers, hidden 768, 12 heads, intermediate 3072, vocabulary 21128,
 * 512 positions), with `overrides` applied (e.g. fewer layers for a quick test).
 */
export function bertBaseChineseConfig(overrides: Record<string, unknown> = {}): BertConfig {
  return parseBertConfig({
    architectures: ["BertForMaskedLM"],
    model_type: "bert",
    vocab_size: 21128,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    hidden_act: "gelu",
    max_position_embeddings: 512,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    initializer_range: 0.02,
    ...overrides,
  }, "bertBaseChineseConfig");
}

/**
 * Every canonical weight of `config` (pooler and MLM head included, decoder tied), initialised as transformers'
 * `_init_weights`; one seed gives the same tensors.
 */
export function randomBertWeights(config: BertConfig, seed: number): TensorMap {
  const rng = new Rng(seed);
  const weights: TensorMap = new Map();
  for (const [name, shape] of expectedShapes(config)) weights.set(name, initTensor(name, shape, config, rng.fork(name)));
  return weights;
}

/**
 * A vocabulary of `size` tokens: the five BERT specials, printable ASCII with `##` letter/digit continuations,
 * CJK characters from U+4E00, then `[unusedN]` if more are needed.
 */
export function randomVocab(size: number): string[] {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  for (let c = 33; c < 127; c++) vocab.push(String.fromCharCode(c));
  for (const c of "abcdefghijklmnopqrstuvwxyz0123456789") vocab.push(`##${c}`);
  for (let c = 0x4e00; c <= 0x9fff && vocab.length < size; c++) vocab.push(String.fromCharCode(c));
  for (let i = 1; vocab.length < size; i++) vocab.push(`[unused${i}]`);
  return vocab.slice(0, size);
}

/** Options of {@link writeRandomModelFolder}. */
export interface RandomFolderOptions {
  seed?: number;
  /**
   * "hf" (default): canonical names as transformers saves them today. "original": as bert-base-chinese's
   * weights were published: `LayerNorm.gamma/beta`, no pooler, tied decoder not stored, plus
   * `cls.seq_relationship.*` (which loading drops).
   */
  naming?: "hf" | "original";
}

/**
 * Write a loadable model folder with random weights and a generated tokenizer whose vocabulary has
 * `config.vocab_size` tokens. Returns the weights written (canonical names).
 */
export async function writeRandomModelFolder(
  dir: string,
  config: BertConfig,
  { seed = 0, naming = "hf" }: RandomFolderOptions = {},
): Promise<TensorMap> {
  const weights = randomBertWeights(config, seed);
  const stored = naming === "hf" ? weights : originalNaming(weights, config, seed);
  const tokenizerFiles = bertTokenizerFiles(randomVocab(config.vocab_size), config.max_position_embeddings);
  await saveModelFolder(dir, { backbone: bertBackbone(config), weights: stored, tokenizerFiles });
  return weights;
}

function originalNaming(weights: TensorMap, config: BertConfig, seed: number): TensorMap {
  const out: TensorMap = new Map();
  for (const [name, t] of weights) {
    if (name.startsWith("bert.pooler.")) continue;
    out.set(name.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta"), t);
  }
  const rng = new Rng(seed).fork("seq_relationship");
  out.set("cls.seq_relationship.weight", initTensor("cls.seq_relationship.weight", [2, config.hidden_size], config, rng));
  out.set("cls.seq_relationship.bias", initTensor("cls.seq_relationship.bias", [2], config, rng));
  return out;
}
