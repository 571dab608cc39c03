/**
 * PET's verbalizer: each label's Chinese words, and how the MLM's predictions at the `[MASK]` slot become class
 * scores.
 *
 * Scoring rule (`docs/pet.md`):
 * - every word one token (PET, LM-BFF): class score = mean over the class's words of the raw MLM logit (decoder
 *   bias included) of the word at the mask; only the verbalizer's vocabulary rows are computed.
 * - some word several tokens (the simpler alternative of `../shared/docs/methods.md` §4): the slot holds m masks
 *   (m = the longest word's token count); a word of k tokens scores the sum of the log-probabilities (log-softmax
 *   over the full vocabulary) of its tokens at the first k masks, all m masks present; class score = mean over
 *   the class's words. Shorter words add fewer (negative) terms, so mixing lengths favours short words.
 *
 * Classification is a softmax over the class scores; training is cross-entropy over them.
 *
 * @example
 * ```ts
 * const v = buildVerbalizer(tok, ["Positive", "Negative"], { Positive: ["好", "棒"], Negative: ["差"] });
 * const scores = classScores(bert, maskRowsInput, v); // [B, 2]
 * ```
 * @module
 */
import type { Graph, Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import type { EncoderGraph } from "../../model/backbone.ts";
import type { BertTokenizer } from "../../model/tokenizers/tokenizer.ts";
import { InputError } from "../../util/errors.ts";

/** Label → its word (or words), as users write it. */
export type VerbalizerSpec = Readonly<Record<string, string | readonly string[]>>;

/** Named verbalizers for the sentiment tasks (labels Positive/Negative, as EPRSTMT's) and paraphrase (Same/Different). */
export const VERBALIZER_PRESETS: Readonly<Record<string, VerbalizerSpec>> = {
  /** 好/差: good/bad, one character each. */
  "good-bad": { Positive: ["好"], Negative: ["差"] },
  /** 棒/烂: great/rotten. */
  "great-rotten": { Positive: ["棒"], Negative: ["烂"] },
  /** Several single characters per class, averaged. */
  "multi-char": { Positive: ["好", "棒", "赞"], Negative: ["差", "烂", "坑"] },
  /** FewCLUE's EPRSTMT words for `[MASK]满意。`: 很 (very satisfied) / 不 (not satisfied). */
  fewclue: { Positive: ["很"], Negative: ["不"] },
  /** Two-character words (two masks): 满意/不满, satisfied/dissatisfied. */
  satisfied: { Positive: ["满意"], Negative: ["不满"] },
  /** Paraphrase (labels Same/Different, as BUSTM's): 是/不, yes/no, for the `pair-question` template. */
  "yes-no": { Same: ["是"], Different: ["不"] },
  /** 相/不 before 同: 相同/不同 (same/different) in one mask, for the `pair-same` template. */
  "same-not": { Same: ["相"], Different: ["不"] },
  /** 相同/不同 whole (two masks), FewCLUE's BUSTM words, for the `pair-semantic` template. */
  "same-different": { Same: ["相同"], Different: ["不同"] },
  /** 很/不, PaddleNLP's FewCLUE BUSTM words, for the `pair-fewclue` template. */
  "very-not": { Same: ["很"], Different: ["不"] },
};

/** One label word and its token ids. */
export interface LabelWord {
  word: string;
  ids: number[];
}

/** A verbalizer checked against a tokenizer and the method's labels. */
export interface Verbalizer {
  /** Words per label, normalised to arrays (what is saved). */
  spec: Record<string, string[]>;
  /** Words of each class, in the method's label order. */
  words: LabelWord[][];
  /** Masks the template's slot expands to: the longest word's token count. */
  maskCount: number;
  /** True for the verbalizer reading each row's own candidates (`choice_scores.ts`): `words` are empty. */
  candidates?: boolean;
}

/**
 * Check a verbalizer (or a preset name) against `labels` and the tokenizer.
 * @throws InputError: an unknown preset, words that are not a string or a list of strings per label (JSON
 *   from a command line or grid file), a label of `labels` without words, a word for a label not in `labels`,
 *   a word that tokenizes to nothing or to an unknown (`[UNK]`) token.
 */
export function buildVerbalizer(tok: BertTokenizer, labels: readonly string[], specOrPreset: VerbalizerSpec | string): Verbalizer {
  let spec: VerbalizerSpec;
  if (typeof specOrPreset === "string") {
    const preset = VERBALIZER_PRESETS[specOrPreset];
    if (!preset) {
      throw new InputError(`unknown verbalizer preset "${specOrPreset}"; known: ${Object.keys(VERBALIZER_PRESETS).join(", ")}`, {
        field: "verbalizer",
      });
    }
    spec = preset;
  } else spec = specOrPreset;
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) {
    throw new InputError(`must be a preset name or words per label, like {"${labels[0]}":["好"]}, got ${JSON.stringify(spec)}`, {
      field: "verbalizer",
    });
  }
  for (const [label, given] of Object.entries(spec)) {
    if (typeof given !== "string" && !(Array.isArray(given) && given.every((w) => typeof w === "string"))) {
      throw new InputError(`must be a word or a list of words, got ${JSON.stringify(given)}`, { field: `verbalizer.${label}` });
    }
  }
  for (const label of Object.keys(spec)) {
    if (!labels.includes(label)) {
      throw new InputError(`words given for "${label}", which is not one of the labels [${labels.join(", ")}]`, { field: "verbalizer" });
    }
  }
  const normalised: Record<string, string[]> = {};
  const words = labels.map((label) => {
    const given = spec[label];
    const list = typeof given === "string" ? [given] : [...(given ?? [])];
    if (list.length === 0) throw new InputError(`label "${label}" has no words`, { field: `verbalizer.${label}` });
    normalised[label] = list;
    return list.map((word) => {
      const ids = tok.encodeText(word);
      if (ids.length === 0 || ids.includes(tok.specialIds.unk)) {
        throw new InputError(`word "${word}" of label "${label}" has tokens unknown to the vocabulary`, { field: `verbalizer.${label}` });
      }
      return { word, ids };
    });
  });
  const maskCount = Math.max(...words.flat().map((w) => w.ids.length));
  return { spec: normalised, words, maskCount };
}

