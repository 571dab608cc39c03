/**
 * A T5 as a folder transformers.js runs offline with `pipeline('text2text-generation')`, laid out as Hugging
 * Face's ONNX exports are: `onnx/encoder_model.onnx` and `onnx/decoder_model_merged.onnx` (the file names
 * transformers.js 4.3.1 loads for a seq2seq model; the decoder takes and returns the key/value cache, see
 * `deploy_graph.ts`), `config.json`, `generation_config.json`, the tokenizer files, and `model.safetensors`
 * under transformers' T5 names for Python. The folder is claimed and marked as every export of the kit
 * (`export_folder.ts`): a folder of someone else's files is refused, an earlier export replaced whole.
 *
 * @example
 * ```ts
 * await writeT5Export("exports/t5", await loadT5Folder("models/t5"), "--out");
 * // transformers.js: env.localModelPath = "exports/"; await pipeline("text2text-generation", "t5")
 * ```
 * @module
 */
import { Graph } from "../../engine/graph.ts";
import { exportOnnx } from "../../engine/onnx_export.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { exists } from "../../util/fs.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { checkFinite } from "../check_weights.ts";
import { readJsonFile } from "../../util/json_file.ts";
import { claimExportFolder, markExportFolder } from "../export_folder.ts";
import { GraphParams } from "../params.ts";
import { encodeSafetensors } from "../formats/safetensors.ts";
import { type T5Config, t5ConfigToJson } from "./config.ts";
import { buildDeployEncoder, deployDecoder, DIM } from "./deploy_graph.ts";
import type { T5Folder } from "./folder.ts";

/** The ONNX files of a T5 export, relative to its folder. */
export const T5_ONNX_FILES = { encoder: "onnx/encoder_model.onnx", decoder: "onnx/decoder_model_merged.onnx" } as const;

/**
 * The encoder as ONNX bytes (see {@link buildDeployEncoder}), every weight an initializer; with `softPrompt` (the
 * name of prompt-tuning vectors among `weights`) they are baked in before every input.
 */
export function t5EncoderOnnx(config: T5Config, weights: TensorMap, softPrompt?: string): Uint8Array {
  const g = new Graph();
  const param = new GraphParams(g, weights, () => false, "constants").get;
  const { lastHiddenState } = buildDeployEncoder(g, config, param, softPrompt);
  const tokens = [DIM.batch, DIM.source];
  return exportOnnx(g, { last_hidden_state: lastHiddenState }, {
    input_ids: tokens,
    attention_mask: tokens,
    last_hidden_state: [...tokens, null],
  });
}

/**
 * The decoder with its key/value cache as ONNX bytes (see {@link buildDeployDecoder}), every weight an
 * initializer; `promptLength` the soft prompt's length in the encoder's states (0: none).
 */
export function t5DecoderOnnx(config: T5Config, weights: TensorMap, promptLength = 0): Uint8Array {
  const g = new Graph();
  const { outputs, dims } = deployDecoder(g, config, new GraphParams(g, weights, () => false, "constants").get, promptLength);
  return exportOnnx(g, outputs, dims);
}

/** config.json of an export: the model's sizes under transformers' `T5Config` keys, and what transformers.js reads. */
export function t5ExportConfig(config: T5Config): Record<string, unknown> {
  return {
    architectures: [config.model_type === "mt5" ? "MT5ForConditionalGeneration" : "T5ForConditionalGeneration"],
    ...t5ConfigToJson(config),
    is_encoder_decoder: true,
    use_cache: true,
    // The graphs are float32: transformers.js must load them, not look for quantized variants.
    "transformers.js_config": { dtype: "fp32" },
  };
}

/** generation_config.json: decoding starts with `decoder_start_token_id` and stops at `</s>`; greedy by default. */
export function t5GenerationConfig(config: T5Config): Record<string, unknown> {
  const { decoder_start_token_id, eos_token_id, pad_token_id } = config;
  return { decoder_start_token_id, eos_token_id, pad_token_id, do_sample: false };
}

/**
 * Tokenizer files of an export: the model's `tokenizer.json` as it is, `tokenizer_config.json` (the model's, with
 * the tokenizer class, `</s>`, `<pad>`, `<unk>` and `model_max_length` named, 512 unless the model's says) and
 * `special_tokens_map.json`.
 */
async function t5TokenizerFiles(folder: Pick<T5Folder, "dir" | "tokenizer">): Promise<Record<string, string>> {
  const configFile = `${folder.dir}/tokenizer_config.json`;
  const base = (await exists(configFile)) ? await readJsonFile(configFile) as Record<string, unknown> : {};
  const tok = folder.tokenizer;
  const special = {
    eos_token: tok.decode([tok.eos], { skipSpecial: false }),
    pad_token: tok.decode([tok.pad], { skipSpecial: false }),
    unk_token: tok.decode([tok.unk], { skipSpecial: false }),
  };
  const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  return {
    "tokenizer.json": await Deno.readTextFile(`${folder.dir}/tokenizer.json`),
    "tokenizer_config.json": json({ tokenizer_class: "T5Tokenizer", model_max_length: 512, ...base, ...special }),
    "special_tokens_map.json": json(special),
  };
}

/** What an export is written from: a T5's folder (its tokenizer files) with the weights to export. */
export type T5ExportSource = Pick<T5Folder, "dir" | "config" | "weights" | "tokenizer">;

/**
 * Write the files of a text2text-generation export of `folder` into the claimed folder `out` (see
 * {@link writeT5Export}), each atomically. With `softPrompt`, the name of prompt-tuning vectors among the
 * weights, the encoder prepends them to every input and the decoder attends to them (`deploy_graph.ts`);
 * `model.safetensors` holds the T5's weights only, the vectors living in the encoder graph.
 */
export async function writeT5ExportFiles(out: string, folder: T5ExportSource, softPrompt?: string): Promise<void> {
  await Deno.mkdir(`${out}/onnx`, { recursive: true });
  const { config, weights } = folder;
  const promptLength = softPrompt ? weights.get(softPrompt)!.shape[0] : 0;
  await writeFileAtomic(`${out}/${T5_ONNX_FILES.encoder}`, t5EncoderOnnx(config, weights, softPrompt));
  await writeFileAtomic(`${out}/${T5_ONNX_FILES.decoder}`, t5DecoderOnnx(config, weights, promptLength));
  const t5Weights = new Map([...weights].filter(([name]) => name !== softPrompt));
  await writeFileAtomic(`${out}/model.safetensors`, encodeSafetensors(t5Weights));
  for (const [name, text] of Object.entries(await t5TokenizerFiles(folder))) await writeFileAtomic(`${out}/${name}`, text);
  await writeFileAtomic(`${out}/generation_config.json`, JSON.stringify(t5GenerationConfig(config), null, 2) + "\n");
  await writeFileAtomic(`${out}/config.json`, JSON.stringify(t5ExportConfig(config), null, 2) + "\n");
}

/**
 * Write `folder` (a loaded T5) into `out` as a text2text-generation export, each file atomically, the marker last.
 * @param flag the flag that named `out`, for errors.
 * @throws InputError naming `flag` when `out` is a file or holds files the kit did not export; naming the weights
 *   file when a weight is NaN or infinite (nothing is written then).
 */
export async function writeT5Export(out: string, folder: T5Folder, flag: string): Promise<void> {
  checkFinite(folder.weights, folder.weightsFile);
  out = out.replace(/\/+$/, "");
  const kept = await claimExportFolder(out, flag);
  await writeT5ExportFiles(out, folder);
  await markExportFolder(out, kept, folder.tokenizer.vocabSize);
}
