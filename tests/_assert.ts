/** Assertions shared by tests of bad input. */
import assert from "node:assert/strict";
import { InputError } from "../lib/util/errors.ts";

/** Assert an InputError whose message names `file` and matches `problem`. */
export async function rejects(fn: () => unknown, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(async () => await fn(), (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${err}`);
    assert.ok(err.message.includes(file), `"${err.message}" does not name ${file}`);
    assert.match(err.message, problem);
    return true;
  });
}
