/** Where a piece of bad input came from; every field optional, the message names what is known. */
export interface InputLocation {
  /** File (or folder) the input was read from. */
  file?: string;
  /** 1-based line number inside `file`. */
  line?: number;
  /** Field, column, tensor or option name. */
  field?: string;
}

/**
 * Bad input from a user: a file, a flag, a configuration. The message always starts with the location,
 * e.g. `data.jsonl:12 (field "label"): unknown label "neutral"`, so a user can go straight to it.
 */
export class InputError extends Error {
  readonly location: InputLocation;
  /** The message without its location, for a caller that re-places the error (a field of a file it read). */
  readonly problem: string;

  constructor(problem: string, location: InputLocation = {}) {
    super(`${formatLocation(location)}${problem}`);
    this.name = "InputError";
    this.location = location;
    this.problem = problem;
  }
}

function formatLocation({ file, line, field }: InputLocation): string {
  let where = file ?? "";
  if (line !== undefined) where += `${where ? ":" : "line "}${line}`;
  // A command-line flag names itself: `--steps: must be at least 1`.
  if (field !== undefined) where += where ? ` (field "${field}")` : field.startsWith("-") ? field : `field "${field}"`;
  return where ? `${where}: ` : "";
}
