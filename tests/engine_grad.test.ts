/** Per-op gradient checks: analytic vector-Jacobian products against central finite differences. */
import assert from "node:assert/strict";
import { type DType, Graph, type TensorData, type Value } from "../lib/engine/graph.ts";
import * as op from "../lib/engine/ops.ts";
import { crossEntropy, gelu, geluTanh, linear, rmsNorm } from "../lib/engine/layers.ts";
import { gradcheck } from "../lib/engine/gradcheck.ts";
import { Rng } from "../lib/util/rng.ts";

type Spec = { name: string; shape: number[]; positive?: boolean };

/** Check `f` over float inputs of the given shapes (float64 unless stated). */
async function check(
  title: string,
  specs: Spec[],
  f: (xs: Value[], g: Graph) => Value,
  { dtype = "float64" as DType, extra = {} as Record<string, TensorData>, tol = {} } = {},
) {
  const rng = new Rng(title.length * 7919);
  const feeds: Record<string, TensorData> = { ...extra };
  for (const s of specs) {
    const data = Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => (s.positive ? 0.5 + rng.next() : rng.normal()));
    feeds[s.name] = dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data);
  }
  const report = await gradcheck({
    feeds,
    build(g) {
      const xs = specs.map((s) => g.input(s.name, s.shape, dtype));
      for (const [name, data] of Object.entries(extra)) {
        g.input(name, [data.length], data instanceof BigInt64Array ? "int64" : "bool");
      }
      return { inputs: xs, out: f(xs, g) };
    },
  }, dtype === "float32" ? { eps: 1e-2, atol: 1e-3, rtol: 2e-2, ...tol } : tol);
  assert.ok(report.passed, `${title}: ${JSON.stringify(report.worst)}`);
}

const a23 = { name: "a", shape: [2, 3] }, b23 = { name: "b", shape: [2, 3] };

Deno.test("grad: broadcasting add, sub, mul, div", async () => {
  await check("add", [a23, { name: "b", shape: [3] }], ([a, b]) => op.add(a, b));
  await check("sub", [{ name: "a", shape: [2, 1] }, b23], ([a, b]) => op.sub(a, b));
  await check("mul", [{ name: "a", shape: [4, 2, 3] }, { name: "b", shape: [2, 1] }], ([a, b]) => op.mul(a, b));
  await check("div", [a23, { name: "b", shape: [2, 3], positive: true }], ([a, b]) => op.div(a, b));
  await check("self", [a23], ([a]) => op.mul(a, a));
});

Deno.test("grad: unary ops", async () => {
  await check("neg", [a23], ([a]) => op.neg(a));
  await check("exp", [a23], ([a]) => op.exp(a));
  await check("log", [{ name: "a", shape: [5], positive: true }], ([a]) => op.log(a));
  await check("sqrt", [{ name: "a", shape: [5], positive: true }], ([a]) => op.sqrt(a));
  await check("tanh", [a23], ([a]) => op.tanh(a));
});

Deno.test("grad: erf and GELU (float32: onnxruntime has no float64 Erf)", async () => {
  await check("erf", [a23], ([a]) => op.erf(a), { dtype: "float32" });
  await check("gelu", [{ name: "a", shape: [3, 4] }], ([a]) => gelu(a), { dtype: "float32" });
  await check("gelu_tanh", [{ name: "a", shape: [3, 4] }], ([a]) => geluTanh(a));
});

Deno.test("grad: matmul (batched, broadcast, 2-D weight) and gemm with every transpose", async () => {
  await check("mm", [{ name: "a", shape: [2, 3, 4] }, { name: "b", shape: [2, 4, 5] }], ([a, b]) => op.matmul(a, b));
  await check("mm_w", [{ name: "a", shape: [2, 3, 4] }, { name: "b", shape: [4, 5] }], ([a, b]) => op.matmul(a, b));
  await check("mm_bc", [{ name: "a", shape: [2, 1, 3, 4] }, { name: "b", shape: [3, 4, 2] }], ([a, b]) => op.matmul(a, b));
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      await check(`gemm${transA}${transB}`, [
        { name: "a", shape: transA ? [4, 3] : [3, 4] },
        { name: "b", shape: transB ? [5, 4] : [4, 5] },
        { name: "c", shape: [5] },
      ], ([a, b, c]) => op.gemm(a, b, c, { transA, transB }));
    }
  }
  await check(
    "linear",
    [{ name: "x", shape: [3, 4] }, { name: "w", shape: [5, 4] }, { name: "b", shape: [5] }],
    ([x, w, b]) => linear(x, w, b),
  );
});

