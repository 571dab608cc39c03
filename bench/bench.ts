/**
 * `deno task bench`: the kit against eager PyTorch on what users run, side by side in one run, one JSON line
 * per case: `case`, `unit`, `promptlab` and `pytorch` (tokens/s or texts/s), `ratio`, each side's peak
 * resident memory (`promptlab_rss_mb`, `pytorch_rss_mb`, each measured in its own child process), `threads`,
 * and the case's own fields under `promptlab_detail` / `pytorch_detail`. A kit side whose timing cannot be
 * real work (`timingProblem`: a step of ~0 s, an impossible GFLOP/s) fails the bench: `error` in its line, a
 * line `error: ...` on stderr, exit code 1.
 *
 * Cases (bench/README.md): train-tiny, train-base, pretrain-tiny, ptuning-v2-tiny, soft-prompt-tiny, infer-base,
 * train-t5-tiny.
 * Flags: --cases a,b  --threads N (both sides)  --steps N  --warmup N  --batch B  --seq S  --no-torch
 * pretrain-tiny and infer-base read the data mirror (PROMPTLAB_DATA_MIRROR).
 */
import { threadCount } from "../lib/engine/session.ts";
import type { BertConfig } from "../lib/model/bert/config.ts";
import { readBertConfig } from "../lib/model/bert/config.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { bertBaseChineseConfig } from "../lib/model/bert/random.ts";
import { kitInfer } from "./kit_infer.ts";
import { kitPretrain } from "./kit_pretrain.ts";
import { kitT5Step } from "./kit_t5.ts";
import { kitMlmStep, kitPtuningStep, kitSoftPromptStep, PREFIX, type StepShape } from "./kit_train.ts";
import { round, timingProblem } from "./measure.ts";
import { python } from "../lib/util/config.ts";
import { commandFlags, type CommandSpec, type FlagValues } from "../lib/util/flags.ts";
import { runScript } from "../lib/experiments/script.ts";
import { codeProvenance } from "../lib/experiments/provenance.ts";

const here = new URL(".", import.meta.url).pathname;
const tinyDir = `${here}../../shared/models/zh-review-bert-tiny`;
const BASE_SHAPE = [
  "--layers",
  "12",
  "--hidden",
  "768",
  "--heads",
  "12",
  "--intermediate",
  "3072",
  "--vocab",
  "21128",
  "--positions",
  "512",
];
const MINI_SHAPE = ["--layers", "4", "--hidden", "256", "--heads", "4", "--intermediate", "1024", "--positions", "128"];
/** glibc settings of the PyTorch child: fewer malloc arenas keep its memory bounded (bench/README.md). */
const TORCH_ENV = { MALLOC_ARENA_MAX: "2" };

interface Flags extends StepShape {
  plan: string;
}

interface Case {
  unit: "tokens/s" | "texts/s";
  /** The kit's side, run in a child process; returns its result fields. */
  kit(f: Flags): Promise<Record<string, unknown>>;
  /** The PyTorch side's arguments; absent for a case timed on the kit's side only. */
  torch?(f: Flags): string[];
  /** The PyTorch side's script in bench/ (default torch_baseline.py). */
  script?: string;
  /** Fields of the kit's result copied to the case line. */
  lift?: string[];
}

const stepArgs = (f: Flags) => ["--batch", `${f.batch}`, "--seq", `${f.seq}`, "--steps", `${f.steps}`, "--warmup", `${f.warmup}`];

const CASES: Record<string, Case> = {
  "train-tiny": {
    unit: "tokens/s",
    kit: async (f) => kitMlmStep(await readBertConfig(`${tinyDir}/config.json`), f),
    torch: (f) => ["--model-dir", tinyDir, ...stepArgs(f)],
  },
  "train-base": {
    unit: "tokens/s",
    kit: (f) => kitMlmStep(bertBaseChineseConfig() as BertConfig, f),
    torch: (f) => [...BASE_SHAPE, ...stepArgs(f)],
  },
  "pretrain-tiny": {
    unit: "tokens/s",
    kit: (f) => kitPretrain(f.steps, f.plan),
    torch: (f) => [...MINI_SHAPE, "--mode", "pretrain", "--plan", f.plan],
    lift: ["rss_first_mb", "rss_last_mb", "rss_growth"],
  },
  "ptuning-v2-tiny": {
    unit: "tokens/s",
    kit: async (f) => {
      const model = await loadModelFolder(tinyDir);
      return kitPtuningStep(model.config, model.weights, f);
    },
    torch: (f) => ["--model-dir", tinyDir, "--mode", "ptuning", "--prefix", `${PREFIX}`, ...stepArgs(f)],
    lift: ["vs_finetune"],
  },
  "soft-prompt-tiny": {
    unit: "tokens/s",
    kit: async (f) => kitSoftPromptStep(await loadModelFolder(tinyDir), f),
    lift: ["vs_ptuning_v2", "vs_finetune"],
  },
  "infer-base": {
    unit: "texts/s",
    kit: (f) => kitInfer(f.plan),
    torch: (f) => [...BASE_SHAPE, "--mode", "infer", "--plan", f.plan],
  },
  "train-t5-tiny": {
    unit: "tokens/s",
    kit: (f) => kitT5Step(f, f.plan),
    torch: (f) => ["--plan", f.plan, "--steps", `${f.steps}`, "--warmup", `${f.warmup}`],
    script: "torch_t5_baseline.py",
  },
};

