/**
 * The folder an export is written into, and what keeps the export from destroying anything: a folder holding
 * files the kit did not write is refused, and an earlier export of the kit is replaced as a whole. An export
 * ends with {@link EXPORT_MARKER}, listing the files it wrote; the next export into the folder removes exactly
 * those (so a PET export's `promptlab.json` cannot outlive it under a classifier export, which `cli predict`
 * would then open as PET) and keeps whatever a user added.
 *
 * @example
 * ```ts
 * const kept = await claimExportFolder("exports/ft", "--out");
 * // ... write the export's files ...
 * await markExportFolder("exports/ft", kept);
 * ```
 * @module
 */
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";

/**
 * The file an export writes last: `{ "written_by": "promptlab export", "files": [relative paths],
 * "tokenizer_ids": n }`, n the size of the vocabulary exported with the model (a later check that the folder's
 * tokenizer is still the model's).
 */
export const EXPORT_MARKER = "promptlab_export.json";

/** Relative paths of the files under `dir` (empty when `dir` does not exist). */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
      const rel = `${prefix}${entry.name}`;
      if (entry.isDirectory) found.push(...await filesUnder(dir, `${rel}/`));
      else found.push(rel);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return found;
}

/** The files an earlier export listed in its marker; undefined when `dir` holds no marker. */
async function markedFiles(dir: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/${EXPORT_MARKER}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const files = (() => {
    try {
      return JSON.parse(text).files;
    } catch {
      return undefined;
    }
  })();
  if (!Array.isArray(files) || !files.every((f) => typeof f === "string" && !f.startsWith("/") && !f.split("/").includes(".."))) {
    throw new InputError('not an export marker of the kit (expected {"files": [relative paths]}): remove it or choose another folder', {
      file: `${dir}/${EXPORT_MARKER}`,
    });
  }
  return files;
}

/**
 * Make `dir` ready for an export: create it, or empty it of an earlier export's files.
 * @param flag the flag that named `dir`, for errors.
 * @returns the files left in `dir` (a user's own, beside an earlier export), which {@link markExportFolder} does not list.
 * @throws InputError naming `flag`: `dir` is a file, or a folder holding files and no export marker.
 */
export async function claimExportFolder(dir: string, flag: string): Promise<Set<string>> {
  const stat = await Deno.stat(dir).catch((err) => {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  });
  if (stat && !stat.isDirectory) throw new InputError(`${dir} is a file, not a folder: choose a new or empty folder`, { field: flag });
  const present = await filesUnder(dir);
  const earlier = await markedFiles(dir);
  if (!earlier && present.length) {
    const shown = present.slice(0, 3).join(", ") + (present.length > 3 ? `, ... (${present.length} files)` : "");
    throw new InputError(`${dir} holds files the kit did not export (${shown}): choose a new or empty folder`, { field: flag });
  }
  for (const rel of [...(earlier ?? []), EXPORT_MARKER]) {
    await Deno.remove(`${dir}/${rel}`).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
  await Deno.mkdir(dir, { recursive: true });
  return new Set(await filesUnder(dir));
}

/**
 * Write the marker of a finished export into `dir`: every file there but `kept` (from {@link claimExportFolder}),
 * and the number of ids of the tokenizer exported.
 */
export async function markExportFolder(dir: string, kept: ReadonlySet<string>, tokenizerIds: number): Promise<void> {
  const files = (await filesUnder(dir)).filter((f) => !kept.has(f)).sort();
  const marker = { written_by: "promptlab export", files, tokenizer_ids: tokenizerIds };
  await writeFileAtomic(`${dir}/${EXPORT_MARKER}`, JSON.stringify(marker, null, 2) + "\n");
}

/** The tokenizer size the export in `dir` recorded; undefined without a marker (an export older than it). */
export async function exportedTokenizerIds(dir: string): Promise<number | undefined> {
  try {
    const ids = JSON.parse(await Deno.readTextFile(`${dir}/${EXPORT_MARKER}`)).tokenizer_ids;
    return typeof ids === "number" ? ids : undefined;
  } catch {
    return undefined;
  }
}
