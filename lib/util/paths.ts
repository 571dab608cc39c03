/** Paths in what the kit writes (results, summaries): relative to the working folder, never a machine's own. */
import { relative } from "node:path";

/**
 * `text` with every absolute path in it written relative to `cwd` (default the working folder; `../` where
 * outside it). A `/` inside a word or a URL (`a/b`, `https://…`) is no path and stays.
 */
export function relativePaths(text: string, cwd = Deno.cwd()): string {
  return text.replace(/(?<![\w.~:/@+-])\/(?:[\w.@+-]+\/)*[\w.@+-]+\/?/g, (path) => relative(cwd, path) || ".");
}
