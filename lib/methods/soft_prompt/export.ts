/**
 * Export of a saved soft-prompt predictor for transformers.js' `pipeline('fill-mask')` (`docs/export.md`): the
 * backbone (the base's, or the trained one with `trainBackbone`) with the vectors baked in at the template's
 * slots and `promptlab.json` (`method: "soft-prompt"`, one `[P]` per vector), written by `pattern_export.ts`.
 *
 * Beside it, the vectors as a PEFT adapter: `PROMPT_TUNING` without a prompt encoder, `P_TUNING` (MLP) with
 * one, `prompt_embeddings` [P, H] the encoder's output as PEFT saves it (`get_prompt_embedding_to_save`; in
 * inference mode PEFT reads them as they are), `task_type: "FEATURE_EXTRACTION"` (PEFT has no masked-LM task).
 * PEFT prepends its virtual tokens before `[CLS]`, where the kit places them at the template's slots: the
 * adapter carries the vectors, not the template (docs/export.md).
 */
import type { InputKind } from "../../data/types.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { PEFT_PREFIX, promptLearningConfig, writePeftAdapterFiles } from "../peft_adapter.ts";
import { templateInputs } from "../prompt_inputs.ts";
import { savedWeightsFile } from "../saved.ts";
import { writePatternExport } from "./pattern_export.ts";
import { loadSoftPrompt, softPrompt, type SoftPromptOptions } from "./soft_prompt.ts";
import { refuseCandidatesExport } from "../pet/choice_scores.ts";

/**
 * Export a saved soft-prompt predictor (`saved`, trained on `model`) to `out`.
 * @returns the kind of input its template takes (sentence pairs for a `{text_b}` template).
 */
export async function exportSoftPrompt(saved: string, model: ModelFolder, out: string): Promise<InputKind> {
  const { labels, o, pattern } = await loadSoftPrompt(saved, model);
  refuseCandidatesExport(o.verbalizer, `${saved}/method.json`);
  const vectors = (await writePatternExport(out, pattern, labels, savedWeightsFile(saved), softPrompt.name))!;
  await writePeftAdapterFiles(out, peftConfig(model, out, o), new Map([[PEFT_PREFIX, vectors]]));
  return templateInputs(pattern.template);
}

/**
 * `adapter_config.json`: a `PromptTuningConfig` (init `TEXT` from `initWords`, or `RANDOM`) or a
 * `PromptEncoderConfig` (MLP of `encoderHiddenSize`; PEFT's MLP always has two hidden layers). With a trained
 * backbone the adapter applies to the export's own `model.safetensors`, so the export folder is its base.
 */
function peftConfig(model: ModelFolder, out: string, o: SoftPromptOptions & { promptLength: number; encoderHiddenSize: number }) {
  const base = promptLearningConfig(model, {
    peftType: o.promptEncoder === "mlp" ? "P_TUNING" : "PROMPT_TUNING",
    taskType: "FEATURE_EXTRACTION",
    virtualTokens: o.promptLength,
    ...(o.trainBackbone ? { baseModel: out.replace(/^.*\//, "") } : {}),
  });
  if (o.promptEncoder === "mlp") {
    return {
      ...base,
      encoder_reparameterization_type: "MLP",
      encoder_hidden_size: o.encoderHiddenSize,
      encoder_num_layers: 2,
      encoder_dropout: 0,
    };
  }
  const text = o.initWords
    ? { prompt_tuning_init_text: o.initWords, tokenizer_name_or_path: base.base_model_name_or_path }
    : { prompt_tuning_init_text: null, tokenizer_name_or_path: null };
  return { ...base, prompt_tuning_init: o.initWords ? "TEXT" : "RANDOM", ...text, tokenizer_kwargs: null };
}
