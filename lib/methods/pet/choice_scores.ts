/**
 * PET on a multiple-choice task (CHID): the row's own candidates are its label words. The template's `[MASK]`
 * slot stands in the blank (`{text}[MASK]{text_b}` on the pair around it, `data/choice_rows.ts`) as m masks;
 * candidate c of k ≤ m tokens scores the sum of the log-probabilities (log-softmax over the vocabulary) of its
 * tokens at the first k masks, all m masks present: the multi-token label-word rule of `verbalizer.ts`, with
 * words that change from row to row, so they are a graph input rather than a constant. The sum, not the mean:
 * it is the candidate's log-probability under the masks read independently, and CHID's idioms all have four
 * characters, so on CHID the two differ only by a factor 4 (a softmax temperature). Classification is a
 * softmax over the row's candidates; training is cross-entropy over them.
 *
 * @example
 * ```ts
 * const pet = getMethod("pet").create(model, task.labels, { template: "{text}[MASK]{text_b}", verbalizer: CANDIDATES }, "pair");
 * ```
 * @module
 */
import type { TextRow } from "../../data/types.ts";
import type { TensorData, Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import type { TextInput, TokenSeq } from "../../model/batch.ts";
import type { EncoderGraph } from "../../model/backbone.ts";
import type { BertTokenizer } from "../../model/tokenizers/tokenizer.ts";
import { InputError } from "../../util/errors.ts";
import type { Verbalizer } from "./verbalizer.ts";

/** The verbalizer name that reads each row's own candidates (`TextRow.choices`) as its label words. */
export const CANDIDATES = "candidates";

/** Masks the candidates verbalizer puts in the blank: CHID's idioms are four characters, one token each. */
export const CANDIDATE_TOKENS = 4;

/** The candidates verbalizer of a task whose labels are candidate indices: no words of its own, `m` masks. */
export function candidatesVerbalizer(labels: readonly string[]): Verbalizer {
  return { spec: {}, words: labels.map(() => []), maskCount: CANDIDATE_TOKENS, candidates: true };
}

/** A sequence encoded for multiple choice: its candidates' token ids, in candidate order. */
export interface ChoiceSeq extends TokenSeq {
  candidates: number[][];
}

/**
 * Token ids of the candidates of `input`.
 * @throws InputError: an input without `count` candidates, a candidate of no tokens or of more than `maxTokens`.
 */
export function candidateIds(tok: BertTokenizer, input: TextInput, count: number, maxTokens: number): number[][] {
  const choices = typeof input === "string" ? undefined : (input as TextRow).choices;
  if (!choices || choices.length !== count) {
    throw new InputError(`verbalizer "${CANDIDATES}" needs ${count} candidates per input, got ${choices?.length ?? "none"}`, {
      field: "choices",
    });
  }
  return choices.map((c) => {
    const ids = tok.encodeText(c);
    if (ids.length === 0 || ids.length > maxTokens) {
      throw new InputError(`candidate "${c}" has ${ids.length} tokens; verbalizer "${CANDIDATES}" reads 1 to ${maxTokens}`, {
        field: "choices",
      });
    }
    return ids;
  });
}

/**
 * The `choice_columns` feed [batch, C·m]: candidate c's token j at mask j is column j·V + id of the row's
 * [m·V] log-probabilities; a candidate shorter than m points its missing tokens at the zero column m·V.
 * Padding rows (beyond `part`) point at column 0; their scores are discarded.
 */
export function choiceColumns(part: readonly ChoiceSeq[], batch: number, C: number, m: number, V: number): Record<string, TensorData> {
  const cols = new BigInt64Array(batch * C * m);
  part.forEach((s, r) =>
    s.candidates.forEach((ids, c) => {
      for (let j = 0; j < m; j++) cols[(r * C + c) * m + j] = BigInt(j < ids.length ? j * V + ids[j] : m * V);
    })
  );
  return { choice_columns: cols };
}

/**
 * Candidate scores [B, C] (the rule in this module's header).
 * @param maskRows int64 [B·m] flat row indices of each row's m masks (`maskRows`).
 * @param columns int64 [B, C·m] ({@link choiceColumns}).
 */
export function choiceScores(bert: EncoderGraph, maskRows: Value, columns: Value, m: number): Value {
  const g = maskRows.graph, B = maskRows.shape[0] / m, C = columns.shape[1] / m;
  const logp = op.logSoftmax(bert.mlmLogits(maskRows), 1);
  const perRow = op.reshape(logp, [B, m * logp.shape[1]]);
  const withZero = op.concat([perRow, op.fill(perRow, [B, 1], 0)], 1);
  // Sums each candidate's m picked log-probabilities.
  const sum = new Float32Array(C * m * C);
  for (let c = 0; c < C; c++) for (let j = 0; j < m; j++) sum[(c * m + j) * C + c] = 1;
  return op.matmul(op.gatherElements(withZero, columns, 1), g.constant("candidate_sum", sum, [C * m, C]));
}

/**
 * Refuse to export a predictor whose saved verbalizer is {@link CANDIDATES}: a fill-mask export's
 * `promptlab.json` holds fixed label words, and these change from row to row.
 * @throws InputError naming `file`'s `field`.
 */
export function refuseCandidatesExport(saved: unknown, file: string, field = "options.verbalizer"): void {
  if (saved === CANDIDATES) {
    throw new InputError(`verbalizer "${CANDIDATES}" reads each row's own candidates; a fill-mask export holds fixed label words`, {
      file,
      field,
    });
  }
}
