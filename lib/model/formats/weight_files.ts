/**
 * The weight files a model folder may ship, and one reader for all of them: `model.safetensors`,
 * `pytorch_model.bin`, and their sharded forms (`*.index.json` with a `weight_map` from tensor name to shard file).
 *
 * @example
 * ```ts
 * const file = await findWeightsFile("bert-base-chinese"); // ".../pytorch_model.bin"
 * const tensors = await readWeightsFile(file!);
 * ```
 * @module
 */
import { InputError } from "../../util/errors.ts";
import { readJsonFile } from "../../util/json_file.ts";
import { exists } from "../../util/fs.ts";
import { readSafetensors } from "./safetensors.ts";
import type { StoredTensor } from "./stored.ts";
import { readTorchCheckpoint } from "./torch_bin.ts";

/** Weight files of a folder in the order transformers prefers them (safetensors first, whole before sharded). */
export const WEIGHT_FILES = [
  "model.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "pytorch_model.bin.index.json",
] as const;

/** The first of {@link WEIGHT_FILES} present in `dir`, as a path; undefined when there is none. */
export async function findWeightsFile(dir: string): Promise<string | undefined> {
  for (const name of WEIGHT_FILES) {
    if (await exists(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/**
 * Read the tensors of a weights file, by its name: `.safetensors`, `.bin` (PyTorch), or an `.index.json` of
 * shards in either format.
 * @throws InputError naming the file: an unknown kind of file, and whatever the format's reader refuses.
 */
export async function readWeightsFile(path: string): Promise<Map<string, StoredTensor>> {
  if (path.endsWith(".index.json")) return await readSharded(path);
  if (path.endsWith(".safetensors")) return (await readSafetensors(path)).tensors;
  if (path.endsWith(".bin")) return await readTorchCheckpoint(path);
  throw new InputError("not a weights file (expected .safetensors, .bin or .index.json)", { file: path });
}

/**
 * Read every shard an index names and check that each tensor of the `weight_map` is in its shard.
 * Shard names must be plain file names beside the index (no folders), as transformers writes them.
 */
async function readSharded(indexPath: string): Promise<Map<string, StoredTensor>> {
  const index = await readJsonFile(indexPath);
  const map = (index as { weight_map?: unknown })?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map) || !Object.keys(map).length) {
    throw new InputError("expected a non-empty weight_map of tensor name to shard file", { file: indexPath, field: "weight_map" });
  }
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== "string" || !/^[^/\\]+\.(safetensors|bin)$/.test(shard) || shard.endsWith(".index.json")) {
      throw new InputError(`shard ${JSON.stringify(shard)} is not a .safetensors or .bin file beside the index`, {
        file: indexPath,
        field: name,
      });
    }
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  const dir = indexPath.slice(0, indexPath.lastIndexOf("/") + 1);
  const out = new Map<string, StoredTensor>();
  for (const [shard, names] of byShard) {
    const tensors = await readWeightsFile(`${dir}${shard}`);
    for (const name of names) {
      if (!tensors.has(name)) {
        throw new InputError(`the index puts this tensor in ${shard}, which does not hold it`, { file: indexPath, field: name });
      }
    }
    for (const [name, t] of tensors) {
      if (out.has(name)) throw new InputError(`tensor stored in two shards (again in ${shard})`, { file: indexPath, field: name });
      out.set(name, t);
    }
  }
  return out;
}