/** Steps and shape of each case unless flags say otherwise (pretraining needs enough steps to show flatness). */
const DEFAULTS: Record<string, Partial<StepShape>> = {
  "pretrain-tiny": { steps: 30 },
  "ptuning-v2-tiny": { seq: 128 - PREFIX },
  // The batch P-tuning v2's case trains, so the two step times compare.
  "soft-prompt-tiny": { seq: 128 - PREFIX },
};

const SPEC = {
  name: "bench",
  usage: "deno task bench [--cases a,b] [--threads N] [--steps N] [--warmup N] [--batch B] [--seq S] [--no-torch]",
  flags: {
    cases: { type: "strings", choices: Object.keys(CASES), default: Object.keys(CASES), help: "cases to run" },
    threads: { type: "int", min: 1, help: "threads of both sides (default: PROMPTLAB_THREADS or every core)" },
    steps: { type: "int", min: 1, help: "timed steps (default per case)" },
    warmup: { type: "int", min: 0, help: "untimed steps first (default 1)" },
    batch: { type: "int", min: 1, help: "sequences per batch (default 16)" },
    seq: { type: "int", min: 1, help: "tokens per sequence (default per case)" },
    "no-torch": { type: "boolean", help: "time the kit only" },
    child: { type: "string", choices: Object.keys(CASES), help: "(internal) run one case's kit side in this process" },
    plan: { type: "string", help: "(internal) the case's shared plan file" },
  },
} as const satisfies CommandSpec;

type Values = FlagValues<typeof SPEC.flags>;

function flagsFor(values: Values, name: string, plan: string): Flags {
  return {
    batch: values.batch ?? DEFAULTS[name]?.batch ?? 16,
    seq: values.seq ?? DEFAULTS[name]?.seq ?? 128,
    steps: values.steps ?? DEFAULTS[name]?.steps ?? 5,
    warmup: values.warmup ?? DEFAULTS[name]?.warmup ?? 1,
    plan,
  };
}

/** Run a command; its last stdout line as JSON, or the error's last line. */
async function jsonChild(cmd: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  // deno-lint-ignore no-control-regex -- strips terminal colour codes from a child's output
  const lines = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n");
  if (!out.success) {
    const err = lines(out.stderr);
    return { error: err.find((l) => /error/i.test(l)) ?? err.pop() ?? `exit ${out.code}` };
  }
  return JSON.parse(lines(out.stdout).pop()!);
}

async function main(args: string[]): Promise<number> {
  const p = commandFlags(SPEC, args);
  if (!p) return 0;
  const { values } = p;
  if (values.child) {
    const name = values.child;
    console.log(JSON.stringify(await CASES[name].kit(flagsFor(values, name, values.plan!))));
    return 0;
  }
  const threads = values.threads ?? threadCount();
  let failed = false;
  for (const name of values.cases) {
    const c = CASES[name];
    const plan = await Deno.makeTempFile({ prefix: `bench-${name}-`, suffix: ".json" });
    const f = flagsFor(values, name, plan);
    const passed = ["--steps", "--warmup", "--batch", "--seq"].flatMap((k) => {
      const v = values[k.slice(2) as "steps"];
      return v === undefined ? [] : [k, `${v}`];
    });
    // Idle pool threads spin, as PyTorch's OpenMP threads do by default: the bench measures a dedicated machine.
    const kit = await jsonChild(Deno.execPath(), ["run", "-A", `${here}bench.ts`, "--child", name, "--plan", plan, ...passed], {
      PROMPTLAB_THREADS: `${threads}`,
      PROMPTLAB_SPIN: "1",
    });
    const problem = kit.error ? null : timingProblem(kit, threads);
    if (problem) {
      console.error(`error: ${name}: the kit's timing is implausible: ${problem}`);
      failed = true;
    }
    const torch = values["no-torch"] || kit.error || !c.torch ? undefined : await jsonChild(
      python(),
      [`${here}${c.script ?? "torch_baseline.py"}`, "--threads", `${threads}`, ...c.torch(f)],
      TORCH_ENV,
    );
    await Deno.remove(plan).catch(() => {});
    const rate = (r?: Record<string, unknown>) =>
      (r?.[c.unit === "texts/s" ? "texts_per_s" : "tokens_per_s"] as number | undefined) ?? null;
    const [a, b] = [rate(kit), rate(torch)];
    console.log(JSON.stringify({
      case: name,
      unit: c.unit,
      promptlab: a,
      pytorch: b,
      ratio: a && b ? round(a / b, 3) : null,
      promptlab_rss_mb: kit.peak_rss_mb ?? null,
      pytorch_rss_mb: torch?.peak_rss_mb ?? null,
      threads,
      ...(problem ? { error: problem } : {}),
      ...Object.fromEntries((c.lift ?? []).map((k) => [k, kit[k] ?? null])),
      promptlab_detail: kit,
      pytorch_detail: torch ?? null,
      // Like every results row: the code that measured it (bench/README.md tables cite these lines).
      code: await codeProvenance(),
    }));
  }
  return failed ? 1 : 0;
}

if (import.meta.main) await runScript(main);
