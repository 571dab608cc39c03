/**
 * One writer per file or folder (a grid's results file, a pre-training folder). The writer holds an exclusive OS
 * lock (`flock`, through `Deno.FsFile.lock`) on `<target>.lock`, which says who holds it (pid, host, start
 * time); a second process on the same target waits, saying whom it waits for, then finds what the first did
 * (a grid runs only the cells left). The OS releases the lock when its holder dies, so a crashed run never
 * leaves a stale lock behind: the file itself may stay, and the next writer simply takes it. A target that is
 * a symbolic link is locked as its target, so two names of one file share one lock.
 *
 * On network file systems `flock` is as good as the server's lock support (NFSv4 and Lustre have it); keep
 * results on storage every node of a cluster locks consistently.
 * @module
 */

import { followLink } from "./links.ts";

/** A held lock: release it when done writing. */
export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Who holds a lock, as written into its file. */
interface Holder {
  pid: number;
  host: string;
  since: string;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown host";
  }
}

/** The holder recorded in `path`, as text for a message. */
async function holderText(path: string): Promise<string> {
  try {
    const h = JSON.parse(await Deno.readTextFile(path)) as Holder;
    return `pid ${h.pid} on ${h.host}, since ${h.since}`;
  } catch {
    return "another process";
  }
}

/** Options of {@link lockFile}. */
export interface LockOptions {
  /** Said after the holder while waiting, e.g. what to do instead. */
  hint?: string;
  /** Told once when another process holds the lock (default: a line on stderr). */
  onWait?: (message: string) => void;
  /** How long to try before telling `onWait` (ms). */
  waitNoticeMs?: number;
}

/**
 * Take the exclusive lock of `target` (the file `<target>.lock`, beside the link's target when `target` is a
 * symbolic link), waiting while another process holds it.
 * @throws InputError when `target` is a dangling link or a link loop.
 */
export async function lockFile(target: string, opts: LockOptions = {}): Promise<FileLock> {
  const results = await followLink(target);
  const path = `${results}.lock`;
  const onWait = opts.onWait ?? ((m: string) => console.error(m));
  let told = false;
  // The first writer of a file may be the first in its folder too.
  if (results.includes("/")) await Deno.mkdir(results.slice(0, results.lastIndexOf("/")) || "/", { recursive: true });
  while (true) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    const timer = told ? undefined : setTimeout(async () => {
      told = true;
      onWait(`waiting for ${target}: ${await holderText(path)} is writing it${opts.hint ? ` (${opts.hint})` : ""}`);
    }, opts.waitNoticeMs ?? 200);
    try {
      await file.lock(true);
    } finally {
      clearTimeout(timer);
    }
    // The holder before us removes the file as it releases: if the path is gone or is a new file, our lock is on
    // an orphan and protects nothing; open the path again.
    const [mine, current] = [await file.stat(), await Deno.stat(path).catch(() => null)];
    if (!current || (mine.ino !== null && mine.ino !== current.ino)) {
      file.close();
      continue;
    }
    const holder: Holder = { pid: Deno.pid, host: hostname(), since: new Date().toISOString() };
    await Deno.writeTextFile(path, JSON.stringify(holder) + "\n");
    return {
      path,
      async release() {
        // Remove while still holding the lock, so a waiter that opened this file sees it is gone (above).
        await Deno.remove(path).catch(() => {});
        file.close();
      },
    };
  }
}
