/** Per-step dropout seeds of the training graphs (fine-tuning, PET, P-tuning v2, masked-LM pre-training). */
import { hash32 } from "../util/rng.ts";

/** Dropout seed of one step: a function of (seed, step) only, so a resumed run draws the same masks. */
export function stepSeed(seed: number, step: number): Uint32Array {
  return Uint32Array.of(hash32((hash32(seed >>> 0) ^ step) >>> 0));
}
