/** Short content hashes recorded with each result, so rows from different models or data never get mixed. */
import type { Row } from "../data/types.ts";
import { shortHash } from "../util/short_hash.ts";

// The model's fingerprint belongs to the model layer; re-exported for the experiments that name models by it.
export { modelFingerprint } from "../model/fingerprint.ts";

/** Hash of a cell's rows (text, a pair's second text, and label of train, dev and test, in order). */
export function dataFingerprint(splits: { train: readonly Row[]; dev: readonly Row[]; test: readonly Row[] }): Promise<string> {
  // Single-text rows hash as they always have, so recorded fingerprints stay valid.
  const pick = (rows: readonly Row[]) => rows.map((r) => (r.textB === undefined ? [r.text, r.label] : [r.text, r.textB, r.label]));
  return shortHash(JSON.stringify([pick(splits.train), pick(splits.dev), pick(splits.test)]));
}
