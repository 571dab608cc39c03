/**
 * Vector-Jacobian products, one entry per op: given the node and the gradients of its outputs, return the
 * gradient of each input (undefined where none flows: integer inputs, shape vectors, conditions).
 *
 * Rules may return gradients in the broadcast shape of the output; the reverse walk (`autodiff.ts`) sums them
 * back to each input's shape once, so no rule handles broadcasting itself. Naming follows onnxruntime's
 * gradient builder: I(i) inputs, O(i) outputs, GO(i) output gradients.
 */
import type { Node, Value } from "./graph.ts";
import * as op from "./ops.ts";

/** A vector-Jacobian rule. `go[i]` is the gradient of output i, or undefined when nothing depends on it. */
export type GradRule = (node: Node, go: readonly (Value | undefined)[]) => (Value | undefined)[];

const two = (n: Node) => [n.inputs[0], n.inputs[1]];

/** Gradient of Gemm's op(A) and op(B) mapped back through the transposes. */
function gemmGrads(n: Node, g: Value): [Value, Value] {
  const [a, b] = two(n);
  const ta = (n.attrs.transA as { i: number }).i === 1, tb = (n.attrs.transB as { i: number }).i === 1;
  const ga = ta ? op.gemm(b, g, undefined, { transA: tb, transB: true }) : op.gemm(g, b, undefined, { transB: !tb });
  const gb = tb ? op.gemm(g, a, undefined, { transA: true, transB: ta }) : op.gemm(a, g, undefined, { transA: !ta });
  return [ga, gb];
}

/** Gradient of a batched matmul; a 2-D right operand (a weight) gets one flattened GEMM, not a batch sum. */
function matmulGrads(n: Node, g: Value): [Value, Value] {
  const [a, b] = two(n);
  const ga = op.matmul(g, op.transposeLast2(b));
  if (b.rank === 2 && a.rank > 2) {
    const k = a.shape[a.rank - 1], m = g.shape[g.rank - 1];
    return [ga, op.gemm(op.reshape(a, [-1, k]), op.reshape(g, [-1, m]), undefined, { transA: true })];
  }
  return [ga, op.matmul(op.transposeLast2(a), g)];
}

/** LayerNorm over the last axis: dx = invStd * (gx̂ - mean(gx̂) - x̂ mean(gx̂ x̂)), with x̂ from the saved stats. */
function layerNormGrads(n: Node, g: Value): Value[] {
  const [x, scale] = n.inputs;
  const [mean, invStd] = n.outputs.slice(1).map((v) => op.cast(v, x.dtype));
  const last = x.rank - 1;
  const xhat = op.mul(op.sub(x, mean), invStd);
  const gxhat = op.mul(g, scale);
  const inner = op.sub(
    op.sub(gxhat, op.reduceMean(gxhat, [last], true)),
    op.mul(xhat, op.reduceMean(op.mul(gxhat, xhat), [last], true)),
  );
  const rows = x.shape.slice(0, -1).map((_, i) => i);
  return [op.mul(invStd, inner), op.reduceSum(op.mul(g, xhat), rows), op.reduceSum(g, rows)];
}

/** The input's shape with the reduced axes kept as 1, for broadcasting a reduction's gradient back. */
function keptShape(n: Node): number[] {
  const x = n.inputs[0];
  if ((n.attrs.keepdims as { i: number }).i === 1) return [...n.outputs[0].shape];
  const axes = new Set(n.inputs[1].source.kind === "constant" ? Array.from(n.inputs[1].source.data as BigInt64Array, Number) : []);
  return x.shape.map((d, i) => (axes.has(i) ? 1 : d));
}

const first = (n: Node) => n.inputs[0];
const zerosLike = (v: Value) => op.fill(v, v.shape, 0);

