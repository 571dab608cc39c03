/**
 * What one step of multitask training trains on: a task drawn with probability ∝ n_i^(1/T) (T0, ZeroPrompt),
 * then a batch of its rows, each with one of its templates. A step's draw depends on (seed, step) only, so a
 * resumed run draws exactly what an uninterrupted one would.
 */
import { mixSeed, Rng } from "../util/rng.ts";

/** Sampling probabilities of tasks with `sizes` rows at `temperature` (T = 1: proportional, larger T: flatter). */
export function temperatureWeights(sizes: readonly number[], temperature: number): number[] {
  const raw = sizes.map((n) => Math.pow(n, 1 / temperature));
  const total = raw.reduce((s, w) => s + w, 0);
  return raw.map((w) => w / total);
}

/** One step's task and its rows, each with the template it is rendered with. */
export interface StepDraw {
  task: number;
  picks: { row: number; template: number }[];
}

/**
 * The draw of step `step`: the task by `weights`, then `batchSize` distinct rows of it (all of them when it has
 * fewer) and a template for each, uniformly.
 */
export function drawStep(
  seed: number,
  step: number,
  weights: readonly number[],
  tasks: readonly { rows: number; templates: number }[],
  batchSize: number,
): StepDraw {
  const rng = new Rng(mixSeed(seed, step));
  let u = rng.next(), task = 0;
  while (task < weights.length - 1 && u >= weights[task]) u -= weights[task++];
  const { rows, templates } = tasks[task];
  const order = rng.shuffle(Array.from({ length: rows }, (_, i) => i)).slice(0, batchSize);
  return { task, picks: order.map((row) => ({ row, template: rng.int(templates) })) };
}
