/**
 * Op constructors: each infers its output shape and dtype statically and appends one ONNX node (default
 * domain, opset 18). Composite operations (GELU, dropout, cross-entropy) are in `layers.ts`.
 */
import { type Attr, type DType, type Value } from "./graph.ts";

const FLOAT_TO: Record<DType, number> = { float32: 1, float64: 11, int64: 7, int32: 6, uint32: 12, bool: 9 };

/** ONNX TensorProto element type of a dtype. */
export function onnxElemType(dtype: DType): number {
  return FLOAT_TO[dtype];
}

function fail(op: string, msg: string, ...vals: Value[]): never {
  throw new Error(`${op}: ${msg} (${vals.map(String).join(", ")})`);
}

function sameDtype(op: string, ...vals: Value[]): DType {
  const d = vals[0].dtype;
  for (const v of vals) if (v.dtype !== d) fail(op, "dtype mismatch", ...vals);
  return d;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy broadcasting of two shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(`cannot broadcast [${a.join(",")}] with [${b.join(",")}]`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

function single(x: Value, op: string, shape: readonly number[], dtype: DType, attrs: Record<string, Attr> = {}, ...more: Value[]): Value {
  return x.graph.node(op, [x, ...more], [{ shape, dtype }], attrs)[0];
}

function elementwise(op: string, a: Value, b: Value, dtype?: DType): Value {
  const d = sameDtype(op, a, b);
  return single(a, op, broadcastShapes(a.shape, b.shape), dtype ?? d, {}, b);
}

/** Broadcasting a + b. */
export const add = (a: Value, b: Value): Value => elementwise("Add", a, b);
/** Broadcasting a - b. */
export const sub = (a: Value, b: Value): Value => elementwise("Sub", a, b);
/** Broadcasting a * b. */
export const mul = (a: Value, b: Value): Value => elementwise("Mul", a, b);
/** Broadcasting a / b. */
export const div = (a: Value, b: Value): Value => elementwise("Div", a, b);
/** Broadcasting a == b, as bool. */
export const equal = (a: Value, b: Value): Value => elementwise("Equal", a, b, "bool");
/** Broadcasting a >= b, as bool. */
export const greaterOrEqual = (a: Value, b: Value): Value => elementwise("GreaterOrEqual", a, b, "bool");
/** Broadcasting bitwise xor of integers. */
export const bitwiseXor = (a: Value, b: Value): Value => elementwise("BitwiseXor", a, b);

/** Logical right shift of unsigned integers by `b` bits. */
export function shiftRight(a: Value, b: Value): Value {
  sameDtype("BitShift", a, b);
  return single(a, "BitShift", broadcastShapes(a.shape, b.shape), a.dtype, { direction: { s: "RIGHT" } }, b);
}

function unary(op: string) {
  return (x: Value): Value => single(x, op, x.shape, x.dtype);
}
/** -x */
export const neg = unary("Neg");
/** e^x */
export const exp = unary("Exp");
/** natural log */
export const log = unary("Log");
/** square root */
export const sqrt = unary("Sqrt");
/** hyperbolic tangent */
export const tanh = unary("Tanh");
/** error function (float32 only on onnxruntime's CPU provider) */
export const erf = unary("Erf");

/**
 * GELU as one ONNX `Gelu` node (opset 20): exact, 0.5 x (1 + erf(x / √2)), or its tanh approximation.
 * One node keeps only x for backward, where a decomposition keeps every intermediate (see `grad_rules.ts`).
 */
export function gelu(x: Value, approximate: "none" | "tanh" = "none"): Value {
  if (!x.isFloat) fail("Gelu", "input must be float", x);
  return single(x, "Gelu", x.shape, x.dtype, { approximate: { s: approximate } });
}

/** Numpy matmul of rank >= 2 operands with broadcast batch dimensions. */
export function matmul(a: Value, b: Value): Value {
  sameDtype("MatMul", a, b);
  if (a.rank < 2 || b.rank < 2) fail("MatMul", "operands must have rank >= 2", a, b);
  const [m, k] = a.shape.slice(-2), [k2, n] = b.shape.slice(-2);
  if (k !== k2) fail("MatMul", "inner dimensions differ", a, b);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return single(a, "MatMul", [...batch, m, n], a.dtype, {}, b);
}

/** Options of {@link gemm}. */
export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
}

/** 2-D op(a) @ op(b) (+ c broadcast), the linear layer's workhorse: `gemm(x, W, b, {transB: true})`. */
export function gemm(a: Value, b: Value, c?: Value, { transA = false, transB = false }: GemmOptions = {}): Value {
  sameDtype("Gemm", a, b, ...(c ? [c] : []));
  if (a.rank !== 2 || b.rank !== 2) fail("Gemm", "operands must be 2-D", a, b);
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) fail("Gemm", "inner dimensions differ", a, b);
  if (c) broadcastShapes([m, n], c.shape);
  return a.graph.node("Gemm", c ? [a, b, c] : [a, b], [{ shape: [m, n], dtype: a.dtype }], {
    transA: { i: transA ? 1 : 0 },
    transB: { i: transB ? 1 : 0 },
  })[0];
}

