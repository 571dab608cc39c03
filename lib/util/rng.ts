/**
 * Seeded pseudo-random numbers shared by the whole kit (splits, initialisation, dropout seeds, batching),
 * so that one seed reproduces the same run everywhere.
 *
 * The generator is SplitMix32 over a 32-bit state: tiny, fast, and good enough for sampling and
 * initialisation. Streams are derived with {@link Rng.fork} so that adding a consumer of randomness in one
 * place does not shift the numbers another place sees.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.next();           // uniform in [0, 1)
 * rng.fork("init").normal(0, 0.02);
 * ```
 */
export class Rng {
  #state: number;

  /** @param seed any integer; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.#state = hash32(Math.trunc(seed) >>> 0);
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Normal sample by Box-Muller. */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle of a copy of `items`. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** An independent stream named by `label`, derived from this generator's current state. */
  fork(label: string): Rng {
    let h = this.#state;
    for (let i = 0; i < label.length; i++) h = hash32((h ^ label.charCodeAt(i)) >>> 0);
    return new Rng(h);
  }
}

/** A 32-bit integer hash (the finaliser of MurmurHash3). */
export function hash32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Mix integers into a seed. */
export function mixSeed(...parts: number[]): number {
  return parts.reduce((h, p) => hash32((h ^ (p >>> 0)) >>> 0), 0x2545f491);
}
