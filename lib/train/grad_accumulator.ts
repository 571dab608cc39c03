/**
 * Gradient accumulation: one update from several passes over parts of a batch, each weighted by its share of
 * the batch's loss terms, so the sum equals the gradient of the whole batch's mean loss (up to float rounding)
 * while only one part's activations are held at a time.
 */
import type { TensorMap } from "../util/tensor.ts";

/** Sums weighted gradients and losses of the parts of one batch. */
export class GradAccumulator {
  #sum?: TensorMap;
  #parts = 0;
  #firstLoss = 0;
  #loss = 0;
  #weight = 0;

  /**
   * Add a part: `loss` is the mean over its `weight` loss terms (e.g. masked tokens), `grads` its gradients.
   * The first part's gradient arrays are taken over and written in place.
   */
  add(loss: number, grads: TensorMap, weight: number): void {
    if (!(weight > 0)) throw new RangeError(`GradAccumulator: a part's weight must be > 0, got ${weight}`);
    if (!this.#sum) {
      this.#sum = grads;
      this.#firstLoss = loss;
    } else {
      // The first part is scaled only once a second arrives, so a single part passes through bit for bit; that
      // scaling is folded into the second part's sum (rounded to float32 in between, as a pass of its own would).
      const first = this.#parts === 1 ? this.#weight : 1;
      for (const name of grads.keys()) {
        if (!this.#sum.has(name)) throw new Error(`GradAccumulator: gradient "${name}" missing from the first part`);
      }
      for (const [name, sum] of this.#sum) {
        const s = sum.data, d = grads.get(name)?.data;
        if (d) { for (let i = 0; i < d.length; i++) s[i] = Math.fround(s[i] * first) + weight * d[i]; }
        else if (first !== 1) { for (let i = 0; i < s.length; i++) s[i] *= first; }
      }
    }
    this.#parts++;
    this.#loss += loss * weight;
    this.#weight += weight;
  }

  /** The batch's mean loss and gradients: the weighted sums over the total weight. */
  result(): { loss: number; grads: TensorMap } {
    if (!this.#sum) throw new Error("GradAccumulator: no part was added");
    if (this.#parts > 1) scale(this.#sum, 1 / this.#weight);
    return { loss: this.#parts === 1 ? this.#firstLoss : this.#loss / this.#weight, grads: this.#sum };
  }
}

function scale(grads: TensorMap, by: number): void {
  for (const g of grads.values()) for (let i = 0; i < g.data.length; i++) g.data[i] *= by;
}
