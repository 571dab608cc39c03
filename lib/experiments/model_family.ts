/**
 * The model family: the Hugging Face model folders under `models/` (the kit's pre-trained sizes), ordered by
 * size, for the model-size grid; and the sizes of models that results rows name without recording one (rows
 * written before sizes were recorded).
 *
 * @example
 * ```ts
 * for (const m of await modelFamily()) console.log(m.name, m.parameters); // smallest first
 * ```
 * @module
 */
import { readBackbone } from "../model/backbones.ts";
import { readJsonFile } from "../util/json_file.ts";
import { exists } from "../util/fs.ts";
import { loadModelFolder } from "../model/folder.ts";
import { baseParameterCount } from "../model/parameter_count.ts";
import { findWeightsFile } from "../model/formats/weight_files.ts";
import type { Budget } from "../util/config.ts";
import { modelBaseName, type ResultRow } from "./results.ts";
import { MODELS_DIR, REFERENCE_MODEL } from "./setup.ts";

/** A model folder and its size. */
export interface FamilyModel {
  /** The folder's name, which names the model in results and charts. */
  name: string;
  dir: string;
  /** Parameters, pooler excluded (`baseParameterCount`), as results rows record them. */
  parameters: number;
}

/** Whether `dir` is a model folder: a `config.json` and a weights file (a folder still pre-training is not). */
async function isModelFolder(dir: string): Promise<boolean> {
  return await exists(`${dir}/config.json`) && (await findWeightsFile(dir)) !== undefined;
}

/** The size of the model in `dir`, loaded as a grid loads it. */
async function familyModel(dir: string): Promise<FamilyModel> {
  const model = await loadModelFolder(dir);
  return { name: modelBaseName(dir), dir, parameters: baseParameterCount(model.weights) };
}

/**
 * Every encoder model folder directly under `root` (default `models/`), smallest first (ties by name): the BERT
 * family the methods compare over. Sub-folders without `config.json` or weights are not models and a
 * text-to-text model (a T5) is not of the family: both are left out.
 * @throws InputError naming the file when a model folder does not load.
 */
export async function modelFamily(root: string = MODELS_DIR): Promise<FamilyModel[]> {
  const family: FamilyModel[] = [];
  for (const dir of await modelDirs(root, false)) family.push(await familyModel(dir)); // one at a time: each load holds its weights
  return family.sort(bySize);
}

/**
 * The text-to-text model folders (T5s) directly under `root` (default `models/`), by name: the model-size
 * figure's span-corruption points beside the masked-LM family.
 */
export async function textToTextModels(root: string = MODELS_DIR): Promise<string[]> {
  return (await modelDirs(root, true)).sort();
}

/** Model folders directly under `root` whose backbone is text-to-text (`textToText`) or an encoder (not). */
async function modelDirs(root: string, textToText: boolean): Promise<string[]> {
  const dirs: string[] = [];
  for await (const e of Deno.readDir(root)) {
    const dir = `${root}/${e.name}`;
    if (e.isDirectory && await isModelFolder(dir) && await isTextToTextFolder(dir) === textToText) dirs.push(dir);
  }
  return dirs;
}

/** Whether a model folder holds a text-to-text model such as a T5 rather than an encoder (the family's BERTs). */
async function isTextToTextFolder(dir: string): Promise<boolean> {
  const file = `${dir}/config.json`;
  return readBackbone(await readJsonFile(file), file).textToText !== undefined;
}

/** Smallest first, ties by name. */
const bySize = (a: FamilyModel, b: FamilyModel) => a.parameters - b.parameters || a.name.localeCompare(b.name);

/**
 * The models the model-size notebook runs at budget `b`: the family; at `ci`, while the family is a single
 * model (its sizes not pre-trained yet), also the reference model when it exists, so the chart has two sizes.
 */
export async function modelSizeModels(b: Budget, root: string = MODELS_DIR): Promise<FamilyModel[]> {
  const family = await modelFamily(root);
  if (b !== "ci" || family.length > 1 || !(await isModelFolder(REFERENCE_MODEL))) return family;
  return [...family, await familyModel(REFERENCE_MODEL)].sort(bySize);
}

/**
 * The sizes of the models `rows` name without recording one, for those found by name under `root` (default
 * `models/`); models found nowhere are absent from the map (charts leave their rows out, saying so).
 */
export async function lookUpModelSizes(rows: readonly Pick<ResultRow, "model">[], root: string = MODELS_DIR): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const unsized = new Set(rows.filter((r) => r.model.parameters === undefined).map((r) => r.model.name));
  for (const name of unsized) {
    const dir = `${root}/${name}`;
    if (await isModelFolder(dir)) sizes.set(name, (await familyModel(dir)).parameters);
  }
  return sizes;
}
