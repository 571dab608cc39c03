/**
 * What the entry points (`deno task cli`, `grid`, `figures`) print for an error that ends a command: bad input
 * and refused permissions as one line and exit code 2, never a stack trace. Anything else is a bug and keeps
 * its trace.
 * @module
 */
import { InputError } from "./errors.ts";

/**
 * The folders the `deno.json` tasks may write (their `--allow-write`), as a user reads them; a test keeps this
 * equal to `deno.json`.
 */
export const TASK_WRITE_SCOPE = [".", "$HOME/.cache/promptlab", "/tmp"] as const;

/** The permission error in `err` or its causes: Deno's sandbox (`NotCapable`) or the OS (`PermissionDenied`). */
function permissionError(err: unknown): Error | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) return e;
  }
  return null;
}

/**
 * One line for a refused permission: what was refused, on which path, and what to do; null for any other error.
 * Deno says `Requires write access to "/x", run again with the --allow-write flag`: the task's flags are
 * fixed in `deno.json`, so the advice is a path inside its scope instead.
 */
export function permissionMessage(err: unknown): string | null {
  const e = permissionError(err);
  if (!e) return null;
  const sandbox = /Requires (\w+) access to "?([^",]*)"?/.exec(e.message);
  if (sandbox && sandbox[1] === "write") {
    const scope = TASK_WRITE_SCOPE.map((p) => p === "." ? "the current folder" : p);
    return `no permission to write ${sandbox[2]}: the deno tasks may write only in ${scope.slice(0, -1).join(", ")} and ` +
      `${scope.at(-1)} (deno.json's --allow-write); choose a path there, e.g. under runs/, or run the script with your own ` +
      `\`deno run --allow-write=...\``;
  }
  if (sandbox) {
    return `no ${sandbox[1]} permission for ${sandbox[2]}: the deno tasks grant only what deno.json lists; ` +
      `run the script with your own \`deno run --allow-${sandbox[1]}=...\` if it really needs it`;
  }
  return `the operating system refused access (${e.message}); check that path's owner and mode, or choose another path`;
}

/**
 * The message and exit code of an error that ends a command: `error: ...` and 2 for bad input or a refused
 * permission; null for anything else (a bug: the caller rethrows it, trace and all).
 */
export function fatalMessage(err: unknown): { message: string; code: number } | null {
  if (err instanceof InputError) return { message: `error: ${err.message}`, code: 2 };
  const permission = permissionMessage(err);
  return permission === null ? null : { message: `error: ${permission}`, code: 2 };
}
