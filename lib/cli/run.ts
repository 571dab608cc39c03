/**
 * `deno task cli run`: one method on one dataset over a few-shot protocol's splits (see
 * `lib/experiments/fewclue_run.ts`); any `--kebab-case` flag beyond the run's own sets the method option of
 * the same camelCase name.
 */
import { fileURLToPath } from "node:url";
import { type RunProtocol, runProtocol, type SplitResult, type RunSummary } from "../experiments/fewclue_run.ts";
import { getMethod } from "../methods/registry.ts";
import { loadModelFolder } from "../model/folder.ts";
import { dataMirror } from "../util/config.ts";
import { InputError } from "../util/errors.ts";
import type { Command } from "./command.ts";
import { progressReporter } from "./progress.ts";

const HELP = `usage: deno task cli run --method NAME --dataset NAME --protocol fewclue|sampled [flags] [--OPTION VALUE ...]

  --protocol fewclue         FewCLUE's official splits train_i/dev_i (all, or --splits 0,2), scored on the test set
  --protocol sampled         K per class drawn from the pool under each seed: --k 16 --seeds 1,2,3
  --model DIR                a BERT model folder (default: ../shared/models/zh-review-bert-tiny when present)
  --mirror DIR               the data mirror (default: PROMPTLAB_DATA_MIRROR, else ../shared/data when present)
  --json                     one JSON object per split, then a summary object (default: a table)
  --OPTION VALUE             a method option, e.g. --prefix-length 8 --lr 1e-2 --prefix-projection true

example: deno task cli run --method ptuning-v2 --dataset eprstmt --protocol fewclue --prefix-length 8 --json`;

/** Flags of `run` itself; every other flag is a method option. */
const RUN_FLAGS = new Set(["method", "dataset", "protocol", "k", "seeds", "splits", "model", "mirror", "json", "help"]);

const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
/** The reference model beside the repository, used when `--model` is not given. */
export const DEFAULT_MODEL = `${repoRoot}/../shared/models/zh-review-bert-tiny`;
const DEFAULT_MIRROR = `${repoRoot}/../shared/data`;

/**
 * `--name value`, `--name=value` and bare `--name` (true) flags by name.
 * @throws InputError on a positional argument or a repeated flag.
 */
export function parseFlags(args: readonly string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] === "-h" ? "--help" : args[i];
    if (!arg.startsWith("--") || arg.length === 2) throw new InputError(`unexpected argument "${arg}"; flags are --name value`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | true = true;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1].startsWith("--")) value = args[++i];
    if (flags.has(name)) throw new InputError(`given twice`, { field: `--${name}` });
    flags.set(name, value);
  }
  return flags;
}

/** `prefix-length` → `prefixLength`. */
export function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `prefixLength` → `prefix-length`. */
function kebabCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Method options from flags, each parsed after the type of its default: numbers, `true`/`false` (a bare flag
 * is true), strings, JSON for lists and objects.
 * @throws InputError naming a flag that is not one of the method's options or does not parse.
 */
export function methodOptions(method: string, defaults: object, flags: ReadonlyMap<string, string | true>): Record<string, unknown> {
  const known = defaults as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const [flag, raw] of flags) {
    const key = camelCase(flag), field = `--${flag}`;
    if (!/^[a-z][a-z0-9-]*$/.test(flag) || !Object.hasOwn(known, key)) {
      const names = Object.keys(known).map((k) => `--${kebabCase(k)}`).join(", ");
      throw new InputError(`not an option of method "${method}"; its options: ${names}`, { field });
    }
    const type = typeof known[key];
    if (type === "boolean") {
      if (raw !== true && raw !== "true" && raw !== "false") throw new InputError(`must be true or false, got "${raw}"`, { field });
      options[key] = raw !== "false";
      continue;
    }
    if (raw === true) throw new InputError(`needs a value`, { field });
    if (type === "number") {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new InputError(`must be a number, got "${raw}"`, { field });
      options[key] = n;
    } else if (type === "string") {
      options[key] = raw;
    } else {
      try {
        options[key] = JSON.parse(raw);
      } catch {
        throw new InputError(`must be JSON, got "${raw}"`, { field });
      }
    }
  }
  return options;
}

