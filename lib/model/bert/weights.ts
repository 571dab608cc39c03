/**
 * BERT weights under canonical Hugging Face names (`bert.embeddings.word_embeddings.weight`, ...,
 * `cls.predictions.bias`), whatever variant a checkpoint was saved in, checked against the config.
 *
 * Canonical map: every name of {@link expectedShapes}. The MLM decoder is tied to the word embeddings unless the
 * map also holds `cls.predictions.decoder.weight` (an untied checkpoint). Extra float tensors (e.g. a task's
 * `classifier.*`) are kept under their names.
 *
 * @example
 * ```ts
 * const config = await readBertConfig("m/config.json");
 * const { weights, notes } = await loadWeights("m/model.safetensors", config);
 * ```
 * @module
 */
import { InputError } from "../../util/errors.ts";
import { checkFinite } from "../check_weights.ts";
import { checkConfigSizes } from "./config_sizes.ts";
import { HEAD_NOTES, type LoadedWeights } from "../weights.ts";
import { Rng } from "../../util/rng.ts";
import { type HostTensor, numel, type TensorMap } from "../../util/tensor.ts";
import type { BertConfig } from "./config.ts";
import type { StoredTensor } from "../formats/stored.ts";
import { readWeightsFile } from "../formats/weight_files.ts";

/** Name of the (untied) decoder weight; absent from the canonical map when tied to the word embeddings. */
export const DECODER_WEIGHT = "cls.predictions.decoder.weight";

/**
 * Canonical names and shapes that `config` implies, in HF's order: embeddings, layers, pooler, MLM head.
 * @example
 * ```ts
 * expectedShapes(config).get("bert.pooler.dense.weight"); // [H, H]
 * ```
 */
export function expectedShapes(config: BertConfig): Map<string, number[]> {
  const { vocab_size: V, hidden_size: H, intermediate_size: I } = config;
  const m = new Map<string, number[]>();
  const linear = (name: string, out: number, inp: number) => {
    m.set(`${name}.weight`, [out, inp]);
    m.set(`${name}.bias`, [out]);
  };
  const norm = (name: string) => {
    m.set(`${name}.weight`, [H]);
    m.set(`${name}.bias`, [H]);
  };
  m.set("bert.embeddings.word_embeddings.weight", [V, H]);
  m.set("bert.embeddings.position_embeddings.weight", [config.max_position_embeddings, H]);
  m.set("bert.embeddings.token_type_embeddings.weight", [config.type_vocab_size, H]);
  norm("bert.embeddings.LayerNorm");
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `bert.encoder.layer.${i}`;
    for (const qkv of ["query", "key", "value"]) linear(`${p}.attention.self.${qkv}`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, I, H);
    linear(`${p}.output.dense`, H, I);
    norm(`${p}.output.LayerNorm`);
  }
  linear("bert.pooler.dense", H, H);
  linear("cls.predictions.transform.dense", H, H);
  norm("cls.predictions.transform.LayerNorm");
  m.set("cls.predictions.bias", [V]);
  return m;
}

/**
 * A tensor initialised as transformers' `BertPreTrainedModel._init_weights` does: LayerNorm weight 1, biases 0,
 * other weights N(0, initializer_range), the word-embedding row of `pad_token_id` zero.
 */
export function initTensor(name: string, shape: number[], config: BertConfig, rng: Rng): HostTensor {
  const data = new Float32Array(numel(shape));
  if (name.endsWith("LayerNorm.weight")) data.fill(1);
  else if (!name.endsWith("bias")) {
    for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, config.initializer_range);
    if (name === "bert.embeddings.word_embeddings.weight") {
      data.fill(0, config.pad_token_id * shape[1], (config.pad_token_id + 1) * shape[1]);
    }
  }
  return { shape: [...shape], data };
}

/** Options for {@link normalizeWeights}. */
export interface NormalizeOptions {
  /** File named in errors; default "model.safetensors". */
  file?: string;
  /** Seed for initialising a missing pooler or MLM head; default 0. */
  seed?: number;
}

const DECODER_BIAS = "cls.predictions.decoder.bias";
const MLM_BIAS = "cls.predictions.bias";
const POOLER = "bert.pooler.dense.";
const MLM_HEAD = "cls.predictions.";

/**
 * Bring stored tensors to canonical names and check them against `config`.
 * Accepts names without `bert.`, `LayerNorm.gamma/beta`, `cls.predictions.decoder.bias` for
 * `cls.predictions.bias`, a missing or duplicate tied decoder, a missing pooler or MLM head.
 * @throws InputError naming `file` and the tensor: a tensor missing, a shape the config does not imply,
 *   an integer tensor where floats belong, a non-finite value; or naming the config field whose size
 *   (`num_hidden_layers`, `hidden_size`, ...) differs from the weights', before anything is allocated from it.
 */
