/**
 * PET over an exported fill-mask model: turns transformers.js `pipeline('fill-mask')` scores into class
 * probabilities exactly as the kit's PET predictor computes them, from the `promptlab.json` an export writes.
 *
 * - Prompt: the template filled as the kit encodes it: `[CLS]`, the template's parts in order (literals and
 *   the text tokenized apart, which whitespace between them reproduces), one `[MASK]`, `[SEP]`; only the text
 *   is cut (from its end, at a token boundary) to fit `maxLength`; a `[MASK]` typed in the text becomes `[UNK]`.
 * - Scores: class score = mean over the class's words of log p(word at the mask). fill-mask's p is a softmax
 *   over the vocabulary, so log p = logit − log Z with Z shared by every word, and the softmax over class
 *   scores equals the kit's softmax over mean raw logits.
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
 * ```
 * @module
 */
import type { FillMaskPipeline } from "@huggingface/transformers";
import { cutText, type TextTokenizer } from "../../model/text_cut.ts";
import { InputError } from "../../util/errors.ts";
import { softmaxRow } from "../predict.ts";
import { parseTemplate } from "./template.ts";

/** One pattern of `promptlab.json`: a template and each label's words. */
export interface PetExportPattern {
  template: string;
  verbalizer: Record<string, string[]>;
}

/** `promptlab.json` of a PET export. */
export interface PetExportSpec {
  method: "pet";
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

/** The fill-mask input of `text` under `pattern`, cut to `maxLength` tokens as the kit's PET cuts it. */
export function petPrompt(tok: PromptTokenizer, pattern: PetExportPattern, text: string, maxLength: number): string {
  const parts = parseTemplate(pattern.template).parts;
  const literals = parts.reduce((n, p) => n + (p.kind === "literal" ? tok.encode(p.text, { add_special_tokens: false }).length : 0), 0);
  const budget = maxLength - 2 - literals - 1;
  if (budget <= 0) throw new InputError(`template "${pattern.template}" leaves no room for the text in ${maxLength} tokens`, { field: "template" });
  const cut = cutText(tok, text, budget, (t) => (t === "[MASK]" ? "[UNK]" : t));
  return parts.map((p) => (p.kind === "literal" ? p.text : p.kind === "mask" ? "[MASK]" : cut)).join(" ");
}

/** Class probabilities (rows in `spec.labels` order) of `texts` from a fill-mask pipeline over a PET export. */
export async function petProbabilities(fillMask: FillMaskPipeline, spec: PetExportSpec, texts: readonly string[]): Promise<number[][]> {
  const tok = fillMask.tokenizer as unknown as PromptTokenizer;
  const vocabSize = (fillMask.model.config as unknown as { vocab_size: number }).vocab_size;
  const sums = texts.map(() => spec.labels.map(() => 0));
  for (const pattern of spec.patterns) {
    const wordIds = spec.labels.map((label) => pattern.verbalizer[label].map((w) => singleToken(tok, w, label)));
    const prompts = texts.map((t) => petPrompt(tok, pattern, t, spec.maxLength));
    // Every vocabulary entry, so each label word has its score.
    const results = await fillMask(prompts, { top_k: vocabSize }) as unknown as { score: number; token: number }[][];
    results.forEach((entries, i) => {
      const p = new Map(entries.map((e) => [e.token, e.score]));
      const scores = wordIds.map((ids) => ids.reduce((s, id) => s + Math.log(p.get(id)!), 0) / ids.length);
      softmaxRow(scores).forEach((q, c) => (sums[i][c] += q / spec.patterns.length));
    });
  }
  return sums;
}

function singleToken(tok: PromptTokenizer, word: string, label: string): number {
  const ids = tok.encode(word, { add_special_tokens: false });
  if (ids.length !== 1) throw new InputError(`word "${word}" is ${ids.length} tokens; fill-mask scores one`, { field: `verbalizer.${label}` });
  return ids[0];
}
