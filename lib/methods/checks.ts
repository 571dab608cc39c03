/**
 * Checks shared by the methods, run before any training: options in range (the loop's in one place), the
 * labels of the data against those a method was configured for, and rows of one kind of input.
 */
import type { InputKind, Row, TextRow } from "../data/types.ts";
import type { LoopOptions } from "../train/loop.ts";
import { InputError } from "../util/errors.ts";
import { inputKindOf } from "./prompt_inputs.ts";

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

const KIND_NAMES: Record<InputKind, string> = { text: "a single text", pair: "a sentence pair" };

/**
 * The kind of input of the rows a method trains and evaluates on: single texts, or sentence pairs (`textB`
 * set); undefined when there are none.
 * @throws InputError naming the first row of another kind than the first row (`train[i]`, then `dev[i]`).
 */
export function rowsInputKind(sets: Readonly<Record<string, readonly TextRow[]>>): InputKind | undefined {
  let first: { kind: InputKind; at: string } | undefined;
  for (const [what, rows] of Object.entries(sets)) {
    rows.forEach((row, i) => {
      const kind = inputKindOf(row), at = `${what}[${i}]`;
      first ??= { kind, at };
      if (kind !== first.kind) {
        throw new InputError(
          `is ${KIND_NAMES[kind]}, but ${first.at} is ${KIND_NAMES[first.kind]}: a model trains and evaluates on one kind of input`,
          {
            field: `${at}.textB`,
          },
        );
      }
    });
  }
  return first?.kind;
}

/** Validate a numeric option before training. */
export function checkOption(name: string, value: number, ok: (v: number) => boolean, rule: string): void {
  if (!Number.isFinite(value) || !ok(value)) throw new InputError(`must be ${rule}, got ${value}`, { field: name });
}

/** Validate the options every trained method shares: the loop's, input length and evaluation batch size. */
export function checkLoopOptions(o: LoopOptions & { maxLength: number; evalBatchSize: number }, maxPositions: number): void {
  const count = (v: number) => Number.isInteger(v) && v >= 1, nonNegative = (v: number) => v >= 0;
  checkOption("steps", o.steps, (v) => Number.isInteger(v) && v >= 0, "an integer ≥ 0 (0: from epochs)");
  checkOption("epochs", o.epochs, (v) => v > 0, "positive");
  checkOption("minSteps", o.minSteps, count, "a positive integer");
  checkOption("maxSteps", o.maxSteps, (v) => Number.isInteger(v) && v >= o.minSteps, `an integer ≥ minSteps (${o.minSteps})`);
  checkOption("batchSize", o.batchSize, count, "a positive integer");
  checkOption("passes", o.passes, count, "a positive integer");
  checkOption("lr", o.lr, (v) => v > 0, "positive");
  checkOption("warmupRatio", o.warmupRatio, (v) => v >= 0 && v < 1, "in [0, 1)");
  checkOption("weightDecay", o.weightDecay, nonNegative, "≥ 0");
  checkOption("maxGradNorm", o.maxGradNorm, nonNegative, "≥ 0 (0: no clipping)");
  checkOption("evalEvery", o.evalEvery, (v) => Number.isInteger(v) && v >= 0, "an integer ≥ 0 (0: only at the end)");
  checkOption("patience", o.patience, (v) => Number.isInteger(v) && v >= 0, "an integer ≥ 0 (0: never stop early)");
  checkOption("seed", o.seed, Number.isInteger, "an integer");
  checkOption("maxLength", o.maxLength, (v) => Number.isInteger(v) && v >= 8 && v <= maxPositions, `an integer in [8, ${maxPositions}]`);
  checkOption("evalBatchSize", o.evalBatchSize, count, "a positive integer");
}
