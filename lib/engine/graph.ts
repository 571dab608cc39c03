/**
 * The graph builder's core: values with static shapes and dtypes, nodes that produce them, and the graph that
 * owns both. Op constructors live in `ops.ts`; gradients in `grad_rules.ts` and `autodiff.ts`; serialisation
 * in `onnx_export.ts`.
 *
 * Shapes are static on purpose: batch and sequence lengths come from shape buckets, so every graph is fully
 * shaped, onnxruntime can plan memory once, and shape errors surface while building, not at run time.
 */

/** Element types the engine emits. */
export type DType = "float32" | "float64" | "int64" | "int32" | "uint32" | "bool";

/** Any tensor payload the engine moves in and out of onnxruntime. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint32Array | Uint8Array;

/** An ONNX node attribute, tagged so integers and floats are never confused. */
export type Attr =
  | { i: number }
  | { f: number }
  | { ints: number[] }
  | { floats: number[] }
  | { s: string };

/** One operation of the graph (an ONNX node in the default domain). */
export interface Node {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly Value[];
  readonly outputs: Value[];
  readonly attrs: Readonly<Record<string, Attr>>;
}

/** How a value enters the graph when it is not computed by a node. */
export type Source =
  | { kind: "input" }
  | { kind: "constant"; data: TensorData }
  | { kind: "node"; node: Node; index: number };

/** A tensor-valued edge of the graph. */
export class Value {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly source: Source,
  ) {}

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** True for float32/float64 values, the only ones gradients flow through. */
  get isFloat(): boolean {
    return this.dtype === "float32" || this.dtype === "float64";
  }

  toString(): string {
    return `${this.name}:${this.dtype}[${this.shape.join(",")}]`;
  }
}

/**
 * A computation graph under construction. Values are created in topological order, which the reverse walk
 * relies on.
 *
 * @example
 * ```ts
 * const g = new Graph();
 * const x = g.input("x", [2, 3]);
 * const w = g.constant("w", new Float32Array(6), [3, 2]);
 * const y = ops.matmul(x, w);
 * ```
 */
export class Graph {
  readonly values: Value[] = [];
  readonly nodes: Node[] = [];
  readonly #names = new Set<string>();
  /** Small shared constants (scalars, shape vectors), created once per content. */
  readonly #scalars = new Map<string, Value>();

  /** A value fed at run time (data, or trainable parameters). */
  input(name: string, shape: readonly number[], dtype: DType = "float32"): Value {
    return this.#add(this.#unique(name), shape, dtype, { kind: "input" });
  }

  /** A value baked into the graph as an initializer (frozen weights, index tables, literals). */
  constant(name: string, data: TensorData, shape: readonly number[], dtype: DType = dtypeOf(data)): Value {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new Error(`constant ${name}: ${data.length} elements for shape [${shape.join(",")}]`);
    }
    return this.#add(this.#unique(name), shape, dtype, { kind: "constant", data });
  }

  /** A shared scalar constant of the given dtype (created once per value and dtype). */
  scalar(value: number, dtype: DType = "float32"): Value {
    const key = `${dtype}:${Object.is(value, -0) ? "-0" : value}`;
    let v = this.#scalars.get(key);
    if (!v) {
      v = this.constant(`scalar_${this.#scalars.size}`, typedArray(dtype, [value]), [], dtype);
      this.#scalars.set(key, v);
    }
    return v;
  }

  /** `[0, 1, ..., n-1]` times `multiplier` as uint32 (wrapping), shared by every user of the same size. */
  iota(n: number, multiplier = 1): Value {
    const key = `iota:${n}:${multiplier}`;
    let v = this.#scalars.get(key);
    if (!v) {
      const data = new Uint32Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.imul(i, multiplier);
      v = this.constant("iota", data, [n], "uint32");
      this.#scalars.set(key, v);
    }
    return v;
  }

  /** A 1-D int64 constant, the form ONNX wants for shapes, axes, starts and ends. */
  ints(values: readonly number[], name = "ints"): Value {
    const key = `ints:${values.join(",")}`;
    let v = this.#scalars.get(key);
    if (!v) {
      v = this.constant(name, BigInt64Array.from(values.map(BigInt)), [values.length], "int64");
      this.#scalars.set(key, v);
    }
    return v;
  }

  /**
   * Append a node. `outputs` gives each output's shape and dtype, already inferred by the op constructor.
   */
  node(
    op: string,
    inputs: readonly Value[],
    outputs: ReadonlyArray<{ shape: readonly number[]; dtype: DType }>,
    attrs: Record<string, Attr> = {},
  ): Value[] {
    for (const v of inputs) {
      if (v.graph !== this) throw new Error(`${op}: input ${v} belongs to another graph`);
    }
    const node: Node = { id: this.nodes.length, op, inputs, outputs: [], attrs };
    node.outputs.push(
      ...outputs.map((o, index) =>
        this.#add(this.#unique(`${op.toLowerCase()}${node.id}_${index}`), o.shape, o.dtype, {
          kind: "node",
          node,
          index,
        })
      ),
    );
    this.nodes.push(node);
    return node.outputs;
  }

  #unique(name: string): string {
    let candidate = name;
    for (let i = 1; this.#names.has(candidate); i++) candidate = `${name}_${i}`;
    this.#names.add(candidate);
    return candidate;
  }

  #add(name: string, shape: readonly number[], dtype: DType, source: Source): Value {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`value ${name}: bad shape [${shape.join(",")}]`);
    }
    const v = new Value(this, this.values.length, name, [...shape], dtype, source);
    this.values.push(v);
    return v;
  }
}

/** The dtype a typed array carries. */
export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  return "bool";
}

/** A typed array of `dtype` holding `values`. */
export function typedArray(dtype: DType, values: readonly number[]): TensorData {
  switch (dtype) {
    case "float32":
      return Float32Array.from(values);
    case "float64":
      return Float64Array.from(values);
    case "int64":
      return BigInt64Array.from(values.map((v) => BigInt(v)));
    case "int32":
      return Int32Array.from(values);
    case "uint32":
      return Uint32Array.from(values);
    case "bool":
      return Uint8Array.from(values);
  }
}
