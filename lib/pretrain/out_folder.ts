/**
 * The `--out` folder of a pre-training (or multitask) run: one run at a time (a lock), and only a folder such a run
 * wrote or an empty one, since a run writes config.json, the tokenizer files and model.safetensors into it
 * (over a Hub model's files or a user's notes, these would be lost).
 */
import { exists } from "../util/fs.ts";
import { InputError } from "../util/errors.ts";
import { type FileLock, lockFile } from "../util/file_lock.ts";

/** Written first into a folder pre-training takes, so a rerun after a crash knows the folder is its own. */
export const PRETRAIN_MARKER = ".promptlab-pretrain";

/** The kind of run that owns an out folder: its marker, its name in messages, and files older runs left without a marker. */
export interface OutFolderOwner {
  marker: string;
  /** The run's name in messages ("pre-training"). */
  what: string;
  /** The `deno task cli` command that writes such a folder. */
  command: string;
  /** Files that show an older kit's run wrote the folder before markers existed. */
  ownWithoutMarker: readonly string[];
}

/** Pre-training's folders; an older kit's left only their checkpoint or log. */
export const PRETRAIN_OWNER: OutFolderOwner = {
  marker: PRETRAIN_MARKER,
  what: "pre-training",
  command: "pretrain",
  ownWithoutMarker: ["checkpoint/state.json", "checkpoint.old/state.json", "training_log.json"],
};

/**
 * Take `out` for a run of `owner` (pre-training unless given): check it is absent, empty or the run's own, and lock
 * it against a second run (which waits, saying for whom). Creates nothing but the lock file beside it; release the
 * lock when the run ends.
 * @throws InputError naming `out`: a file, or a folder holding files such a run did not write.
 */
export async function claimOutFolder(out: string, owner: OutFolderOwner = PRETRAIN_OWNER): Promise<FileLock> {
  const info = await Deno.stat(out).catch(() => null);
  if (info && !info.isDirectory) {
    throw new InputError(`is a file: --out takes a folder (new, empty, or one ${owner.command} wrote)`, { file: out });
  }
  const lock = await lockFile(out, { hint: `one ${owner.what} run per folder; give another --out to run both` });
  try {
    const names = [];
    if (info) { for await (const e of Deno.readDir(out)) names.push(e.name); }
    const own = names.includes(owner.marker) ||
      (await Promise.all(owner.ownWithoutMarker.map((f) => exists(`${out}/${f}`)))).some(Boolean);
    if (names.length && !own) {
      const shown = names.sort().slice(0, 5).join(", ") + (names.length > 5 ? `, … (${names.length} in all)` : "");
      throw new InputError(`holds files ${owner.what} did not write (${shown}); it would overwrite them: give a new or empty --out`, {
        file: out,
      });
    }
    return lock;
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Create `out` for a fresh run, marked as `owner`'s own (pre-training's unless given). */
export async function startOutFolder(out: string, owner: OutFolderOwner = PRETRAIN_OWNER): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  await Deno.writeTextFile(`${out}/${owner.marker}`, `a folder of \`deno task cli ${owner.command}\` (resumable from checkpoint/)\n`);
}