/** Reshape to `shape` (one entry may be -1). */
export function reshape(x: Value, shape: readonly number[]): Value {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  if (resolved.reduce((a, b) => a * b, 1) !== x.size || shape.filter((d) => d === -1).length > 1) {
    fail("Reshape", `cannot reshape to [${shape.join(",")}]`, x);
  }
  if (resolved.every((d, i) => d === x.shape[i]) && resolved.length === x.rank) return x;
  return single(x, "Reshape", resolved, x.dtype, {}, x.graph.ints(resolved, "shape"));
}

/** Permute dimensions. */
export function transpose(x: Value, perm: readonly number[]): Value {
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) fail("Transpose", `bad perm [${perm}]`, x);
  return single(x, "Transpose", perm.map((p) => x.shape[p]), x.dtype, { perm: { ints: [...perm] } });
}

/** Swap the last two dimensions. */
export function transposeLast2(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

/** Join along `axis`. */
export function concat(xs: readonly Value[], axis: number): Value {
  const first = xs[0];
  const a = normAxis(axis, first.rank);
  sameDtype("Concat", ...xs);
  for (const x of xs) {
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      fail("Concat", "shapes differ off the concat axis", ...xs);
    }
  }
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  return first.graph.node("Concat", xs, [{ shape, dtype: first.dtype }], { axis: { i: a } })[0];
}

/** x[..., start:end, ...] along one axis (step 1). */
export function slice(x: Value, axis: number, start: number, end: number): Value {
  const a = normAxis(axis, x.rank);
  if (!(0 <= start && start <= end && end <= x.shape[a])) fail("Slice", `bad range ${start}:${end} on axis ${a}`, x);
  const shape = [...x.shape];
  shape[a] = end - start;
  const g = x.graph;
  return g.node("Slice", [x, g.ints([start], "starts"), g.ints([end], "ends"), g.ints([a], "axes")], [{
    shape,
    dtype: x.dtype,
  }])[0];
}

/** Constant padding (zeros unless `value` is given): `before[i]` and `after[i]` elements on each axis i. */
export function pad(x: Value, before: readonly number[], after: readonly number[], value = 0): Value {
  const g = x.graph;
  const inputs = [x, g.ints([...before, ...after], "pads"), ...(value !== 0 ? [g.scalar(value, x.dtype)] : [])];
  return g.node("Pad", inputs, [{
    shape: x.shape.map((d, i) => d + before[i] + after[i]),
    dtype: x.dtype,
  }])[0];
}

