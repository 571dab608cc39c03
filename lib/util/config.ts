/**
 * Every `PROMPTLAB_*` environment variable the kit reads, in one place: what each means, its default, and the
 * one function that reads it. Nothing else calls `Deno.env.get` for them (`tests/config.test.ts` checks, and
 * that README's environment table lists exactly these). Values are read when asked, so a test or notebook that
 * sets a variable sees it at once; an empty value counts as unset; a value outside its range is an
 * `InputError` naming the variable, never a silent fallback.
 * @module
 */
import { homedir } from "node:os";
import { InputError } from "./errors.ts";

/** A documented environment variable. */
export interface EnvVariable {
  readonly name: `PROMPTLAB_${string}`;
  /** What it does, one line. */
  readonly description: string;
  /** What holds when it is unset, as README states it. */
  readonly default: string;
}

/** Every variable, in README's order. */
export const ENV_VARIABLES = [
  {
    name: "PROMPTLAB_DATA_MIRROR",
    description: "folder laid out like the upstream files (e.g. `../shared/data`), tried before downloading",
    default: "none",
  },
  { name: "PROMPTLAB_CACHE", description: "download cache", default: "`~/.cache/promptlab`" },
  { name: "PROMPTLAB_OFFLINE", description: "`1`: never download", default: "`0`" },
  { name: "PROMPTLAB_THREADS", description: "onnxruntime intra-op threads", default: "every core" },
  { name: "PROMPTLAB_ORT_PROFILE", description: "write onnxruntime profiles with this file prefix", default: "none" },
  {
    name: "PROMPTLAB_EP",
    description:
      "onnxruntime execution provider: `cpu`, `webgpu` (bundled in onnxruntime-node's Linux build) or `cuda` (needs onnxruntime's CUDA libraries); nodes a provider lacks run on the CPU. Only `cpu` is tested",
    default: "`cpu`",
  },
  {
    name: "PROMPTLAB_SPIN",
    description: "`1`: let idle onnxruntime threads spin (faster on a dedicated machine, wasteful on a shared one)",
    default: "`0`",
  },
  {
    name: "PROMPTLAB_CONSTANT_WEIGHTS_MB",
    description:
      "frozen weights of a model up to this size are baked into each compiled graph (onnxruntime pre-packs them: faster, one copy per length bucket); a larger model's are fed from one copy (`lib/model/params.ts`)",
    default: "`128`",
  },
  {
    name: "PROMPTLAB_MALLOC",
    description:
      "`default`: leave glibc's heap settings alone (`tuned` keeps freed memory for reuse, so resident memory stays flat; `lib/engine/native_heap.ts`)",
    default: "`tuned`",
  },
  {
    name: "PROMPTLAB_BUDGET",
    description: "notebooks' size: `ci` (minutes, embedded demo data) or `full` (the article's protocol; hours)",
    default: "`ci`",
  },
  { name: "PROMPTLAB_MODEL", description: "notebooks' model folder", default: "the embedded model" },
  {
    name: "PROMPTLAB_RUNS",
    description: "where grid results go, a folder per budget below it",
    default: "`results/grids/` at `full`, `runs/ci/` at `ci`",
  },
  {
    name: "PROMPTLAB_FIGURES",
    description: "where notebooks export figures, a folder per budget below it",
    default: "`figures/` at `full`, `runs/ci/figures/` at `ci`",
  },
  {
    name: "PROMPTLAB_TRAIN",
    description: "`yes` trains the grid cells a results file lacks; `no` only shows what it holds",
    default: "`yes`",
  },
  {
    name: "PROMPTLAB_SHARED",
    description: "the shared folder tests read (data mirror, reference model, PyTorch fixtures)",
    default: "`../shared`",
  },
  {
    name: "PROMPTLAB_REQUIRE_SHARED",
    description: "`1`: tests needing the shared folder fail instead of being skipped (set by `.ci/run`)",
    default: "`0`",
  },
  { name: "PROMPTLAB_PYTHON", description: "Python with PyTorch for `deno task bench`'s baseline", default: "`/usr/bin/python3`" },
] as const satisfies readonly EnvVariable[];

/** Name of a documented variable. */
export type EnvName = (typeof ENV_VARIABLES)[number]["name"];

/** The value of `name`, undefined when unset or empty. */
function read(name: EnvName): string | undefined {
  return Deno.env.get(name) || undefined;
}

/** One of `choices`, or `fallback` when unset. */
function choice<T extends string>(name: EnvName, choices: readonly T[], fallback: T): T {
  const v = read(name) ?? fallback;
  if (!(choices as readonly string[]).includes(v)) {
    throw new InputError(`must be ${choices.map((c) => `"${c}"`).join(" or ")}, got "${v}"`, { field: name });
  }
  return v as T;
}

