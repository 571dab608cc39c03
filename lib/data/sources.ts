/**
 * Getting a pinned upstream file onto disk, verified: from a read-only mirror folder first, else from the
 * cache, else by download into the cache. Every path through here checks size and sha256, and a download is
 * only written (atomically) after it passed, so a failure leaves nothing in the cache.
 */
import { createHash } from "node:crypto";
import { writeFileAtomic } from "../util/atomic.ts";
import { cacheDir, dataMirror, offline } from "../util/config.ts";
import { InputError } from "../util/errors.ts";
import type { Pin, SourceFile } from "./manifest.ts";

/** Where data comes from; every field falls back to an environment variable, then a default. */
export interface SourceOptions {
  /** Mirror folder laid out like the mirror's MANIFEST.md; `PROMPTLAB_DATA_MIRROR`; `null` disables it. */
  mirror?: string | null;
  /** Cache folder; `PROMPTLAB_CACHE`, else `~/.cache/promptlab`. */
  cache?: string;
  /** Whether to download on a miss; false when `PROMPTLAB_OFFLINE=1`. */
  download?: boolean;
  /** Download base, default `https://raw.githubusercontent.com` (tests point it at a local server). */
  baseUrl?: string;
}

/** {@link SourceOptions} with the environment and defaults applied. */
export interface ResolvedSourceOptions {
  mirror: string | null;
  cache: string;
  download: boolean;
  baseUrl: string;
}

/** Apply environment variables and defaults to `opts`. */
export function resolveSourceOptions(opts: SourceOptions = {}): ResolvedSourceOptions {
  return {
    mirror: opts.mirror === undefined ? dataMirror() ?? null : opts.mirror,
    cache: opts.cache ?? cacheDir(),
    download: opts.download ?? !offline(),
    baseUrl: (opts.baseUrl ?? "https://raw.githubusercontent.com").replace(/\/$/, ""),
  };
}

/** Download address of a pinned file. */
export function sourceUrl(src: SourceFile, baseUrl = "https://raw.githubusercontent.com"): string {
  return `${baseUrl}/${src.repo}/${src.commit}/${src.upstreamPath}`;
}

/** Hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Why `bytes` are not the pinned file `src`, or null when size and checksum match. */
export function mismatch(src: Pin, bytes: Uint8Array): string | null {
  if (bytes.length !== src.bytes) return `size ${bytes.length} bytes, expected ${src.bytes}`;
  const got = sha256Hex(bytes);
  return got === src.sha256 ? null : `checksum mismatch: sha256 ${got}, expected ${src.sha256}`;
}

/** Read a file, or null when it does not exist; other failures are reported as unreadable. */
async function readIfPresent(path: string, what: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new InputError(`${what} is unreadable: ${(err as Error).message}`, { file: path });
  }
}

/** Fail unless the mirror root is a readable folder, so a mistyped mirror is not mistaken for a miss. */
async function checkMirror(mirror: string): Promise<void> {
  try {
    const info = await Deno.stat(mirror);
    if (!info.isDirectory) throw new Error("not a folder");
    for await (const _ of Deno.readDir(mirror)) break;
  } catch (err) {
    throw new InputError(
      `data mirror is unreadable (${(err as Error).message}); fix or unset --mirror / PROMPTLAB_DATA_MIRROR`,
      { file: mirror },
    );
  }
}

/**
 * A pinned file that is neither in the mirror nor in the cache and was not downloaded. The message says why
 * and how to provide it; {@link MissingSourceError.short} is the first half alone, for listings that state the
 * remedy once for every dataset.
 */
export class MissingSourceError extends InputError {
  constructor(
    /** `<file> is not in the data mirror (...) nor in the cache (...)`. */
    readonly short: string,
    why: string,
    remedy: string,
  ) {
    super(`${short}, and ${why}. ${remedy}`);
  }
}

/** The verified bytes of a pinned file and where they lie on disk. */
export interface LocalSource {
  path: string;
  bytes: Uint8Array;
}

/**
 * Get `src` verified: mirror (read in place, never written), then cache, then download into the cache.
 * A wrong file in the mirror is an error; a wrong file in the cache is replaced by a fresh download.
 */
export async function fetchSource(src: SourceFile, opts: SourceOptions = {}): Promise<LocalSource> {
  const o = resolveSourceOptions(opts);
  if (o.mirror !== null) {
    await checkMirror(o.mirror);
    const path = `${o.mirror}/${src.path}`;
    const bytes = await readIfPresent(path, "mirror file");
    if (bytes) {
      const bad = mismatch(src, bytes);
      if (bad) throw new InputError(`mirror file is not the pinned upstream file: ${bad}`, { file: path });
      return { path, bytes };
    }
  }
  const path = `${o.cache}/${src.path}`;
  const cached = await readIfPresent(path, "cache file");
  if (cached && !mismatch(src, cached)) return { path, bytes: cached };
  if (cached) await Deno.remove(path);

  const url = sourceUrl(src, o.baseUrl);
  const missing = `${src.path} is not in the data mirror (${o.mirror ?? "none set"}) nor in the cache (${path})`;
  const remedy = `Set PROMPTLAB_DATA_MIRROR (or --mirror) to a folder laid out like the mirror's MANIFEST.md, ` +
    `or put the file from ${url} (sha256 ${src.sha256}) at ${path}; the "demo" dataset needs neither.`;
  if (!o.download) {
    // Name the real cause: the caller's choice, or the environment variable only when it is what said no.
    const why = opts.download === false
      ? "downloads are off here (this only reads what is at hand)"
      : "downloads are off (PROMPTLAB_OFFLINE=1)";
    throw new MissingSourceError(missing, why, remedy);
  }
  let bytes: Uint8Array;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new MissingSourceError(missing, `downloading ${url} failed (${(err as Error).message})`, remedy);
  }
  const bad = mismatch(src, bytes);
  if (bad) throw new InputError(`download of ${url} rejected, nothing cached: ${bad}`, { file: src.path });
  await writeFileAtomic(path, bytes);
  return { path, bytes };
}