export function normalizeWeights(
  stored: Map<string, StoredTensor>,
  config: BertConfig,
  { file = "model.safetensors", seed = 0 }: NormalizeOptions = {},
): LoadedWeights {
  const weights: TensorMap = new Map();
  const ignored: string[] = [];
  const notes: string[] = [];
  const narrow = [...stored.values()].filter((t) => t.dtype === "F16" || t.dtype === "BF16");
  if (narrow.length) {
    const kinds = [...new Set(narrow.map((t) => t.dtype))].join("/");
    notes.push(`${narrow.length} tensors stored as ${kinds}: widened to float32`);
  }
  for (const [rawName, t] of stored) {
    const name = canonicalName(rawName);
    if (name === "bert.embeddings.position_ids" || name.startsWith("cls.seq_relationship.")) {
      ignored.push(rawName);
      continue;
    }
    if (t.dtype === "I64" || t.dtype === "I32") {
      throw new InputError(`integer tensor (${t.dtype}) where float weights belong`, { file, field: rawName });
    }
    if (weights.has(name)) {
      throw new InputError(`two stored tensors map to "${name}"`, { file, field: rawName });
    }
    weights.set(name, { shape: t.shape, data: t.data });
  }
  // HF state dicts may hold the MLM bias twice (`decoder.bias` is tied to it); use the alias only when alone.
  const alias = weights.get(DECODER_BIAS);
  weights.delete(DECODER_BIAS);
  if (alias && !weights.has(MLM_BIAS)) weights.set(MLM_BIAS, alias);
  else if (alias) ignored.push(DECODER_BIAS);

  checkConfigSizes(weights, config, file);
  const expected = expectedShapes(config);
  const rng = new Rng(seed);
  const initMissing = (prefix: string): boolean => {
    const names = [...expected.keys()].filter((n) => n.startsWith(prefix));
    if (names.some((n) => weights.has(n))) return false; // partly present: validation names what is missing
    const r = rng.fork(prefix);
    for (const n of names) weights.set(n, initTensor(n, expected.get(n)!, config, r));
    return true;
  };
  const poolerInitialized = initMissing(POOLER);
  if (poolerInitialized) notes.push(HEAD_NOTES.pooler);
  const mlmHeadInitialized = initMissing(MLM_HEAD);
  if (mlmHeadInitialized) notes.push(HEAD_NOTES["mlm-head"]);

  for (const [name, shape] of expected) checkShape(weights, name, shape, file);
  const decoderTied = settleDecoder(weights, config, file, ignored, notes);
  const extra = [...weights.keys()].filter((n) => !expected.has(n) && n !== DECODER_WEIGHT);
  if (extra.length) notes.push(`extra tensors kept: ${extra.join(", ")}`);
  checkFinite(weights, file);
  return { weights, poolerInitialized, mlmHeadInitialized, decoderTied, ignored, notes };
}

/** Read a weights file (safetensors, PyTorch `.bin`, or a sharded index of either) and {@link normalizeWeights} it. */
export async function loadWeights(path: string, config: BertConfig, opts: { seed?: number } = {}): Promise<LoadedWeights> {
  return normalizeWeights(await readWeightsFile(path), config, { file: path, seed: opts.seed });
}

/** Stored name to canonical name: `bert.` prefix for bare-BertModel names, LayerNorm gamma/beta. */
function canonicalName(name: string): string {
  const n = name.replace(/LayerNorm\.gamma$/, "LayerNorm.weight").replace(/LayerNorm\.beta$/, "LayerNorm.bias");
  return /^(embeddings|encoder|pooler)\./.test(n) ? `bert.${n}` : n;
}

function checkShape(weights: TensorMap, name: string, shape: number[], file: string): void {
  const t = weights.get(name);
  if (!t) throw new InputError("tensor missing from the weights", { file, field: name });
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new InputError(
      `config does not match the weights: shape [${t.shape}] stored, [${shape}] expected from config.json`,
      { file, field: name },
    );
  }
}

/** Drop a stored decoder equal to the word embeddings; keep (and report) one that differs. Returns tied-ness. */
function settleDecoder(weights: TensorMap, config: BertConfig, file: string, ignored: string[], notes: string[]): boolean {
  const decoder = weights.get(DECODER_WEIGHT);
  if (!decoder) {
    if (!config.tie_word_embeddings) notes.push("config says untied embeddings but no decoder is stored: tied");
    return true;
  }
  checkShape(weights, DECODER_WEIGHT, [config.vocab_size, config.hidden_size], file);
  const emb = weights.get("bert.embeddings.word_embeddings.weight")!.data;
  if (decoder.data.every((v, i) => v === emb[i])) {
    weights.delete(DECODER_WEIGHT);
    ignored.push(DECODER_WEIGHT);
    return true;
  }
  notes.push(`${DECODER_WEIGHT} differs from the word embeddings: kept as an untied decoder`);
  return false;
}
