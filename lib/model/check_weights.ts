/**
 * Checks of loaded weights that shapes alone cannot make: every value finite (a NaN or infinity makes every
 * prediction the same class without a word), and no encoder layer beyond the config's count (the model would
 * silently run on the first layers only).
 */
import { InputError } from "../util/errors.ts";
import type { TensorMap } from "../util/tensor.ts";
import type { BertConfig } from "./config.ts";

const LAYER = /^bert\.encoder\.layer\.(\d+)\./;

/**
 * Refuse weights with a non-finite value or more encoder layers than `config` has.
 * @throws InputError naming `file` and the tensor (or `num_hidden_layers`).
 */
export function checkWeights(weights: TensorMap, config: BertConfig, file: string): void {
  let layers = 0;
  for (const [name, t] of weights) {
    const data = t.data;
    for (let i = 0; i < data.length; i++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Infinity.
      if (data[i] - data[i] !== 0) {
        throw new InputError(`non-finite weight ${data[i]} at flat index ${i}: the checkpoint is corrupt or training diverged`, { file, field: name });
      }
    }
    const m = LAYER.exec(name);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  if (layers > config.num_hidden_layers) {
    throw new InputError(
      `the weights hold ${layers} encoder layers but config.json has num_hidden_layers ${config.num_hidden_layers}; fix the config`,
      { file, field: "num_hidden_layers" },
    );
  }
}
