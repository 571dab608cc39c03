/**
 * Prompt tuning's input to the T5 encoder: the rows of a trained table [P, d_model] in place of the token
 * embeddings of the first P positions of every input row (the ids there are placeholders, attended like
 * tokens). Where the soft slots are is fixed by the graph's shape, so the index and mask are constants: no
 * extra feeds, and the step's only gradient path to the table is through the rows it replaces.
 * @module
 */
import type { Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import type { EmbedHook } from "./graph.ts";

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
  // rows + mask·(prompt − rows): the prompt's rows at soft slots, the token embeddings elsewhere.
  return (rows) => op.add(rows, op.mul(mask, op.sub(op.gather(table, index), rows)));
}
