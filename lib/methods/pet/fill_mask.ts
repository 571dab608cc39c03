/**
 * PET over an exported fill-mask model: turns transformers.js `pipeline('fill-mask')` scores into class
 * probabilities exactly as the kit's PET predictor computes them, from the `promptlab.json` an export writes.
 *
 * - Prompt: the template filled as the kit encodes it: `[CLS]`, the template's parts in order (literals and
 *   texts tokenized apart, which whitespace between them reproduces), the mask slot as m `[MASK]`s (m: the
 *   pattern's longest label word in tokens), `[SEP]`; only the texts are cut (from their end, at a token
 *   boundary, a pair's two longest-first) to fit `maxLength`; a `[MASK]` typed in a text becomes `[UNK]`. A
 *   pair template (`{text_b}`) takes sentence pairs `{ text, textB }`, one without it single texts.
 * - Scores: a word of k tokens scores the sum of log p(token j at mask j), j < k; a class scores the mean over
 *   its words; a softmax over classes gives the probabilities. For one mask (single-token words) p is
 *   fill-mask's score, a softmax over the vocabulary, so log p = logit − log Z with Z shared by every word and
 *   the result equals the kit's softmax over mean raw logits. fill-mask scores only the first `[MASK]`, so for
 *   several masks p comes from the pipeline's own model and tokenizer at each mask (log-softmax of its
 *   logits), as the kit scores multi-token words.
 * - Calibrated patterns (contextual calibration): the probabilities divided by the pattern's saved content-free
 *   probabilities (`calibration`) and renormalised.
 * - Several patterns (an ensemble): the mean of their class probabilities.
 *
 * @example
 * ```ts
 * import { env, pipeline } from "@huggingface/transformers";
 * env.allowRemoteModels = false;
 * env.localModelPath = "exports/";
 * const fillMask = await pipeline("fill-mask", "pet-eprstmt", { local_files_only: true });
 * const spec = JSON.parse(await Deno.readTextFile("exports/pet-eprstmt/promptlab.json"));
 * const [proba] = await petProbabilities(fillMask, spec, ["物流很快，包装完好。"]); // in spec.labels order
 * // A pair template's export: await petProbabilities(fillMask, spec, [{ text: "几点了", textB: "现在几点" }]);
 * ```
 * @module
 */
import type { FillMaskPipeline } from "@huggingface/transformers";
import type { TextInput } from "../../model/batch.ts";
import { cutInput, type TextTokenizer } from "../../model/tokenizers/text_cut.ts";
import { InputError } from "../../util/errors.ts";
import { logSoftmax, softmaxRow } from "../predict.ts";
import { checkTemplateInputs, inputKindOf } from "../prompt_inputs.ts";
import { calibrate } from "./calibration.ts";
import { parseTemplate } from "./template.ts";

/** One pattern of `promptlab.json`: a template, each label's words, and its calibration when it has one. */
export interface PetExportPattern {
  template: string;
  verbalizer: Record<string, string[]>;
  /** p_cf in label order (`calibration.ts`): the probabilities are divided by it and renormalised. */
  calibration?: number[];
}

/**
 * `promptlab.json` of a fill-mask export: PET's, or a prompt pattern's that trained vectors (the soft-prompt
 * method's templates hold soft slots `[P]`, one per vector; P-tuning v2's `mask` head, a prefix in the graph).
 */
export interface PetExportSpec {
  /** The registered method that made it. */
  method: string;
  /** Class order of the probabilities. */
  labels: string[];
  /** Longest prompt in tokens, `[CLS]`, `[SEP]`, template and mask included. */
  maxLength: number;
  patterns: PetExportPattern[];
}

/** The slice of a transformers.js tokenizer the prompt builder needs. */
export interface PromptTokenizer extends TextTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
}

/**
 * The fill-mask inputs of `inputs` (texts, or pairs for a `{text_b}` template) under `pattern`, each cut to
 * `maxLength` tokens as the kit's PET cuts it.
 * @throws InputError naming the template: inputs of the other kind than it takes, or no room for the text.
 */
