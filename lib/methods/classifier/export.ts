/**
 * Exports of the pooled-[CLS] classifier methods for transformers.js' `pipeline('text-classification')`:
 * fine-tuning as a plain `BertForSequenceClassification`; P-tuning v2 with its prefix baked into its layers'
 * keys and values (the attention mask extended over it, positions shifted by it, as in training), plus the
 * prefix and head as a PEFT prefix-tuning adapter of the base model when the prefix feeds every layer.
 * P-tuning v2 with a `mask` head exports as a prompt pattern for `pipeline('fill-mask')` instead.
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
import type { ParamSource } from "../../model/backbone.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { writeHfExport } from "../../model/hf_export.ts";
import type { HostTensor, TensorMap } from "../../util/tensor.ts";
import { evaluateParams } from "../evaluate_params.ts";
import { PEFT_PREFIX, promptLearningConfig, writePeftAdapterFiles } from "../peft_adapter.ts";
import { templateInputs } from "../prompt_inputs.ts";
import { loadMethod, savedWeightsFile } from "../saved.ts";
import type { PatternPredictor } from "../soft_prompt/pattern.ts";
import { writePatternExport } from "../soft_prompt/pattern_export.ts";
import type { FinetuneOptions } from "./finetune.ts";
import { loadClassifier, savedInputs } from "./fit.ts";
import { checkSavedHead, classifierLogits, HEAD_BIAS, HEAD_WEIGHT } from "./head.ts";
import { refuseChoiceExport } from "./choices.ts";
import {
  depthLayers,
  PREFIX_TABLE,
  prefixTable,
  prefixValue,
  PTUNING_V2_DEFAULTS,
  ptuningV2,
  type PtuningV2Options,
} from "./ptuning_v2.ts";

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
  prefix?: { value: (param: ParamSource) => Value; layers?: readonly number[] },
) {
  return writeHfExport(out, {
    model,
    weights,
    source: savedWeightsFile(saved.dir),
    architecture: "BertForSequenceClassification",
    labels: saved.labels,
    maxLength: saved.maxLength,
    logits: (bert, param) => classifierLogits(bert, model.backbone, param),
    prefix: prefix ? (_g, param) => prefix.value(param) : undefined,
    prefixLayers: prefix?.layers,
    configExtra: saved.inputs ? { [EXPORT_CONFIG_KEY]: { inputs: saved.inputs } } : undefined,
  });
}

/**
 * Export a saved fine-tuning predictor (`saved`, trained on `model`) to `out`.
 * @returns the kind of input it was trained on; undefined for a predictor saved before the kind was recorded.
 */
export async function exportFinetune(saved: string, model: ModelFolder, out: string): Promise<InputKind | undefined> {
  const { meta, tensors } = await loadClassifier<FinetuneOptions>(saved, "finetune", model);
  refuseChoiceExport(meta.options, saved);
  const inputs = savedInputs(meta, saved);
  await writeClassifier(out, model, new Map([...model.weights, ...tensors]), {
    dir: saved,
    labels: meta.labels,
    maxLength: meta.options.maxLength,
    inputs,
  });
  return inputs;
}

/**
 * Export a saved P-tuning v2 predictor to `out`. A `cls` head: the classifier folder with the prefix baked into
 * its layers. A `mask` head: the fill-mask folder of its prompt pattern (`soft_prompt/pattern_export.ts`), the
 * prefix (or, at `input` depth, the soft vectors) baked in, `promptlab.json` with `{text}[MASK]`. Beside either,
 * a PEFT adapter where PEFT can hold the prompt: a prefix in every layer (`PREFIX_TUNING`), or input vectors
 * (`PROMPT_TUNING`); none for a prefix in some layers only (PEFT's prefix tuning feeds every layer).
 * @returns the kind of input it takes: a `cls` head's as {@link exportFinetune}; a `mask` head's template's.
 */
