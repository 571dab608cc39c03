/**
 * Content hashes of a model folder: one short id naming the model in results, and a three-part fingerprint
 * (config, tokenizer, weights) that saved predictors record so they refuse a base model they were not
 * trained on.
 *
 * @example
 * ```ts
 * const base = await baseModelFingerprint(model); // at save
 * checkBaseModel(base, await baseModelFingerprint(other), "pred/method.json"); // at load: throws on mismatch
 * ```
 * @module
 */
import { InputError } from "../util/errors.ts";
import type { AnyModelFolder } from "./folder.ts";
import { findWeightsFile } from "./formats/weight_files.ts";
import { shortHash } from "../util/short_hash.ts";

/**
 * Hash of a model folder's `config.json` and weights file (for a sharded index, the index and its shards),
 * naming a model in results. For a `model.safetensors` folder it is the hash of the two files' hashes.
 * @throws InputError naming the folder when it holds no weights file.
 */
export async function modelFingerprint(dir: string): Promise<string> {
  const weightsFile = await findWeightsFile(dir);
  if (!weightsFile) throw new InputError("no weights file to fingerprint", { file: dir });
  return shortHash((await fileHash(`${dir}/config.json`)) + (await weightsHash(weightsFile)));
}

/** What a saved predictor records about the model it was trained on. */
export interface BaseModelFingerprint {
  /** The folder's name, for messages. */
  name: string;
  vocab_size: number;
  /** Short hashes of config.json, of the tokenizer's files, of the weights file(s). */
  config: string;
  tokenizer: string;
  weights: string;
}

/** The fingerprint of a loaded model folder (files hashed once per path and modification time). */
export async function baseModelFingerprint(
  model: Pick<AnyModelFolder, "dir" | "weightsFile" | "config" | "tokenizer">,
): Promise<BaseModelFingerprint> {
  const files = Object.entries(model.tokenizer.files).sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    name: model.dir.slice(model.dir.lastIndexOf("/") + 1),
    vocab_size: model.config.vocab_size,
    config: await fileHash(`${model.dir}/config.json`),
    tokenizer: await shortHash(JSON.stringify(files)),
    weights: await weightsHash(model.weightsFile),
  };
}

/**
 * Refuse a base model other than the one a predictor was saved with.
 * @throws InputError naming `file` (field "base") and the parts that differ, with both models' names and
 *   vocabulary sizes.
 */
export function checkBaseModel(saved: BaseModelFingerprint, actual: BaseModelFingerprint, file: string): void {
  const differ = (["config", "tokenizer", "weights"] as const).filter((k) => saved[k] !== actual[k]);
  if (!differ.length) return;
  const describe = (f: BaseModelFingerprint) => `"${f.name}" (vocabulary ${f.vocab_size})`;
  throw new InputError(
    `saved on base model ${describe(saved)} but loaded onto ${describe(actual)}: their ${differ.join(", ")} differ; ` +
      "load it onto the model it was trained on",
    { file, field: "base" },
  );
}

/** Sharded weights hash as the index plus each shard, in the index's order of first mention. */
async function weightsHash(path: string): Promise<string> {
  if (!path.endsWith(".index.json")) return await fileHash(path);
  const index = JSON.parse(await Deno.readTextFile(path)) as { weight_map: Record<string, string> };
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  const shards = [...new Set(Object.values(index.weight_map))];
  const hashes = [await fileHash(path), ...await Promise.all(shards.map((s) => fileHash(`${dir}${s}`)))];
  return shortHash(hashes.join(""));
}

// Weights of a base model are hashed at every save and load of a predictor: once per file version is enough.
const hashed = new Map<string, Promise<string>>();

async function fileHash(path: string): Promise<string> {
  const { mtime, size } = await Deno.stat(path);
  const key = `${path}\u0000${mtime?.getTime()}\u0000${size}`;
  let hash = hashed.get(key);
  if (!hash) {
    hash = Deno.readFile(path).then(shortHash);
    hashed.set(key, hash);
    hash.catch(() => hashed.delete(key));
  }
  return await hash;
}
