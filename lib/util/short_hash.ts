/**
 * Short content hashes naming models, data and runs in results.
 * @module
 */

/** Hex SHA-256 of `bytes`, first 16 characters (64 bits: plenty to tell runs apart). */
export async function shortHash(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
