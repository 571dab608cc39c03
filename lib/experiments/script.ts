/** The entry of the kit's small scripts (`deno task grid`, `deno task figures`). */
import { fatalMessage } from "../util/fatal.ts";

/**
 * Run `main` on the command-line arguments; bad input (bad flags included) and refused permissions print one
 * `error: ...` line and exit 2.
 */
export async function runScript(main: (args: string[]) => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    const fatal = fatalMessage(err);
    if (!fatal) throw err;
    console.error(fatal.message);
    Deno.exit(fatal.code);
  }
}
