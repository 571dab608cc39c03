/**
 * The on-disk form of a trained predictor: `method.json` (method, options, labels, extras, the base model's
 * fingerprint) and tensors.
 */
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import type { TensorMap } from "../util/tensor.ts";
import { readSafetensors } from "../model/formats/safetensors.ts";
import { saveWeights } from "../model/weights.ts";
import type { AnyModelFolder } from "../model/folder.ts";
import { checkFinite } from "../model/check_weights.ts";
import { type BaseModelFingerprint, baseModelFingerprint, checkBaseModel } from "../model/fingerprint.ts";

/** Contents of `method.json`. */
export interface SavedMethod<O = unknown> {
  method: string;
  options: O;
  labels: string[];
  /** Method-specific readable artifacts (e.g. AutoPrompt's trigger tokens). */
  extra?: Record<string, unknown>;
  /** The model it was trained on; absent in predictors saved before fingerprints were recorded (not checked). */
  base?: BaseModelFingerprint;
}

/**
 * Write `method.json` (with `model`'s fingerprint as `base`) and, when given, `weights.safetensors` into `dir`
 * (without tensors, a `weights.safetensors` left there by an earlier save is removed).
 */
export async function saveMethod(dir: string, meta: SavedMethod, model: AnyModelFolder, tensors?: TensorMap): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  if (tensors) await saveWeights(`${dir}/weights.safetensors`, tensors);
  // A predictor saved over another must not load that one's weights as its own.
  else {await Deno.remove(`${dir}/weights.safetensors`).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });}
  const saved = { ...meta, base: await baseModelFingerprint(model) };
  await writeFileAtomic(`${dir}/method.json`, JSON.stringify(saved, null, 2) + "\n");
}

/**
 * Read what {@link saveMethod} wrote for loading onto `model`; checks the method name and that `model` is the
 * base model it was saved with.
 * @throws InputError naming method.json: another method, another base model (the parts that differ named), labels
 *   that are not a list of at least two distinct strings; naming weights.safetensors: a NaN or infinite value.
 */
export async function loadMethod<O>(
  dir: string,
  method: string,
  model: AnyModelFolder,
): Promise<{ meta: SavedMethod<O>; tensors: TensorMap }> {
  const file = `${dir}/method.json`;
  const meta = await readSavedMethod<O>(dir);
  if (meta.method !== method) throw new InputError(`holds method "${meta.method}", not "${method}"`, { file, field: "method" });
  const labels: unknown = meta.labels;
  if (!Array.isArray(labels) || labels.length < 2 || labels.some((l) => typeof l !== "string") || new Set(labels).size !== labels.length) {
    throw new InputError(`must list at least two distinct label names, got ${JSON.stringify(labels)}`, { file, field: "labels" });
  }
  if (meta.base) checkBaseModel(meta.base, await baseModelFingerprint(model), file);
  const tensors: TensorMap = new Map();
  try {
    await Deno.stat(`${dir}/weights.safetensors`);
  } catch {
    return { meta, tensors };
  }
  for (const [name, t] of (await readSafetensors(`${dir}/weights.safetensors`)).tensors) {
    if (t.data instanceof Float32Array) tensors.set(name, { shape: t.shape, data: t.data });
  }
  checkFinite(tensors, `${dir}/weights.safetensors`);
  return { meta, tensors };
}

/** The weights file of the predictor saved in `dir` (absent for one without trained tensors). */
export function savedWeightsFile(dir: string): string {
  return `${dir}/weights.safetensors`;
}

/** The `method.json` of a saved predictor, unchecked. @throws InputError naming the file when it is missing or not JSON. */
export async function readSavedMethod<O = unknown>(dir: string): Promise<SavedMethod<O>> {
  const file = `${dir}/method.json`;
  try {
    return JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new InputError(`cannot read a saved method: ${(e as Error).message}`, { file });
  }
}
