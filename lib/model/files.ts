/** File access for model folders: optional files are probed, a missing required one is an InputError. */
import { InputError } from "../util/errors.ts";

/** Whether `path` exists (file or folder); model folders have optional files, so absence is not an error. */
export async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** The bytes of `path`. @throws InputError "missing file" naming it when absent. */
export async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new InputError("missing file", { file: path });
    throw err;
  }
}
