/**
 * The soft prompt: P trained vectors [P, H] that take the place of the word embeddings at a template's soft
 * slots `[P]`. Parameter names and the prompt encoder follow PEFT's P_TUNING (`PromptEncoder`): a table
 * `prompt_encoder.embedding.weight` [P, H], and with `promptEncoder: "mlp"` the table reparameterised by
 * Linear(H, M) → ReLU → Linear(M, M) → ReLU → Linear(M, H) (`mlp_head.0/2/4`). Without the encoder the table is
 * PEFT's PROMPT_TUNING embedding. The prompt is computed in the graph, so one backward pass gives the
 * gradients of these parameters and stops there when the backbone is frozen.
 */
import type { Graph, TensorData, Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import { linear, relu } from "../../engine/layers.ts";
import type { ParamSource } from "../../model/backbone.ts";
import type { TokenBatch } from "../../model/batch.ts";
import type { ModelFolder } from "../../model/folder.ts";
import type { BertTokenizer } from "../../model/tokenizers/tokenizer.ts";
import { InputError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import type { TensorMap } from "../../util/tensor.ts";

/** The soft vectors' table, as PEFT names P-tuning's embedding. */
export const PROMPT_TABLE = "prompt_encoder.embedding.weight";
const MLP = [0, 2, 4].flatMap((i) => [`prompt_encoder.mlp_head.${i}.weight`, `prompt_encoder.mlp_head.${i}.bias`]);

/** What shapes and starts the soft prompt. */
export interface PromptShape {
  /** Soft vectors P. */
  promptLength: number;
  /** `none`: the vectors are trained directly (prompt tuning); `mlp`: through P-tuning's MLP encoder. */
  promptEncoder: "none" | "mlp";
  /** Hidden width M of the MLP encoder. */
  encoderHiddenSize: number;
}

/** Shapes of the soft prompt's parameters for hidden size `H`. */
export function promptShapes(H: number, o: PromptShape): Map<string, number[]> {
  const shapes = new Map([[PROMPT_TABLE, [o.promptLength, H]]]);
  if (o.promptEncoder === "mlp") {
    const M = o.encoderHiddenSize;
    [[M, H], [M], [M, M], [M], [H, M], [H]].forEach((shape, i) => shapes.set(MLP[i], shape));
  }
  return shapes;
}

/**
 * The token ids `initWords` starts the P soft vectors from; none when it is empty (random start).
 * @throws InputError naming `initWords` when its token count is not P (PEFT repeats or cuts the text; a
 *   mismatch here is more likely a typo than an intent) or a token is unknown.
 */
export function initWordIds(tok: BertTokenizer, initWords: string, promptLength: number): number[] {
  if (!initWords) return [];
  const ids = tok.encodeText(initWords);
  if (ids.length !== promptLength) {
    throw new InputError(
      `"${initWords}" is ${ids.length} tokens, the template has ${promptLength} soft slots: give one character per slot`,
      {
        field: "initWords",
      },
    );
  }
  if (ids.includes(tok.specialIds.unk)) throw new InputError(`"${initWords}" has tokens unknown to the vocabulary`, { field: "initWords" });
  return ids;
}

/**
 * Fresh soft-prompt parameters: the table from the word embeddings of `initWords`' tokens (PEFT's
 * `prompt_tuning_init: TEXT`) or N(0, initializer_range) as the word embeddings were initialised (PEFT's RANDOM
 * starts at N(0, 1), far off the scale of a BERT's embeddings); encoder weights N(0, initializer_range), biases 0.
 */
export function initPrompt(model: ModelFolder, o: PromptShape & { initWords: string }, seed: number): TensorMap {
  const rng = new Rng(seed).fork("soft-prompt");
  const params: TensorMap = new Map(
    [...promptShapes(model.backbone.sizes.hiddenSize, o)].map(([n, shape]) => [n, model.backbone.initTensor(n, shape, rng)]),
  );
  const H = model.backbone.sizes.hiddenSize, words = model.weights.get(model.backbone.wordEmbeddings)!.data;
  const table = params.get(PROMPT_TABLE)!.data;
  initWordIds(model.tokenizer, o.initWords, o.promptLength).forEach((id, p) => table.set(words.subarray(id * H, (id + 1) * H), p * H));
  return params;
}

/** The soft vectors [P, H] computed from the parameters. */
export function promptValue(param: ParamSource, o: PromptShape): Value {
  const table = param(PROMPT_TABLE);
  if (o.promptEncoder === "none") return table;
  const [w0, b0, w1, b1, w2, b2] = MLP.map((n) => param(n));
  return linear(relu(linear(relu(linear(table, w0, b0)), w1, b1)), w2, b2);
}

/** Graph inputs naming which soft vector sits at each token position. */
const SOFT_INDEX = "soft_index", SOFT_MASK = "soft_mask";

/**
 * The word-embedding hook that puts `prompt` [P, H] at the soft slots of a [batch, seqLen] graph: `soft_index`
 * (int64, slot number at a soft position) and `soft_mask` (1 there, 0 elsewhere) are its inputs.
 */
export function softSlotsHook(g: Graph, prompt: Value, batch: number, seqLen: number): (words: Value) => Value {
  const index = g.input(SOFT_INDEX, [batch, seqLen], "int64");
  const mask = op.reshape(g.input(SOFT_MASK, [batch, seqLen]), [batch, seqLen, 1]);
  return (words) => placePrompt(words, prompt, index, mask);
}

/** `words` [B, L, H] with `prompt[index]` where `mask` [B, L, 1] is 1. */
function placePrompt(words: Value, prompt: Value, index: Value, mask: Value): Value {
  return op.add(words, op.mul(mask, op.sub(op.gather(prompt, index), words)));
}

/**
 * The word-embedding hook of an export: the soft slots found in the token inputs as training feeds them (an
 * attended `padId`, numbered in order along each row), so the graph takes only `input_ids`, `attention_mask`
 * and `token_type_ids` and any batch and length. A row must hold at most P such slots (the template's).
 */
export function exportSoftSlotsHook(g: Graph, prompt: Value, padId: number) {
  return (words: Value, tokens: { inputIds: Value; attentionMask: Value }): Value => {
    const isPad = op.cast(op.equal(tokens.inputIds, g.scalar(padId, "int64")), "int64");
    const soft = op.mul(isPad, op.cast(tokens.attentionMask, "int64"));
    const index = op.mul(op.sub(op.cumSum(soft, 1), g.scalar(1, "int64")), soft);
    // A [2, 1] table gathered by the 0/1 slot flags: the mask as [B, L, 1] at run-time shapes, without a reshape.
    const mask = op.gather(g.constant("soft_mask_table", new Float32Array([0, 1]), [2, 1]), soft);
    return placePrompt(words, prompt, index, mask);
  };
}

/**
 * Feeds of {@link softSlotsHook} for a packed batch: the soft slots are the attended `[PAD]` placeholders that
 * `encodePrompts` wrote, numbered 0..P-1 in each row; padding rows have none.
 * @throws when a real row does not hold exactly `promptLength` placeholders (it was not encoded with the template).
 */
export function softSlotFeeds(b: TokenBatch, padId: number, promptLength: number): Record<string, TensorData> {
  const index = new BigInt64Array(b.batch * b.seqLen), mask = new Float32Array(b.batch * b.seqLen);
  const pad = BigInt(padId);
  for (let r = 0; r < b.real; r++) {
    let found = 0;
    for (let l = 0, k = r * b.seqLen; l < b.seqLen; l++, k++) {
      if (b.inputIds[k] !== pad || b.attentionMask[k] === 0) continue;
      index[k] = BigInt(found++);
      mask[k] = 1;
    }
    if (found !== promptLength) throw new Error(`softSlotFeeds: row ${r} holds ${found} soft slots, expected ${promptLength}`);
  }
  return { [SOFT_INDEX]: index, [SOFT_MASK]: mask };
}
