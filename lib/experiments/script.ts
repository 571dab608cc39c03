/** The entry of the kit's small scripts (`deno task grid`, `deno task figures`). */
import { InputError } from "../util/errors.ts";

/** Run `main` on the command-line arguments; bad input (bad flags included) prints `error: ...` and exits 2. */
export async function runScript(main: (args: string[]) => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    console.error(`error: ${err.message}`);
    Deno.exit(2);
  }
}
