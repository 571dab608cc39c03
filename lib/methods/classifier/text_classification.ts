/**
 * Class probabilities of single texts and sentence pairs from a classifier export (fine-tuning, P-tuning v2)
 * in transformers.js, as the kit's predictor computes them.
 *
 * transformers.js 4.3.1's `pipeline('text-classification')` takes strings only: it hands its input straight
 * to the tokenizer, which encodes a `{ text, text_pair }` object as an empty text, silently. The tokenizer
 * takes pairs through its `text_pair` option (encoding `[CLS] a [SEP] b [SEP]` with token types 0 then 1, as
 * the kit does), so this runs the pipeline's own tokenizer and model as the pipeline does, with the second
 * texts as `text_pair`. Inputs are cut first as the kit cuts them (`text_cut.ts`: a pair longest-first, the
 * final `[SEP]` kept), so transformers.js' own truncation, which would drop that `[SEP]`, never acts.
 *
 * @example
 * ```ts
 * import { env, pipeline } from "@huggingface/transformers";
 * env.allowRemoteModels = false;
 * env.localModelPath = "exports/";
 * const classify = await pipeline("text-classification", "ft-bustm", { local_files_only: true });
 * const [proba] = await classifierProbabilities(classify, [{ text: "几点了", textB: "现在几点" }]); // in id2label order
 * ```
 * @module
 */
import type { TextClassificationPipeline } from "@huggingface/transformers";
import type { TextInput } from "../../model/batch.ts";
import { cutInput, type TextTokenizer } from "../../model/tokenizers/text_cut.ts";
import { softmaxRow } from "../predict.ts";
import { inputKindOf } from "../prompt_inputs.ts";

/** Class probabilities of `inputs` (texts or pairs `{ text, textB }`), rows in the export's label id order. */
export async function classifierProbabilities(classify: TextClassificationPipeline, inputs: readonly TextInput[]): Promise<number[][]> {
  const maxLength = classify.tokenizer.model_max_length;
  // [CLS] a [SEP], or [CLS] a [SEP] b [SEP].
  const cut = inputs.map((input) =>
    cutInput(classify.tokenizer as unknown as TextTokenizer, input, maxLength - (inputKindOf(input) === "pair" ? 3 : 2))
  );
  const tokenize = classify.tokenizer as unknown as (texts: string[], o: object) => Record<string, unknown>;
  // A null text_pair entry encodes that row as a single text.
  const encoded = tokenize(cut.map(([a]) => a), { text_pair: cut.map(([, b]) => b ?? null), padding: true, truncation: true });
  const { logits } = await classify.model(encoded) as { logits: { dims: number[]; data: Float32Array } };
  const classes = logits.dims[1];
  return cut.map((_, i) => softmaxRow([...logits.data.subarray(i * classes, (i + 1) * classes)]));
}
