import assert from "node:assert/strict";
import { clipGradNorm } from "../lib/train/clip.ts";
import type { TensorMap } from "../lib/util/tensor.ts";

function grads(): TensorMap {
  // Global L2 norm: sqrt(3^2 + 4^2 + 12^2) = 13.
  return new Map([
    ["a", { shape: [2], data: new Float32Array([3, 4]) }],
    ["b", { shape: [1, 1], data: new Float32Array([-12]) }],
  ]);
}

Deno.test("clipGradNorm: returns the global norm and scales by max/(norm + 1e-6) above the limit", () => {
  const g = grads();
  assert.equal(clipGradNorm(g, 1), 13);
  const coef = 1 / (13 + 1e-6);
  assert.deepEqual([...g.get("a")!.data, ...g.get("b")!.data], [3, 4, -12].map((x) => Math.fround(x * coef)));
});

Deno.test("clipGradNorm: leaves gradients within the limit untouched", () => {
  const g = grads();
  assert.equal(clipGradNorm(g, 13.5), 13);
  assert.deepEqual([...g.get("a")!.data, ...g.get("b")!.data], [3, 4, -12]);
});

Deno.test("clipGradNorm: an empty map has norm 0; a non-positive limit is an error", () => {
  assert.equal(clipGradNorm(new Map(), 1), 0);
  assert.throws(() => clipGradNorm(grads(), 0), RangeError);
});
