/**
 * A deployable Hugging Face folder of a trained model, as transformers.js loads it offline: `config.json`
 * (architecture, labels), the tokenizer files, and `onnx/model.onnx`, an inference graph built with the kit's
 * own graph builder at run-time shapes (any batch, any length), every weight an initializer. Inputs are
 * `input_ids`, `attention_mask`, `token_type_ids` (int64 [batch, sequence]); the output is `logits`. Beside it,
 * `model.safetensors` holds the weights the architecture reads under transformers' names, so Python
 * `transformers` loads the folder too.
 *
 * The methods say what sits on top of the encoder (a classifier head, the MLM head) and what is baked in
 * (P-tuning v2's prefix, the soft prompt's vectors); this module writes the folder.
 *
 * @example
 * ```ts
 * await writeHfExport("out/finetuned", { model, weights, source: "runs/ft/weights.safetensors",
 *   architecture: "BertForSequenceClassification", labels: ["Negative", "Positive"], maxLength: 128, logits: (bert, param) => classifierLogits(bert, model.backbone, param) });
 * ```
 * @module
 */
import { Graph, type Value } from "../engine/graph.ts";
import { exportOnnx } from "../engine/onnx_export.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import type { TensorMap } from "../util/tensor.ts";
import type { Backbone, EncoderGraph, EncoderOptions, ParamSource } from "./backbone.ts";
import { checkFinite } from "./check_weights.ts";
import type { ModelFolder } from "./folder.ts";
import { GraphParams } from "./params.ts";
import { encodeSafetensors } from "./formats/safetensors.ts";
import type { BertTokenizer } from "./tokenizers/tokenizer.ts";

/** Architectures an export declares (transformers' class names). */
export type HfArchitecture = "BertForSequenceClassification" | "BertForMaskedLM";

/** What {@link writeHfExport} writes. */
export interface HfExportSpec {
  /** The base model: its backbone builds the graph, its config and tokenizer are written along. */
  model: Pick<ModelFolder, "backbone" | "tokenizer">;
  /** Every weight the graph reads by canonical name (base weights merged with the trained ones). */
  weights: TensorMap;
  /** The file the trained weights come from, named when one is not finite (nothing is written then). */
  source: string;
  architecture: HfArchitecture;
  /** Class names in logit order (`id2label`); a sequence classifier needs them. */
  labels?: readonly string[];
  /** Longest input in tokens: the tokenizer's `model_max_length`, so transformers.js truncates where the kit does. */
  maxLength: number;
  /** The output on top of the encoder: [B, C] class logits or [B, L, V] MLM logits. */
  logits(bert: EncoderGraph, param: ParamSource): Value;
  /** Per-layer prefix keys/values baked into the graph (P-tuning v2), shaped as the encoder's `prefix` hook takes them. */
  prefix?(g: Graph, param: ParamSource): Value;
  /** The layers the prefix's rows belong to (default every layer), as the encoder takes them. */
  prefixLayers?: readonly number[];
  /** A rewrite of the word embeddings baked into the graph (the soft prompt's vectors at its slots), as the encoder takes it. */
  wordEmbeddingsHook?(g: Graph, param: ParamSource): EncoderOptions["wordEmbeddingsHook"];
  /** Further config.json keys. */
  configExtra?: Record<string, unknown>;
}

/** Names of the symbolic dimensions of the exported graph. */
const BATCH = "batch_size", SEQUENCE = "sequence_length";

/** The inference graph of `spec` as ONNX bytes: int64 token inputs of any [batch, sequence], output `logits`. */
export function inferenceOnnx(
  spec: Pick<HfExportSpec, "model" | "weights" | "logits" | "prefix" | "prefixLayers" | "wordEmbeddingsHook">,
): Uint8Array {
  const g = new Graph();
  const params = new GraphParams(g, spec.weights, () => false, "constants");
  const prefix = spec.prefix?.(g, params.get);
  // Placeholder sizes: every shape that depends on them is computed from input_ids at run time.
  const wordEmbeddingsHook = spec.wordEmbeddingsHook?.(g, params.get);
  const bert = spec.model.backbone.encoder(g, params.get, {
    batch: 1,
    seqLen: 1,
    train: false,
    prefix,
    prefixLayers: spec.prefixLayers,
    wordEmbeddingsHook,
    runtimeShapes: true,
  });
  const logits = spec.logits(bert, params.get);
  const tokens = [BATCH, SEQUENCE];
  return exportOnnx(g, { logits }, {
    input_ids: tokens,
    attention_mask: tokens,
    token_type_ids: tokens,
    logits: logits.rank === 3 ? [BATCH, SEQUENCE, null] : [BATCH, null],
  });
}

