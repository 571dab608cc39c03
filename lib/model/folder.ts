/**
 * A Hugging Face model folder: `config.json`, whose `model_type` says which backbone it holds (`backbones.ts`;
 * BERT, also when absent, or T5); weights as `model.safetensors`, `pytorch_model.bin` or
 * either sharded with an `.index.json` (weight_files.ts); a tokenizer as `tokenizer.json` +
 * `tokenizer_config.json` or as `vocab.txt` (+ `tokenizer_config.json`, `special_tokens_map.json`); a T5's
 * SentencePiece `tokenizer.json` (+ an optional `tokenizer_config.json`).
 *
 * A loaded folder is a {@link ModelFolder} (an encoder with its WordPiece tokenizer: what the encoder methods,
 * pre-training and the exports take) or a {@link TextToTextFolder} (an encoder-decoder with capability
 * `text-to-text`); {@link loadAnyModelFolder} reads either, {@link loadModelFolder} the first only.
 *
 * @example
 * ```ts
 * const model = await loadModelFolder("../shared/models/zh-review-bert-tiny");
 * for (const note of model.notes) console.log(note); // e.g. "no pooler stored: ..."
 * await saveModelFolder("runs/ckpt", { config: model.config, weights: model.weights,
 *   tokenizerFiles: model.tokenizer.files });
 * ```
 * @module
 */
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { fileError } from "../util/required_file.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import type { TensorMap } from "../util/tensor.ts";
import { readJsonFile } from "../util/json_file.ts";
import type { Backbone } from "./backbone.ts";
import { type EncoderConfig, loadTextToTextTokenizer, readBackbone, type TextToTextConfig } from "./backbones.ts";
import type { TextToText, TextToTextTokenizer } from "./text_to_text.ts";
import { type BertTokenizer, loadTokenizer, TOKENIZER_FILES, VOCAB_FILE } from "./tokenizers/tokenizer.ts";
import { SPIECE_FILE } from "./t5/tokenizer.ts";
import { findWeightsFile, WEIGHT_FILES } from "./formats/weight_files.ts";
import { type LoadedWeights, saveWeights } from "./weights.ts";

/** What every loaded folder holds: weights under canonical names (see weights.ts) plus what loading had to do. */
interface LoadedFolder extends LoadedWeights {
  dir: string;
  /** The weights file read (one of weight_files.ts's WEIGHT_FILES inside `dir`). */
  weightsFile: string;
}

/** A loaded encoder folder (BERT) with its WordPiece tokenizer. */
export interface ModelFolder extends LoadedFolder {
  /** What methods build graphs with and ask for sizes and capabilities. */
  backbone: Backbone<EncoderConfig>;
  /** The backbone's own config (`backbone.config`), for the architecture's own code (pre-training, exports). */
  config: EncoderConfig;
  tokenizer: BertTokenizer;
}

/** A loaded encoder-decoder folder (T5): its backbone has capability `text-to-text`. */
export interface TextToTextFolder extends LoadedFolder {
  backbone: Backbone<TextToTextConfig> & { readonly textToText: TextToText };
  config: TextToTextConfig;
  tokenizer: TextToTextTokenizer;
}

/** A loaded folder of any backbone. */
export type AnyModelFolder = ModelFolder | TextToTextFolder;

/** Whether `model` holds a text-to-text backbone (else an encoder with a WordPiece tokenizer). */
export function isTextToText(model: AnyModelFolder): model is TextToTextFolder {
  return model.backbone.textToText !== undefined;
}

/** Options of {@link loadModelFolder}. */
export interface LoadModelOptions {
  /** Seed for initialising a missing pooler or MLM head; default 0. */
  seed?: number;
}

/**
 * Load config, weights and tokenizer of an encoder's model folder (BERT), checking each against the others.
 * @throws InputError naming the file: those of {@link loadAnyModelFolder}, and a text-to-text model's config.json
 *   (`model_type`), which the caller cannot use.
 */
export async function loadModelFolder(dir: string, opts: LoadModelOptions = {}): Promise<ModelFolder> {
  const model = await loadAnyModelFolder(dir, opts);
  if (!isTextToText(model)) return model;
  throw new InputError(`a ${model.backbone.type} model (text-to-text) where an encoder such as BERT is needed`, {
    file: `${model.dir}/config.json`,
    field: "model_type",
  });
}

