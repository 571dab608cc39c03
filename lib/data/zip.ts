/** Safe zip extraction: no entry may land outside the target folder, and broken archives name their file. */
import { isAbsolute, relative, resolve } from "node:path";
import { unzipSync } from "fflate";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";

/**
 * Extract every file entry of the zip `bytes` (read from `zipName`, used in messages) into `targetDir`.
 * All entry names are checked before anything is written, so a hostile archive writes nothing; each entry
 * is written atomically. Returns the extracted paths.
 */
export async function extractZip(bytes: Uint8Array, zipName: string, targetDir: string): Promise<string[]> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new InputError(`truncated or corrupt zip archive (${(err as Error).message})`, { file: zipName });
  }
  const root = resolve(targetDir);
  const files: [string, Uint8Array][] = [];
  for (const [name, data] of Object.entries(entries)) {
    if (name.endsWith("/")) continue; // folder entry
    const dest = resolve(root, name);
    const rel = relative(root, dest);
    if (isAbsolute(name) || name.includes("\\") || rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
      throw new InputError(`zip entry "${name}" would be written outside ${root}; nothing extracted`, {
        file: zipName,
      });
    }
    files.push([dest, data]);
  }
  for (const [dest, data] of files) await writeFileAtomic(dest, data);
  return files.map(([dest]) => dest);
}
