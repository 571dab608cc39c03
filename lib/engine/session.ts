/**
 * Compiled graphs on onnxruntime-node: one inference session per graph signature (model, shape bucket,
 * which gradients), built once and cached, run with plain typed arrays.
 */
import * as ort from "onnxruntime-node";
import type { DType, Graph, TensorData, Value } from "./graph.ts";
import type { TensorMap } from "../util/tensor.ts";
import { executionProvider, ortProfile, spin, threads } from "../util/config.ts";
import { InputError } from "../util/errors.ts";
import { type DimNames, exportOnnx } from "./onnx_export.ts";
import { tuneNativeHeap } from "./native_heap.ts";

/** Intra-op threads: `PROMPTLAB_THREADS`, else every core. */
export function threadCount(): number {
  return threads() ?? navigator.hardwareConcurrency;
}

interface Signature {
  name: string;
  shape: readonly number[];
  dtype: DType;
}

/**
 * An onnxruntime session for a serialized graph, on the execution provider of `PROMPTLAB_EP` (CPU unless set;
 * another provider runs the nodes it supports and leaves the rest to the CPU).
 * @throws InputError naming `PROMPTLAB_EP` when a non-CPU provider cannot start here.
 */
async function createSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  const ep = executionProvider();
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ep === "cpu" ? ["cpu"] : [ep, "cpu"],
    intraOpNumThreads: threadCount(),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    // No arena and no memory pattern: a session's arena keeps the high-water mark of every run for the
    // session's lifetime, per session and so per shape bucket, and the pattern adds a second planned block
    // after the first run (pre-training over 3 buckets held 8.3 GB this way, 2.0 GB without).
    enableCpuMemArena: false,
    enableMemPattern: false,
    // Idle pool threads sleep instead of spinning unless asked: spinning wastes the cores when several
    // runs share a machine, which is how experiments are run here (PROMPTLAB_SPIN=1 turns it back on).
    extra: { session: { intra_op: { allow_spinning: spin() ? "1" : "0" } } },
    ...(ortProfile() ? { enableProfiling: true, profileFilePrefix: ortProfile() } : {}),
  };
  if (ep === "cpu") return await ort.InferenceSession.create(bytes, options);
  try {
    return await ort.InferenceSession.create(bytes, options);
  } catch (e) {
    throw new InputError(`execution provider "${ep}" could not start a session here: ${(e as Error).message.split("\n")[0]}`, {
      field: "PROMPTLAB_EP",
    });
  }
}

/** A graph compiled to an onnxruntime session, run with named typed arrays. */
export class CompiledGraph {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** The feeds every run must provide. */
    readonly inputs: readonly Signature[],
    /** The outputs every run returns. */
    readonly outputs: readonly Signature[],
  ) {}

  /**
   * Export `graph` with the named `outputs` and create its session; `dims` names the dimensions read at run time
   * (a graph built with run-time shapes), which {@link run} is then given the sizes of.
   */
  static async compile(graph: Graph, outputs: Record<string, Value>, dims?: DimNames): Promise<CompiledGraph> {
    const bytes = exportOnnx(graph, outputs, dims);
    tuneNativeHeap();
    const session = await createSession(bytes);
    const sig = (v: Value, name = v.name): Signature => ({ name, shape: v.shape, dtype: v.dtype });
    return new CompiledGraph(
      session,
      graph.values.filter((v) => v.source.kind === "input").map((v) => sig(v)),
      Object.entries(outputs).map(([name, v]) => sig(v, name)),
    );
  }

  /**
   * Run once. Every input must be fed with exactly its declared number of elements, or of the shape `shapes`
   * gives it (an input with run-time dimensions).
   */
  async run(
    feeds: Readonly<Record<string, TensorData>>,
    shapes: Readonly<Record<string, readonly number[]>> = {},
  ): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const { name, dtype, ...declared } of this.inputs) {
      const data = feeds[name], shape = shapes[name] ?? declared.shape;
      if (!data) throw new Error(`run: missing feed "${name}"`);
      const size = shape.reduce((a, b) => a * b, 1);
      if (data.length !== size) throw new Error(`run: feed "${name}" has ${data.length} elements, expected ${size} [${shape}]`);
      ortFeeds[name] = new ort.Tensor(dtype, data as never, shape as number[]);
    }
    const result = await this.session.run(ortFeeds);
    const out: Record<string, TensorData> = {};
    for (const { name } of this.outputs) out[name] = result[name].data as TensorData;
    return out;
  }

  /** Free the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Compiled graphs by signature key. Building a graph and creating its session are both expensive; a key
 * names everything that changes the graph (model fingerprint, shape bucket, outputs, trainable set).
 */
export class SessionCache {
  readonly #sessions = new Map<string, Promise<CompiledGraph>>();

  /** The session for `key`, building it with `build` the first time (`dims` as {@link CompiledGraph.compile}'s). */
  get(key: string, build: () => { graph: Graph; outputs: Record<string, Value>; dims?: DimNames }): Promise<CompiledGraph> {
    let s = this.#sessions.get(key);
    if (!s) {
      s = Promise.resolve().then(() => {
        const { graph, outputs, dims } = build();
        return CompiledGraph.compile(graph, outputs, dims);
      });
      s.catch(() => this.#sessions.delete(key));
      this.#sessions.set(key, s);
    }
    return s;
  }

  /** Number of compiled sessions held. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Release every session. */
  async clear(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) await (await s).release();
  }
}

/** Feeds of a compiled graph: the `given` ones first, every other input from `weights` by name. */
export function feedsFor(compiled: CompiledGraph, given: Record<string, TensorData>, weights: TensorMap): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const { name } of compiled.inputs) {
    const data = given[name] ?? weights.get(name)?.data;
    if (!data) throw new Error(`no feed for graph input "${name}"`);
    feeds[name] = data;
  }
  return feeds;
}
