/** Measurements shared by the bench's cases: peak and current resident memory, medians, step timing. */

/** Peak resident memory of this process (VmHWM), in MB. */
export function peakRssMb(): number {
  const m = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/);
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Current resident memory of this process, in MB. */
export function rssMb(): number {
  return Math.round(Deno.memoryUsage().rss / 2 ** 20);
}

/** Median of a non-empty list. */
export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Rounded to `digits` decimals. */
export const round = (x: number, digits = 1) => Number(x.toFixed(digits));

/**
 * Time `steps` calls of `step` after `warmup` untimed ones (which compile sessions and fill caches);
 * returns each timed call's seconds.
 */
export async function timeSteps(warmup: number, steps: number, step: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t = performance.now();
    await step(i);
    if (i >= warmup) times.push((performance.now() - t) / 1000);
  }
  return times;
}
