import assert from "node:assert/strict";
import { clipScale, gradNorm } from "../lib/train/clip.ts";
import type { TensorMap } from "../lib/util/tensor.ts";

function grads(): TensorMap {
  // Global L2 norm: sqrt(3^2 + 4^2 + 12^2) = 13.
  return new Map([
    ["a", { shape: [2], data: new Float32Array([3, 4]) }],
    ["b", { shape: [1, 1], data: new Float32Array([-12]) }],
  ]);
}

Deno.test("gradNorm: the L2 norm of all gradients together; 0 for none", () => {
  assert.equal(gradNorm(grads()), 13);
  assert.equal(gradNorm(new Map()), 0);
});

Deno.test("clipScale: max/(norm + 1e-6) above the limit, 1 within it; PyTorch's infinite and our NaN cases", () => {
  assert.equal(clipScale(13, 1), 1 / (13 + 1e-6));
  assert.equal(clipScale(13, 13.5), 1);
  assert.equal(clipScale(Infinity, 1), 0);
  assert.equal(clipScale(NaN, 1), 1);
  assert.throws(() => clipScale(13, 0), RangeError);
});
