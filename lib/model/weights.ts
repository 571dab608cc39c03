/**
 * Weights as every backbone hands them over: the loaded map and the notes of what loading did, which notes
 * concern a method reading one head or the other, and saving in HF layout.
 * @module
 */
import type { TensorMap } from "../util/tensor.ts";
import { writeSafetensors } from "./formats/safetensors.ts";

/** Canonical weights plus what loading had to do, so callers can say so. */
export interface LoadedWeights {
  weights: TensorMap;
  /** No pooler was stored (a masked-LM checkpoint): it was initialised randomly, as HF does. */
  poolerInitialized: boolean;
  /** No MLM head was stored (a bare BertModel checkpoint): it was initialised randomly. */
  mlmHeadInitialized: boolean;
  /** The decoder is the word-embedding matrix (no distinct `cls.predictions.decoder.weight`). */
  decoderTied: boolean;
  /** Stored tensors dropped on purpose (`position_ids`, `cls.seq_relationship.*`, duplicate tied decoder). */
  ignored: string[];
  /** One human-readable sentence per thing worth telling a user. */
  notes: string[];
}

/** A head only some methods read: the classifiers (fine-tuning, P-tuning v2) the pooler, prompts the MLM head. */
export type ModelHead = "pooler" | "mlm-head";

/** The notes saying a head was not stored and was initialised randomly. */
export const HEAD_NOTES: Record<ModelHead, string> = {
  pooler: "no pooler stored: bert.pooler.dense initialised N(0, initializer_range), bias 0",
  "mlm-head": "no MLM head stored (a bare BertModel): cls.predictions initialised randomly",
};

/**
 * The notes of `loaded` that concern a method reading `head`: all but the other head's random initialisation,
 * which such a method never uses (a PET run is not told that the pooler was missing).
 */
export function notesFor(loaded: Pick<LoadedWeights, "notes">, head: ModelHead): string[] {
  const other = HEAD_NOTES[head === "pooler" ? "mlm-head" : "pooler"];
  return loaded.notes.filter((n) => n !== other);
}

/**
 * Write weights in HF layout (float32 safetensors, names as given). `target` is a `.safetensors` file or a
 * folder (then `model.safetensors` inside it). Returns the file written.
 * @example
 * ```ts
 * await saveWeights("runs/ckpt-100", weights); // runs/ckpt-100/model.safetensors
 * ```
 */
export async function saveWeights(target: string, weights: TensorMap): Promise<string> {
  const path = target.endsWith(".safetensors") ? target : `${target.replace(/\/$/, "")}/model.safetensors`;
  await writeSafetensors(path, weights);
  return path;
}
