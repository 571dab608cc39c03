/**
 * Global gradient-norm clipping with the arithmetic of `torch.nn.utils.clip_grad_norm_` (L2 norm), split into
 * the norm and the factor so the optimizer applies the factor as it reads each gradient (`AdamW.step`'s
 * `gradScale`) instead of a separate pass that rewrites every gradient.
 */
import type { TensorMap } from "../util/tensor.ts";

/** The L2 norm of all gradients taken together (squares summed in float64). */
export function gradNorm(grads: TensorMap): number {
  let sumSq = 0;
  for (const { data } of grads.values()) {
    for (let i = 0; i < data.length; i++) sumSq += data[i] * data[i];
  }
  return Math.sqrt(sumSq);
}

/**
 * The factor clipping multiplies every gradient by: `maxNorm / (total + 1e-6)` when that is below 1, else 1.
 * As in PyTorch an infinite norm gives 0 (the gradients vanish); a NaN norm gives 1 (left unscaled). Callers
 * should skip the update when the norm is not finite.
 *
 * @example
 * ```ts
 * optimizer.step(grads, lr, clipScale(gradNorm(grads), 1.0));
 * ```
 */
export function clipScale(total: number, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipScale: maxNorm must be > 0, got ${maxNorm}`);
  const coef = maxNorm / (total + 1e-6);
  return coef < 1 ? coef : 1;
}
