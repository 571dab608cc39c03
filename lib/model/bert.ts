/**
 * BERT as a graph, with Hugging Face's semantics (`../shared/docs/methods.md` §1): post-LN encoder, exact or
 * tanh GELU, pooler, MLM head with the tied decoder. The model knows nothing of the methods; they use its
 * hooks:
 *  - soft input embeddings: `embedOverride` replaces the word-embedding output at chosen positions, and
 *    `wordEmbeddings` is exposed so a caller can take gradients with respect to it (AutoPrompt, soft prompts);
 *  - per-layer prefix keys/values: `prefix` [2·layers, B or 1, heads, P, d], an input or a computed value,
 *    with the attention mask and position ids extended as Hugging Face does (P-tuning v2);
 *  - trainable parameters: whichever weights the caller's {@link ParamSource} makes graph inputs.
 *
 * Hidden states are kept as 2-D [B·L, H] rows so every linear layer is one GEMM.
 */
import { type Graph, type Value } from "../engine/graph.ts";
import * as op from "../engine/ops.ts";
import { dropout, gelu, geluTanh, linear } from "../engine/layers.ts";
import type { BertConfig } from "./config.ts";

/** Returns the graph value of a weight by canonical name: an input if trainable, a constant if frozen. */
export type ParamSource = (name: string) => Value;

/** Shape bucket and hooks of one BERT graph. */
export interface BertGraphOptions {
  batch: number;
  seqLen: number;
  /** Dropout on (training); adds a `dropout_seed` uint32 scalar input. */
  train: boolean;
  /**
   * Per-layer prefix keys/values [2·layers, 1 or B, heads, P, d] (row 2i keys and 2i+1 values of layer i):
   * a graph input, or computed in the graph (P-tuning v2's prefix encoder). A batch dimension of 1 is shared
   * by every example.
   */
  prefix?: Value;
  /** Adds `embed_override` [B, L, H] and `embed_override_mask` [B, L] inputs. */
  embedOverride?: boolean;
  /** HF's old -10000 mask (default) or float32 min; identical after softmax. */
  maskValue?: number;
}

/** The inputs and main values of a built BERT graph. */
export interface BertGraph {
  inputIds: Value;
  tokenTypeIds: Value;
  attentionMask: Value;
  dropoutSeed?: Value;
  embedOverride?: Value;
  embedOverrideMask?: Value;
  /** Word-embedding lookup output [B, L, H] (after any override), before position/type embeddings. */
  wordEmbeddings: Value;
  /** Last hidden states as rows [B·L, H]. */
  hidden: Value;
  /** Dropout with this graph's seed and a fresh site (identity when not training), for heads on top. */
  dropout(x: Value, p: number): Value;
  /** Pooled [CLS]: tanh(dense(h[:, 0])) [B, H]. */
  pooled(): Value;
  /** MLM head transform (dense → act → LayerNorm) [N, H] at flat row indices `positions` [N]. */
  mlmTransform(positions: Value): Value;
  /** MLM logits [N, V] at flat row indices `positions` [N] (b·L + l), or [N, K] for vocabulary ids [K]. */
  mlmLogits(positions: Value, vocabIds?: Value): Value;
}