export function petPrompts(tok: PromptTokenizer, pattern: PetExportPattern, inputs: readonly TextInput[], maxLength: number): string[] {
  const template = parseTemplate(pattern.template, { softSlots: true });
  const { parts } = template;
  for (const input of inputs) checkTemplateInputs(template, inputKindOf(input), "{text_b}");
  const masks = maskCount(Object.values(pattern.verbalizer).flat().map((w) => wordIds(tok, w)));
  const literals = parts.reduce((n, p) => n + (p.kind === "literal" ? tok.encode(p.text, { add_special_tokens: false }).length : 0), 0);
  const budget = maxLength - 2 - literals - masks - template.soft;
  if (budget <= 0) {
    throw new InputError(`template "${pattern.template}" leaves no room for the text in ${maxLength} tokens`, { field: "template" });
  }
  const slot = Array(masks).fill("[MASK]").join(" ");
  // The soft prompt's graph reads an attended [PAD] as its next vector: only the template's slots may hold one.
  const typed = (t: string) => (t === "[MASK]" || t === "[PAD]" ? "[UNK]" : t);
  return inputs.map((input) => {
    const [a, b] = cutInput(tok, input, budget, typed);
    const text = { text: a, text_b: b, mask: slot, soft: "[PAD]" } as const;
    return parts.map((p) => (p.kind === "literal" ? p.text : text[p.kind])).join(" ");
  });
}

/**
 * Class probabilities (rows in `spec.labels` order) of `inputs` from a fill-mask pipeline over a PET export:
 * single texts, or pairs `{ text, textB }` for a pair template.
 */
export async function petProbabilities(fillMask: FillMaskPipeline, spec: PetExportSpec, inputs: readonly TextInput[]): Promise<number[][]> {
  const tok = fillMask.tokenizer as unknown as PromptTokenizer;
  const sums = inputs.map(() => spec.labels.map(() => 0));
  for (const pattern of spec.patterns) {
    const words = spec.labels.map((label) => {
      const list = pattern.verbalizer[label];
      if (!list?.length) throw new InputError(`label "${label}" has no words`, { field: `verbalizer.${label}` });
      return list.map((w) => wordIds(tok, w));
    });
    const logp = await maskLogProbs(fillMask, petPrompts(tok, pattern, inputs, spec.maxLength), maskCount(words.flat()));
    logp.forEach((masks, i) => {
      const scores = words.map((ws) => ws.reduce((s, ids) => s + ids.reduce((w, id, j) => w + masks[j][id], 0), 0) / ws.length);
      const proba = softmaxRow(scores);
      (pattern.calibration ? calibrate([proba], pattern.calibration)[0] : proba).forEach((
        q,
        c,
      ) => (sums[i][c] += q / spec.patterns.length));
    });
  }
  return sums;
}

/**
 * log p over the vocabulary at each `[MASK]` of each prompt ([prompt][mask][token id]), all prompts holding
 * `masks` masks: fill-mask's own scores for one mask, the pipeline's model at every mask for several.
 */
async function maskLogProbs(fillMask: FillMaskPipeline, prompts: string[], masks: number): Promise<Float64Array[][]> {
  const vocabSize = (fillMask.model.config as unknown as { vocab_size: number }).vocab_size;
  if (masks === 1) {
    // Every vocabulary entry, so each label word has its score.
    const results = await fillMask(prompts, { top_k: vocabSize }) as unknown as { score: number; token: number }[][];
    return results.map((entries) => {
      const logp = new Float64Array(vocabSize);
      for (const e of entries) logp[e.token] = Math.log(e.score);
      return [logp];
    });
  }
  const tokenize = fillMask.tokenizer as unknown as (texts: string[], o: object) => { input_ids: { tolist(): bigint[][] } };
  const inputs = tokenize(prompts, { padding: true, truncation: true });
  const { logits } = await fillMask.model(inputs) as { logits: { dims: number[]; data: Float32Array } };
  const [, L, V] = logits.dims;
  const maskId = (fillMask.tokenizer as unknown as { mask_token_id: number }).mask_token_id;
  return inputs.input_ids.tolist().map((ids, b) => {
    const at = ids.flatMap((
      id,
      l,
    ) => (Number(id) === maskId ? [logSoftmax(logits.data.subarray((b * L + l) * V, (b * L + l + 1) * V))] : []));
    if (at.length !== masks) throw new Error(`prompt ${b} holds ${at.length} masks, expected ${masks}`);
    return at;
  });
}

/** Masks a slot expands to: the longest word's token count. */
function maskCount(words: readonly number[][]): number {
  return Math.max(...words.map((ids) => ids.length));
}

function wordIds(tok: PromptTokenizer, word: string): number[] {
  const ids = tok.encode(word, { add_special_tokens: false });
  if (ids.length === 0) throw new InputError(`word "${word}" has no tokens`, { field: "verbalizer" });
  return ids;
}
