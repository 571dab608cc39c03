/**
 * AdamW with the arithmetic of PyTorch's `torch.optim.AdamW` (non-amsgrad, non-maximize), updating parameter
 * tensors in place.
 *
 * Per parameter, at its own step count t (1 on its first update):
 * ```
 * p *= 1 - lr * wd                      (decoupled weight decay; wd = 0 for no-decay parameters)
 * m  = b1 m + (1 - b1) g
 * v  = b2 v + (1 - b2) g^2
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * ```
 * Arithmetic runs in float64 per element and is stored as float32, so results match PyTorch's float32
 * kernels to within float32 rounding, not bit for bit.
 */
import type { HostTensor, TensorMap } from "../util/tensor.ts";

/** Settings of {@link AdamW}; defaults are PyTorch's except `weightDecay`, which defaults to 0. */
export interface AdamWOptions {
  /** Learning rate used when {@link AdamW.step} is not given one. */
  lr: number;
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to the bias-corrected sqrt of the second moment (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay coefficient (default 0). */
  weightDecay?: number;
  /** Which parameters get no weight decay; default {@link isNoDecayParam}. */
  noDecay?: (name: string) => boolean;
}

/** Optimizer state for exact resume: the moments of every parameter updated so far and their step counts. */
export interface AdamWState {
  /** Number of {@link AdamW.step} calls. */
  step: number;
  /** First moments (`exp_avg`), by parameter name. */
  m: TensorMap;
  /** Second moments (`exp_avg_sq`), by parameter name. */
  v: TensorMap;
  /** Updates each parameter has had; differs from `step` for a parameter that sometimes had no gradient. */
  paramSteps: Map<string, number>;
}

/**
 * The usual BERT rule for parameters exempt from weight decay: biases and LayerNorm parameters (names ending
 * in `.bias` or containing `LayerNorm` / `layer_norm`, which also covers the old `LayerNorm.gamma/beta`).
 */
export function isNoDecayParam(name: string): boolean {
  return name.endsWith(".bias") || name.includes("LayerNorm") || name.includes("layer_norm");
}

interface Slot {
  param: HostTensor;
  decay: boolean;
  step: number;
  m?: Float32Array;
  v?: Float32Array;
}

/**
 * AdamW over a map of parameters, which it updates in place.
 *
 * @example
 * ```ts
 * const opt = new AdamW(params, { lr: 1e-5, weightDecay: 0.01 });
 * opt.step(grads, 1e-5 * schedule(step));
 * ```
 */
export class AdamW {
  /** Learning rate used by {@link AdamW.step} when none is passed. */
  lr: number;
  /** Decay of the first moment. */
  readonly beta1: number;
  /** Decay of the second moment. */
  readonly beta2: number;
  /** Added to the bias-corrected sqrt of the second moment. */
  readonly eps: number;
  /** Decoupled weight decay coefficient, applied to parameters outside the no-decay rule. */
  readonly weightDecay: number;
  #slots = new Map<string, Slot>();
  #step = 0;

