/**
 * Length-sorted passes over one training batch. A batch of few-shot texts is padded to its longest text, which
 * is usually several times the typical one (EPRSTMT: median 33 tokens, one in five above 64): one pass of 16
 * rows pads to 128 nearly always, and about two thirds of what it computes is padding. Cutting the batch,
 * sorted by length, into a few passes each padded to its own length bucket computes about half the tokens
 * for the same update, the passes' gradients summed weighted by their rows (`GradAccumulator`).
 */

/**
 * `batch` sorted by `length` (stable, so equal lengths keep their order) and cut into `passes` runs of
 * consecutive examples, as equal as the count allows (the last may be shorter); fewer when the batch is small.
 */
export function lengthPasses<T>(batch: readonly T[], length: (item: T) => number, passes: number): T[][] {
  if (!Number.isInteger(passes) || passes < 1) throw new RangeError(`lengthPasses: passes must be a positive integer, got ${passes}`);
  const sorted = [...batch].sort((a, b) => length(a) - length(b)); // Array sort is stable
  const rows = Math.ceil(batch.length / passes);
  const out: T[][] = [];
  for (let at = 0; at < sorted.length; at += rows) out.push(sorted.slice(at, at + rows));
  return out;
}
