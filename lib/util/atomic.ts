import { InputError } from "./errors.ts";
import { followLink } from "./links.ts";

/**
 * Write a file so that readers see either the old content or the whole new content, never a part:
 * write to a temporary file in the same folder, flush, then rename over the target. A symbolic link is
 * followed (its target is replaced, the link stays), as appends and reads follow it.
 * @throws InputError naming `path` when it is a folder, a dangling link or a link loop.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  path = await followLink(path);
  if ((await Deno.stat(path).catch(() => null))?.isDirectory) throw new InputError("is a folder; give a file path", { file: path });
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let off = 0;
      while (off < bytes.length) off += await file.write(bytes.subarray(off));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}
