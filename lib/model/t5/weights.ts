/**
 * T5 weights under Hugging Face's names (`shared.weight`, `encoder.block.{i}.layer.0.SelfAttention.q.weight`,
 * ..., `lm_head.weight` when untied): the shapes a config implies, a random initialisation of them, and the
 * normalisation of a stored state dict (aliases resolved, sizes checked against the config).
 *
 * @example
 * ```ts
 * const { weights, notes } = normalizeT5Weights(await readWeightsFile(path), config, { file: path });
 * ```
 * @module
 */
import { InputError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import { numel, type TensorMap } from "../../util/tensor.ts";
import { checkFinite } from "../check_weights.ts";
import type { StoredTensor } from "../formats/stored.ts";
import type { T5Config } from "./config.ts";

/** The embedding matrix shared by encoder input, decoder input and (when tied) the output head. */
export const SHARED = "shared.weight";
/** The untied output head (T5 v1.1, mT5). */
export const LM_HEAD = "lm_head.weight";
/** Stored copies of {@link SHARED} that `save_pretrained`'s `.bin` and some converters write. */
const ALIASES = ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"];

/** Prefix of the attention of block `i` of a stack: self-attention, or the decoder's cross-attention. */
export function attentionName(stack: "encoder" | "decoder", i: number, cross = false): string {
  return `${stack}.block.${i}.layer.${cross ? 1 : 0}.${cross ? "EncDecAttention" : "SelfAttention"}`;
}

/** Prefix of the feed-forward sub-layer of block `i` (layer 1 in the encoder, 2 in the decoder). */
export function feedForwardName(stack: "encoder" | "decoder", i: number): string {
  return `${stack}.block.${i}.layer.${stack === "encoder" ? 1 : 2}`;
}

/** The relative-position bias table of a stack: stored in its block 0, shared by every block. */
export function relativeBiasName(stack: "encoder" | "decoder"): string {
  return `${attentionName(stack, 0)}.relative_attention_bias.weight`;
}

/** Every weight `config` implies with its shape, in HF's order (shared, encoder, decoder, head). */
export function t5Shapes(config: T5Config): Map<string, number[]> {
  const { d_model: D, d_kv, num_heads: H, d_ff: F, vocab_size: V } = config;
  const inner = d_kv * H;
  const m = new Map<string, number[]>([[SHARED, [V, D]]]);
  const attention = (name: string) => {
    for (const w of ["q", "k", "v"]) m.set(`${name}.${w}.weight`, [inner, D]);
    m.set(`${name}.o.weight`, [D, inner]);
  };
  const feedForward = (name: string) => {
    for (const w of config.gated ? ["wi_0", "wi_1"] : ["wi"]) m.set(`${name}.DenseReluDense.${w}.weight`, [F, D]);
    m.set(`${name}.DenseReluDense.wo.weight`, [D, F]);
    m.set(`${name}.layer_norm.weight`, [D]);
  };
  for (const stack of ["encoder", "decoder"] as const) {
    const blocks = stack === "encoder" ? config.num_layers : config.num_decoder_layers;
    for (let i = 0; i < blocks; i++) {
      attention(attentionName(stack, i));
      if (i === 0) m.set(relativeBiasName(stack), [config.relative_attention_num_buckets, H]);
      m.set(`${stack}.block.${i}.layer.0.layer_norm.weight`, [D]);
      if (stack === "decoder") {
        attention(attentionName(stack, i, true));
        m.set(`${stack}.block.${i}.layer.1.layer_norm.weight`, [D]);
      }
      feedForward(feedForwardName(stack, i));
    }
    m.set(`${stack}.final_layer_norm.weight`, [D]);
  }
  if (!config.tie_word_embeddings) m.set(LM_HEAD, [V, D]);
  return m;
}

/** HF `T5PreTrainedModel._init_weights`' standard deviation of a weight, before `initializer_factor`. */
function initStd(name: string, config: T5Config): number {
  const { d_model: D, d_kv, num_heads: H, d_ff: F } = config;
  if (name === SHARED || name === LM_HEAD) return 1;
  if (/\.q\.weight$/.test(name)) return (D * d_kv) ** -0.5;
  if (/\.o\.weight$/.test(name)) return (H * d_kv) ** -0.5;
  if (/\.wo\.weight$/.test(name)) return F ** -0.5;
  return D ** -0.5; // k, v, wi, wi_0, wi_1 and the relative-position tables
}

/** Random weights of `config`'s shapes, initialised as transformers does (layer norms 1); one seed, one model. */
export function randomT5Weights(config: T5Config, seed: number): TensorMap {
  const rng = new Rng(seed);
  const weights: TensorMap = new Map();
  for (const [name, shape] of t5Shapes(config)) {
    const data = new Float32Array(numel(shape));
    if (name.endsWith("layer_norm.weight")) data.fill(1);
    else {
      const r = rng.fork(name), std = config.initializer_factor * initStd(name, config);
      for (let i = 0; i < data.length; i++) data[i] = r.normal(0, std);
    }
    weights.set(name, { shape, data });
  }
  return weights;
}

/** Canonical weights and what loading had to do. */
export interface LoadedT5Weights {
  weights: TensorMap;
  /** Stored tensors dropped on purpose (aliases of `shared`, a tied model's `lm_head`). */
  ignored: string[];
}

/** Where {@link normalizeT5Weights} reports problems. */
export interface T5WeightFiles {
  /** The weights file, named for a missing or misshapen tensor. */
  file: string;
  /** The config file, named when a config size disagrees with the tensors. */
  configFile?: string;
}

/**
 * Stored tensors to canonical T5 weights: `shared.weight` taken from an embed_tokens alias if need be, the
 * aliases and a tied model's `lm_head.weight` dropped, then every tensor of {@link t5Shapes} checked.
 * @throws InputError naming the config file and field when `d_model`, `vocab_size`, `d_kv × num_heads` or a
 *   layer count disagrees with the tensors, the weights file and tensor when one is missing, misshapen,
 *   integer or non-finite.
 */
export function normalizeT5Weights(stored: Map<string, StoredTensor>, config: T5Config, where: T5WeightFiles): LoadedT5Weights {
  const { file, configFile = "config.json" } = where;
  const weights: TensorMap = new Map(), ignored: string[] = [];
  for (const [name, t] of stored) {
    if (t.dtype === "I64" || t.dtype === "I32") {
      throw new InputError(`integer tensor (${t.dtype}) where float weights belong`, { file, field: name });
    }
    weights.set(name, { shape: t.shape, data: t.data });
  }
  for (const alias of ALIASES) {
    const t = weights.get(alias);
    if (!t) continue;
    if (!weights.has(SHARED)) weights.set(SHARED, t);
    weights.delete(alias);
    ignored.push(alias);
  }
  if (config.tie_word_embeddings && weights.delete(LM_HEAD)) ignored.push(LM_HEAD);
  checkConfigAgainst(weights, config, configFile, file);
  const expected = t5Shapes(config);
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) throw new InputError("tensor missing from the weights", { file, field: name });
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new InputError(`shape [${t.shape}] stored, [${shape}] expected from config.json`, { file, field: name });
    }
  }
  for (const name of [...weights.keys()]) {
    if (!expected.has(name)) {
      weights.delete(name);
      ignored.push(name);
    }
  }
  checkFinite(weights, file);
  return { weights, ignored };
}

