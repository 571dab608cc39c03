/**
 * PEFT's files of a prompt-learning adapter (`save_pretrained` of a `PeftModel`), shared by the exports that
 * ship one: `adapter_config.json` (a `PromptLearningConfig`'s fields) and `adapter_model.safetensors`, where
 * PEFT saves the virtual tokens as `prompt_embeddings`, the table the prompt encoder computes
 * (`get_prompt_embedding_to_save`), so the adapter loads in inference mode without the encoder.
 */
import type { ModelFolder } from "../model/folder.ts";
import { encodeSafetensors } from "../model/formats/safetensors.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import type { TensorMap } from "../util/tensor.ts";

/** The key PEFT saves a prompt-learning adapter's virtual-token table under. */
export const PEFT_PREFIX = "prompt_embeddings";

/** What names the adapter's method: PEFT's `peft_type`, `task_type` and the virtual tokens. */
export interface PromptLearningSpec {
  peftType: "PREFIX_TUNING" | "PROMPT_TUNING" | "P_TUNING";
  taskType: "SEQ_CLS" | "FEATURE_EXTRACTION";
  virtualTokens: number;
  /** The folder name of the model the adapter applies to (default: the base model's). */
  baseModel?: string;
}

/**
 * The fields every `PromptLearningConfig` of `model` holds, in inference mode, with `base_model_name_or_path`
 * the base model's folder name (or `spec.baseModel`).
 */
export function promptLearningConfig(model: Pick<ModelFolder, "dir" | "backbone">, spec: PromptLearningSpec): Record<string, unknown> {
  const { sizes } = model.backbone;
  return {
    peft_type: spec.peftType,
    task_type: spec.taskType,
    base_model_name_or_path: spec.baseModel ?? model.dir.replace(/\/+$/, "").replace(/^.*\//, ""),
    inference_mode: true,
    num_virtual_tokens: spec.virtualTokens,
    token_dim: sizes.hiddenSize,
    num_transformer_submodules: 1,
    num_attention_heads: sizes.heads,
    num_layers: sizes.layers,
  };
}

/** Write `adapter_config.json` and `adapter_model.safetensors` into `out`, each atomically. */
export async function writePeftAdapterFiles(out: string, adapterConfig: Record<string, unknown>, tensors: TensorMap): Promise<void> {
  await writeFileAtomic(`${out}/adapter_config.json`, JSON.stringify(adapterConfig, null, 2) + "\n");
  await writeFileAtomic(`${out}/adapter_model.safetensors`, encodeSafetensors(tensors));
}
