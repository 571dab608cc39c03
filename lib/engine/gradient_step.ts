/**
 * One compiled forward-and-backward pass: a scalar loss, the gradients of the trainable weights, and any
 * extra outputs, computed by a single onnxruntime session.
 */
import { Graph, type TensorData, type Value } from "./graph.ts";
import { gradients } from "./autodiff.ts";
import { CompiledGraph } from "./session.ts";
import type { TensorMap } from "../util/tensor.ts";

/**
 * The weights a graph takes as inputs, by name: what a step feeds each run. `model/params.ts`'s `GraphParams`
 * fills these maps while a model's graph is built.
 */
export interface WeightInputs {
  /** Trainable weights: fed each step, gradients taken. */
  readonly trainable: ReadonlyMap<string, Value>;
  /** Frozen weights fed as inputs (no gradients). */
  readonly frozenInputs: ReadonlyMap<string, Value>;
}

/** What a loss builder returns. */
export interface LossGraph {
  loss: Value;
  /** The weights of the graph; its trainable ones get gradients. */
  params: WeightInputs;
  /** Further values to differentiate by name (soft embeddings, prefixes), fed by the caller. */
  wrt?: Record<string, Value>;
  /** Values to return alongside (logits, hidden states). */
  extra?: Record<string, Value>;
}

/** Result of one {@link GradientStep.run}. */
export interface StepResult {
  loss: number;
  /** Gradients of the trainable weights and of the `wrt` values, by name. */
  grads: TensorMap;
  extra: Record<string, TensorData>;
}

const GRAD = "grad:";

/**
 * A compiled step. Build once per shape bucket; run with the current weights and a batch.
 *
 * @example
 * ```ts
 * const step = await GradientStep.build((g) => { ...; return { loss, params }; });
 * const { loss, grads } = await step.run(weights, batchFeeds);
 * ```
 */
export class GradientStep {
  private constructor(
    private readonly compiled: CompiledGraph,
    private readonly shapes: Map<string, readonly number[]>,
    /** Names of the trainable weights, in feed order. */
    readonly trainable: readonly string[],
    /** Names of the frozen weights the graph takes as inputs (a large model's, see `WeightInputs`). */
    private readonly frozen: readonly string[],
  ) {}

  /** Build the loss graph, append its gradient graph, and compile both as one session. */
  static async build(build: (g: Graph) => LossGraph): Promise<GradientStep> {
    const g = new Graph();
    const { loss, params, wrt = {}, extra = {} } = build(g);
    const targets: Record<string, Value> = Object.fromEntries(params.trainable);
    Object.assign(targets, wrt);
    const names = Object.keys(targets);
    const grads = gradients(loss, names.map((n) => targets[n]));
    const outputs: Record<string, Value> = { loss, ...extra };
    names.forEach((n, i) => (outputs[GRAD + n] = grads[i]));
    const shapes = new Map(names.map((n) => [n, targets[n].shape]));
    return new GradientStep(await CompiledGraph.compile(g, outputs), shapes, [...params.trainable.keys()], [...params.frozenInputs.keys()]);
  }

  /** Run with the weights the graph takes as inputs taken from `weights` and the rest of the inputs from `feeds`. */
  async run(weights: TensorMap, feeds: Record<string, TensorData>): Promise<StepResult> {
    const all: Record<string, TensorData> = { ...feeds };
    for (const name of [...this.trainable, ...this.frozen]) {
      const w = weights.get(name);
      if (!w) throw new Error(`GradientStep: no weight "${name}" to feed`);
      all[name] = w.data;
    }
    const out = await this.compiled.run(all);
    const grads: TensorMap = new Map();
    const extra: Record<string, TensorData> = {};
    for (const [key, data] of Object.entries(out)) {
      if (key.startsWith(GRAD)) {
        const name = key.slice(GRAD.length);
        grads.set(name, { shape: [...this.shapes.get(name)!], data: data as Float32Array });
      } else if (key !== "loss") extra[key] = data;
    }
    return { loss: Number(out.loss[0]), grads, extra };
  }

  /** Free the session. */
  release(): Promise<void> {
    return this.compiled.release();
  }
}
