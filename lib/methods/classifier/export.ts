/**
 * Exports of the pooled-[CLS] classifier methods for transformers.js' `pipeline('text-classification')`:
 * fine-tuning as a plain `BertForSequenceClassification`; P-tuning v2 with its prefix baked into every layer's
 * keys and values (the attention mask extended over it, positions shifted by it, as in training), plus the
 * prefix and head as a PEFT prefix-tuning adapter of the base model.
 *
 * PEFT's layout (`save_pretrained` of a `PREFIX_TUNING` / `SEQ_CLS` model): `adapter_config.json`, and
 * `adapter_model.safetensors` with `prompt_embeddings` [num_virtual_tokens, num_layers·2·token_dim] (row p holds
 * every layer's key then value of virtual token p, PEFT's `past_key_values` order) and the head as
 * `base_model.classifier.weight` / `.bias`. A prefix trained through the projection MLP is saved as the table
 * the MLP computes (`prefix_projection: false`): at inference the two are the same.
 *
 * Both record in `config.json` the kind of input the predictor was trained on, `"promptlab": { "inputs": "text" }`
 * or `"pair"` (absent when its `method.json` predates the record), so the export refuses the other kind in
 * `cli predict` as the saved predictor does.
 */
import type { InputKind } from "../../data/types.ts";
import { Graph, type Value } from "../../engine/graph.ts";
import { CompiledGraph } from "../../engine/session.ts";
import type { ParamSource } from "../../model/bert.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { writeHfExport } from "../../model/hf_export.ts";
import { GraphParams } from "../../model/params.ts";
import { encodeSafetensors } from "../../model/safetensors.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { InputError } from "../../util/errors.ts";
import type { HostTensor, TensorMap } from "../../util/tensor.ts";
import { loadMethod } from "../saved.ts";
import type { FinetuneOptions } from "./finetune.ts";
import { savedInputs } from "./fit.ts";
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
  saved: { labels: readonly string[]; maxLength: number; inputs?: InputKind },
  prefix?: (param: ParamSource) => Value,
) {
  return writeHfExport(out, {
    model,
    weights,
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
  const { meta, tensors } = await loadMethod<FinetuneOptions>(saved, "finetune", model);
  const inputs = savedInputs(meta, saved);
  await writeClassifier(out, model, new Map([...model.weights, ...tensors]), { labels: meta.labels, maxLength: meta.options.maxLength, inputs });
  return inputs;
}

/**
 * Export a saved P-tuning v2 predictor to `out`: the classifier folder with the prefix baked in, and the PEFT
 * adapter (`adapter_config.json`, `adapter_model.safetensors`) beside it.
 * @returns as {@link exportFinetune}.
 */
export async function exportPtuningV2(saved: string, model: ModelFolder, out: string): Promise<InputKind | undefined> {
  const { meta, tensors } = await loadMethod<PtuningV2Options>(saved, "ptuning-v2", model);
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
  const table = await evaluatePrefixTable(tensors, o);
  const baked = { prefixLength: o.prefixLength, prefixProjection: false, prefixHiddenSize: o.prefixHiddenSize };
  const weights: TensorMap = new Map([...model.weights, ...tensors, [PREFIX_TABLE, table]]);
  await writeClassifier(out, model, weights, { labels: meta.labels, maxLength: o.maxLength, inputs }, (param) => prefixValue(model.config, param, baked, 1));
  await writePeftAdapter(out, model, table, tensors);
  return inputs;
}

/** The config.json key of what the kit records about a classifier export: `{ inputs: "text" | "pair" }`. */
export const EXPORT_CONFIG_KEY = "promptlab";

/** The prefix table [P, layers·2·H] the trained encoder computes (the projection MLP run once when there is one). */
async function evaluatePrefixTable(tensors: TensorMap, o: PtuningV2Options): Promise<HostTensor> {
  if (!o.prefixProjection) return tensors.get(PREFIX_TABLE)!;
  const g = new Graph();
  const table = prefixTable(new GraphParams(g, tensors, () => false, "constants").get, o);
  const compiled = await CompiledGraph.compile(g, { table });
  try {
    return { shape: [...table.shape], data: (await compiled.run({})).table as Float32Array };
  } finally {
    await compiled.release();
  }
}

/** PEFT's adapter files for a prefix `table` and the trained head, naming the base model by its folder name. */
async function writePeftAdapter(out: string, model: ModelFolder, table: HostTensor, tensors: TensorMap): Promise<void> {
  const { config } = model;
  const adapterConfig = {
    peft_type: "PREFIX_TUNING",
    task_type: "SEQ_CLS",
    base_model_name_or_path: model.dir.replace(/\/+$/, "").replace(/^.*\//, ""),
    inference_mode: true,
    num_virtual_tokens: table.shape[0],
    token_dim: config.hidden_size,
    num_transformer_submodules: 1,
    num_attention_heads: config.num_attention_heads,
    num_layers: config.num_hidden_layers,
    encoder_hidden_size: config.hidden_size,
    prefix_projection: false,
    modules_to_save: ["classifier"],
  };
  const adapter: TensorMap = new Map([
    [PEFT_PREFIX, table],
    [`base_model.${HEAD_WEIGHT}`, tensors.get(HEAD_WEIGHT)!],
    [`base_model.${HEAD_BIAS}`, tensors.get(HEAD_BIAS)!],
  ]);
  await writeFileAtomic(`${out}/adapter_config.json`, JSON.stringify(adapterConfig, null, 2) + "\n");
  await writeFileAtomic(`${out}/adapter_model.safetensors`, encodeSafetensors(adapter));
}

/** The key PEFT saves a prompt-learning adapter's virtual-token table under. */
export const PEFT_PREFIX = "prompt_embeddings";