/** Build the encoder (embeddings and layers) of a BERT into `g`. */
export function buildBert(g: Graph, config: BertConfig, param: ParamSource, opts: BertGraphOptions): BertGraph {
  const { batch: B, seqLen: L, train } = opts;
  const H = config.hidden_size, heads = config.num_attention_heads, d = H / heads;
  const prefix = opts.prefix;
  const P = prefix ? prefix.shape[3] : 0;
  if (prefix) {
    const want = [2 * config.num_hidden_layers, heads, P, d];
    const [rows, pb, ph, , pd] = prefix.shape;
    if (prefix.rank !== 5 || rows !== want[0] || (pb !== 1 && pb !== B) || ph !== heads || pd !== d) {
      throw new Error(`prefix shape [${prefix.shape}] is not [${want[0]}, 1 or ${B}, ${heads}, P, ${d}]`);
    }
  }
  if (P + L > config.max_position_embeddings) {
    throw new Error(`prefix ${P} + sequence ${L} exceed max_position_embeddings ${config.max_position_embeddings}`);
  }
  const inputIds = g.input("input_ids", [B, L], "int64");
  const tokenTypeIds = g.input("token_type_ids", [B, L], "int64");
  const attentionMask = g.input("attention_mask", [B, L], "float32");
  const dropoutSeed = train ? g.input("dropout_seed", [], "uint32") : undefined;
  let site = 0;
  const drop = (x: Value, p: number) => (dropoutSeed ? dropout(x, p, dropoutSeed, site++) : x);
  const ln = (x: Value, prefix: string) =>
    op.layerNorm(x, param(`${prefix}.LayerNorm.weight`), param(`${prefix}.LayerNorm.bias`), config.layer_norm_eps).y;
  const dense = (x: Value, prefix: string) => linear(x, param(`${prefix}.weight`), param(`${prefix}.bias`));
  const act = config.gelu === "erf" ? gelu : geluTanh;

  // Embeddings: word (+ override hook) + position (shifted by the prefix length) + token type.
  let wordEmbeddings = op.gather(param("bert.embeddings.word_embeddings.weight"), inputIds);
  let embedOverride: Value | undefined, embedOverrideMask: Value | undefined;
  if (opts.embedOverride) {
    embedOverride = g.input("embed_override", [B, L, H]);
    embedOverrideMask = g.input("embed_override_mask", [B, L]);
    const m = op.reshape(embedOverrideMask, [B, L, 1]);
    wordEmbeddings = op.add(wordEmbeddings, op.mul(m, op.sub(embedOverride, wordEmbeddings)));
  }
  const positionIds = g.constant("position_ids", BigInt64Array.from({ length: L }, (_, i) => BigInt(P + i)), [L]);
  const positions = op.gather(param("bert.embeddings.position_embeddings.weight"), positionIds);
  const types = op.gather(param("bert.embeddings.token_type_embeddings.weight"), tokenTypeIds);
  const summed = op.add(op.add(wordEmbeddings, types), positions);
  let h = drop(ln(op.reshape(summed, [B * L, H]), "bert.embeddings"), config.hidden_dropout_prob);

  // Additive attention mask over [prefix, tokens]: the prefix part is always attended.
  let keyMask = attentionMask;
  if (P > 0) keyMask = op.concat([op.fill(attentionMask, [B, P], 1), attentionMask], 1);
  const additive = op.mul(
    op.sub(g.scalar(1), op.reshape(keyMask, [B, 1, 1, P + L])),
    g.scalar(opts.maskValue ?? -10000),
  );

  const scale = g.scalar(1 / Math.sqrt(d));
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const pre = `bert.encoder.layer.${i}`;
    const split = (x: Value) => op.reshape(x, [B, L, heads, d]);
    const q = op.transpose(split(op.mul(dense(h, `${pre}.attention.self.query`), scale)), [0, 2, 1, 3]);
    let k = op.transpose(split(dense(h, `${pre}.attention.self.key`)), [0, 2, 1, 3]);
    let v = op.transpose(split(dense(h, `${pre}.attention.self.value`)), [0, 2, 1, 3]);
    if (prefix) {
      const row = (r: number) =>
        op.expand(op.reshape(op.slice(prefix!, 0, r, r + 1), [prefix!.shape[1], heads, P, d]), [B, heads, P, d]);
      k = op.concat([row(2 * i), k], 2);
      v = op.concat([row(2 * i + 1), v], 2);
    }
    const scores = op.add(op.matmul(q, op.transposeLast2(k)), additive);
    const probs = drop(op.softmax(scores, -1), config.attention_probs_dropout_prob);
    const context = op.reshape(op.transpose(op.matmul(probs, v), [0, 2, 1, 3]), [B * L, H]);
    const attn = ln(op.add(drop(dense(context, `${pre}.attention.output.dense`), config.hidden_dropout_prob), h), `${pre}.attention.output`);
    const inter = act(dense(attn, `${pre}.intermediate.dense`));
    h = ln(op.add(drop(dense(inter, `${pre}.output.dense`), config.hidden_dropout_prob), attn), `${pre}.output`);
  }
  const hidden = h;
  const mlmTransform = (rows: Value) =>
    ln(act(dense(op.gather(hidden, rows), "cls.predictions.transform.dense")), "cls.predictions.transform");

  return {
    inputIds,
    tokenTypeIds,
    attentionMask,
    dropoutSeed,
    embedOverride,
    embedOverrideMask,
    wordEmbeddings,
    hidden,
    dropout: drop,
    pooled: () => {
      const cls = op.reshape(op.slice(op.reshape(hidden, [B, L, H]), 1, 0, 1), [B, H]);
      return op.tanh(dense(cls, "bert.pooler.dense"));
    },
    mlmTransform,
    mlmLogits: (rows: Value, vocabIds?: Value) => {
      const t = mlmTransform(rows);
      const decoder = param(DECODER);
      const bias = param("cls.predictions.bias");
      if (!vocabIds) return linear(t, decoder, bias);
      return linear(t, op.gather(decoder, vocabIds), op.gather(bias, vocabIds));
    },
  };
}

/** Canonical name of the MLM decoder; a tied model resolves it to the word embeddings (see {@link paramSource}). */
export const DECODER = "cls.predictions.decoder.weight";
