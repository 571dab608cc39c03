/**
 * Refuse weights with a non-finite value: a NaN or infinity makes every prediction the same class without a word
 * (model folders, checkpoints and saved predictors alike).
 * @module
 */
import { InputError } from "../util/errors.ts";
import type { TensorMap } from "../util/tensor.ts";

/**
 * Refuse weights with a non-finite value (model folders, checkpoints and saved predictors alike).
 * @throws InputError naming `file` and the tensor.
 */
export function checkFinite(weights: TensorMap, file: string): void {
  for (const [name, t] of weights) {
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Infinity.
      if (data[i] - data[i] !== 0) {
        throw new InputError(`non-finite weight ${data[i]} at flat index ${i}: the checkpoint is corrupt or training diverged`, {
          file,
          field: name,
        });
      }
    }
  }
}
