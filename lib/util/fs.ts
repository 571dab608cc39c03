/** File-system probes shared by every layer. */

/** Whether `path` exists (file or folder, symlinks followed): for optional files, whose absence is no error. */
export async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
