/**
 * A saved model comparison (`comparison.json`, what `cli model-card` writes) read back for `--comparison`: every
 * field the card reads is checked, so a file of another shape is an error naming the field, not a crash
 * halfway through the card.
 */
import { readJsonFile } from "../util/json_file.ts";
import { InputError } from "../util/errors.ts";
import type { ModelComparison } from "./model_card.ts";

type Check = [field: string, ok: (v: unknown) => boolean, what: string];

const isNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const isString = (v: unknown) => typeof v === "string";
const NUMBER = "a number", STRING = "a string";

const ROW: Check[] = [["name", isString, STRING], ["parameters", isNumber, NUMBER], ["heldout.loss", isNumber, NUMBER], [
  "heldout.accuracy",
  isNumber,
  NUMBER,
]];
const LISTS: Record<"zeroShot" | "fewShot", Check[]> = {
  zeroShot: [["accuracy", isNumber, NUMBER], ["macroF1", isNumber, NUMBER]],
  fewShot: [["method", isString, STRING], ["splits", isNumber, NUMBER], ["accuracyMean", isNumber, NUMBER], [
    "accuracyStd",
    isNumber,
    NUMBER,
  ], [
    "macroF1Mean",
    isNumber,
    NUMBER,
  ]],
};

/** `value`'s field at a dotted path (undefined where a step is missing). */
function at(value: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>(
    (v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined),
    value,
  );
}

function checkAll(value: unknown, checks: Check[], prefix: string, file: string): void {
  for (const [field, ok, what] of checks) {
    const v = at(value, field);
    if (!ok(v)) throw new InputError(`must be ${what}, got ${JSON.stringify(v) ?? "nothing"}`, { file, field: `${prefix}${field}` });
  }
}

/**
 * Read a comparison file: a list of one row per model (the model first, then the reference).
 * @throws InputError naming the file and the first field of the wrong shape (e.g. `[0].heldout.loss`).
 */
export async function readComparison(file: string): Promise<ModelComparison[]> {
  const rows = await readJsonFile(file);
  if (!Array.isArray(rows) || !rows.length) {
    throw new InputError("must be a non-empty list of models' rows, as `cli model-card` writes to comparison.json", { file });
  }
  rows.forEach((row, i) => {
    checkAll(row, ROW, `[${i}].`, file);
    for (const [list, checks] of Object.entries(LISTS)) {
      const items = at(row, list);
      if (!Array.isArray(items)) {
        throw new InputError(`must be a list, got ${JSON.stringify(items) ?? "nothing"}`, { file, field: `[${i}].${list}` });
      }
      items.forEach((item, j) => checkAll(item, checks, `[${i}].${list}[${j}].`, file));
    }
  });
  return rows as ModelComparison[];
}