Deno.test("grad: reshape, transpose, concat, slice, expand", async () => {
  await check("reshape", [{ name: "a", shape: [2, 6] }], ([a]) => op.mul(op.reshape(a, [3, -1]), op.reshape(a, [3, 4])));
  await check("transpose", [{ name: "a", shape: [2, 3, 4] }], ([a]) => op.transpose(a, [2, 0, 1]));
  await check("concat", [a23, { name: "b", shape: [2, 2] }], ([a, b]) => op.concat([a, b, a], 1));
  await check("slice", [{ name: "a", shape: [3, 5] }], ([a]) => op.slice(a, 1, 1, 4));
  await check("expand", [{ name: "a", shape: [1, 3] }], ([a]) => op.expand(a, [4, 3]));
});

Deno.test("grad: softmax, log-softmax, layer norm, T5's RMS norm, reductions", async () => {
  await check("softmax", [{ name: "a", shape: [2, 3, 5] }], ([a]) => op.softmax(a, -1));
  await check("softmax_axis1", [{ name: "a", shape: [2, 3, 5] }], ([a]) => op.softmax(a, 1));
  await check("logsoftmax", [{ name: "a", shape: [3, 5] }], ([a]) => op.logSoftmax(a, -1));
  await check(
    "layernorm",
    [{ name: "x", shape: [3, 6] }, { name: "s", shape: [6] }, { name: "b", shape: [6] }],
    ([x, s, b]) => op.layerNorm(x, s, b, 1e-12).y,
    {
      dtype: "float32", // onnxruntime's LayerNormalization stashes statistics in float32 only
    },
  );
  await check("rmsnorm", [{ name: "x", shape: [2, 3, 6] }, { name: "w", shape: [6] }], ([x, w]) => rmsNorm(x, w, 1e-6));
  await check("reducesum", [{ name: "a", shape: [2, 3, 4] }], ([a]) => op.reduceSum(a, [0, 2]));
  await check("reducesum_keep", [{ name: "a", shape: [2, 3, 4] }], ([a]) => op.reduceSum(a, [1], true));
  await check("reducemean", [{ name: "a", shape: [2, 3, 4] }], ([a]) => op.reduceMean(a, [2]));
});

Deno.test("grad: gather (embedding lookup with repeated ids), gather-elements, cross-entropy", async () => {
  const ids = BigInt64Array.from([1n, 3n, 1n, 0n, 3n, 3n]);
  await check(
    "gather",
    [{ name: "table", shape: [4, 3] }],
    ([t], g) => op.gather(t, op.reshape(g.values.find((v) => v.name === "ids")!, [2, 3])),
    {
      extra: { ids },
    },
  );
  const targets = BigInt64Array.from([2n, 0n, 4n]);
  await check("ce", [{ name: "logits", shape: [3, 5] }], ([l], g) => crossEntropy(l, g.values.find((v) => v.name === "targets")!), {
    extra: { targets },
  });
});

Deno.test("grad: where and cast route gradients to the chosen branch", async () => {
  const cond = Uint8Array.from([1, 0, 1, 1, 0, 0]);
  await check("where", [a23, b23], ([a, b], g) => op.where(op.reshape(g.values.find((v) => v.name === "cond")!, [2, 3]), a, b), {
    extra: { cond },
  });
  await check("cast", [a23], ([a]) => op.cast(op.mul(op.cast(a, "float64"), op.cast(a, "float64")), "float32"), {
    dtype: "float32",
  });
});

Deno.test("grad: a value used by several consumers accumulates their gradients", async () => {
  await check("fanout", [{ name: "x", shape: [4, 4] }], ([x]) => op.matmul(op.tanh(x), op.softmax(x, -1)));
});

Deno.test("autodiff: a gradient is zero where the loss does not depend on the value", async () => {
  const g = new Graph();
  const x = g.input("x", [3], "float64"), y = g.input("y", [3], "float64");
  const { gradients } = await import("../lib/engine/autodiff.ts");
  const { CompiledGraph } = await import("../lib/engine/session.ts");
  const loss = op.reduceSum(op.mul(x, x), [0]);
  const [gx, gy] = gradients(loss, [x, y]);
  const c = await CompiledGraph.compile(g, { gx, gy });
  const r = await c.run({ x: Float64Array.from([1, 2, 3]), y: Float64Array.from([4, 5, 6]) });
  assert.deepEqual(Array.from(r.gx as Float64Array), [2, 4, 6]);
  assert.deepEqual(Array.from(r.gy as Float64Array), [0, 0, 0]);
});
