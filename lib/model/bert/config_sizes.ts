/**
 * A BERT config's sizes checked against the tensors that fix them, before anything is allocated from the config
 * (an absurd `num_hidden_layers` or `hidden_size` would otherwise exhaust memory, or the model run silently on
 * its first layers only).
 * @module
 */
import { InputError } from "../../util/errors.ts";
import type { TensorMap } from "../../util/tensor.ts";
import type { BertConfig } from "./config.ts";

const LAYER = /^bert\.encoder\.layer\.(\d+)\./;

/** Config sizes by the dimensions of the stored tensor that fixes them (rows, columns). */
const ANCHORS: [string, (keyof BertConfig)[]][] = [
  ["bert.embeddings.word_embeddings.weight", ["vocab_size", "hidden_size"]],
  ["bert.embeddings.position_embeddings.weight", ["max_position_embeddings", "hidden_size"]],
  ["bert.embeddings.token_type_embeddings.weight", ["type_vocab_size", "hidden_size"]],
  ["bert.encoder.layer.0.intermediate.dense.weight", ["intermediate_size", "hidden_size"]],
];

/**
 * Refuse a config whose layer count or sizes differ from what the canonical `weights` hold.
 * @throws InputError naming `file` and the config field (`num_hidden_layers`, `hidden_size`, ...), or the
 *   tensor when one that fixes a size is missing.
 */
export function checkConfigSizes(weights: TensorMap, config: BertConfig, file: string): void {
  let layers = 0;
  for (const name of weights.keys()) {
    const m = LAYER.exec(name);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  if (layers !== config.num_hidden_layers) {
    throw new InputError(
      `the weights hold ${layers} encoder layers but config.json has num_hidden_layers ${config.num_hidden_layers}; fix the config`,
      { file, field: "num_hidden_layers" },
    );
  }
  for (const [name, fields] of ANCHORS) {
    const t = weights.get(name);
    if (!t) throw new InputError("tensor missing from the weights", { file, field: name });
    fields.forEach((field, i) => {
      if (t.shape.length !== fields.length || t.shape[i] !== config[field]) {
        throw new InputError(`config.json has ${field} ${config[field]} but the weights' ${name} is [${t.shape}]; fix the config`, {
          file,
          field,
        });
      }
    });
  }
}