  /**
   * @param params the tensors to optimize (held by reference and updated in place).
   * @param options learning rate, betas, eps, weight decay and the no-decay rule.
   */
  constructor(params: TensorMap, options: AdamWOptions) {
    const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, noDecay = isNoDecayParam } = options;
    checkLr(lr);
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new RangeError(`AdamW: betas must lie in [0, 1), got ${beta1}, ${beta2}`);
    }
    if (!(eps >= 0) || !(weightDecay >= 0)) {
      throw new RangeError(`AdamW: eps and weightDecay must be >= 0, got ${eps}, ${weightDecay}`);
    }
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    for (const [name, param] of params) {
      this.#slots.set(name, { param, decay: weightDecay > 0 && !noDecay(name), step: 0 });
    }
  }

  /** Number of completed {@link AdamW.step} calls. */
  get stepCount(): number {
    return this.#step;
  }

  /** Names of the parameters that receive weight decay, for logging the parameter groups. */
  decayedNames(): string[] {
    return [...this.#slots].filter(([, s]) => s.decay).map(([name]) => name);
  }

  /**
   * One update. Parameters absent from `grads` are left alone, moments and step count included (PyTorch's
   * `grad is None`); a gradient for an unknown parameter or of the wrong size is an error.
   *
   * @param gradScale multiplies each gradient as it is read, rounded to float32 as an in-place scaling would
   *   have stored it (gradient clipping's factor, `clipScale`); `grads` themselves are not changed.
   */
  step(grads: TensorMap, lr: number = this.lr, gradScale = 1): void {
    checkLr(lr);
    for (const [name, g] of grads) {
      const slot = this.#slots.get(name);
      if (!slot) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
      if (g.data.length !== slot.param.data.length) {
        throw new Error(`AdamW: gradient "${name}" has ${g.data.length} elements, parameter ${slot.param.data.length}`);
      }
    }
    if (!(gradScale >= 0) || !Number.isFinite(gradScale)) {
      throw new RangeError(`AdamW: gradScale must be a finite number >= 0, got ${gradScale}`);
    }
    this.#step++;
    for (const [name, g] of grads) this.#update(this.#slots.get(name)!, g.data, lr, gradScale);
  }

  // One fused pass per tensor: the gradient's scale, decay, both moments and the parameter update read and
  // write each element once.
  #update(slot: Slot, g: Float32Array, lr: number, scale: number): void {
    const n = g.length;
    slot.m ??= new Float32Array(n);
    slot.v ??= new Float32Array(n);
    const t = ++slot.step;
    const p = slot.param.data, m = slot.m, v = slot.v;
    const b1 = this.beta1, b2 = this.beta2, c1 = 1 - b1, c2 = 1 - b2, eps = this.eps;
    const stepSize = lr / (1 - b1 ** t);
    const invBc2Sqrt = 1 / Math.sqrt(1 - b2 ** t); // a multiply in the loop, not a second division
    const keep = slot.decay ? 1 - lr * this.weightDecay : 1;
    for (let i = 0; i < n; i++) {
      const gi = Math.fround(g[i] * scale);
      const mi = b1 * m[i] + c1 * gi;
      const vi = b2 * v[i] + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * keep - stepSize * mi / (Math.sqrt(vi) * invBc2Sqrt + eps);
    }
  }

  /** A copy of the optimizer state (moments and step counts), unaffected by later steps. */
  state(): AdamWState {
    const m: TensorMap = new Map(), v: TensorMap = new Map(), paramSteps = new Map<string, number>();
    for (const [name, s] of this.#slots) {
      if (!s.m || !s.v) continue;
      const shape = [...s.param.shape];
      m.set(name, { shape, data: s.m.slice() });
      v.set(name, { shape: [...shape], data: s.v.slice() });
      paramSteps.set(name, s.step);
    }
    return { step: this.#step, m, v, paramSteps };
  }

  /**
   * Restore a state from {@link AdamW.state} (copied in), so that the next step continues exactly as the saved
   * optimizer would have. Parameters absent from the state start fresh.
   */
  loadState(state: AdamWState): void {
    for (const name of state.paramSteps.keys()) {
      const slot = this.#slots.get(name);
      if (!slot) throw new Error(`AdamW.loadState: state for unknown parameter "${name}"`);
      for (const [key, moments] of [["m", state.m], ["v", state.v]] as const) {
        const t = moments.get(name);
        if (!t || t.data.length !== slot.param.data.length) {
          throw new Error(`AdamW.loadState: ${key} of "${name}" is missing or has the wrong size`);
        }
      }
    }
    this.#step = state.step;
    for (const [name, slot] of this.#slots) {
      const t = state.paramSteps.get(name);
      slot.step = t ?? 0;
      slot.m = t === undefined ? undefined : state.m.get(name)!.data.slice();
      slot.v = t === undefined ? undefined : state.v.get(name)!.data.slice();
    }
  }
}

function checkLr(lr: number): void {
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`AdamW: lr must be a finite number >= 0, got ${lr}`);
}