/** Rows of `data` along axis 0 picked by integer `indices`: shape indices.shape + data.shape[1:]. */
export function gather(data: Value, indices: Value): Value {
  if (indices.dtype !== "int64" && indices.dtype !== "int32") fail("Gather", "indices must be integers", indices);
  return single(data, "Gather", [...indices.shape, ...data.shape.slice(1)], data.dtype, { axis: { i: 0 } }, indices);
}

/** `data` gathered element-wise along `axis` by `indices` of data's rank (out shape = indices.shape). */
export function gatherElements(data: Value, indices: Value, axis: number): Value {
  const a = normAxis(axis, data.rank);
  return single(data, "GatherElements", indices.shape, data.dtype, { axis: { i: a } }, indices);
}

/** `zeros` with `updates` added element-wise along `axis` at `indices` (inverse of gatherElements). */
export function scatterElementsAdd(zeros: Value, indices: Value, updates: Value, axis: number): Value {
  return zeros.graph.node("ScatterElements", [zeros, indices, updates], [{ shape: zeros.shape, dtype: zeros.dtype }], {
    axis: { i: normAxis(axis, zeros.rank) },
    reduction: { s: "add" },
  })[0];
}

/** A tensor of `shape` filled with `value`. */
export function fill(like: Value, shape: readonly number[], value: number, dtype: DType = like.dtype): Value {
  const g = like.graph;
  return g.node("Expand", [g.scalar(value, dtype), g.ints(shape, "shape")], [{ shape, dtype }])[0];
}

/** Broadcast `x` to `shape`. */
export function expand(x: Value, shape: readonly number[]): Value {
  const out = broadcastShapes(x.shape, shape);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return single(x, "Expand", out, x.dtype, {}, x.graph.ints(shape, "shape"));
}

/** Softmax along `axis`. */
export function softmax(x: Value, axis = -1): Value {
  return single(x, "Softmax", x.shape, x.dtype, { axis: { i: normAxis(axis, x.rank) } });
}

/** Log-softmax along `axis`. */
export function logSoftmax(x: Value, axis = -1): Value {
  return single(x, "LogSoftmax", x.shape, x.dtype, { axis: { i: normAxis(axis, x.rank) } });
}

/** Outputs of {@link layerNorm}: the normalised value and the statistics its gradient reuses. */
export interface LayerNormOutputs {
  y: Value;
  mean: Value;
  invStd: Value;
}

/**
 * LayerNormalization over the last axis (biased variance), as BERT uses it. Statistics are stashed in
 * float32 (onnxruntime's CPU kernel has no float64 stash), so their outputs are float32 whatever x is.
 */
export function layerNorm(x: Value, scale: Value, bias: Value, eps: number): LayerNormOutputs {
  const h = x.shape[x.rank - 1];
  if (scale.shape.join() !== `${h}` || bias.shape.join() !== `${h}`) fail("LayerNormalization", "scale/bias shape", x, scale, bias);
  const stats = [...x.shape.slice(0, -1), 1];
  const [y, mean, invStd] = x.graph.node("LayerNormalization", [x, scale, bias], [
    { shape: x.shape, dtype: x.dtype },
    { shape: stats, dtype: "float32" },
    { shape: stats, dtype: "float32" },
  ], { axis: { i: -1 }, epsilon: { f: eps }, stash_type: { i: 1 } });
  return { y, mean, invStd };
}

function reduce(op: string, x: Value, axes: readonly number[], keepdims: boolean): Value {
  const norm = axes.map((a) => normAxis(a, x.rank));
  if (norm.length === 0) return x;
  const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  return single(x, op, shape, x.dtype, { keepdims: { i: keepdims ? 1 : 0 } }, x.graph.ints(norm, "axes"));
}

/** Sum over `axes`. */
export const reduceSum = (x: Value, axes: readonly number[], keepdims = false): Value => reduce("ReduceSum", x, axes, keepdims);
/** Mean over `axes`. */
export const reduceMean = (x: Value, axes: readonly number[], keepdims = false): Value => reduce("ReduceMean", x, axes, keepdims);

