/**
 * T5's deployable graphs, as Hugging Face's ONNX exports (optimum) lay them out for transformers.js: an encoder
 * and a decoder with a key/value cache, batch and lengths read at run time, `attention_mask` int64, hidden
 * states 3-D. The decoder takes the self-attention keys and values of the tokens decoded so far
 * (`past_key_values.{i}.decoder.key|value`, of length 0 at the first step) and returns them extended by its new
 * tokens (`present.{i}.decoder.key|value`); cross-attention keys are computed from `encoder_hidden_states` at
 * every step, so no encoder cache is passed around. Inference only (the run-time shape ops have no gradient
 * rules).
 *
 * Relative positions are computed in the graph: key position − query position (queries start after the past),
 * clipped to ±`relative_attention_max_distance` (every distance beyond falls in the last bucket) and looked
 * up in a table of the bias of every clipped distance, the causal mask folded in for the decoder.
 * @module
 */
import type { Graph, Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import type { ParamSource } from "../backbone.ts";
import type { T5Config } from "./config.ts";
import { decoderStack, type Dims, encoderStack, type KeyValues, MASKED, type StackContext, type StackShapes } from "./graph.ts";
import { relativePositionBucket } from "./relative_position.ts";
import { firstPositionsPromptAt } from "./soft_prompt.ts";

/** Symbolic dimensions of the deployable graphs, named as Hugging Face's exports name them. */
export const DIM = {
  batch: "batch_size",
  source: "encoder_sequence_length",
  target: "decoder_sequence_length",
  past: "past_decoder_sequence_length",
  present: "past_decoder_sequence_length + 1",
} as const;

/** Names of a decoder block's cache input (`past_key_values`) or output (`present`). */
export function cacheNames(prefix: "past_key_values" | "present", block: number): { key: string; value: string } {
  return { key: `${prefix}.${block}.decoder.key`, value: `${prefix}.${block}.decoder.value` };
}

/** A 1-D [1] int64 size as the scalar ONNX `Range` takes. */
const scalar = (size: Value): Value => op.reshape(size, []);

/**
 * Shapes read at run time: "batch" from `batch` (1-D [1] int64), a self-attention over `queries` and `keys`
 * (1-D int64 positions). Placeholder sizes are 1 (2 keys in the decoder: one past, one new).
 */
function runtimeShapes(config: T5Config, batch: Value, queries: Value, keys: Value, bidirectional: boolean): StackShapes {
  const maxDistance = config.relative_attention_max_distance;
  return {
    reshape: (x: Value, dims: Dims) => {
      const known = dims.reduce<number>((a, d) => (d === "batch" || d === -1 ? a : a * d), 1);
      const placeholder = dims.map((d) => (d === "batch" ? 1 : d === -1 ? x.size / known : d));
      const g = x.graph;
      const shape = dims.includes("batch")
        ? op.concat(dims.map((d) => (d === "batch" ? batch : g.ints([d]))), 0)
        : g.ints(dims as number[]);
      return op.reshapeTo(x, shape, placeholder);
    },
    selfBias: (table: Value) => {
      const g = table.graph;
      const distances = Array.from({ length: 2 * maxDistance + 1 }, (_, i) => i - maxDistance);
      const buckets = BigInt64Array.from(
        distances,
        (r) => BigInt(relativePositionBucket(r, bidirectional, config.relative_attention_num_buckets, maxDistance)),
      );
      let perDistance = op.gather(table, g.constant("distance_buckets", buckets, [distances.length]));
      if (!bidirectional) {
        const causal = Float32Array.from(distances, (r) => (r > 0 ? MASKED : 0));
        perDistance = op.add(perDistance, g.constant("causal_mask", causal, [distances.length, 1]));
      }
      const relative = op.sub(keys, op.reshapeTo(queries, g.ints([-1, 1]), [queries.shape[0], 1]));
      const index = op.add(op.clip(relative, -maxDistance, maxDistance), g.scalar(maxDistance, "int64"));
      return op.transpose(op.gather(perDistance, index), [2, 0, 1]);
    },
  };
}

/**
 * The deployable encoder: `input_ids`, `attention_mask` (int64 [batch, source]) → `last_hidden_state` [batch,
 * source, d_model]. With `softPrompt` (the name of a [P, d_model] weight: prompt tuning's vectors) the states
 * are [batch, P + source, d_model]: P placeholders (`<pad>`, attended) go before the tokens and the vectors
 * replace their embeddings, as the kit's prompt-tuned predictor feeds them (`soft_prompt.ts`).
 */
export function buildDeployEncoder(g: Graph, config: T5Config, param: ParamSource, softPrompt?: string): { lastHiddenState: Value } {
  let inputIds = g.input("input_ids", [1, 1], "int64");
  let attentionMask = op.cast(g.input("attention_mask", [1, 1], "int64"), "float32");
  const table = softPrompt ? param(softPrompt) : undefined;
  if (table) {
    const P = table.shape[0];
    inputIds = op.pad(inputIds, [0, P], [0, 0], config.pad_token_id);
    attentionMask = op.pad(attentionMask, [0, P], [0, 0], 1);
  }
  const positions = op.range(g.scalar(0, "int64"), scalar(op.shapeOf(inputIds, 1, 2)), inputIds.shape[1]);
  const shapes = runtimeShapes(config, op.shapeOf(inputIds, 0, 1), positions, positions, true);
  const ctx: StackContext = { g, config, param, shapes, drop: (x) => x };
  const embeds = table ? firstPositionsPromptAt(table, positions, shapes.reshape) : undefined;
  const { states } = encoderStack(ctx, inputIds, attentionMask, embeds);
  return { lastHiddenState: shapes.reshape(states, ["batch", -1, config.d_model]) };
}

/**
 * The deployable decoder: `input_ids` [batch, target] (the tokens after the past), `encoder_hidden_states`
 * [batch, source, d_model], `encoder_attention_mask` int64 [batch, source] and each block's past keys and values
 * [batch, heads, past, d_kv] → `logits` [batch, target, vocab] and each block's present keys and values
 * [batch, heads, past + target, d_kv]. With `promptLength` P (an encoder with a soft prompt) the states hold P
 * more positions than the mask transformers.js passes (the input's): the mask is extended over them here.
 */
export function buildDeployDecoder(
  g: Graph,
  config: T5Config,
  param: ParamSource,
  promptLength = 0,
): { logits: Value; present: KeyValues[] } {
  const H = config.num_heads, d = config.d_kv;
  const encoderStates = g.input("encoder_hidden_states", [1, 1 + promptLength, config.d_model]);
  const mask = op.cast(g.input("encoder_attention_mask", [1, 1], "int64"), "float32");
  const attentionMask = promptLength ? op.pad(mask, [0, promptLength], [0, 0], 1) : mask;
  const inputIds = g.input("input_ids", [1, 1], "int64");
  const past = Array.from({ length: config.num_decoder_layers }, (_, i) => {
    const names = cacheNames("past_key_values", i);
    return { key: g.input(names.key, [1, H, 1, d]), value: g.input(names.value, [1, H, 1, d]) };
  });
  // Queries sit after the past tokens: positions past .. past + target − 1 over keys 0 .. past + target − 1.
  const pastLength = scalar(op.shapeOf(past[0].key, 2, 3));
  const end = op.add(pastLength, scalar(op.shapeOf(inputIds, 1, 2)));
  const queries = op.range(pastLength, end, 1);
  const keys = op.range(g.scalar(0, "int64"), end, 2);
  const shapes = runtimeShapes(config, op.shapeOf(inputIds, 0, 1), queries, keys, false);
  const ctx: StackContext = { g, config, param, shapes, drop: (x) => x };
  const rows = shapes.reshape(encoderStates, [-1, config.d_model]);
  const { logits, present } = decoderStack(ctx, inputIds, rows, attentionMask, past);
  return { logits: shapes.reshape(logits, ["batch", -1, config.vocab_size]), present };
}

/**
 * {@link buildDeployDecoder}'s outputs under their exported names (`logits`, `present.{i}.decoder.key|value`) and
 * the run-time dimensions of its inputs and outputs, named as Hugging Face's exports name them ({@link DIM}).
 */
export function deployDecoder(
  g: Graph,
  config: T5Config,
  param: ParamSource,
  promptLength = 0,
): { outputs: Record<string, Value>; dims: Record<string, (string | null)[]> } {
  const { logits, present } = buildDeployDecoder(g, config, param, promptLength);
  const dims: Record<string, (string | null)[]> = {
    input_ids: [DIM.batch, DIM.target],
    encoder_hidden_states: [DIM.batch, DIM.source, null],
    encoder_attention_mask: [DIM.batch, DIM.source],
    logits: [DIM.batch, DIM.target, null],
  };
  const outputs: Record<string, Value> = { logits };
  present.forEach((kv, i) => {
    const [past, now] = [cacheNames("past_key_values", i), cacheNames("present", i)];
    for (const part of ["key", "value"] as const) {
      dims[past[part]] = [DIM.batch, null, DIM.past, null];
      dims[now[part]] = [DIM.batch, null, DIM.present, null];
      outputs[now[part]] = kv[part];
    }
  });
  return { outputs, dims };
}
