/**
 * The fixed train/test split of datasets that have no official one (ChnSentiCorp_htl, waimai_10k,
 * online_shopping_10_cats, local files without a test file).
 *
 * Rule: texts (or pairs, {@link rowKey}) are de-duplicated first (a text seen with two different labels is
 * dropped entirely, repeated copies with one label are kept once, both counted), so no text can be on both sides. Then, per label,
 * the rows are shuffled by `new Rng(FIXED_SPLIT_SEED).fork("<salt>:<label>")` and the first
 * `round(FIXED_TEST_FRACTION * n)` go to test. The seed is a constant of the kit, unrelated to the seeds
 * of few-shot sampling, so every run and every K-shot seed scores on the same test rows.
 */
import { Rng } from "../util/rng.ts";
import type { Row, TextRow } from "./types.ts";

/** Seed of the fixed split; changing it changes every reported number on these datasets. */
export const FIXED_SPLIT_SEED = 20240517;
/** Share of each class that goes to the fixed test split. */
export const FIXED_TEST_FRACTION = 0.2;

/** Key under which two texts count as the same sentence: Unicode-normalised, whitespace removed. */
export function textKey(text: string): string {
  return text.normalize("NFKC").replace(/\s+/g, "");
}

/**
 * Key under which two rows count as the same example: the {@link textKey} of the text, or of both sentences of
 * a pair (a pair is one example; its sentences may recur in other pairs).
 */
export function rowKey(row: TextRow): string {
  return row.textB === undefined ? textKey(row.text) : `${textKey(row.text)}\u241E${textKey(row.textB)}`;
}

/** `items` grouped by `key`, groups and their members in first-seen order. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Rows with unique texts (or pairs), plus how many were dropped as `duplicate` or `conflicting`. */
export function dedupeRows(rows: readonly Row[]): { rows: Row[]; dropped: Record<string, number> } {
  const groups = groupBy(rows, rowKey);
  const out: Row[] = [];
  let duplicate = 0, conflicting = 0;
  for (const group of groups.values()) {
    if (group.some((r) => r.label !== group[0].label)) conflicting += group.length;
    else {
      out.push(group[0]);
      duplicate += group.length - 1;
    }
  }
  const dropped: Record<string, number> = {};
  if (duplicate) dropped.duplicate = duplicate;
  if (conflicting) dropped.conflicting = conflicting;
  return { rows: out, dropped };
}

/** The fixed stratified split of `rows`; `salt` (the dataset name) keeps datasets' shuffles apart. */
export function fixedSplit(
  rows: readonly Row[],
  salt: string,
): { train: Row[]; test: Row[]; dropped: Record<string, number> } {
  const unique = dedupeRows(rows);
  const order = new Map(unique.rows.map((r, i) => [r, i]));
  const byLabel = groupBy(unique.rows, (r) => r.label);
  const train: Row[] = [], test: Row[] = [];
  const root = new Rng(FIXED_SPLIT_SEED);
  for (const [label, group] of byLabel) {
    const shuffled = root.fork(`${salt}:${label}`).shuffle(group);
    const nTest = Math.round(FIXED_TEST_FRACTION * group.length);
    test.push(...shuffled.slice(0, nTest));
    train.push(...shuffled.slice(nTest));
  }
  // File order within each side, so the split reads like the source.
  const byOrder = (a: Row, b: Row) => order.get(a)! - order.get(b)!;
  return { train: train.sort(byOrder), test: test.sort(byOrder), dropped: unique.dropped };
}
