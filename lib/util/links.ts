/** Paths that may be symbolic links, resolved so that every reader, writer and lock reaches the same file. */
import { InputError } from "./errors.ts";

/**
 * The file `path` stands for: its target when it is a symbolic link (so an atomic rename replaces the target,
 * not the link), else `path` itself, whether or not it exists.
 * @throws InputError naming `path` when it is a link to nothing or a link loop.
 */
export async function followLink(path: string): Promise<string> {
  const info = await Deno.lstat(path).catch(() => null);
  if (!info?.isSymlink) return path;
  try {
    return await Deno.realPath(path);
  } catch (err) {
    const why = err instanceof Deno.errors.FilesystemLoop
      ? "a symbolic link loop"
      : `a symbolic link to a missing path (${await Deno.readLink(path)})`;
    throw new InputError(`is ${why}; point it at a file or remove it`, { file: path });
  }
}
