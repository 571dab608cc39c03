/**
 * Access to `../shared` (datasets mirror, reference model, PyTorch fixtures) from tests.
 *
 * Where `PROMPTLAB_REQUIRE_SHARED=1` (set by `.ci/run`), a missing `../shared` fails the test. Elsewhere the
 * test is registered as ignored and says plainly on stderr that it did not run.
 */
import { fileURLToPath } from "node:url";
import { requireShared, sharedRoot } from "../lib/util/config.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** Absolute path of the shared folder (`PROMPTLAB_SHARED` or `../shared` beside the repository). */
export const sharedDir: string = sharedRoot() ?? `${repoRoot}/../shared`;

/** True when `sharedDir/<rel>` exists. */
export function hasShared(rel = ""): boolean {
  try {
    Deno.statSync(`${sharedDir}/${rel}`);
    return true;
  } catch {
    return false;
  }
}

/** Path inside the shared folder. */
export function shared(rel: string): string {
  return `${sharedDir}/${rel}`;
}

const required = requireShared();
const warned = new Set<string>();

/**
 * Register a test that needs `../shared/<rel>`. Absent: a failure in CI, an ignored test (with a message)
 * elsewhere.
 */
export function sharedTest(name: string, rel: string, fn: (t: Deno.TestContext) => Promise<void> | void): void {
  const present = hasShared(rel);
  if (!present && !required && !warned.has(rel)) {
    warned.add(rel);
    console.error(`NOT RUN: tests needing ${shared(rel)} (absent; set PROMPTLAB_SHARED to run them)`);
  }
  Deno.test({
    name,
    ignore: !present && !required,
    fn: present ? fn : () => {
      throw new Error(`${shared(rel)} is required in CI (PROMPTLAB_REQUIRE_SHARED=1) but absent`);
    },
  });
}

/** Repository root, for tests that read embedded files. */
export const root: string = repoRoot;

/** Subfolders of lib/model/ that every architecture shares (file formats, tokenizers); the others are architectures. */
export const SHARED_MODEL_FOLDERS: ReadonlySet<string> = new Set(["formats", "tokenizers"]);
