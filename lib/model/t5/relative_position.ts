/**
 * T5's relative-position buckets, computed on the host: a graph of fixed lengths gets them as a constant index
 * tensor into its stack's bias table.
 * @module
 */

/**
 * The bucket of `relative` = key position − query position, as HF's `T5Attention._relative_position_bucket`:
 * bidirectional (encoder) halves the buckets between keys before and after the query, causal (decoder) maps
 * every later key to bucket 0; distances below half the buckets get one bucket each, longer ones logarithmic
 * buckets up to `maxDistance`, and everything beyond the last bucket. The logarithm is taken in float32 steps
 * (`Math.fround`) as PyTorch does, so that a distance on a bucket boundary lands where it lands there.
 */
export function relativePositionBucket(relative: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let buckets = numBuckets, base = 0, distance: number;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relative > 0) base = buckets;
    distance = Math.abs(relative);
  } else {
    distance = Math.max(-relative, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (distance < maxExact) return base + distance;
  const f = Math.fround;
  const scaled = f(f(f(Math.log(f(distance / maxExact))) / f(Math.log(maxDistance / maxExact))) * (buckets - maxExact));
  return base + Math.min(maxExact + Math.trunc(scaled), buckets - 1);
}

/** Buckets of every (query, key) pair, row-major [queries, keys], as int64 for a Gather. */
export function bucketTable(queries: number, keys: number, bidirectional: boolean, numBuckets: number, maxDistance: number): BigInt64Array {
  const out = new BigInt64Array(queries * keys);
  for (let q = 0; q < queries; q++) {
    for (let k = 0; k < keys; k++) out[q * keys + k] = BigInt(relativePositionBucket(k - q, bidirectional, numBuckets, maxDistance));
  }
  return out;
}
