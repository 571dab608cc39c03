/**
 * Export of a saved soft-prompt predictor for transformers.js' `pipeline('fill-mask')` (`docs/export.md`): the
 * backbone (the base's, or the trained one with `trainBackbone`) as a `BertForMaskedLM` folder whose
 * `onnx/model.onnx` puts the trained vectors at the soft slots, and `promptlab.json` as PET's export writes it
 * (`method: "soft-prompt"`, the template with one `[P]` per vector), which the shipped scorer and
 * `petProbabilities` turn into class probabilities.
 *
 * The graph finds the slots in its token inputs as training feeds them: an attended `[PAD]` is the next soft
 * vector of its row (a `[PAD]` typed in a text is read as `[UNK]`, so only the template's slots are). The
 * vectors are baked as computed: through the MLP prompt encoder, when there is one, once at export.
 *
 * Beside it, the vectors as a PEFT adapter: `PROMPT_TUNING` without a prompt encoder, `P_TUNING` (MLP) with
 * one, `prompt_embeddings` [P, H] the encoder's output as PEFT saves it, `task_type: "FEATURE_EXTRACTION"`
 * (PEFT has no masked-LM task). PEFT prepends its virtual tokens before `[CLS]`, where the kit places them at
 * the template's slots: the adapter carries the vectors, not the template (see docs/export.md).
 */
import type { InputKind } from "../../data/types.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { writeHfExport } from "../../model/hf_export.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { evaluateParams } from "../evaluate_params.ts";
import { PEFT_PREFIX, promptLearningConfig, writePeftAdapterFiles } from "../peft_adapter.ts";
import type { PetExportSpec } from "../pet/fill_mask.ts";
import { templateText } from "../pet/template.ts";
import { templateInputs } from "../prompt_inputs.ts";
import { savedWeightsFile } from "../saved.ts";
import { exportSoftSlotsHook, PROMPT_TABLE, promptValue } from "./prompt.ts";
import { loadSoftPrompt, type SoftPromptOptions } from "./soft_prompt.ts";

/**
 * Export a saved soft-prompt predictor (`saved`, trained on `model`) to `out`.
 * @returns the kind of input its template takes (sentence pairs for a `{text_b}` template).
 */
export async function exportSoftPrompt(saved: string, model: ModelFolder, out: string): Promise<InputKind> {
  const { labels, tensors, o, template, verbalizer } = await loadSoftPrompt(saved, model);
  const vectors = await evaluateParams(tensors, (param) => promptValue(param, o));
  await writeHfExport(out, {
    model,
    // The computed vectors take the table's name: the graph reads them as they are.
    weights: new Map([...model.weights, ...tensors, [PROMPT_TABLE, vectors]]),
    source: savedWeightsFile(saved),
    architecture: "BertForMaskedLM",
    maxLength: o.maxLength,
    logits: (bert) => bert.mlmLogitsAll(),
    wordEmbeddingsHook: (g, param) => exportSoftSlotsHook(g, param(PROMPT_TABLE), model.tokenizer.specialIds.pad),
  });
  const spec: PetExportSpec = { method: "soft-prompt", labels: [...labels], maxLength: o.maxLength, patterns: [{ template: templateText(template), verbalizer: verbalizer.spec }] };
  await writeFileAtomic(`${out}/promptlab.json`, JSON.stringify(spec, null, 2) + "\n");
  await writePeftAdapterFiles(out, peftConfig(model, out, o), new Map([[PEFT_PREFIX, vectors]]));
  return templateInputs(template);
}

/**
 * `adapter_config.json`: a `PromptTuningConfig` (init `TEXT` from `initWords` or `RANDOM`) or a
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
  const baseName = base.base_model_name_or_path;
  if (o.promptEncoder === "mlp") {
    return { ...base, encoder_reparameterization_type: "MLP", encoder_hidden_size: o.encoderHiddenSize, encoder_num_layers: 2, encoder_dropout: 0 };
  }
  const text = o.initWords ? { prompt_tuning_init_text: o.initWords, tokenizer_name_or_path: baseName } : { prompt_tuning_init_text: null, tokenizer_name_or_path: null };
  return { ...base, prompt_tuning_init: o.initWords ? "TEXT" : "RANDOM", ...text, tokenizer_kwargs: null };
}
