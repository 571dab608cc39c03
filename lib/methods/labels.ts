/** Checks shared by the methods: the labels of the data against those a method was configured for. */
import type { Row } from "../data/types.ts";
import { InputError } from "../util/errors.ts";

/**
 * Class index of each row's label.
 * @throws InputError naming the first label the method was not configured for.
 */
export function labelIndices(rows: readonly Row[], labels: readonly string[], what: string): number[] {
  const index = new Map(labels.map((l, i) => [l, i]));
  return rows.map((r, i) => {
    const c = index.get(r.label);
    if (c === undefined) {
      throw new InputError(`label "${r.label}" is not one of the configured labels [${labels.join(", ")}]`, {
        field: `${what}[${i}].label`,
      });
    }
    return c;
  });
}

/** Validate a numeric option before training. */
export function checkOption(name: string, value: number, ok: (v: number) => boolean, rule: string): void {
  if (!Number.isFinite(value) || !ok(value)) throw new InputError(`must be ${rule}, got ${value}`, { field: name });
}