/** The table of rules, keyed by ONNX op type. */
export const gradRules: Record<string, GradRule> = {
  Add: (_n, [g]) => [g, g],
  Sub: (_n, [g]) => [g, op.neg(g!)],
  Mul: (n, [g]) => [op.mul(g!, n.inputs[1]), op.mul(g!, n.inputs[0])],
  Div: (n, [g]) => [op.div(g!, n.inputs[1]), op.neg(op.div(op.mul(g!, n.outputs[0]), n.inputs[1]))],
  Neg: (_n, [g]) => [op.neg(g!)],
  Exp: (n, [g]) => [op.mul(g!, n.outputs[0])],
  Log: (n, [g]) => [op.div(g!, first(n))],
  Sqrt: (n, [g]) => [op.div(op.mul(g!, g!.graph.scalar(0.5, g!.dtype)), n.outputs[0])],
  Tanh: (n, [g]) => {
    const y = n.outputs[0];
    return [op.mul(g!, op.sub(y.graph.scalar(1, y.dtype), op.mul(y, y)))];
  },
  Erf: (n, [g]) => {
    const x = first(n), gr = x.graph;
    const dydx = op.mul(gr.scalar(2 / Math.sqrt(Math.PI), x.dtype), op.exp(op.neg(op.mul(x, x))));
    return [op.mul(g!, dydx)];
  },
  Gelu: (n, [g]) => [op.mul(g!, geluSlope(first(n), (n.attrs.approximate as { s: string }).s))],
  MatMul: (n, [g]) => matmulGrads(n, g!),
  Gemm: (n, [g]) => [...gemmGrads(n, g!), g],
  Reshape: (n, [g]) => [op.reshape(g!, first(n).shape), undefined],
  Transpose: (n, [g]) => {
    const perm = (n.attrs.perm as { ints: number[] }).ints;
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [op.transpose(g!, inverse)];
  },
  Concat: (n, [g]) => {
    const axis = (n.attrs.axis as { i: number }).i;
    let offset = 0;
    return n.inputs.map((x) => op.slice(g!, axis, offset, offset += x.shape[axis]));
  },
  Slice: (n, [g]) => {
    const x = first(n);
    const [start, axis] = [n.inputs[1], n.inputs[3]].map((v) => Number((v.source as { data: BigInt64Array }).data[0]));
    const before = x.shape.map((_, i) => (i === axis ? start : 0));
    const after = x.shape.map((d, i) => (i === axis ? d - start - g!.shape[i] : 0));
    return [op.pad(g!, before, after)];
  },
  Gather: (n, [g]) => {
    // ScatterElements, not ScatterND: onnxruntime's ScatterND adds its update rows on several threads, so the
    // rows of a repeated index (a token twice in a batch) meet in thread order and gradients differ from run
    // to run; ScatterElements gives each output column to one thread, which adds the rows in index order.
    const [data, indices] = n.inputs;
    const rows = indices.shape.reduce((a, b) => a * b, 1), width = data.shape.slice(1).reduce((a, b) => a * b, 1);
    const idx = op.expand(op.reshape(op.cast(indices, "int64"), [rows, 1]), [rows, width]);
    const sum = op.scatterElementsAdd(op.fill(data, [data.shape[0], width], 0), idx, op.reshape(g!, [rows, width]), 0);
    return [op.reshape(sum, data.shape), undefined];
  },
  GatherElements: (n, [g]) => {
    const [data, indices] = n.inputs;
    return [op.scatterElementsAdd(zerosLike(data), indices, g!, (n.attrs.axis as { i: number }).i), undefined];
  },
  Expand: (_n, [g]) => [g, undefined],
  Softmax: (n, [g]) => {
    const y = n.outputs[0], axis = (n.attrs.axis as { i: number }).i;
    return [op.mul(y, op.sub(g!, op.reduceSum(op.mul(g!, y), [axis], true)))];
  },
  LogSoftmax: (n, [g]) => {
    const y = n.outputs[0], axis = (n.attrs.axis as { i: number }).i;
    return [op.sub(g!, op.mul(op.exp(y), op.reduceSum(g!, [axis], true)))];
  },
  LayerNormalization: (n, [g, gMean, gInvStd]) => {
    if (gMean || gInvStd) throw new Error("LayerNormalization: gradients through mean/invStd are not supported");
    return layerNormGrads(n, g!);
  },
  ReduceSum: (n, [g]) => [op.expand(op.reshape(g!, keptShape(n)), first(n).shape), undefined],
  ReduceMean: (n, [g]) => {
    const x = first(n), kept = keptShape(n);
    const count = x.size / kept.reduce((a, b) => a * b, 1);
    return [op.expand(op.reshape(op.div(g!, x.graph.scalar(count, g!.dtype)), kept), x.shape), undefined];
  },
  Where: (n, [g]) => {
    const zero = g!.graph.scalar(0, g!.dtype);
    return [undefined, op.where(n.inputs[0], g!, zero), op.where(n.inputs[0], zero, g!)];
  },
  Cast: (n, [g]) => [first(n).isFloat ? op.cast(g!, first(n).dtype) : undefined],
};

/**
 * d GELU / dx recomputed from x alone, so that backward keeps only GELU's input alive rather than the
 * intermediates of a decomposed forward. Exact: Φ(x) + x φ(x). Tanh form, with t = tanh(k (x + c x³)):
 * ½ (1 + t) + ½ x (1 - t²) k (1 + 3 c x²).
 */
function geluSlope(x: Value, approximate: string): Value {
  const g = x.graph, t = x.dtype, c = (v: number) => g.scalar(v, t);
  const half = c(0.5), one = c(1);
  if (approximate === "tanh") {
    const k = Math.sqrt(2 / Math.PI), a = 0.044715;
    const x2 = op.mul(x, x);
    const th = op.tanh(op.mul(op.mul(x, c(k)), op.add(one, op.mul(c(a), x2))));
    const outer = op.mul(half, op.add(one, th));
    const inner = op.mul(op.mul(op.mul(half, x), op.sub(one, op.mul(th, th))), op.mul(c(k), op.add(one, op.mul(c(3 * a), x2))));
    return op.add(outer, inner);
  }
  const cdf = op.mul(half, op.add(one, op.erf(op.mul(x, c(Math.SQRT1_2)))));
  const pdf = op.mul(c(1 / Math.sqrt(2 * Math.PI)), op.exp(op.mul(op.mul(x, x), c(-0.5))));
  return op.add(cdf, op.mul(x, pdf));
}
