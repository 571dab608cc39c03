/**
 * Learning-rate schedules as multipliers of the base learning rate, indexed by the number of optimizer steps
 * already taken (0 for the first update), as Hugging Face's `LambdaLR` schedules are when `scheduler.step()`
 * follows `optimizer.step()`.
 */

/** Multiplier of the base learning rate for the update that follows `step` completed updates. */
export type LrSchedule = (step: number) => number;

/**
 * Linear warmup from 0 to 1 over `warmupSteps`, then linear decay to 0 at `totalSteps` (and 0 after), with
 * the arithmetic of Hugging Face's `get_linear_schedule_with_warmup`: `step / warmup` before the warmup ends,
 * else `max(0, (total - step) / (total - warmup))`, each denominator at least 1.
 * With warmup, the first update (step 0) therefore has learning rate 0, as in Hugging Face.
 */
export function linearWarmupDecay(warmupSteps: number, totalSteps: number): LrSchedule {
  checkCount("warmupSteps", warmupSteps);
  checkCount("totalSteps", totalSteps);
  const warmup = Math.max(1, warmupSteps), decay = Math.max(1, totalSteps - warmupSteps);
  return (step) => {
    checkCount("step", step);
    if (step < warmupSteps) return step / warmup;
    return Math.max(0, (totalSteps - step) / decay);
  };
}

/** A multiplier of 1 at every step (Hugging Face's `get_constant_schedule`). */
export function constantSchedule(): LrSchedule {
  return (step) => {
    checkCount("step", step);
    return 1;
  };
}

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`schedule: ${what} must be an integer >= 0, got ${n}`);
}
