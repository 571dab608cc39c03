/** Whether `path` exists (file or folder); model folders have optional files, so absence is not an error. */
export async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
