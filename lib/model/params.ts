/**
 * Which weights of a model are graph inputs (trainable, fed each step, gradients taken) and which are graph
 * constants (frozen: baked in as initializers so onnxruntime can pre-pack them).
 */
import type { Graph, Value } from "../engine/graph.ts";
import type { TensorMap } from "../util/tensor.ts";
import { DECODER } from "./bert.ts";

/** Resolves weight names to graph values for one graph, recording the trainable ones. */
export class GraphParams {
  /** Trainable weights by canonical name, as graph inputs named after them. */
  readonly trainable = new Map<string, Value>();
  readonly #frozen = new Map<string, Value>();

  /**
   * @param isTrainable decides per canonical name; the tied decoder follows the word embeddings.
   */
  constructor(
    private readonly graph: Graph,
    private readonly weights: TensorMap,
    private readonly isTrainable: (name: string) => boolean,
  ) {}

  /** The value of weight `name` (a {@link ParamSource}). */
  readonly get = (name: string): Value => {
    if (name === DECODER && !this.weights.has(DECODER)) name = "bert.embeddings.word_embeddings.weight";
    const known = this.trainable.get(name) ?? this.#frozen.get(name);
    if (known) return known;
    const w = this.weights.get(name);
    if (!w) throw new Error(`model has no weight "${name}"`);
    if (this.isTrainable(name)) {
      const v = this.graph.input(name, w.shape);
      this.trainable.set(name, v);
      return v;
    }
    const v = this.graph.constant(name, w.data, w.shape);
    this.#frozen.set(name, v);
    return v;
  };
}
