/**
 * Composite operations built from `ops.ts` primitives, so their gradients come from the primitive rules.
 */
import type { Value } from "./graph.ts";
import * as op from "./ops.ts";

/** y = x Wᵀ + b with W stored [out, in] as PyTorch and Hugging Face store it; x is [rows, in]. */
export function linear(x: Value, weight: Value, bias?: Value): Value {
  return op.gemm(x, weight, bias, { transB: true });
}

/** Exact GELU, 0.5 x (1 + erf(x / √2)) (Hugging Face `hidden_act: "gelu"`). */
export const gelu = (x: Value): Value => op.gelu(x, "none");

/** Tanh-approximated GELU (Hugging Face `gelu_new`, `gelu_pytorch_tanh`). */
export const geluTanh = (x: Value): Value => op.gelu(x, "tanh");

/**
 * max(x, 0), as a Where on x ≥ 0 so its gradient comes from Where's rule (1 where x ≥ 0, else 0). The zero is a
 * scalar, broadcast: a graph with run-time shapes (an export) may run x at any size.
 */
export function relu(x: Value): Value {
  const zero = x.graph.scalar(0, x.dtype);
  return op.where(op.greaterOrEqual(x, zero), x, zero);
}

// Odd multipliers of the MurmurHash3 finaliser; indices are pre-multiplied by the golden ratio.
const GOLDEN = 0x9e3779b1, M1 = 0x85ebca6b, M2 = 0xc2b2ae35;

/**
 * A hash of (element index, seed) into uniform uint32s, computed inside the graph. The seed is a run-time
 * input, so every training step draws a fresh mask from one compiled session, and a step's mask depends
 * only on (seed, site): resuming at a step reproduces its masks exactly. Two multiply rounds with one
 * xor-shift between them mix every input bit into the high bits the keep test reads; the finaliser's last
 * xor-shift is left out (it only matters for the low bits), saving two passes over each mask.
 */
function uniformBits(seed: Value, site: number, size: number): Value {
  const g = seed.graph;
  const u = (n: number) => g.scalar(n >>> 0, "uint32");
  const x = op.mul(op.bitwiseXor(g.iota(size, GOLDEN), op.add(seed, u(Math.imul(site + 1, 0x27d4eb2d)))), u(M1));
  return op.mul(op.bitwiseXor(x, op.shiftRight(x, u(16))), u(M2));
}

/**
 * Inverted dropout with a seeded mask: each element kept with probability 1 - p and scaled by 1 / (1 - p).
 *
 * @param seed a uint32 scalar input fed per step.
 * @param site distinguishes the dropout sites of one graph so they draw independent masks.
 */
export function dropout(x: Value, p: number, seed: Value, site: number): Value {
  if (p <= 0) return x;
  if (p >= 1) throw new Error(`dropout: probability ${p} must be below 1`);
  if (seed.dtype !== "uint32" || seed.size !== 1) throw new Error(`dropout: seed must be a uint32 scalar, got ${seed}`);
  const g = x.graph;
  const keep = op.greaterOrEqual(uniformBits(seed, site, x.size), g.scalar(Math.min(2 ** 32 - 1, Math.round(p * 2 ** 32)), "uint32"));
  // Multiplying by a float mask costs backward 4 bytes an element where selecting with the bool one (Where)
  // kept 1, but onnxruntime's Where runs on one thread at several times Mul's cost per element: at
  // bert-base's shape its 74 nodes took a quarter of a training step.
  const scaledMask = op.mul(op.cast(op.reshape(keep, x.shape), x.dtype), g.scalar(1 / (1 - p), x.dtype));
  return op.mul(x, scaledMask);
}

/**
 * Mean cross-entropy of `logits` [N, C] against integer `targets` [N]; `weights` [N] (optional, float)
 * weighs rows, e.g. 0 for padding rows of a fixed-size bucket, and the mean is over their sum.
 */
export function crossEntropy(logits: Value, targets: Value, weights?: Value): Value {
  const [n] = logits.shape;
  const logp = op.logSoftmax(logits, 1);
  const picked = op.reshape(op.gatherElements(logp, op.reshape(op.cast(targets, "int64"), [n, 1]), 1), [n]);
  if (!weights) return op.neg(op.reduceMean(picked, [0]));
  return op.neg(op.div(op.reduceSum(op.mul(picked, weights), [0]), op.reduceSum(weights, [0])));
}

/**
 * T5's layer norm over the last axis: x / √(mean(x²) + eps) · weight, no mean subtraction and no bias
 * (HF `T5LayerNorm`). Built from primitives, so its gradient is theirs.
 */
export function rmsNorm(x: Value, weight: Value, eps: number): Value {
  const meanSquare = op.reduceMean(op.mul(x, x), [-1], true);
  return op.mul(op.div(x, op.sqrt(op.add(meanSquare, x.graph.scalar(eps, x.dtype)))), weight);
}
