/**
 * A T5 model folder as Hugging Face lays it out: `config.json` (`model_type` t5 or mt5), weights in
 * `model.safetensors`, `pytorch_model.bin` or their sharded forms, and `tokenizer.json`.
 *
 * @example
 * ```ts
 * const { config, weights, tokenizer } = await loadT5Folder("tests/fixtures/tiny-t5-v1_1");
 * ```
 * @module
 */
import { InputError } from "../../util/errors.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { findWeightsFile, readWeightsFile, WEIGHT_FILES } from "../formats/weight_files.ts";
import { exists } from "../../util/fs.ts";
import { readJsonFile } from "../../util/json_file.ts";
import { declaresT5, readT5Config, type T5Config } from "./config.ts";
import { loadT5Tokenizer, type T5Tokenizer } from "./tokenizer.ts";
import { normalizeT5Weights } from "./weights.ts";

/** A loaded T5 folder. */
export interface T5Folder {
  dir: string;
  config: T5Config;
  weights: TensorMap;
  tokenizer: T5Tokenizer;
  /** The weights file read. */
  weightsFile: string;
  /** Stored tensors dropped on purpose (aliases of `shared.weight`, a tied model's `lm_head.weight`). */
  ignored: string[];
}

/**
 * Load config, weights and tokenizer of a T5 folder, each checked against the others.
 * @throws InputError naming the file: a config of another model type (a BERT folder), sizes that disagree with
 *   the tensors, a missing tensor, no weights file, a tokenizer that cannot be read or whose vocabulary is larger
 *   than the model's.
 */
export async function loadT5Folder(dir: string): Promise<T5Folder> {
  const root = dir.replace(/\/+$/, "");
  const configFile = `${root}/config.json`;
  const config = await readT5Config(configFile);
  const weightsFile = await findWeightsFile(root);
  if (!weightsFile) throw new InputError(`no weights file (expected one of ${WEIGHT_FILES.join(", ")})`, { file: root });
  const { weights, ignored } = normalizeT5Weights(await readWeightsFile(weightsFile), config, { file: weightsFile, configFile });
  const tokenizer = await loadT5Tokenizer(root);
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new InputError(`the tokenizer has ${tokenizer.vocabSize} ids but vocab_size is ${config.vocab_size}`, {
      file: configFile,
      field: "vocab_size",
    });
  }
  return { dir: root, config, weights, tokenizer, weightsFile, ignored };
}

/** True when `dir` holds a config.json that declares a T5 (a folder to read with {@link loadT5Folder}, not as a BERT). */
export async function isT5Folder(dir: string): Promise<boolean> {
  const file = `${dir.replace(/\/+$/, "")}/config.json`;
  return (await exists(file)) && declaresT5(await readJsonFile(file));
}