/** Running sum along `axis` (ONNX `CumSum`, inclusive); no gradient rule (integer bookkeeping in exports). */
export function cumSum(x: Value, axis: number): Value {
  normAxis(axis, x.rank);
  return single(x, "CumSum", x.shape, x.dtype, {}, x.graph.scalar(axis, "int64"));
}

/** Element-wise select: cond ? x : y (broadcasting). */
export function where(cond: Value, x: Value, y: Value): Value {
  if (cond.dtype !== "bool") fail("Where", "condition must be bool", cond);
  sameDtype("Where", x, y);
  const shape = broadcastShapes(broadcastShapes(cond.shape, x.shape), y.shape);
  return cond.graph.node("Where", [cond, x, y], [{ shape, dtype: x.dtype }])[0];
}

/** Convert to another dtype. */
export function cast(x: Value, dtype: DType): Value {
  if (x.dtype === dtype) return x;
  return single(x, "Cast", x.shape, dtype, { to: { i: onnxElemType(dtype) } });
}

// Run-time shapes. Graphs are built with static shapes; a deployable graph must accept any batch and
// sequence length, so its shape-dependent constants are computed from `Shape` instead. The static shape
// passed along is a placeholder for build-time checks only; these ops have no gradient rules (inference only).

/** Dimensions `start..end` of `x`'s run-time shape, as a 1-D int64 value. */
export function shapeOf(x: Value, start: number, end: number): Value {
  return x.graph.node("Shape", [x], [{ shape: [end - start], dtype: "int64" }], { start: { i: start }, end: { i: end } })[0];
}

/** Reshape to a run-time `shape` (1-D int64); `placeholder` is the shape the builder checks against. */
export function reshapeTo(x: Value, shape: Value, placeholder: readonly number[]): Value {
  if (placeholder.reduce((a, b) => a * b, 1) !== x.size) fail("Reshape", `placeholder [${placeholder}] does not hold the input`, x);
  return single(x, "Reshape", placeholder, x.dtype, {}, shape);
}

/** Broadcast to a run-time `shape` (1-D int64); `placeholder` is the shape the builder checks against. */
export function expandTo(x: Value, shape: Value, placeholder: readonly number[]): Value {
  return single(x, "Expand", broadcastShapes(x.shape, placeholder), x.dtype, {}, shape);
}

/** x[..., start:end, ...] along `axis` with a run-time `end` (1-D int64 [1]); `placeholderEnd` for the builder. */
export function sliceTo(x: Value, axis: number, start: number, end: Value, placeholderEnd: number): Value {
  const a = normAxis(axis, x.rank);
  const shape = [...x.shape];
  shape[a] = placeholderEnd - start;
  const g = x.graph;
  return g.node("Slice", [x, g.ints([start], "starts"), end, g.ints([a], "axes")], [{ shape, dtype: x.dtype }])[0];
}

/**
 * The integers start, start + 1, ..., limit − 1 (ONNX `Range`), from int64 scalars `start` and `limit` known at
 * run time; `placeholderLength` is the length the builder checks against.
 */
export function range(start: Value, limit: Value, placeholderLength: number): Value {
  for (const v of [start, limit]) if (v.rank !== 0 || v.dtype !== "int64") fail("Range", "start and limit must be int64 scalars", v);
  const g = start.graph;
  return g.node("Range", [start, limit, g.scalar(1, "int64")], [{ shape: [placeholderLength], dtype: "int64" }])[0];
}

/** `x` limited to [lo, hi] element-wise (ONNX `Clip`); no gradient rule (index arithmetic in exports). */
export function clip(x: Value, lo: number, hi: number): Value {
  if (lo > hi) fail("Clip", `empty range [${lo}, ${hi}]`, x);
  const g = x.graph;
  return single(x, "Clip", x.shape, x.dtype, {}, g.scalar(lo, x.dtype), g.scalar(hi, x.dtype));
}
