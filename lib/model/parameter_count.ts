/**
 * A model's size as model cards, results rows and the model-size figure report it.
 * @module
 */
import type { TensorMap } from "../util/tensor.ts";

/**
 * Every weight's element count except the pooler's: masked-LM checkpoints store no pooler and loaders
 * initialise one (as Hugging Face does), so counting it would make a model's size depend on how it was loaded.
 * A tied decoder is the word-embedding matrix, not a weight of its own, so it is counted once.
 */
export function baseParameterCount(weights: TensorMap): number {
  let n = 0;
  for (const [name, t] of weights) if (!name.startsWith("bert.pooler.")) n += t.data.length;
  return n;
}
