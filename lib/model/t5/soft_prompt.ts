/**
 * Prompt tuning's input to the T5 encoder: the rows of a trained table [P, d_model] in place of the token
 * embeddings of the first P positions of every input row (the ids there are placeholders, attended like
 * tokens). In training and the runner the shapes are fixed, so the index and mask are constants: no extra
 * feeds, and the step's only gradient path to the table is through the rows it replaces. An export reads its
 * batch and length at run time and computes them from the positions instead, with the same arithmetic, so it
 * gives the runner's states bit for bit.
 * @module
 */
import type { Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import type { Dims, EmbedHook } from "./graph.ts";

/** rows + mask·(prompt − rows): the prompt's rows at soft slots (mask 1), the token embeddings elsewhere (mask 0). */
function mixIn(rows: Value, mask: Value, prompt: Value): Value {
  return op.add(rows, op.mul(mask, op.sub(prompt, rows)));
}

/** The hook putting `table`'s P rows at the first P of each row's `srcLen` positions, for `batch` rows. */
export function firstPositionsPrompt(table: Value, batch: number, srcLen: number): EmbedHook {
  const g = table.graph, P = table.shape[0];
  if (P > srcLen) throw new Error(`a soft prompt of ${P} rows does not fit inputs of ${srcLen} positions`);
  const at = (i: number) => i % srcLen;
  const index = g.constant("soft_prompt_index", BigInt64Array.from({ length: batch * srcLen }, (_, i) => BigInt(at(i) < P ? at(i) : 0)), [
    batch * srcLen,
  ]);
  const mask = g.constant("soft_prompt_mask", Float32Array.from({ length: batch * srcLen }, (_, i) => (at(i) < P ? 1 : 0)), [
    batch * srcLen,
    1,
  ]);
  return (rows) => mixIn(rows, mask, op.gather(table, index));
}

/**
 * The same hook at run-time shapes: `positions` (int64 [L], 0 .. L − 1) are the encoder's, `reshape` the
 * stack's (rows [B·L, d_model] to [B, L, d_model] and back, B read at run time).
 */
export function firstPositionsPromptAt(table: Value, positions: Value, reshape: (x: Value, dims: Dims) => Value): EmbedHook {
  const g = table.graph, [P, D] = table.shape;
  // Position p < P takes row p and mask 1; every later position row P − 1 (unused) and mask 0.
  const slots = g.constant("soft_prompt_slots", Float32Array.from({ length: P + 1 }, (_, p) => (p < P ? 1 : 0)), [P + 1, 1]);
  const mask = op.gather(slots, op.clip(positions, 0, P));
  const prompt = op.gather(table, op.clip(positions, 0, P - 1));
  return (rows) => reshape(mixIn(reshape(rows, ["batch", -1, D]), mask, prompt), [-1, D]);
}
