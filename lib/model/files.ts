/** File access for model folders: a missing required file is an InputError naming it. */
import { InputError } from "../util/errors.ts";

/** The bytes of `path`. @throws InputError "missing file" naming it when absent. */
export async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new InputError("missing file", { file: path });
    throw err;
  }
}
