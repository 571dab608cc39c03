/**
 * glibc malloc settings for onnxruntime's buffers. Sessions run without onnxruntime's arena (each session's
 * arena would keep its own high-water mark), so every activation is a plain malloc/free. glibc serves blocks
 * above its mmap threshold (at most 32 MiB) with a fresh mmap and returns heap tops above its trim threshold,
 * so each step would page-fault a large part of its activations in again (pre-training: 40-130 thousand
 * faults a step). Serving everything from the heap and never trimming it makes the heap one arena shared by
 * all sessions: resident memory stays at the largest step's need, flat, with no faults after the first steps.
 *
 * Applied once, before the first session; `PROMPTLAB_MALLOC=default` leaves glibc's defaults, and without
 * FFI permission or outside glibc nothing changes.
 */
import { mallocTuned } from "../util/config.ts";

// mallopt parameters, from glibc's malloc.h.
const M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4, M_ARENA_MAX = -8;

let applied = false;

/** Tune glibc's malloc for onnxruntime (see the module comment); safe to call more than once. */
export function tuneNativeHeap(): void {
  if (applied) return;
  applied = true;
  if (Deno.build.os !== "linux" || !mallocTuned()) return;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return;
  let libc: Deno.DynamicLibrary<{ mallopt: { parameters: ["i32", "i32"]; result: "i32" } }>;
  try {
    libc = Deno.dlopen("libc.so.6", { mallopt: { parameters: ["i32", "i32"], result: "i32" } });
  } catch {
    return; // not glibc (e.g. musl): its allocator has no such settings
  }
  libc.symbols.mallopt(M_MMAP_MAX, 0); // no mmap'd blocks: freed memory is reused, not unmapped
  libc.symbols.mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1); // never shrink the heap between steps
  libc.symbols.mallopt(M_ARENA_MAX, 2); // onnxruntime's pool threads share two arenas, not one each
}