/**
 * Class scores [B, C] at the mask slot (the rule in this module's header).
 *
 * @param maskRows int64 [B·m] flat row indices (b·L + l) of each row's m masks, in order (see `maskRows`).
 */
export function classScores(bert: EncoderGraph, maskRows: Value, v: Verbalizer): Value {
  const g = maskRows.graph, m = v.maskCount;
  if (m === 1) {
    // Raw logits of the verbalizer's tokens only; a class averages its words' columns.
    const ids = [...new Set(v.words.flat().map((w) => w.ids[0]))];
    const logits = bert.mlmLogits(maskRows, g.constant("verbalizer_ids", BigInt64Array.from(ids.map(BigInt)), [ids.length]));
    return op.matmul(logits, selection(v, ids.length, (w) => [ids.indexOf(w.ids[0])], g));
  }
  const logp = op.logSoftmax(bert.mlmLogits(maskRows), 1);
  const V = logp.shape[1];
  // Row b of [B, m·V] holds mask j's log-probabilities at j·V.., so a word picks column j·V + id_j per token.
  const perRow = op.reshape(logp, [maskRows.shape[0] / m, m * V]);
  return op.matmul(perRow, selection(v, m * V, (w) => w.ids.map((id, j) => j * V + id), g));
}

/** A constant [rows, C] matrix summing a word's feature columns and averaging over its class's words. */
function selection(v: Verbalizer, rows: number, columns: (w: LabelWord) => number[], g: Graph): Value {
  const C = v.words.length;
  const s = new Float32Array(rows * C);
  v.words.forEach((words, c) => {
    for (const w of words) for (const k of columns(w)) s[k * C + c] += 1 / words.length;
  });
  return g.constant("verbalizer_selection", s, [rows, C]);
}
