/**
 * The commit a git checkout has checked out, read from its files: the `cli` and `grid` tasks may not spawn
 * `git` (no --allow-run). Handles a plain `.git` folder, a worktree or submodule (`.git` is a file
 * `gitdir: <path>`, whose folder names the shared one in `commondir`), a detached HEAD, loose refs and
 * `packed-refs`.
 * @module
 */
import { isAbsolute, join } from "node:path";

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** A file's text without its trailing newline, or undefined when it does not exist. */
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return undefined;
    throw err;
  }
}

/** The git folder of checkout `root`: `.git` itself, or where a `.git` file's `gitdir:` line points. */
async function gitDir(root: string): Promise<string | undefined> {
  const dotGit = join(root, ".git");
  const stat = await Deno.stat(dotGit).catch(() => undefined);
  if (!stat) return undefined;
  if (stat.isDirectory) return dotGit;
  const line = (await readOptional(dotGit))?.match(/^gitdir:\s*(.+)$/m)?.[1];
  return line === undefined ? undefined : isAbsolute(line) ? line : join(root, line);
}

/** The commit `ref` (e.g. `refs/heads/main`) names: a loose ref (in the worktree's folder or the shared one), else `packed-refs`. */
async function resolveRef(ref: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const loose = await readOptional(join(dir, ref));
    if (loose !== undefined) return loose.startsWith("ref: ") ? resolveRef(loose.slice(5), dirs) : loose;
  }
  for (const dir of dirs) {
    const packed = await readOptional(join(dir, "packed-refs"));
    const line = packed?.split("\n").find((l) => l.endsWith(` ${ref}`) && !l.startsWith("#") && !l.startsWith("^"));
    if (line) return line.slice(0, line.indexOf(" "));
  }
  return undefined;
}

/**
 * The full hash of the commit checked out at `root` (the folder holding `.git`), or undefined outside a git
 * checkout, on an unborn branch, or when the files do not name a commit. Uncommitted edits are not seen.
 */
export async function gitHead(root: string): Promise<string | undefined> {
  const dir = await gitDir(root);
  if (!dir) return undefined;
  const head = await readOptional(join(dir, "HEAD"));
  if (head === undefined) return undefined;
  const common = await readOptional(join(dir, "commondir"));
  const dirs = common === undefined ? [dir] : [dir, isAbsolute(common) ? common : join(dir, common)];
  const sha = head.startsWith("ref: ") ? await resolveRef(head.slice(5).trim(), dirs) : head;
  return sha !== undefined && SHA.test(sha) ? sha : undefined;
}
