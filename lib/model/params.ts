/**
 * Which weights of a model are graph inputs (trainable, fed each step, gradients taken) and how the frozen ones
 * enter a graph: as constants (initializers onnxruntime pre-packs: faster GEMMs, but every compiled graph, one
 * per length bucket, holds its own copy and a packed one) while the model is small, as inputs fed from the one
 * host copy once it is large (docs/engine.md has the measurements).
 */
import type { Graph, Value } from "../engine/graph.ts";
import type { WeightInputs } from "../engine/gradient_step.ts";
import type { TensorMap } from "../util/tensor.ts";
import { constantWeightsMb } from "../util/config.ts";
import { DECODER } from "./bert/graph.ts";

/** How frozen weights enter a graph: `auto` by the model's size ({@link frozenAsConstants}); exports want `constants`. */
export type FrozenWeights = "auto" | "constants";

const totalBytes = new WeakMap<TensorMap, number>();

/** Whether `weights`' frozen tensors become graph constants: their model is at most `PROMPTLAB_CONSTANT_WEIGHTS_MB`. */
export function frozenAsConstants(weights: TensorMap): boolean {
  let bytes = totalBytes.get(weights);
  if (bytes === undefined) {
    bytes = 0;
    for (const w of weights.values()) bytes += w.data.byteLength;
    totalBytes.set(weights, bytes);
  }
  return bytes <= constantWeightsMb() * 2 ** 20;
}

/** Resolves weight names to graph values for one graph, recording the trainable ones. */
export class GraphParams implements WeightInputs {
  /** Trainable weights by canonical name, as graph inputs named after them. */
  readonly trainable = new Map<string, Value>();
  /** Frozen weights fed as graph inputs named after them (no gradients): a large model's. */
  readonly frozenInputs = new Map<string, Value>();
  readonly #constants = new Map<string, Value>();
  readonly #frozenConstant: boolean;

  /**
   * @param isTrainable decides per canonical name; the tied decoder follows the word embeddings.
   * @param frozen `constants` bakes every frozen weight in whatever the size (a self-contained export).
   */
  constructor(
    private readonly graph: Graph,
    private readonly weights: TensorMap,
    private readonly isTrainable: (name: string) => boolean,
    frozen: FrozenWeights = "auto",
  ) {
    this.#frozenConstant = frozen === "constants" || frozenAsConstants(weights);
  }

  /** The value of weight `name` (a {@link ParamSource}). */
  readonly get = (name: string): Value => {
    if (name === DECODER && !this.weights.has(DECODER)) name = "bert.embeddings.word_embeddings.weight";
    const known = this.trainable.get(name) ?? this.frozenInputs.get(name) ?? this.#constants.get(name);
    if (known) return known;
    const w = this.weights.get(name);
    if (!w) throw new Error(`model has no weight "${name}"`);
    if (this.isTrainable(name)) {
      const v = this.graph.input(name, w.shape);
      this.trainable.set(name, v);
      return v;
    }
    if (!this.#frozenConstant) {
      const v = this.graph.input(name, w.shape);
      this.frozenInputs.set(name, v);
      return v;
    }
    const v = this.graph.constant(name, w.data, w.shape);
    this.#constants.set(name, v);
    return v;
  };
}