export async function exportPtuningV2(saved: string, model: ModelFolder, out: string): Promise<InputKind | undefined> {
  const { meta, tensors } = await loadMethod<PtuningV2Options>(saved, ptuningV2.name, model);
  // Predictors saved before the depth and head knobs have neither: every layer, [CLS].
  const o = { ...PTUNING_V2_DEFAULTS, ...meta.options };
  if (o.head === "mask") return await exportMaskHead(saved, model, out, o);
  refuseChoiceExport(o, saved);
  checkSavedHead(tensors, model.backbone, meta.labels, savedWeightsFile(saved), `${saved}/method.json`);
  const inputs = savedInputs(meta, saved);
  const layers = depthLayers(o.prefixDepth, model.backbone.sizes.layers);
  const table = await trainedPrefixTable(tensors, o, layers);
  const baked = { prefixLength: o.prefixLength, prefixProjection: false, prefixHiddenSize: o.prefixHiddenSize, prefixLayers: layers };
  const weights: TensorMap = new Map([...model.weights, ...tensors, [PREFIX_TABLE, table]]);
  await writeClassifier(out, model, weights, { dir: saved, labels: meta.labels, maxLength: o.maxLength, inputs }, {
    value: (param) => prefixValue(model.backbone, param, baked, 1),
    layers,
  });
  const modules = new Map([HEAD_WEIGHT, HEAD_BIAS, ...POOLER_WEIGHTS].map((name) => [`${PEFT_BASE}${name}`, weights.get(name)!]));
  if (!layers) await writePrefixAdapter(out, model, table, "SEQ_CLS", modules);
  return inputs;
}

/** The trained prefix table [P, layers·2·H]: through the projection MLP, when there is one, run once. */
function trainedPrefixTable(tensors: TensorMap, o: PtuningV2Options, layers?: readonly number[]): Promise<HostTensor> | HostTensor {
  return o.prefixProjection
    ? evaluateParams(tensors, (param) => prefixTable(param, { ...o, prefixLayers: layers }))
    : tensors.get(PREFIX_TABLE)!;
}

/** The export of a `mask` head (see {@link exportPtuningV2}). */
async function exportMaskHead(saved: string, model: ModelFolder, out: string, o: PtuningV2Options): Promise<InputKind> {
  const { pattern, labels } = await ptuningV2.load(saved, model) as PatternPredictor;
  const vectors = await writePatternExport(out, pattern, labels, savedWeightsFile(saved), ptuningV2.name);
  if (vectors) {
    const config = promptLearningConfig(model, {
      peftType: "PROMPT_TUNING",
      taskType: "FEATURE_EXTRACTION",
      virtualTokens: o.prefixLength,
    });
    await writePeftAdapterFiles(out, {
      ...config,
      prompt_tuning_init: "RANDOM",
      prompt_tuning_init_text: null,
      tokenizer_name_or_path: null,
      tokenizer_kwargs: null,
    }, new Map([[PEFT_PREFIX, vectors]]));
  } else if (o.prefixDepth === "all") {
    await writePrefixAdapter(out, model, await trainedPrefixTable(pattern.weights, o), "FEATURE_EXTRACTION", new Map());
  }
  return templateInputs(pattern.template);
}

/** The config.json key of what the kit records about a classifier export: `{ inputs: "text" | "pair" }`. */
export const EXPORT_CONFIG_KEY = "promptlab";

/** The pooler's weights (canonical names), which P-tuning v2's head reads. */
const POOLER_WEIGHTS = ["bert.pooler.dense.weight", "bert.pooler.dense.bias"];

/**
 * PEFT's adapter files of a prefix `table` in every layer, with `modules` (a classifier's head and pooler, under
 * their adapter names), naming the base model by its folder name. PEFT wraps every module whose name ends with
 * an entry of `modules_to_save` (`classifier`, and `pooler` for BERT's `bert.pooler`) and saves and loads it
 * under its module path without the wrapper's `modules_to_save.default.`: `base_model.classifier.*`,
 * `base_model.bert.pooler.dense.*`. The pooler goes along because a base saved without one (a masked-LM
 * checkpoint) gives every loader a fresh random pooler, where the kit ran a fixed one.
 */
async function writePrefixAdapter(
  out: string,
  model: ModelFolder,
  table: HostTensor,
  taskType: "SEQ_CLS" | "FEATURE_EXTRACTION",
  modules: TensorMap,
): Promise<void> {
  const adapterConfig = {
    ...promptLearningConfig(model, { peftType: "PREFIX_TUNING", taskType, virtualTokens: table.shape[0] }),
    encoder_hidden_size: model.backbone.sizes.hiddenSize,
    prefix_projection: false,
    ...(modules.size ? { modules_to_save: ["classifier", "pooler"] } : {}),
  };
  await writePeftAdapterFiles(out, adapterConfig, new Map([[PEFT_PREFIX, table], ...modules]));
}

/** The prefix of a PEFT adapter's module weights: the wrapped transformers model. */
const PEFT_BASE = "base_model.";
