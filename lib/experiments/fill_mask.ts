/**
 * The article's opening experiment: which word does the masked LM put in 我很累，感觉很[MASK]。? Scores
 * candidate words at the mask with PET's zero-shot scorer (each word its own "class").
 */
import { pet as petMethod } from "../methods/pet/pet.ts";
import type { ModelFolder } from "../model/folder.ts";

/**
 * Probability of each single-token `word` at the `[MASK]` of `sentence`, renormalised over the candidates,
 * best first.
 * @example
 * ```ts
 * await rankMaskWords(model, "我很累，感觉很[MASK]。", ["困", "好", "累", "饿", "烦"]);
 * ```
 */
export async function rankMaskWords(
  model: ModelFolder,
  sentence: string,
  words: readonly string[],
): Promise<{ word: string; probability: number }[]> {
  const at = sentence.indexOf("[MASK]");
  if (at < 0) throw new Error(`no [MASK] in "${sentence}"`);
  // PET templates need a {text} slot: the part before the mask is the text, the rest the template.
  const pet = petMethod.create(model, words, {
    mode: "zero-shot",
    template: `{text}${sentence.slice(at)}`,
    verbalizer: Object.fromEntries(words.map((w) => [w, [w]])),
  });
  const { predictor } = await pet.fit([], []);
  const [proba] = await predictor.predictProba([sentence.slice(0, at)]);
  return predictor.labels.map((word, i) => ({ word, probability: proba[i] })).sort((a, b) => b.probability - a.probability);
}
