/** Short content hashes recorded with each result, so rows from different models or data never get mixed. */
import type { Row } from "../data/types.ts";

/** Hex SHA-256 of `bytes`, first 16 characters (64 bits: plenty to tell runs apart). */
export async function shortHash(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hash of a model folder's `config.json` and `model.safetensors`. */
export async function modelFingerprint(dir: string): Promise<string> {
  const parts = await Promise.all(["config.json", "model.safetensors"].map((f) => Deno.readFile(`${dir}/${f}`)));
  const hashes = await Promise.all(parts.map((p) => shortHash(p)));
  return shortHash(hashes.join(""));
}

/** Hash of a cell's rows (text and label of train, dev and test, in order). */
export function dataFingerprint(splits: { train: readonly Row[]; dev: readonly Row[]; test: readonly Row[] }): Promise<string> {
  const pick = (rows: readonly Row[]) => rows.map((r) => [r.text, r.label]);
  return shortHash(JSON.stringify([pick(splits.train), pick(splits.dev), pick(splits.test)]));
}