/**
 * Load config, weights and tokenizer of a model folder of any backbone, checking each against the others.
 * @throws InputError naming the file: a missing file (all missing ones listed), a truncated or corrupt file,
 *   weights that do not match the config, a tokenizer without `[MASK]` (an encoder's) or `</s>` (a T5's), a
 *   vocabulary size the config disagrees with.
 */
export async function loadAnyModelFolder(dir: string, opts: LoadModelOptions = {}): Promise<AnyModelFolder> {
  dir = dir.replace(/\/+$/, "");
  const configFile = `${dir}/config.json`;
  // Presence before content: a folder missing files is told all of them, whatever its config says.
  const weightsFile = await checkPresent(dir);
  const backbone = readBackbone(await readJsonFile(configFile), configFile);
  const tokenizer = backbone.textToText ? await loadTextToTextTokenizer(dir) : await loadTokenizer(dir);
  if (tokenizer.vocabSize > backbone.sizes.vocabSize) {
    throw new InputError(
      `tokenizer has ${tokenizer.vocabSize} ids but config.json has vocab_size ${backbone.sizes.vocabSize}`,
      { file: `${dir}/tokenizer.json` },
    );
  }
  const loaded = await backbone.loadWeights(weightsFile, opts);
  // The backbone's kind decides the tokenizer just read, so the pair is one of the two folder types.
  return { dir, weightsFile, backbone, config: backbone.config, tokenizer, ...loaded } as AnyModelFolder;
}

/** What {@link saveModelFolder} writes. */
export interface ModelFolderContents {
  /** The backbone whose config is written (`configJson`). */
  backbone: Pick<Backbone, "configJson">;
  /** Canonical weights (a tied decoder is not stored, as in HF). */
  weights: TensorMap;
  /** Tokenizer files by name, e.g. `BertTokenizer.files` or `bertTokenizerFiles(vocab)`. */
  tokenizerFiles: Record<string, string>;
}

/**
 * Write a model folder in HF layout, each file atomically (config.json, model.safetensors, tokenizer files).
 * @example
 * ```ts
 * await saveModelFolder("runs/best", { config, weights, tokenizerFiles: tokenizer.files });
 * ```
 */
export async function saveModelFolder(dir: string, contents: ModelFolderContents): Promise<void> {
  dir = dir.replace(/\/+$/, "");
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(contents.tokenizerFiles)) await writeFileAtomic(`${dir}/${name}`, text);
  await writeFileAtomic(`${dir}/config.json`, JSON.stringify(contents.backbone.configJson(), null, 2) + "\n");
  await saveWeights(dir, contents.weights);
}

/**
 * Check that config, weights and (with `tokenizerFiles`) the WordPiece tokenizer's files are there, naming every
 * missing one; returns the weights file.
 */
async function checkPresent(dir: string): Promise<string> {
  const info = await Deno.stat(dir).catch((err) => {
    throw err instanceof Deno.errors.NotFound ? new InputError("model folder not found", { file: dir }) : fileError(err, dir);
  });
  if (!info.isDirectory) throw new InputError("not a folder", { file: dir });
  const weightsFile = await findWeightsFile(dir);
  // vocab.txt alone is a BERT tokenizer; spiece.model alone is a T5's, whose loader says how to convert it.
  const otherTokenizer = !(await exists(`${dir}/tokenizer.json`)) &&
    ((await exists(`${dir}/${VOCAB_FILE}`)) || (await exists(`${dir}/${SPIECE_FILE}`)));
  const needed = ["config.json", ...(weightsFile ? [] : [WEIGHT_FILES[0]]), ...(otherTokenizer ? [] : TOKENIZER_FILES)];
  const missing: string[] = [];
  for (const name of needed) if (!(await exists(`${dir}/${name}`))) missing.push(name);
  if (!missing.length) return weightsFile!;
  const alternatives = [
    ...(weightsFile ? [] : [`weights may also be ${WEIGHT_FILES.slice(1).join(", ")}`]),
    ...(missing.includes("tokenizer.json") ? [`a tokenizer may also be ${VOCAB_FILE}`] : []),
  ];
  throw new InputError(
    `missing file${missing.length > 1 ? "s" : ""} ${missing.join(", ")}` +
      (alternatives.length ? ` (${alternatives.join("; ")})` : ""),
    { file: `${dir}/${missing[0]}` },
  );
}
