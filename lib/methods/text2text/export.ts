/**
 * Export of a saved text-to-text predictor for transformers.js' `pipeline('text2text-generation')`: the
 * backbone's generation folder (for a T5: `onnx/encoder_model.onnx`, `onnx/decoder_model_merged.onnx`, configs,
 * tokenizer) of the trained weights (fine-tuning), of the base model with the soft prompt baked into the
 * encoder graph (prompt tuning), or of the base model (zero-shot); and `promptlab.json`, the template and
 * targets that turn texts into prompts and generations into class probabilities (`generation.ts`).
 *
 * Why no PEFT adapter beside a prompt-tuned export: PEFT's prompt tuning of a `SEQ_2_SEQ_LM` puts virtual tokens
 * before the decoder's inputs too (two transformer submodules), where the kit's vectors feed the encoder only.
 * @module
 */
import type { InputKind } from "../../data/types.ts";
import type { TextToTextFolder } from "../../model/folder.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { TEXT2TEXT_SPEC_FILE, type Text2TextExportSpec } from "./generation.ts";
import type { Text2TextPredictor } from "./predictor.ts";
import { targetStrings } from "./prompt.ts";
import { text2text } from "./text2text.ts";

/** What `promptlab.json` records of `predictor`. */
function exportSpec(predictor: Text2TextPredictor): Text2TextExportSpec {
  const { options: o, labels, inputs, softPrompt, model } = predictor;
  return {
    method: text2text.name,
    mode: o.mode,
    template: o.template,
    inputs,
    labels: [...labels],
    targets: targetStrings(model.tokenizer, labels, o.targets),
    maxLength: o.maxLength,
    softPromptLength: softPrompt ? o.promptLength : 0,
    maxNewTokens: o.maxNewTokens,
  };
}

/**
 * Export the text-to-text predictor saved in `saved` (trained on `model`) to the claimed folder `out`.
 * @returns the kind of input its template takes.
 */
export async function exportText2Text(saved: string, model: TextToTextFolder, out: string): Promise<InputKind> {
  const predictor = await text2text.load(saved, model) as Text2TextPredictor;
  await model.backbone.textToText.writeExport(out, model.dir, predictor.weights, predictor.softPrompt);
  await writeFileAtomic(`${out}/${TEXT2TEXT_SPEC_FILE}`, JSON.stringify(exportSpec(predictor), null, 2) + "\n");
  return predictor.inputs;
}
