/**
 * Merging a sharded grid's files into its base file (`deno task grid <grid.json> --merge`), e.g. once a
 * cluster array job has finished: every cell once, refusing rows that disagree.
 * @module
 */
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { isFailed, type ReadOptions, readResultsFile, recordId, resultFiles, type ResultRecord } from "./results.ts";
import { type FileLock, lockFile } from "../util/file_lock.ts";
import { SHARD_HINT } from "./results.ts";

/** What {@link mergeShards} did. */
export interface MergeReport {
  /** The shard files merged (and removed). */
  merged: string[];
  /** Records in the base file afterwards: done rows, and failed cells without one. */
  done: number;
  failed: number;
}

/** A record without what differs between two runs of the same cell (when, how long, and at which commit). */
function scores(r: ResultRecord): string {
  const { finishedAt: _f, wallSeconds: _w, code: _c, ...rest } = r;
  return JSON.stringify(rest);
}

/**
 * Merge the shard files of `base` into `base` and remove them. Each cell keeps its done row, or its last
 * failed row when it has none; the same line found twice (a merge interrupted before it removed the shards)
 * counts once. Every file is locked while merging, so a shard still being written is waited for.
 * @throws InputError naming both files when a cell has two different done rows (run twice, or conflicting
 *   scores), or when the files hold rows of more than one model; nothing is written then.
 */
export async function mergeShards(base: string, opts: ReadOptions & { onWait?: (message: string) => void } = {}): Promise<MergeReport> {
  const files = await resultFiles(base);
  const shards = files.filter((f) => f !== base && !f.endsWith(`/${base}`));
  if (!shards.length) throw new InputError("no shard files to merge", { file: base });
  const locks: FileLock[] = [];
  try {
    // One order for every merger (base, then shards by name), so two of them cannot wait on each other.
    for (const f of [base, ...shards]) locks.push(await lockFile(f, { onWait: opts.onWait, hint: SHARD_HINT }));
    const kept = new Map<string, { record: ResultRecord; file: string }>();
    let model: { fingerprint: string; file: string } | undefined;
    for (const file of await resultFiles(base)) {
      for (const record of await readResultsFile(file, opts)) {
        if (model && record.model.fingerprint !== model.fingerprint) {
          throw new InputError(
            `holds rows of model ${record.model.name} (${record.model.fingerprint}), ${model.file} of ${model.fingerprint}: merge only one model's files`,
            { file },
          );
        }
        model ??= { fingerprint: record.model.fingerprint, file };
        const id = recordId(record), seen = kept.get(id);
        if (!seen || isFailed(seen.record)) {
          kept.set(id, { record, file }); // a done row replaces a failure; a later failure an earlier one
          continue;
        }
        if (isFailed(record) || JSON.stringify(record) === JSON.stringify(seen.record)) continue;
        const why = scores(record) === scores(seen.record) ? "was run twice (same scores)" : "has conflicting rows";
        throw new InputError(`cell ${record.key} ${why}: here and in ${seen.file}; keep one of them and merge again`, { file });
      }
    }
    const records = [...kept.values()].map((k) => k.record);
    await writeFileAtomic(base, records.map((r) => JSON.stringify(r) + "\n").join(""));
    for (const f of shards) await Deno.remove(f);
    const failed = records.filter(isFailed).length;
    return { merged: shards, done: records.length - failed, failed };
  } finally {
    for (const lock of locks.reverse()) await lock.release();
  }
}
