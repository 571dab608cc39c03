/** The entry of the kit's small scripts (`deno task grid`, `deno task figures`). */
import { InputError } from "../util/errors.ts";

/** Run `main` on the command-line arguments; bad input (or bad flags) prints `error: ...` and exits 2. */
export async function runScript(main: (args: string[]) => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    if (!(err instanceof InputError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) throw err;
    console.error(`error: ${(err as Error).message}`);
    Deno.exit(2);
  }
}