/** A `0`/`1` switch, off when unset. */
const flag = (name: EnvName) => choice(name, ["0", "1"], "0") === "1";

/** `PROMPTLAB_DATA_MIRROR`: the data mirror folder; undefined (no mirror) when unset. */
export function dataMirror(): string | undefined {
  return read("PROMPTLAB_DATA_MIRROR");
}

/** `PROMPTLAB_CACHE`: the download cache; default `~/.cache/promptlab`. */
export function cacheDir(): string {
  return read("PROMPTLAB_CACHE") ?? `${homedir()}/.cache/promptlab`;
}

/** `PROMPTLAB_OFFLINE=1`: never download; default off. */
export function offline(): boolean {
  return flag("PROMPTLAB_OFFLINE");
}

/** `PROMPTLAB_THREADS`: onnxruntime intra-op threads, a positive integer; undefined (every core) when unset. */
export function threads(): number | undefined {
  const v = read("PROMPTLAB_THREADS");
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`must be a positive integer, got "${v}"`, { field: "PROMPTLAB_THREADS" });
  return n;
}

/** `PROMPTLAB_CONSTANT_WEIGHTS_MB`: the size, in MB, up to which frozen weights are graph constants (default 128). */
export function constantWeightsMb(): number {
  const v = read("PROMPTLAB_CONSTANT_WEIGHTS_MB");
  if (v === undefined) return 128;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new InputError(`must be a number of MB (0 or more), got "${v}"`, { field: "PROMPTLAB_CONSTANT_WEIGHTS_MB" });
  }
  return n;
}

/** `PROMPTLAB_ORT_PROFILE`: file prefix of onnxruntime profiles; undefined (no profiling) when unset. */
export function ortProfile(): string | undefined {
  return read("PROMPTLAB_ORT_PROFILE");
}

/** Execution providers the kit can ask onnxruntime-node 1.30 for. */
export const EXECUTION_PROVIDERS = ["cpu", "webgpu", "cuda"] as const;

/** `PROMPTLAB_EP`: the onnxruntime execution provider; default `cpu`. */
export function executionProvider(): (typeof EXECUTION_PROVIDERS)[number] {
  return choice("PROMPTLAB_EP", EXECUTION_PROVIDERS, "cpu");
}

/** `PROMPTLAB_SPIN=1`: idle onnxruntime threads spin; default off (they sleep, which suits shared machines). */
export function spin(): boolean {
  return flag("PROMPTLAB_SPIN");
}

/** `PROMPTLAB_MALLOC`: `tuned` (default) lets the engine set glibc's heap options; `default` leaves them. */
export function mallocTuned(): boolean {
  return choice("PROMPTLAB_MALLOC", ["tuned", "default"], "tuned") === "tuned";
}

/** How big the notebooks' experiments are. */
export type Budget = "ci" | "full";

/** `PROMPTLAB_BUDGET`: `ci` (default) or `full`. */
export function budget(): Budget {
  return choice("PROMPTLAB_BUDGET", ["ci", "full"], "ci");
}

/** `PROMPTLAB_MODEL`: the notebooks' model folder; undefined (the embedded model) when unset. */
export function modelDir(): string | undefined {
  return read("PROMPTLAB_MODEL");
}

/** `PROMPTLAB_RUNS`: root of the grid results folders, one per budget; undefined (the defaults) when unset. */
export function runsRoot(): string | undefined {
  return read("PROMPTLAB_RUNS");
}

/** `PROMPTLAB_FIGURES`: root of the notebooks' figure folders, one per budget; undefined (the defaults) when unset. */
export function figuresRoot(): string | undefined {
  return read("PROMPTLAB_FIGURES");
}

/** `PROMPTLAB_TRAIN`: whether grids train the cells their results file lacks (`yes`, default) or not (`no`). */
export function trainMissing(): boolean {
  return choice("PROMPTLAB_TRAIN", ["yes", "no"], "yes") === "yes";
}

/** `PROMPTLAB_SHARED`: the shared folder tests read; undefined (`../shared` beside the repository) when unset. */
export function sharedRoot(): string | undefined {
  return read("PROMPTLAB_SHARED");
}

/** `PROMPTLAB_REQUIRE_SHARED=1`: tests needing the shared folder fail when it is absent; default off. */
export function requireShared(): boolean {
  return flag("PROMPTLAB_REQUIRE_SHARED");
}

/** `PROMPTLAB_PYTHON`: the Python with PyTorch for the benchmark's baseline; default `/usr/bin/python3`. */
export function python(): string {
  return read("PROMPTLAB_PYTHON") ?? "/usr/bin/python3";
}