/** The config's sizes against the tensors that fix them, each named by its config field. */
function checkConfigAgainst(weights: TensorMap, config: T5Config, configFile: string, file: string): void {
  const mismatch = (field: string, problem: string): never => {
    throw new InputError(`${problem}; fix the config`, { file: configFile, field });
  };
  const shared = weights.get(SHARED);
  if (!shared) throw new InputError("tensor missing from the weights", { file, field: SHARED });
  if (shared.shape[0] !== config.vocab_size) mismatch("vocab_size", `vocab_size ${config.vocab_size} but ${SHARED} is [${shared.shape}]`);
  if (shared.shape[1] !== config.d_model) mismatch("d_model", `d_model ${config.d_model} but ${SHARED} is [${shared.shape}]`);
  const q = weights.get(`${attentionName("encoder", 0)}.q.weight`);
  if (q && q.shape[0] !== config.d_kv * config.num_heads) {
    mismatch(
      "d_kv",
      `d_kv ${config.d_kv} × num_heads ${config.num_heads} = ${config.d_kv * config.num_heads} but the weights' q/k/v have ${
        q.shape[0]
      } rows`,
    );
  }
  const table = weights.get(relativeBiasName("encoder"));
  if (table && table.shape[1] !== config.num_heads) {
    mismatch("num_heads", `num_heads ${config.num_heads} but the relative-position table is [${table.shape}]`);
  }
  for (const [stack, field] of [["encoder", "num_layers"], ["decoder", "num_decoder_layers"]] as const) {
    const block = new RegExp(`^${stack}\\.block\\.(\\d+)\\.`);
    let blocks = 0;
    for (const name of weights.keys()) blocks = Math.max(blocks, Number(block.exec(name)?.[1] ?? -1) + 1);
    if (blocks !== config[field]) mismatch(field, `${field} ${config[field]} but the weights hold ${blocks} ${stack} blocks`);
  }
}
