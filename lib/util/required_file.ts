/** Files the kit cannot do without (a model folder's, a config): a missing one is an InputError naming it. */
import { InputError } from "./errors.ts";

/**
 * The bytes of `path`.
 * @throws InputError naming it when absent ("missing file"), a folder, or otherwise unreadable (a link loop, no
 *   permission).
 */
export async function readRequiredFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw fileError(err, path);
  }
}

/** What went wrong opening `path`, as an InputError naming it (the system's own words where no plainer exist). */
export function fileError(err: unknown, path: string): InputError {
  if (err instanceof Deno.errors.NotFound) return new InputError("missing file", { file: path });
  if (err instanceof Deno.errors.IsADirectory) return new InputError("is a folder, not a file", { file: path });
  if (err instanceof Deno.errors.FilesystemLoop) return new InputError("is a symbolic link loop", { file: path });
  return new InputError(`cannot read (${(err as Error).message})`, { file: path });
}
