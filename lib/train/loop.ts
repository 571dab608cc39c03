/**
 * The training loop every trained method shares: seeded batches, AdamW with linear warmup and decay,
 * gradient clipping, evaluation on dev every N steps with the best state kept (early stopping), progress
 * through a callback, and a clear stop on a non-finite loss.
 */
import type { TensorMap } from "../util/tensor.ts";
import { Rng } from "../util/rng.ts";
import { AdamW } from "./adamw.ts";
import { clipScale, gradNorm } from "./clip.ts";
import { linearWarmupDecay } from "./schedule.ts";
import type { ProgressCallback } from "./progress.ts";

/** Optimisation settings of {@link trainLoop}. */
export interface LoopOptions {
  /** Optimizer steps in all, exactly; 0: from `epochs` between `minSteps` and `maxSteps` ({@link loopSteps}). */
  steps: number;
  /** Passes over the training examples when `steps` is 0, so a larger training set gets a longer run. */
  epochs: number;
  /** The fewest steps `epochs` may give (the budget's floor: what a few-shot set trains for). */
  minSteps: number;
  /** The most steps `epochs` may give (the budget's cap). */
  maxSteps: number;
  /** Examples per step (capped at the number of examples). */
  batchSize: number;
  /**
   * Forward/backward passes per step: the batch, sorted by length, runs as this many parts, each padded to its
   * own length bucket, their gradients summed (`train/length_passes.ts`). The update is the batch's, up to float
   * rounding and each part's own dropout masks; 1 pads the whole batch to its longest text in one pass.
   */
  passes: number;
  lr: number;
  /** Fraction of `steps` spent warming up linearly (0: none). */
  warmupRatio: number;
  weightDecay: number;
  /** Global gradient-norm clip (0: off). */
  maxGradNorm: number;
  /** Evaluate on dev every this many steps (0: only at the end). */
  evalEvery: number;
  /** Stop after this many evaluations without improvement (0: never). */
  patience: number;
  seed: number;
}

/** Defaults shared by the methods; each overrides what its paper uses. */
export const LOOP_DEFAULTS: LoopOptions = {
  steps: 0,
  epochs: 10,
  minSteps: 250,
  maxSteps: 2000,
  batchSize: 16,
  passes: 4,
  lr: 1e-5,
  warmupRatio: 0,
  weightDecay: 0.01,
  maxGradNorm: 1,
  evalEvery: 50,
  patience: 0,
  seed: 42,
};

/**
 * The steps a run of `opts` takes on `examples` training examples: `steps` when set; else enough steps for
 * `epochs` passes, never fewer than `minSteps` nor more than `maxSteps`. With 10 epochs of batch 16 and a floor
 * of 200-300 steps, few-shot sets up to 320-480 examples train for the floor; 2,048 examples (K = 1,024, two
 * classes) get 1,280 steps.
 */
export function loopSteps(opts: Pick<LoopOptions, "steps" | "epochs" | "minSteps" | "maxSteps" | "batchSize">, examples: number): number {
  if (opts.steps > 0) return opts.steps;
  const wanted = Math.ceil((opts.epochs * examples) / Math.min(opts.batchSize, examples));
  return Math.max(opts.minSteps, Math.min(opts.maxSteps, wanted));
}

/** What the loop needs from a method. */
export interface LoopHooks<T> {
  /** Trainable tensors, updated in place; the best-on-dev state is restored into them at the end. */
  params: TensorMap;
  examples: readonly T[];
  /** Loss and gradients of `params` on one batch; `step` is 0-based (e.g. for dropout seeds). */
  step(batch: T[], step: number): Promise<{ loss: number; grads: TensorMap }>;
  /** Dev accuracy of the current state; without it the final state is kept. */
  evaluate?(): Promise<number>;
  onProgress?: ProgressCallback;
  /** Parameters without weight decay; default: biases and LayerNorm. */
  noDecay?: (name: string) => boolean;
}

/** What the loop did. */
export interface LoopResult {
  steps: number;
  losses: number[];
  dev: { step: number; accuracy: number }[];
  bestStep: number;
  wallSeconds: number;
}

/** Training stopped because the loss became NaN or infinite. */
export class DivergedError extends Error {
  constructor(readonly step: number, readonly loss: number) {
    super(`training diverged: loss ${loss} at step ${step}; lower the learning rate or check the data`);
    this.name = "DivergedError";
  }
}

function snapshot(params: TensorMap): Map<string, Float32Array> {
  return new Map([...params].map(([n, t]) => [n, t.data.slice()]));
}

/** Seeded epoch-wise shuffling; each batch takes the next `size` examples, wrapping into a fresh epoch. */
function* batches<T>(examples: readonly T[], size: number, rng: Rng): Generator<T[]> {
  let order = rng.shuffle(examples), at = 0;
  while (true) {
    const batch: T[] = [];
    while (batch.length < size) {
      if (at === order.length) [order, at] = [rng.shuffle(examples), 0];
      batch.push(order[at++]);
    }
    yield batch;
  }
}

/**
 * Train `hooks.params` for {@link loopSteps} steps.
 *
 * @throws DivergedError on a non-finite loss (the parameters keep their last finite state's best snapshot).
 */
export async function trainLoop<T>(hooks: LoopHooks<T>, opts: LoopOptions): Promise<LoopResult> {
  if (hooks.examples.length === 0) throw new Error("trainLoop: no training examples");
  const start = performance.now();
  const total = loopSteps(opts, hooks.examples.length);
  const rng = new Rng(opts.seed).fork("batches");
  const optimizer = new AdamW(hooks.params, { lr: opts.lr, weightDecay: opts.weightDecay, noDecay: hooks.noDecay });
  const schedule = linearWarmupDecay(Math.round(opts.warmupRatio * total), total);
  const size = Math.min(opts.batchSize, hooks.examples.length);
  const stream = batches(hooks.examples, size, rng);
  const losses: number[] = [], dev: { step: number; accuracy: number }[] = [];
  let best = { accuracy: -Infinity, step: 0, state: snapshot(hooks.params) };
  let sinceBest = 0;

  const evaluate = async (step: number) => {
    if (!hooks.evaluate) return false;
    const accuracy = await hooks.evaluate();
    dev.push({ step, accuracy });
    hooks.onProgress?.({ phase: "eval", step, totalSteps: total, devAccuracy: accuracy });
    if (accuracy > best.accuracy) {
      best = { accuracy, step, state: snapshot(hooks.params) };
      sinceBest = 0;
    } else sinceBest++;
    return opts.patience > 0 && sinceBest >= opts.patience;
  };

  let step = 0;
  while (step < total) {
    const { loss, grads } = await hooks.step(stream.next().value as T[], step);
    if (!Number.isFinite(loss)) throw new DivergedError(step, loss);
    const scale = opts.maxGradNorm > 0 ? clipScale(gradNorm(grads), opts.maxGradNorm) : 1;
    optimizer.step(grads, opts.lr * schedule(step), scale);
    losses.push(loss);
    step++;
    hooks.onProgress?.({ phase: "train", step, totalSteps: total, loss });
    const due = opts.evalEvery > 0 && step % opts.evalEvery === 0 && step < total;
    if (due && (await evaluate(step))) break;
  }
  if (hooks.evaluate && dev.at(-1)?.step !== step) await evaluate(step);
  if (hooks.evaluate) {
    for (const [name, data] of best.state) hooks.params.get(name)!.data.set(data);
  }
  return {
    steps: step,
    losses,
    dev,
    bestStep: hooks.evaluate ? best.step : step,
    wallSeconds: (performance.now() - start) / 1000,
  };
}
