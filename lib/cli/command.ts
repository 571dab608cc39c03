/** A command of `deno task cli`, and the one way a command reads its declared flags. */
import { commandFlags, type CommandSpec, type FlagSpecs, type ParsedFlags } from "../util/flags.ts";

/** A command of `deno task cli`. */
export interface Command {
  /** One line shown in the command list. */
  summary: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/**
 * A command whose flags `spec` declares: `--help` prints their text and exits 0; otherwise `body` runs on the
 * parsed flags and resolves to the exit code. A flag error is an InputError (one line, exit 2, in `main.ts`).
 */
export function flagCommand<S extends FlagSpecs>(
  summary: string,
  spec: CommandSpec<S>,
  body: (parsed: Exclude<ParsedFlags<S>, { help: true }>) => Promise<number>,
): Command {
  return {
    summary,
    async run(args) {
      const parsed = commandFlags(spec, args);
      return parsed ? await body(parsed) : 0;
    },
  };
}