/** A comma-separated list of integers. */
function intList(raw: string | true | undefined, flag: string): number[] | undefined {
  if (raw === undefined) return undefined;
  const xs = raw === true ? [] : raw.split(",").map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isInteger(x))) throw new InputError(`must be integers like 1,2,3, got "${raw}"`, { field: `--${flag}` });
  return xs;
}

/** The protocol the flags ask for. */
export function protocolOf(flags: ReadonlyMap<string, string | true>): RunProtocol {
  const kind = flags.get("protocol");
  if (kind === "fewclue") {
    if (flags.has("k") || flags.has("seeds")) throw new InputError("--k and --seeds belong to --protocol sampled", { field: "--protocol" });
    return { kind, indices: intList(flags.get("splits"), "splits") };
  }
  if (kind === "sampled") {
    if (flags.has("splits")) throw new InputError("--splits belongs to --protocol fewclue", { field: "--protocol" });
    const [k] = intList(flags.get("k") ?? "16", "k")!;
    if (k < 1) throw new InputError(`must be at least 1, got ${k}`, { field: "--k" });
    return { kind, k, seeds: intList(flags.get("seeds") ?? "1,2,3", "seeds")! };
  }
  throw new InputError(`must be fewclue or sampled, got ${kind === undefined ? "nothing" : `"${kind}"`}`, { field: "--protocol" });
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function stringFlag(flags: ReadonlyMap<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  if (v === true) throw new InputError("needs a value", { field: `--${name}` });
  return v;
}

const pct = (x: number) => (100 * x).toFixed(2);

function splitRow(r: SplitResult): string {
  return [r.split.padEnd(12), pct(r.accuracy).padStart(8), pct(r.macroF1).padStart(8), String(r.steps).padStart(6),
    String(r.bestStep).padStart(6), String(r.trainableParams).padStart(10), r.wallSeconds.toFixed(1).padStart(8)].join(" ");
}

function summaryRow(s: RunSummary): string {
  return `${s.method} on ${s.dataset} (${s.protocol}, ${s.splits} split${s.splits === 1 ? "" : "s"}): accuracy ${pct(s.accuracyMean)} ± ${pct(s.accuracyStd)}, ` +
    `macro-F1 ${pct(s.macroF1Mean)}, ${s.trainableParams} trainable parameters, ${s.wallSeconds.toFixed(1)} s`;
}

/** The `run` command. */
export const run: Command = {
  summary: "train and score a method over a few-shot protocol's splits (FewCLUE or sampled)",
  async run(args: string[]): Promise<number> {
    const flags = parseFlags(args);
    if (flags.has("help")) {
      console.log(HELP);
      return 0;
    }
    const method = stringFlag(flags, "method"), dataset = stringFlag(flags, "dataset");
    if (!method || !dataset) throw new InputError(`--method and --dataset are required\n\n${HELP}`);
    const factory = getMethod(method);
    const protocol = protocolOf(flags);
    const options = methodOptions(method, factory.defaults, new Map([...flags].filter(([name]) => !RUN_FLAGS.has(name))));
    const modelDir = stringFlag(flags, "model") ?? (exists(DEFAULT_MODEL) ? DEFAULT_MODEL : undefined);
    if (!modelDir) throw new InputError(`no model at ${DEFAULT_MODEL}: pass --model DIR`, { field: "--model" });
    const mirror = stringFlag(flags, "mirror") ??
      (!dataMirror() && exists(DEFAULT_MIRROR) ? DEFAULT_MIRROR : undefined);
    const json = flags.get("json") === true || flags.get("json") === "true";

    const model = await loadModelFolder(modelDir);
    const progress = progressReporter();
    if (!json) console.log(["split".padEnd(12), "accuracy".padStart(8), "macroF1".padStart(8), "steps".padStart(6), "best".padStart(6), "params".padStart(10), "seconds".padStart(8)].join(" "));
    const { splits, summary } = await runProtocol({ method, dataset, protocol, model, options, source: { mirror } }, {
      onProgress: (split, e) => progress.report(split, e),
      onSplit: (r) => {
        progress.done();
        console.log(json ? JSON.stringify({ type: "split", ...r }) : splitRow(r));
      },
    });
    if (json) console.log(JSON.stringify({ type: "summary", ...summary, modelDir, date: new Date().toISOString() }));
    else {
      console.log(summaryRow(summary));
      for (const note of new Set(splits.flatMap((r) => r.notes))) console.log(`note: ${note}`);
    }
    return 0;
  },
};
