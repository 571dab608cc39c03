/** JSON files a user hands the kit: a missing file or invalid JSON is an InputError naming the file. */
import { InputError } from "./errors.ts";
import { readRequiredFile } from "./required_file.ts";

/**
 * Read a JSON file; a missing file or invalid JSON is an InputError naming the file.
 * @example
 * ```ts
 * const cfg = await readJsonFile("model/tokenizer_config.json");
 * ```
 */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readRequiredFile(path));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`invalid JSON (truncated or corrupt?): ${(err as Error).message}`, { file: path });
  }
}
