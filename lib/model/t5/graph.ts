/**
 * T5 as graphs, with Hugging Face's semantics (`modeling_t5.py`): pre-norm blocks with T5's RMS layer norm (no
 * bias, no mean subtraction), attention without 1/√d scaling, a relative-position bias per stack (looked up in
 * block 0's table through a constant index of buckets and added in every block), ReLU or gated-GELU
 * feed-forward, a causal decoder with cross-attention, and the LM head: `shared` with the states scaled by
 * d_model^-0.5 when tied (original T5), `lm_head` when not (v1.1, mT5).
 *
 * The encoder and the decoder are built separately as well as together: greedy decoding runs the encoder once
 * and the decoder graph once per generated token, fed the encoder's states. Hidden states are 2-D rows
 * [B·L, d_model], so every projection is one GEMM. The stacks take their shapes from a {@link StackShapes}:
 * fixed here, read at run time in the deployable graphs (`deploy_graph.ts`), which also feed the decoder a
 * key/value cache.
 * @module
 */
import type { Graph, Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import { dropout, geluTanh, linear, relu, rmsNorm } from "../../engine/layers.ts";
import type { ParamSource } from "../backbone.ts";
import type { T5Config } from "./config.ts";
import { bucketTable } from "./relative_position.ts";
import { attentionName, feedForwardName, LM_HEAD, relativeBiasName, SHARED } from "./weights.ts";

/** Added to the attention logits of keys a query must not see; nothing of it survives the softmax. */
export const MASKED = -1e9;

/** Rewrites the encoder's token embeddings, rows [B·S, d_model] (prompt tuning's soft prompt, `soft_prompt.ts`). */
export type EmbedHook = (rows: Value) => Value;

/** Dropout at one site of the graph (identity when not training). */
export type Drop = (x: Value) => Value;

/** Reshape dimensions: sizes, `"batch"` for the batch size, and at most one -1 (inferred). */
export type Dims = readonly (number | "batch")[];

/**
 * Where a stack's shapes come from: fixed when the graph is built (training, the runner) or read at run time
 * (an export, any batch and lengths).
 */
export interface StackShapes {
  /** `x` reshaped to `dims`. */
  reshape(x: Value, dims: Dims): Value;
  /**
   * The self-attention bias of the stack: its relative-position bias (`table` [buckets, heads] gathered at the
   * bucket of every query and key), with the causal mask added in the decoder; [1, heads, q, k] or [heads, q, k].
   */
  selfBias(table: Value): Value;
}

/** What one stack needs besides its input: the model, its weights, its shapes and dropout. */
export interface StackContext {
  g: Graph;
  config: T5Config;
  param: ParamSource;
  shapes: StackShapes;
  drop: Drop;
}

/** The self-attention keys and values of one decoder block [B, heads, length, d_kv]: the cache of past tokens. */
export interface KeyValues {
  key: Value;
  value: Value;
}

/** The encoder's inputs and its last states. */
export interface T5EncoderGraph {
  /** [B, S] int64. */
  inputIds: Value;
  /** [B, S] float32, 1 for tokens and 0 for padding. */
  attentionMask: Value;
  /** Last states after the final layer norm, rows [B·S, d_model]. */
  states: Value;
}

/** The decoder's input and outputs. */
export interface T5DecoderGraph {
  /** [B, T] int64: the labels shifted right, starting with `decoder_start_token_id`. */
  decoderInputIds: Value;
  /** Last states after the final layer norm, rows [B·T, d_model]. */
  states: Value;
  /** Next-token logits, rows [B·T, vocab_size]. */
  logits: Value;
}

/** Shapes of a graph: batch, source length, target length. */
export interface T5Shape {
  batch: number;
  srcLen: number;
  tgtLen: number;
}

/** A whole T5 (encoder and decoder) in one graph. */
export interface T5Graph {
  encoder: T5EncoderGraph;
  decoder: T5DecoderGraph;
  /** The uint32 seed input of the dropout masks (training only). */
  dropoutSeed?: Value;
}

/**
 * Build encoder and decoder into `g`; with `train` dropout (rate `dropout_rate`) is on and a `dropout_seed`
 * input is added.
 */
export function buildT5(
  g: Graph,
  config: T5Config,
  param: ParamSource,
  shape: T5Shape & { train: boolean; encoderEmbeds?: EmbedHook },
): T5Graph {
  const { batch: B, srcLen: S, tgtLen: T } = shape;
  const dropoutSeed = shape.train ? g.input("dropout_seed", [], "uint32") : undefined;
  let site = 0;
  const drop: Drop = (x) => (dropoutSeed ? dropout(x, config.dropout_rate, dropoutSeed, site++) : x);
  const encoderCtx = { g, config, param, shapes: fixedShapes(config, B, S, "encoder"), drop };
  const encoder = encoderStack(encoderCtx, g.input("input_ids", [B, S], "int64"), g.input("attention_mask", [B, S]), shape.encoderEmbeds);
  const decoderInputIds = g.input("decoder_input_ids", [B, T], "int64");
  const decoderCtx = { ...encoderCtx, shapes: fixedShapes(config, B, T, "decoder") };
  const decoder = decoderStack(decoderCtx, decoderInputIds, encoder.states, encoder.attentionMask);
  return { encoder, decoder, dropoutSeed };
}

/** Build the encoder alone (inference). */
export function buildT5Encoder(
  g: Graph,
  config: T5Config,
  param: ParamSource,
  shape: Omit<T5Shape, "tgtLen"> & { encoderEmbeds?: EmbedHook },
): T5EncoderGraph {
  const { batch: B, srcLen: S } = shape;
  const ctx = { g, config, param, shapes: fixedShapes(config, B, S, "encoder"), drop: (x: Value) => x };
  return encoderStack(ctx, g.input("input_ids", [B, S], "int64"), g.input("attention_mask", [B, S]), shape.encoderEmbeds);
}

/**
 * Build the decoder alone (inference), fed the encoder's states as an `encoder_states` [B·S, d_model] input
 * beside `attention_mask` [B, S].
 */
export function buildT5Decoder(
  g: Graph,
  config: T5Config,
  param: ParamSource,
  shape: T5Shape,
): T5DecoderGraph & { encoderStates: Value; attentionMask: Value } {
  const { batch: B, srcLen: S, tgtLen: T } = shape;
  const encoderStates = g.input("encoder_states", [B * S, config.d_model]);
  const attentionMask = g.input("attention_mask", [B, S]);
  const ctx = { g, config, param, shapes: fixedShapes(config, B, T, "decoder"), drop: (x: Value) => x };
  const decoder = decoderStack(ctx, g.input("decoder_input_ids", [B, T], "int64"), encoderStates, attentionMask);
  return { ...decoder, encoderStates, attentionMask };
}

/** Shapes fixed at build time: batch `B` and the stack's length `L` (bidirectional buckets in the encoder, causal in the decoder). */
function fixedShapes(config: T5Config, B: number, L: number, stack: "encoder" | "decoder"): StackShapes {
  return {
    reshape: (x, dims) => op.reshape(x, dims.map((d) => (d === "batch" ? B : d))),
    selfBias: (table) => {
      const g = table.graph;
      const buckets = bucketTable(L, L, stack === "encoder", config.relative_attention_num_buckets, config.relative_attention_max_distance);
      const perPair = op.gather(table, g.constant(`${stack}_buckets`, buckets, [L * L]));
      const bias = op.reshape(op.transpose(op.reshape(perPair, [L, L, config.num_heads]), [2, 0, 1]), [1, config.num_heads, L, L]);
      if (stack === "encoder") return bias;
      const causal = new Float32Array(L * L).map((_, i) => (i % L > Math.floor(i / L) ? MASKED : 0));
      return op.add(bias, g.constant("causal_mask", causal, [1, 1, L, L]));
    },
  };
}

/**
 * The encoder over `inputIds` [B, S] and its float `attentionMask` [B, S] (1 for tokens, 0 for padding), the
 * token embeddings rewritten by `embeds` when given.
 */
export function encoderStack(ctx: StackContext, inputIds: Value, attentionMask: Value, embeds?: EmbedHook): T5EncoderGraph {
  const { config, param, drop } = ctx;
  const bias = op.add(ctx.shapes.selfBias(param(relativeBiasName("encoder"))), paddingMask(ctx, attentionMask));
  const words = embed(ctx, inputIds);
  let h = drop(embeds ? embeds(words) : words);
  for (let i = 0; i < config.num_layers; i++) {
    const x = norm(ctx, `encoder.block.${i}.layer.0`, h);
    h = op.add(h, drop(attention(ctx, attentionName("encoder", i), x, x, bias).out));
    h = op.add(h, drop(feedForward(ctx, feedForwardName("encoder", i), h)));
  }
  return { inputIds, attentionMask, states: drop(rmsNorm(h, param("encoder.final_layer_norm.weight"), config.layer_norm_epsilon)) };
}

/**
 * The decoder over `decoderInputIds` [B, T], attending to the encoder's `encoderStates` rows [B·S, d_model]
 * where the float `attentionMask` [B, S] is 1. With `past` (one entry per block) the tokens continue a cached
 * prefix: each block's self-attention runs over the past keys and values followed by the new ones, which come
 * out as `present`.
 */
export function decoderStack(
  ctx: StackContext,
  decoderInputIds: Value,
  encoderStates: Value,
  attentionMask: Value,
  past?: readonly KeyValues[],
): T5DecoderGraph & { present: KeyValues[] } {
  const { g, config, param, drop } = ctx;
  const selfBias = ctx.shapes.selfBias(param(relativeBiasName("decoder")));
  const crossBias = paddingMask(ctx, attentionMask);
  const present: KeyValues[] = [];
  let h = drop(embed(ctx, decoderInputIds));
  for (let i = 0; i < config.num_decoder_layers; i++) {
    let x = norm(ctx, `decoder.block.${i}.layer.0`, h);
    const self = attention(ctx, attentionName("decoder", i), x, x, selfBias, past?.[i]);
    if (self.present) present.push(self.present);
    h = op.add(h, drop(self.out));
    x = norm(ctx, `decoder.block.${i}.layer.1`, h);
    h = op.add(h, drop(attention(ctx, attentionName("decoder", i, true), x, encoderStates, crossBias).out));
    h = op.add(h, drop(feedForward(ctx, feedForwardName("decoder", i), h)));
  }
  const states = drop(rmsNorm(h, param("decoder.final_layer_norm.weight"), config.layer_norm_epsilon));
  // Tied: Mesh TensorFlow's rescaling before the shared embedding matrix; untied heads learn their own scale.
  const logits = config.tie_word_embeddings
    ? linear(op.mul(states, g.scalar(config.d_model ** -0.5)), param(SHARED))
    : linear(states, param(LM_HEAD));
  return { decoderInputIds, states, logits, present };
}

/** Token embeddings as rows [B·L, d_model]. */
function embed(ctx: StackContext, ids: Value): Value {
  return ctx.shapes.reshape(op.gather(ctx.param(SHARED), ids), [-1, ctx.config.d_model]);
}

function norm(ctx: StackContext, layer: string, h: Value): Value {
  return rmsNorm(h, ctx.param(`${layer}.layer_norm.weight`), ctx.config.layer_norm_epsilon);
}

/** [B, 1, 1, S] additive mask of the padding keys of a float [B, S] attention mask. */
function paddingMask(ctx: StackContext, mask: Value): Value {
  const g = mask.graph;
  return ctx.shapes.reshape(op.mul(op.sub(g.scalar(1), mask), g.scalar(MASKED)), ["batch", 1, 1, -1]);
}

/**
 * Multi-head attention of query rows `x` [B·q, D] over `kv` [B·k, D]; logits not scaled (T5's init absorbs it).
 * With `past`, its keys and values come before those of `kv`, and all of them are returned as `present`.
 */
function attention(
  ctx: StackContext,
  name: string,
  x: Value,
  kv: Value,
  bias: Value,
  past?: KeyValues,
): { out: Value; present?: KeyValues } {
  const { param, config, drop, shapes } = ctx;
  const H = config.num_heads, d = config.d_kv;
  const heads = (rows: Value, w: string, perm: number[]) =>
    op.transpose(shapes.reshape(linear(rows, param(`${name}.${w}.weight`)), ["batch", -1, H, d]), perm);
  let keysT: Value, values: Value, present: KeyValues | undefined;
  if (past) {
    present = {
      key: op.concat([past.key, heads(kv, "k", [0, 2, 1, 3])], 2),
      value: op.concat([past.value, heads(kv, "v", [0, 2, 1, 3])], 2),
    };
    [keysT, values] = [op.transposeLast2(present.key), present.value];
  } else {
    [keysT, values] = [heads(kv, "k", [0, 2, 3, 1]), heads(kv, "v", [0, 2, 1, 3])];
  }
  const scores = op.add(op.matmul(heads(x, "q", [0, 2, 1, 3]), keysT), bias);
  const context = op.matmul(drop(op.softmax(scores, -1)), values);
  return { out: linear(shapes.reshape(op.transpose(context, [0, 2, 1, 3]), [-1, H * d]), param(`${name}.o.weight`)), present };
}

/** The pre-normed feed-forward of a block: wo(act(wi x)), or wo(act(wi_0 x) · wi_1 x) when gated. */
function feedForward(ctx: StackContext, layer: string, h: Value): Value {
  const { param, config, drop } = ctx;
  const x = norm(ctx, layer, h);
  const w = (n: string) => param(`${layer}.DenseReluDense.${n}.weight`);
  const act = config.act === "relu" ? relu : geluTanh;
  const inner = config.gated ? op.mul(act(linear(x, w("wi_0"))), linear(x, w("wi_1"))) : act(linear(x, w("wi")));
  return linear(drop(inner), w("wo"));
}
