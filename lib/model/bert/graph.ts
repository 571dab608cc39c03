/**
 * BERT as a graph, with Hugging Face's semantics (`../shared/docs/methods.md` §1): post-LN encoder, exact or
 * tanh GELU, pooler, MLM head with the tied decoder: the encoder of the BERT backbone (`backbone.ts`). The model
 * knows nothing of the methods; they use its hooks (`../backbone.ts` describes them):
 *  - soft input embeddings: `embedOverride` replaces the word-embedding output at chosen positions (or
 *    `wordEmbeddingsHook` rewrites it in the graph), and
 *    `wordEmbeddings` is exposed so a caller can take gradients with respect to it (AutoPrompt, soft prompts);
 *  - per-layer prefix keys/values: `prefix` [2·layers, B or 1, heads, P, d], an input or a computed value,
 *    with the attention mask and position ids extended as Hugging Face does (P-tuning v2);
 *  - trainable parameters: whichever weights the caller's {@link ParamSource} makes graph inputs;
 *  - run-time shapes (`runtimeShapes`): the deployable inference graph, any batch and sequence length.
 *
 * Hidden states are kept as 2-D [B·L, H] rows so every linear layer is one GEMM.
 */
import { type Graph, type Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import { dropout, gelu, geluTanh, linear } from "../../engine/layers.ts";
import type { BertConfig } from "./config.ts";
import type { EncoderGraph, EncoderOptions, ParamSource } from "../backbone.ts";

/** A dimension of a shape: a number, or batch B, sequence L, rows B·L, keys P + L of the graph. */
type Dim = number | "batch" | "seq" | "rows" | "keys";

/** Reshapes and broadcasts over B and L, fixed in a bucketed graph and read from `input_ids` at run time otherwise. */
function shapeDims(inputIds: Value, B: number, L: number, P: number, runtime: boolean) {
  const g = inputIds.graph;
  const size = (d: Dim) => (typeof d === "number" ? d : { batch: B, seq: L, rows: B * L, keys: P + L }[d]);
  const fixed = (dims: Dim[]) => dims.map(size);
  const parts = new Map<Dim, Value>();
  const part = (d: Dim): Value => {
    if (typeof d === "number") return g.ints([d]);
    let v = parts.get(d);
    if (!v) {
      v = d === "batch"
        ? op.shapeOf(inputIds, 0, 1)
        : d === "seq"
        ? op.shapeOf(inputIds, 1, 2)
        : d === "rows"
        ? op.mul(part("batch"), part("seq"))
        : op.add(part("seq"), g.ints([P]));
      parts.set(d, v);
    }
    return v;
  };
  const runtimeShape = (dims: Dim[]) => op.concat(dims.map(part), 0);
  return {
    reshape: (x: Value, dims: Dim[]) => (runtime ? op.reshapeTo(x, runtimeShape(dims), fixed(dims)) : op.reshape(x, fixed(dims))),
    expand: (x: Value, dims: Dim[]) => (runtime ? op.expandTo(x, runtimeShape(dims), fixed(dims)) : op.expand(x, fixed(dims))),
    /** Position ids P..P+L-1: a constant, or the first L of a table of every position. */
    positionIds: (maxPositions: number): Value => {
      if (!runtime) return g.constant("position_ids", BigInt64Array.from({ length: L }, (_, i) => BigInt(P + i)), [L]);
      const all = g.constant("position_ids", BigInt64Array.from({ length: maxPositions - P }, (_, i) => BigInt(P + i)), [maxPositions - P]);
      return op.sliceTo(all, 0, 0, part("seq"), L);
    },
  };
}

/** Build the encoder (embeddings and layers) of a BERT into `g`. */
export function buildBert(g: Graph, config: BertConfig, param: ParamSource, opts: EncoderOptions): EncoderGraph {
  const { batch: B, seqLen: L, train } = opts;
  const H = config.hidden_size, heads = config.num_attention_heads, d = H / heads;
  const prefix = opts.prefix;
  const P = prefix ? prefix.shape[3] : 0;
  const prefixLayers = opts.prefixLayers ?? Array.from({ length: config.num_hidden_layers }, (_, i) => i);
  if (prefix) {
    const want = [2 * prefixLayers.length, heads, P, d];
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
  const runtime = opts.runtimeShapes ?? false;
  const maskInput = g.input("attention_mask", [B, L], runtime ? "int64" : "float32");
  const attentionMask = op.cast(maskInput, "float32");
  const dims = shapeDims(inputIds, B, L, P, runtime);
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
  if (opts.wordEmbeddingsHook) wordEmbeddings = opts.wordEmbeddingsHook(wordEmbeddings, { inputIds, attentionMask });
  const positionIds = dims.positionIds(config.max_position_embeddings);
  const positions = op.gather(param("bert.embeddings.position_embeddings.weight"), positionIds);
  const types = op.gather(param("bert.embeddings.token_type_embeddings.weight"), tokenTypeIds);
  const summed = op.add(op.add(wordEmbeddings, types), positions);
  let h = drop(ln(dims.reshape(summed, ["rows", H]), "bert.embeddings"), config.hidden_dropout_prob);

  // Additive attention mask over [prefix, tokens]: the prefix part is always attended.
  let keyMask = attentionMask;
  if (P > 0) keyMask = op.concat([dims.expand(g.scalar(1), ["batch", P]), attentionMask], 1);
  const additiveOver = (m: Value, keys: Dim) =>
    op.mul(op.sub(g.scalar(1), dims.reshape(m, ["batch", 1, 1, keys])), g.scalar(opts.maskValue ?? -10000));
  const additive = additiveOver(keyMask, "keys");
  // A layer without prefix rows attends over the tokens only.
  const tokensOnly = P > 0 && opts.prefixLayers ? additiveOver(attentionMask, "seq") : additive;

  const scale = g.scalar(1 / Math.sqrt(d));
  /**
   * Encoder layer `i` over `h` [B·L, H]. With `rows` (flat indices b·L + l, [R]) only those rows are queries,
   * attending to keys and values of every row of their own example: [R, H] comes out. The last layer needs
   * outputs only where a head reads them ([CLS], [MASK] slots), so its query, output and feed-forward GEMMs
   * run on R rows instead of B·L (about a fifth of a 4-layer encoder's work in fine-tuning and prompt scoring).
   */
  const encoderLayer = (i: number, h: Value, rows?: Value): Value => {
    const pre = `bert.encoder.layer.${i}`;
    const split = (x: Value) => dims.reshape(x, ["batch", "seq", heads, d]);
    let kT = op.transposeLast2(op.transpose(split(dense(h, `${pre}.attention.self.key`)), [0, 2, 1, 3]));
    let v = op.transpose(split(dense(h, `${pre}.attention.self.value`)), [0, 2, 1, 3]);
    const slot = prefix ? prefixLayers.indexOf(i) : -1;
    if (slot >= 0) {
      const row = (r: number) =>
        dims.expand(op.reshape(op.slice(prefix!, 0, r, r + 1), [prefix!.shape[1], heads, P, d]), ["batch", heads, P, d]);
      kT = op.concat([op.transposeLast2(row(2 * slot)), kT], 3);
      v = op.concat([row(2 * slot + 1), v], 2);
    }
    let x = h, mask = prefix && slot < 0 ? tokensOnly : additive, q: Value;
    if (rows) {
      // Each query row takes its own example's keys, values and mask (example = row div L).
      const example = op.div(rows, g.scalar(L, "int64"));
      [kT, v, mask] = [kT, v, mask].map((t) => op.gather(t, example));
      x = op.gather(h, rows);
      q = op.reshape(op.mul(dense(x, `${pre}.attention.self.query`), scale), [rows.shape[0], heads, 1, d]);
    } else {
      q = op.transpose(split(op.mul(dense(h, `${pre}.attention.self.query`), scale)), [0, 2, 1, 3]);
    }
    const probs = drop(op.softmax(op.add(op.matmul(q, kT), mask), -1), config.attention_probs_dropout_prob);
    const perHead = op.matmul(probs, v);
    const context = rows ? op.reshape(perHead, [rows.shape[0], H]) : dims.reshape(op.transpose(perHead, [0, 2, 1, 3]), ["rows", H]);
    const attn = ln(
      op.add(drop(dense(context, `${pre}.attention.output.dense`), config.hidden_dropout_prob), x),
      `${pre}.attention.output`,
    );
    const inter = act(dense(attn, `${pre}.intermediate.dense`));
    return ln(op.add(drop(dense(inter, `${pre}.output.dense`), config.hidden_dropout_prob), attn), `${pre}.output`);
  };
  const last = config.num_hidden_layers - 1;
  for (let i = 0; i < last; i++) h = encoderLayer(i, h);
  const beforeLast = h;
  // The last layer is built on demand: in full for `hidden`, on the rows a head reads otherwise (once per rows value).
  let hidden: Value | undefined;
  const full = () => (hidden ??= encoderLayer(last, beforeLast));
  const atRows = new Map<Value, Value>();
  const finalAt = (rows: Value): Value => {
    // Run-time shapes (exports) keep the plain form: the row split needs L as a constant.
    if (runtime) return op.gather(full(), rows);
    let out = atRows.get(rows);
    if (!out) atRows.set(rows, out = encoderLayer(last, beforeLast, rows));
    return out;
  };
  const transform = (x: Value) => ln(act(dense(x, "cls.predictions.transform.dense")), "cls.predictions.transform");
  const mlmTransform = (rows: Value) => transform(finalAt(rows));
  let clsRows: Value | undefined;

  return {
    inputIds,
    tokenTypeIds,
    attentionMask,
    dropoutSeed,
    embedOverride,
    embedOverrideMask,
    wordEmbeddings,
    get hidden() {
      return full();
    },
    hiddenAt: finalAt,
    dropout: drop,
    pooled: () => {
      const cls = runtime
        ? dims.reshape(op.slice(dims.reshape(full(), ["batch", "seq", H]), 1, 0, 1), ["batch", H])
        : finalAt(clsRows ??= g.constant("cls_rows", BigInt64Array.from({ length: B }, (_, b) => BigInt(b * L)), [B]));
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
    mlmLogitsAll: () => {
      const logits = linear(transform(full()), param(DECODER), param("cls.predictions.bias"));
      return dims.reshape(logits, ["batch", "seq", logits.shape[1]]);
    },
  };
}

/** Canonical name of the MLM decoder; a tied model resolves it to the word embeddings (see {@link paramSource}). */
export const DECODER = "cls.predictions.decoder.weight";
