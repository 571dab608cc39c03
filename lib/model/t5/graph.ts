/**
 * T5 as graphs, with Hugging Face's semantics (`modeling_t5.py`): pre-norm blocks with T5's RMS layer norm (no
 * bias, no mean subtraction), attention without 1/√d scaling, a relative-position bias per stack (looked up in
 * block 0's table through a constant index of buckets and added in every block), ReLU or gated-GELU
 * feed-forward, a causal decoder with cross-attention, and the LM head: `shared` with the states scaled by
 * d_model^-0.5 when tied (original T5), `lm_head` when not (v1.1, mT5).
 *
 * The encoder and the decoder are built separately as well as together: greedy decoding runs the encoder once
 * and the decoder graph once per generated token, fed the encoder's states. Hidden states are 2-D rows
 * [B·L, d_model], so every projection is one GEMM.
 * @module
 */
import type { Graph, Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import { dropout, geluTanh, linear, relu, rmsNorm } from "../../engine/layers.ts";
import type { ParamSource } from "../bert.ts";
import type { T5Config } from "./config.ts";
import { bucketTable } from "./relative_position.ts";
import { attentionName, feedForwardName, LM_HEAD, relativeBiasName, SHARED } from "./weights.ts";

/** Added to the attention logits of keys a query must not see; nothing of it survives the softmax. */
const MASKED = -1e9;

/** Dropout at one site of the graph (identity when not training). */
export type Drop = (x: Value) => Value;

/** What one stack needs besides its input: the model, its weights, the batch size and dropout. */
interface StackContext {
  g: Graph;
  config: T5Config;
  param: ParamSource;
  batch: number;
  drop: Drop;
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
export function buildT5(g: Graph, config: T5Config, param: ParamSource, shape: T5Shape & { train: boolean }): T5Graph {
  const dropoutSeed = shape.train ? g.input("dropout_seed", [], "uint32") : undefined;
  let site = 0;
  const drop: Drop = (x) => (dropoutSeed ? dropout(x, config.dropout_rate, dropoutSeed, site++) : x);
  const ctx = { g, config, param, batch: shape.batch, drop };
  const encoder = encoderStack(ctx, shape.srcLen);
  const decoder = decoderStack(ctx, shape.tgtLen, encoder.states, encoder.attentionMask, shape.srcLen);
  return { encoder, decoder, dropoutSeed };
}

/** Build the encoder alone (inference). */
export function buildT5Encoder(g: Graph, config: T5Config, param: ParamSource, shape: Omit<T5Shape, "tgtLen">): T5EncoderGraph {
  return encoderStack({ g, config, param, batch: shape.batch, drop: (x) => x }, shape.srcLen);
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
  const { batch: B, srcLen: S } = shape;
  const encoderStates = g.input("encoder_states", [B * S, config.d_model]);
  const attentionMask = g.input("attention_mask", [B, S]);
  const decoder = decoderStack({ g, config, param, batch: B, drop: (x) => x }, shape.tgtLen, encoderStates, attentionMask, S);
  return { ...decoder, encoderStates, attentionMask };
}

function encoderStack(ctx: StackContext, S: number): T5EncoderGraph {
  const { g, config, param, batch: B, drop } = ctx;
  const inputIds = g.input("input_ids", [B, S], "int64");
  const attentionMask = g.input("attention_mask", [B, S]);
  const bias = op.add(positionBias(ctx, "encoder", S, S, true), paddingMask(attentionMask));
  let h = drop(embed(ctx, inputIds));
  for (let i = 0; i < config.num_layers; i++) {
    const x = norm(ctx, `encoder.block.${i}.layer.0`, h);
    h = op.add(h, drop(attention(ctx, attentionName("encoder", i), x, x, bias, S, S)));
    h = op.add(h, drop(feedForward(ctx, feedForwardName("encoder", i), h)));
  }
  return { inputIds, attentionMask, states: drop(rmsNorm(h, param("encoder.final_layer_norm.weight"), config.layer_norm_epsilon)) };
}

function decoderStack(ctx: StackContext, T: number, encoderStates: Value, attentionMask: Value, S: number): T5DecoderGraph {
  const { g, config, param, batch: B, drop } = ctx;
  const decoderInputIds = g.input("decoder_input_ids", [B, T], "int64");
  const causal = new Float32Array(T * T).map((_, i) => (i % T > Math.floor(i / T) ? MASKED : 0));
  const selfBias = op.add(positionBias(ctx, "decoder", T, T, false), g.constant("causal_mask", causal, [1, 1, T, T]));
  const crossBias = paddingMask(attentionMask);
  let h = drop(embed(ctx, decoderInputIds));
  for (let i = 0; i < config.num_decoder_layers; i++) {
    let x = norm(ctx, `decoder.block.${i}.layer.0`, h);
    h = op.add(h, drop(attention(ctx, attentionName("decoder", i), x, x, selfBias, T, T)));
    x = norm(ctx, `decoder.block.${i}.layer.1`, h);
    h = op.add(h, drop(attention(ctx, attentionName("decoder", i, true), x, encoderStates, crossBias, T, S)));
    h = op.add(h, drop(feedForward(ctx, feedForwardName("decoder", i), h)));
  }
  const states = drop(rmsNorm(h, param("decoder.final_layer_norm.weight"), config.layer_norm_epsilon));
  // Tied: Mesh TensorFlow's rescaling before the shared embedding matrix; untied heads learn their own scale.
  const logits = config.tie_word_embeddings
    ? linear(op.mul(states, g.scalar(config.d_model ** -0.5)), param(SHARED))
    : linear(states, param(LM_HEAD));
  return { decoderInputIds, states, logits };
}

/** Token embeddings as rows [B·L, d_model]. */
function embed(ctx: StackContext, ids: Value): Value {
  return op.reshape(op.gather(ctx.param(SHARED), ids), [ids.size, ctx.config.d_model]);
}

function norm(ctx: StackContext, layer: string, h: Value): Value {
  return rmsNorm(h, ctx.param(`${layer}.layer_norm.weight`), ctx.config.layer_norm_epsilon);
}

/** The stack's relative-position bias [1, heads, q, k]: its table gathered at the buckets of every pair. */
function positionBias(ctx: StackContext, stack: "encoder" | "decoder", q: number, k: number, bidirectional: boolean): Value {
  const { g, config } = ctx;
  const buckets = bucketTable(q, k, bidirectional, config.relative_attention_num_buckets, config.relative_attention_max_distance);
  const perPair = op.gather(ctx.param(relativeBiasName(stack)), g.constant(`${stack}_buckets`, buckets, [q * k]));
  return op.reshape(op.transpose(op.reshape(perPair, [q, k, config.num_heads]), [2, 0, 1]), [1, config.num_heads, q, k]);
}

/** [B, 1, 1, S] additive mask of the padding keys of a float [B, S] attention mask. */
function paddingMask(mask: Value): Value {
  const g = mask.graph;
  return op.reshape(op.mul(op.sub(g.scalar(1), mask), g.scalar(MASKED)), [mask.shape[0], 1, 1, mask.shape[1]]);
}

/** Multi-head attention of query rows `x` [B·q, D] over `kv` [B·k, D]; logits not scaled (T5's init absorbs it). */
function attention(ctx: StackContext, name: string, x: Value, kv: Value, bias: Value, q: number, k: number): Value {
  const { param, batch: B, config, drop } = ctx;
  const H = config.num_heads, d = config.d_kv;
  const heads = (rows: Value, w: string, len: number, perm: number[]) =>
    op.transpose(op.reshape(linear(rows, param(`${name}.${w}.weight`)), [B, len, H, d]), perm);
  const scores = op.add(op.matmul(heads(x, "q", q, [0, 2, 1, 3]), heads(kv, "k", k, [0, 2, 3, 1])), bias);
  const context = op.matmul(drop(op.softmax(scores, -1)), heads(kv, "v", k, [0, 2, 1, 3]));
  return linear(op.reshape(op.transpose(context, [0, 2, 1, 3]), [B * q, H * d]), param(`${name}.o.weight`));
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
