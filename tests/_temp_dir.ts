/** A temporary folder for one test's files. */

/** Run `fn` with a new temporary folder, removed afterwards whatever `fn` did. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
