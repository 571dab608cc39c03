/**
 * Training pieces that run on the host between ONNX graph runs: the AdamW optimizer, learning-rate schedules
 * and global gradient-norm clipping.
 *
 * @example
 * ```ts
 * const opt = new AdamW(params, { lr: 1e-5, weightDecay: 0.01 });
 * const schedule = linearWarmupDecay(0, 250);
 * for (let step = 0; step < 250; step++) {
 *   const grads = await computeGrads(); // from the engine
 *   if (Number.isFinite(clipGradNorm(grads, 1.0))) opt.step(grads, 1e-5 * schedule(step));
 * }
 * ```
 */
export { AdamW, type AdamWOptions, type AdamWState, isNoDecayParam } from "./adamw.ts";
export { clipGradNorm } from "./clip.ts";
export { constantSchedule, linearWarmupDecay, type LrSchedule } from "./schedule.ts";
