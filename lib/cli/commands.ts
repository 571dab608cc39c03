import type { Command } from "./command.ts";
import { demo } from "./demo.ts";
import { data } from "./data.ts";
import { parity } from "./parity.ts";

/** Every command of `deno task cli`, by name. */
export const commands: Record<string, Command> = {
  demo,
  data,
  parity,
};
