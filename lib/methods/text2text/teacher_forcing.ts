/**
 * One teacher-forced batch of a text-to-text model: prompts padded as encoder input, each row's target (its
 * label's `<extra_id_0>` + word, closed by the end token) padded to a common length with ignored labels, and the
 * decoder fed the targets shifted right. The text-to-text method's training and multitask training on a T5 both
 * step on it.
 * @module
 */
import type { TextToText, TextToTextShape, TextToTextTokenizer } from "../../model/text_to_text.ts";
import { padBatch } from "./prompt.ts";

/** A batch's shape (the compiled step's) and its feeds, `dropout_seed` left to the caller. */
export interface TeacherForcedBatch {
  shape: TextToTextShape;
  feeds: Record<string, BigInt64Array | Float32Array>;
}

/**
 * The batch of `prompts` (encoder ids) with `targets` (target ids, one per prompt) padded to `tgtLen` (at least
 * the longest of them; one length for every step means fewer compiled shapes).
 */
export function teacherForcedBatch(
  t2t: TextToText,
  tok: TextToTextTokenizer,
  prompts: readonly (readonly number[])[],
  targets: readonly (readonly number[])[],
  tgtLen: number,
): TeacherForcedBatch {
  const enc = padBatch(tok, prompts, prompts.length);
  const labelRows = targets.map((t) => [...t, ...new Array(tgtLen - t.length).fill(t2t.ignoreLabel)]);
  return {
    shape: { batch: prompts.length, srcLen: enc.inputIds[0].length, tgtLen },
    feeds: {
      input_ids: BigInt64Array.from(enc.inputIds.flat(), BigInt),
      attention_mask: Float32Array.from(enc.attentionMask.flat()),
      decoder_input_ids: BigInt64Array.from(t2t.shiftRight(labelRows).flat(), BigInt),
      labels: BigInt64Array.from(labelRows.flat(), BigInt),
    },
  };
}
