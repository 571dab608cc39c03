/** Measurements shared by the bench's cases: peak and current resident memory, medians, step timing, its sanity check. */

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

/** The shortest a timed step can take and still have run a model: the smallest case's steps take tens of ms. */
export const MIN_STEP_SECONDS = 1e-3;

/**
 * The most fp32 matmul GFLOP/s one CPU thread can do: two AVX-512 FMA units at 4 GHz give 256 (runtime-facts.md
 * measures about 226 with 2 threads here). A faster rate means the timed step skipped its work.
 */
export const MAX_GFLOPS_PER_THREAD = 256;

/**
 * Why a side's timing cannot be the work it claims (a cache answered, a step was skipped), or null when it is
 * plausible: its shortest timed step (`step_s_min`) under {@link MIN_STEP_SECONDS}, or its matmul rate
 * (`gflops_per_s`, when reported) above what `threads` threads can reach.
 */
export function timingProblem(r: { step_s_min?: unknown; gflops_per_s?: unknown }, threads: number): string | null {
  const step = r.step_s_min, gflops = r.gflops_per_s;
  if (typeof step !== "number" || !(step >= MIN_STEP_SECONDS)) {
    return `a timed step took ${step} s (under ${MIN_STEP_SECONDS} s): nothing was computed`;
  }
  const ceiling = MAX_GFLOPS_PER_THREAD * threads;
  if (typeof gflops === "number" && !(gflops <= ceiling)) {
    return `${gflops} GFLOP/s is more than ${threads} thread(s) can do (at most ${ceiling}): the timed work was skipped`;
  }
  return null;
}
