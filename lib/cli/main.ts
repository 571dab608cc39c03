/**
 * `deno task cli <command> [flags]`: the kit's one command-line entry. Each command lives in its own module
 * under `lib/cli/` and is registered in `commands.ts`.
 */
import { commands, otherTasks } from "./commands.ts";
import { fatalMessage } from "../util/fatal.ts";

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  const tasks = Object.entries(otherTasks).map(([name, summary]) => `  deno task ${name}\n      ${summary}`);
  return `usage: deno task cli <command> [flags]\n\ncommands:\n${lines.join("\n")}\n\n` +
    `Run a command with --help for its flags.\n\nother tasks (each with --help):\n${tasks.join("\n")}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const fatal = fatalMessage(err);
    if (!fatal) throw err;
    console.error(fatal.message);
    return fatal.code;
  }
}

Deno.exit(await main(Deno.args));
