/**
 * Exports of the pooled-[CLS] classifier methods for transformers.js' `pipeline('text-classification')`:
 * fine-tuning as a plain `BertForSequenceClassification`; P-tuning v2 with its prefix baked into every layer's
 * keys and values (the attention mask extended over it, positions shifted by it, as in training), plus the
 * prefix and head as a PEFT prefix-tuning adapter of the base model.
 *
 * PEFT's layout (`save_pretrained` of a `PREFIX_TUNING` / `SEQ_CLS` model): `adapter_config.json`, and
 * `adapter_model.safetensors` with `prompt_embeddings` [num_virtual_tokens, num_layers·2·token_dim] (row p holds
 * every layer's key then value of virtual token p, PEFT's `past_key_values` order), the head as
 * `base_model.classifier.weight` / `.bias` and the pooler as `base_model.bert.pooler.dense.weight` / `.bias`
 * (`modules_to_save: ["classifier", "pooler"]`). A prefix trained through the projection MLP is saved as the table
 * the MLP computes (`prefix_projection: false`): at inference the two are the same.
 *
 * Both record in `config.json` the kind of input the predictor was trained on, `"promptlab": { "inputs": "text" }`
 * or `"pair"` (absent when its `method.json` predates the record), so the export refuses the other kind in
 * `cli predict` as the saved predictor does.
 */
import type { InputKind } from "../../data/types.ts";
import type { Value } from "../../engine/graph.ts";
import type { ParamSource } from "../../model/bert.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { writeHfExport } from "../../model/hf_export.ts";
import { InputError } from "../../util/errors.ts";
import type { HostTensor, TensorMap } from "../../util/tensor.ts";
import { evaluateParams } from "../evaluate_params.ts";
import { PEFT_PREFIX, promptLearningConfig, writePeftAdapterFiles } from "../peft_adapter.ts";
import { savedWeightsFile } from "../saved.ts";
import type { FinetuneOptions } from "./finetune.ts";
import { loadClassifier, savedInputs } from "./fit.ts";
import { classifierLogits, HEAD_BIAS, HEAD_WEIGHT } from "./head.ts";
import { PREFIX_TABLE, prefixTable, prefixValue, type PtuningV2Options } from "./ptuning_v2.ts";

/**
 * Write a `text-classification` folder of a classifier over `weights`, with an optional baked prefix; the kind
 * of input it was trained on, where known, goes into config.json as `promptlab.inputs` (transformers.js
 * ignores the key; `open_predictor.ts` reads it).
 */
function writeClassifier(
  out: string,
  model: ModelFolder,
  weights: TensorMap,
  saved: { dir: string; labels: readonly string[]; maxLength: number; inputs?: InputKind },
  prefix?: (param: ParamSource) => Value,
) {
  return writeHfExport(out, {
    model,
    weights,
    source: savedWeightsFile(saved.dir),
    architecture: "BertForSequenceClassification",
    labels: saved.labels,
    maxLength: saved.maxLength,
    logits: (bert, param) => classifierLogits(bert, model.config, param),
    prefix: prefix ? (_g, param) => prefix(param) : undefined,
    configExtra: saved.inputs ? { [EXPORT_CONFIG_KEY]: { inputs: saved.inputs } } : undefined,
  });
}

/**
 * Export a saved fine-tuning predictor (`saved`, trained on `model`) to `out`.
 * @returns the kind of input it was trained on; undefined for a predictor saved before the kind was recorded.
 */
export async function exportFinetune(saved: string, model: ModelFolder, out: string): Promise<InputKind | undefined> {
  const { meta, tensors } = await loadClassifier<FinetuneOptions>(saved, "finetune", model);
  const inputs = savedInputs(meta, saved);
  await writeClassifier(out, model, new Map([...model.weights, ...tensors]), { dir: saved, labels: meta.labels, maxLength: meta.options.maxLength, inputs });
  return inputs;
}

/**
 * Export a saved P-tuning v2 predictor to `out`: the classifier folder with the prefix baked in, and the PEFT
 * adapter (`adapter_config.json`, `adapter_model.safetensors`) beside it.
 * @returns as {@link exportFinetune}.
 */
export async function exportPtuningV2(saved: string, model: ModelFolder, out: string): Promise<InputKind | undefined> {
  const { meta, tensors } = await loadClassifier<PtuningV2Options>(saved, "ptuning-v2", model);
  const o = meta.options;
  // The export bakes a prefix into every layer and the [CLS] head: the ladder's other rungs have none yet.
  const depth = o.prefixDepth ?? "all", head = o.head ?? "cls";
  if (depth !== "all" || head !== "cls") {
    throw new InputError(`P-tuning v2 with prefixDepth ${JSON.stringify(depth)} and head "${head}" has no export (only "all" with "cls")`, {
      file: `${saved}/method.json`,
      field: depth !== "all" ? "options.prefixDepth" : "options.head",
    });
  }
  const inputs = savedInputs(meta, saved);
  // A prefix trained through the projection MLP is baked as the table the MLP computes.
  const table = o.prefixProjection ? await evaluateParams(tensors, (param) => prefixTable(param, o)) : tensors.get(PREFIX_TABLE)!;
  const baked = { prefixLength: o.prefixLength, prefixProjection: false, prefixHiddenSize: o.prefixHiddenSize };
  const weights: TensorMap = new Map([...model.weights, ...tensors, [PREFIX_TABLE, table]]);
  await writeClassifier(out, model, weights, { dir: saved, labels: meta.labels, maxLength: o.maxLength, inputs }, (param) => prefixValue(model.config, param, baked, 1));
  await writePeftAdapter(out, model, table, weights);
  return inputs;
}

/** The config.json key of what the kit records about a classifier export: `{ inputs: "text" | "pair" }`. */
export const EXPORT_CONFIG_KEY = "promptlab";

/** The pooler's weights (canonical names), which P-tuning v2's head reads. */
const POOLER_WEIGHTS = ["bert.pooler.dense.weight", "bert.pooler.dense.bias"];

/**
 * PEFT's adapter files for a prefix `table`, the trained head and the pooler the kit ran (`weights`), naming the
 * base model by its folder name. PEFT wraps every module whose name ends with an entry of `modules_to_save`
 * (`classifier`, and `pooler` for BERT's `bert.pooler`) and saves and loads it under its module path without the
 * wrapper's `modules_to_save.default.`: `base_model.classifier.*`, `base_model.bert.pooler.dense.*`. The pooler
 * goes along because a base saved without one (a masked-LM checkpoint) gives every loader a fresh random pooler,
 * where the kit ran a fixed one.
 */
async function writePeftAdapter(out: string, model: ModelFolder, table: HostTensor, weights: TensorMap): Promise<void> {
  const adapterConfig = {
    ...promptLearningConfig(model, { peftType: "PREFIX_TUNING", taskType: "SEQ_CLS", virtualTokens: table.shape[0] }),
    encoder_hidden_size: model.config.hidden_size,
    prefix_projection: false,
    modules_to_save: ["classifier", "pooler"],
  };
  const adapter: TensorMap = new Map([
    [PEFT_PREFIX, table],
    ...[HEAD_WEIGHT, HEAD_BIAS, ...POOLER_WEIGHTS].map((name) => [`${PEFT_BASE}${name}`, weights.get(name)!] as const),
  ]);
  await writePeftAdapterFiles(out, adapterConfig, adapter);
}

/** The prefix of a PEFT adapter's module weights: the wrapped transformers model. */
const PEFT_BASE = "base_model.";
