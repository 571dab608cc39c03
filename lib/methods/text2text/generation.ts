/**
 * The text-to-text method over its export (`cli export` of a saved `text2text` predictor): transformers.js'
 * `pipeline('text2text-generation')` given the prompts the kit's predictor encodes, from the `promptlab.json`
 * the export writes.
 *
 * - **What the pipeline is given**: the prompt, not the raw text. The template (`{text}总之很<extra_id_0>。`)
 *   has literal text after the input, which transformers.js cannot add (its only hook is a `prefix` in
 *   config.json), so {@link text2textPrompts} fills it as the kit does, an input too long losing characters at
 *   the end of its longest text. A prompt-tuned export's soft vectors are not text: its encoder graph puts them
 *   before every input itself.
 * - **Generation**: greedy, at most `maxNewTokens` tokens, as `cli predict` prints it.
 * - **Class probabilities**: rank classification as the kit's: each label's target (`<extra_id_0>` + word +
 *   `</s>`) scored by the decoder's summed log-probability of its tokens (teacher-forced through the pipeline's
 *   model), a softmax over the labels.
 *
 * @example
 * ```ts
 * const generate = await pipeline("text2text-generation", "t5-ft", { local_files_only: true }); // env as in docs/export.md
 * const spec = JSON.parse(await Deno.readTextFile("exports/t5-ft/promptlab.json"));
 * const prompts = text2textPrompts(generate.tokenizer, spec, ["物流很快，包装完好。"]);
 * await generate(prompts, { max_new_tokens: spec.maxNewTokens, do_sample: false }); // [{ generated_text: "<extra_id_0>好" }]
 * ```
 * @module
 */
import { Tensor, type Text2TextGenerationPipeline } from "@huggingface/transformers";
import type { InputKind } from "../../data/types.ts";
import type { TextInput } from "../../model/batch.ts";
import { logSoftmax, softmaxRow } from "../predict.ts";
import { parseText2TextTemplate, promptTexts } from "./prompt.ts";

/** The file of a text2text export holding its {@link Text2TextExportSpec}. */
export const TEXT2TEXT_SPEC_FILE = "promptlab.json";

/** `promptlab.json` of a text2text export: what the predictor did around the model. */
export interface Text2TextExportSpec {
  method: string;
  mode: string;
  /** The template the inputs are put into (`{text}`, `{text_b}` and the sentinel `<extra_id_0>`). */
  template: string;
  /** The kind of input the template takes. */
  inputs: InputKind;
  labels: string[];
  /** Each label's target string, in `labels` order. */
  targets: string[];
  /** Longest encoder input in tokens, the soft vectors included. */
  maxLength: number;
  /** Soft vectors the encoder puts before every input (0 unless prompt-tuned). */
  softPromptLength: number;
  /** Longest generation, in tokens. */
  maxNewTokens: number;
}

/** The tokenizer as the prompts need it: `encode` adds the end token, as transformers.js' does. */
export interface PromptTokenizer {
  encode(text: string): number[];
}

/** The prompts the export's pipeline takes for `inputs`: the template filled and cut as the kit's predictor does. */
export function text2textPrompts(tokenizer: PromptTokenizer, spec: Text2TextExportSpec, inputs: readonly TextInput[]): string[] {
  const tok = { encode: (text: string) => tokenizer.encode(text) };
  return promptTexts(tok, parseText2TextTemplate(spec.template), inputs, spec.maxLength - spec.softPromptLength);
}

/** The pipeline's greedy generation for each input, as text. */
export async function text2textGenerate(
  generate: Text2TextGenerationPipeline,
  spec: Text2TextExportSpec,
  inputs: readonly TextInput[],
): Promise<string[]> {
  const out: string[] = [];
  for (const prompt of text2textPrompts(generate.tokenizer, spec, inputs)) {
    const [{ generated_text }] = await generate(prompt, { max_new_tokens: spec.maxNewTokens, do_sample: false }) as {
      generated_text: string;
    }[];
    out.push(generated_text);
  }
  return out;
}

/** Class probabilities of `inputs` in `spec.labels` order: a softmax over the targets' summed log-probabilities. */
export async function text2textProbabilities(
  generate: Text2TextGenerationPipeline,
  spec: Text2TextExportSpec,
  inputs: readonly TextInput[],
): Promise<number[][]> {
  const { tokenizer, model } = generate;
  const encoded = tokenizer(text2textPrompts(tokenizer, spec, inputs), { padding: true });
  const start = (model.config as unknown as { decoder_start_token_id: number }).decoder_start_token_id;
  const scores: number[][] = inputs.map(() => []);
  for (const target of spec.targets) {
    const ids = tokenizer.encode(target);
    const decoderIds = [start, ...ids.slice(0, -1)];
    const rows = inputs.map(() => decoderIds);
    const { logits } = await model({
      ...encoded,
      decoder_input_ids: new Tensor("int64", BigInt64Array.from(rows.flat(), BigInt), [rows.length, decoderIds.length]),
    }) as { logits: Tensor };
    const data = logits.data as Float32Array, V = logits.dims[2];
    inputs.forEach((_, b) => {
      const row = (t: number) => data.subarray((b * ids.length + t) * V, (b * ids.length + t + 1) * V);
      scores[b].push(ids.reduce((sum, id, t) => sum + logSoftmax(row(t))[id], 0));
    });
  }
  return scores.map(softmaxRow);
}