/** config.json of an export: the base config with architecture, labels and transformers.js' settings. */
export function exportConfig(
  backbone: Pick<Backbone, "type" | "configJson">,
  spec: Pick<HfExportSpec, "architecture" | "labels" | "configExtra">,
): Record<string, unknown> {
  const labels = spec.labels
    ? {
      id2label: Object.fromEntries(spec.labels.map((l, i) => [String(i), l])),
      label2id: Object.fromEntries(spec.labels.map((l, i) => [l, i])),
    }
    : {};
  return {
    ...backbone.configJson(),
    architectures: [spec.architecture],
    model_type: backbone.type,
    ...(spec.labels ? { problem_type: "single_label_classification", ...labels } : {}),
    // The graph is float32: transformers.js must load onnx/model.onnx, not look for a quantized variant.
    "transformers.js_config": { dtype: "fp32" },
    ...spec.configExtra,
  };
}

/**
 * Tokenizer files of an export: the base model's, with `tokenizer_config.json` naming the special tokens, the
 * tokenizer class and `model_max_length` = `maxLength` whatever the base's says (older Hub folders keep the
 * special tokens only in `special_tokens_map.json`, which transformers.js does not read: its fill-mask then finds
 * no mask token and batching no pad token), and `special_tokens_map.json` and `vocab.txt` written from the
 * tokenizer when the base folder has none.
 */
export function exportTokenizerFiles(tok: BertTokenizer, maxLength: number): Record<string, string> {
  const files = { ...tok.files };
  const { cls, sep, pad, mask, unk } = tok.specialIds;
  const special = {
    cls_token: tok.idToToken(cls),
    mask_token: tok.idToToken(mask),
    pad_token: tok.idToToken(pad),
    sep_token: tok.idToToken(sep),
    unk_token: tok.idToToken(unk),
  };
  const tokenizerConfig = JSON.parse(files["tokenizer_config.json"] ?? "{}");
  files["tokenizer_config.json"] =
    JSON.stringify({ tokenizer_class: "BertTokenizer", ...tokenizerConfig, ...special, model_max_length: maxLength }, null, 2) + "\n";
  files["special_tokens_map.json"] ??= JSON.stringify(special, null, 2) + "\n";
  files["vocab.txt"] ??= Array.from({ length: tok.vocabSize }, (_, i) => tok.idToToken(i)).join("\n") + "\n";
  return files;
}

/** Name prefixes of the weights each architecture reads in transformers (`BertForMaskedLM` has no pooler). */
const HF_WEIGHTS: Record<HfArchitecture, readonly string[]> = {
  BertForSequenceClassification: ["bert.", "classifier."],
  BertForMaskedLM: ["bert.embeddings.", "bert.encoder.", "cls.predictions."],
};

/** `model.safetensors` of an export: the weights `architecture` reads, under transformers' names. */
export function exportSafetensors(weights: TensorMap, architecture: HfArchitecture): Uint8Array {
  const read = HF_WEIGHTS[architecture];
  return encodeSafetensors(new Map([...weights].filter(([name]) => read.some((p) => name.startsWith(p)))));
}

/**
 * Write the folder of `spec` into `dir` (created), each file atomically.
 * @throws InputError naming `spec.source` and the tensor when a weight is NaN or infinite: such an export would
 *   answer one class for every input.
 */
export async function writeHfExport(dir: string, spec: HfExportSpec): Promise<void> {
  checkFinite(spec.weights, spec.source);
  dir = dir.replace(/\/+$/, "");
  await Deno.mkdir(`${dir}/onnx`, { recursive: true });
  await writeFileAtomic(`${dir}/onnx/model.onnx`, inferenceOnnx(spec));
  await writeFileAtomic(`${dir}/model.safetensors`, exportSafetensors(spec.weights, spec.architecture));
  for (const [name, text] of Object.entries(exportTokenizerFiles(spec.model.tokenizer, spec.maxLength))) {
    await writeFileAtomic(`${dir}/${name}`, text);
  }
  await writeFileAtomic(`${dir}/config.json`, JSON.stringify(exportConfig(spec.model.backbone, spec), null, 2) + "\n");
}
