/**
 * The `--out` folder of a pre-training run: one run at a time (a lock), and only a folder the kit's pre-training
 * wrote or an empty one, since a run writes config.json, the tokenizer files and model.safetensors into it
 * (over a Hub model's files or a user's notes, these would be lost).
 */
import { exists } from "../util/fs.ts";
import { InputError } from "../util/errors.ts";
import { type FileLock, lockFile } from "../util/file_lock.ts";

/** Written first into a folder pre-training takes, so a rerun after a crash knows the folder is its own. */
export const PRETRAIN_MARKER = ".promptlab-pretrain";

/** Files that show an older kit's pre-training wrote a folder (before the marker): its checkpoint or log. */
const OWN_WITHOUT_MARKER = ["checkpoint/state.json", "checkpoint.old/state.json", "training_log.json"];

/**
 * Take `out` for a pre-training run: check it is absent, empty or the kit's own, and lock it against a second run
 * (which waits, saying for whom). Creates nothing but the lock file beside it; release the lock when the run ends.
 * @throws InputError naming `out`: a file, or a folder holding files pre-training did not write.
 */
export async function claimOutFolder(out: string): Promise<FileLock> {
  const info = await Deno.stat(out).catch(() => null);
  if (info && !info.isDirectory) throw new InputError("is a file: --out takes a folder (new, empty, or one pretrain wrote)", { file: out });
  const lock = await lockFile(out, { hint: "one pre-training run per folder; give another --out to run both" });
  try {
    const names = [];
    if (info) { for await (const e of Deno.readDir(out)) names.push(e.name); }
    const own = names.includes(PRETRAIN_MARKER) || (await Promise.all(OWN_WITHOUT_MARKER.map((f) => exists(`${out}/${f}`)))).some(Boolean);
    if (names.length && !own) {
      const shown = names.sort().slice(0, 5).join(", ") + (names.length > 5 ? `, … (${names.length} in all)` : "");
      throw new InputError(`holds files pre-training did not write (${shown}); it would overwrite them: give a new or empty --out`, {
        file: out,
      });
    }
    return lock;
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Create `out` for a fresh run, marked as pre-training's own. */
export async function startOutFolder(out: string): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  await Deno.writeTextFile(`${out}/${PRETRAIN_MARKER}`, "a folder of `deno task cli pretrain` (resumable from checkpoint/)\n");
}
