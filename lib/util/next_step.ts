/**
 * The closing lines of a command: what it wrote and the command to run next, so a user never has to guess
 * where results went. They go to stderr when stdout carries JSON, so the JSON stays parseable.
 * @module
 */

/** What a command leaves behind and what comes next. */
export interface NextStep {
  /** Files or folders written; empty when the command wrote nothing (then `nothing` says why or how to keep it). */
  wrote: readonly string[];
  /** Said instead of the list when nothing was written. */
  nothing?: string;
  /** Commands to run next, each with what it does after ` # `. */
  next: readonly string[];
}

/** The closing lines as text. */
export function nextStepText({ wrote, nothing, next }: NextStep): string {
  const lines = [wrote.length ? `wrote: ${wrote.join(", ")}` : `wrote nothing${nothing ? ` (${nothing})` : ""}`];
  for (const n of next) lines.push(`next:  ${n}`);
  return lines.join("\n");
}

/** Print the closing lines: to stdout, or to stderr when stdout is JSON (`json`). */
export function printNextStep(step: NextStep, json = false): void {
  (json ? console.error : console.log)(nextStepText(step));
}
