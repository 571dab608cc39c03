/**
 * Global gradient-norm clipping with the arithmetic of `torch.nn.utils.clip_grad_norm_` (L2 norm).
 */
import type { TensorMap } from "../util/tensor.ts";

/**
 * Scale all gradients in place by `maxNorm / (total + 1e-6)` when that factor is below 1, where `total` is the
 * L2 norm of all gradients taken together. Returns `total`, the norm before clipping (summed in float64).
 * A non-finite norm is returned as is and, as in PyTorch, an infinite one zeroes the gradients and a NaN
 * leaves them unscaled: callers should skip the update when the result is not finite.
 */
export function clipGradNorm(grads: TensorMap, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  let sumSq = 0;
  for (const { data } of grads.values()) {
    for (let i = 0; i < data.length; i++) sumSq += data[i] * data[i];
  }
  const total = Math.sqrt(sumSq);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const { data } of grads.values()) {
      for (let i = 0; i < data.length; i++) data[i] *= coef;
    }
  }
  return total;
}
