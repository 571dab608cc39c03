/**
 * Few-shot protocols: K examples per class sampled from a task's training pool (train and dev disjoint,
 * deterministic per seed, away from the test set), or FewCLUE's official splits.
 */
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { rowKey, textKey } from "./split.ts";
import type { Row, TextRow } from "./types.ts";

/** Options of {@link sampleFewShot}. */
export interface FewShotOptions {
  /** Examples per class in train. */
  k: number;
  /** Examples per class in dev; default `k`. */
  devK?: number;
  seed: number;
  /** Canonical labels, in class order; every one must have enough examples. */
  labels: readonly string[];
  /** Texts or rows that must not be sampled (the test set), compared by {@link textKey} and {@link rowKey}. */
  exclude?: Iterable<string | TextRow>;
}

/**
 * Draw `k` train and `devK` dev examples per class from `pool`, stratified and deterministic for `seed`.
 * Rows are compared after {@link rowKey}, so a repeated sentence (or pair) cannot land on both sides, nor any
 * row of `exclude`. Throws when a class has fewer than `k + devK` usable examples, naming the binding class
 * (the one with the fewest) and the largest K the pool allows.
 */
export function sampleFewShot(pool: readonly Row[], opts: FewShotOptions): { train: Row[]; dev: Row[] } {
  const devK = opts.devK ?? opts.k;
  if (!Number.isInteger(opts.k) || opts.k < 1 || !Number.isInteger(devK) || devK < 0) {
    throw new InputError(`k must be a positive integer and devK a non-negative one, got ${opts.k} and ${devK}`);
  }
  const excluded = new Set([...(opts.exclude ?? [])].map((x) => (typeof x === "string" ? textKey(x) : rowKey(x))));
  const seen = new Set<string>();
  const byLabel = new Map<string, Row[]>(opts.labels.map((l) => [l, []]));
  for (const row of pool) {
    const key = rowKey(row);
    if (excluded.has(key) || seen.has(key)) continue;
    seen.add(key);
    byLabel.get(row.label)?.push(row);
  }
  const binding = opts.labels.reduce((a, b) => (byLabel.get(b)!.length < byLabel.get(a)!.length ? b : a));
  const fewest = byLabel.get(binding)!.length;
  if (fewest < opts.k + devK) {
    const most = devK === opts.k ? `K ≤ ${Math.floor(fewest / 2)}` : `K ≤ ${fewest - devK} with ${devK} dev`;
    throw new InputError(
      `class "${binding}" has ${fewest} usable examples, fewer than the ${opts.k + devK} needed for ${opts.k} train + ${devK} dev ` +
        `(the fewest of the ${opts.labels.length} classes: this pool allows ${most})`,
    );
  }
  const rng = new Rng(opts.seed);
  const train: Row[] = [], dev: Row[] = [];
  for (const label of opts.labels) {
    const rows = byLabel.get(label)!;
    const shuffled = rng.fork(`class:${label}`).shuffle(rows);
    train.push(...shuffled.slice(0, opts.k));
    dev.push(...shuffled.slice(opts.k, opts.k + devK));
  }
  // Interleave classes so batches are not sorted by label.
  return { train: rng.fork("order:train").shuffle(train), dev: rng.fork("order:dev").shuffle(dev) };
}
