/** A command of `deno task cli`. */
export interface Command {
  /** One line shown in the command list. */
  summary: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}
