/**
 * One writer per results file. The writer holds an exclusive OS lock (`flock`, through `Deno.FsFile.lock`) on
 * `<results>.lock`, which says who holds it (pid, host, start time); a second process on the same file waits,
 * saying whom it waits for, then finds the cells the first finished and runs only the rest. The OS releases
 * the lock when its holder dies, so a crashed run never leaves a stale lock behind: the file itself may stay,
 * and the next writer simply takes it. Shards write (and lock) their own files and run side by side.
 *
 * On network file systems `flock` is as good as the server's lock support (NFSv4 and Lustre have it); keep
 * results on storage every node of a cluster locks consistently.
 * @module
 */

/** A held lock: release it when done writing. */
export interface ResultsLock {
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

/** Options of {@link lockResults}. */
export interface LockOptions {
  /** Told once when another process holds the lock (default: a line on stderr). */
  onWait?: (message: string) => void;
  /** How long to try before telling `onWait` (ms). */
  waitNoticeMs?: number;
}

/**
 * Take the exclusive lock of results file `results` (the file `<results>.lock`), waiting while another
 * process holds it.
 */
export async function lockResults(results: string, opts: LockOptions = {}): Promise<ResultsLock> {
  const path = `${results}.lock`;
  const onWait = opts.onWait ?? ((m: string) => console.error(m));
  let told = false;
  // The first writer of a results file may be the first in its folder too.
  if (results.includes("/")) await Deno.mkdir(results.slice(0, results.lastIndexOf("/")) || "/", { recursive: true });
  while (true) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    const timer = told ? undefined : setTimeout(async () => {
      told = true;
      onWait(`waiting for ${results}: ${await holderText(path)} is writing it (run other cells with --shard i/n, which write their own files)`);
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
