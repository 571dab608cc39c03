/**
 * `deno task bench`: training-step throughput of the kit against eager PyTorch, side by side in one run.
 *
 * For each model shape (the shared tiny model, and bert-base-chinese's shape with random weights) it times
 * full masked-LM training steps, batch 16 x 128 tokens (forward, backward, gradient clipping, AdamW), in the
 * kit and in `bench/torch_baseline.py` with the same threads, and prints JSON lines: tokens per second, the
 * ratio, model FLOPs utilisation against the measured matmul peak, and peak memory.
 *
 * Flags: --models tiny,base  --steps N  --warmup N  --batch B  --seq S  --no-torch (`deno task bench --help`)
 */
import { Graph } from "../lib/engine/graph.ts";
import * as op from "../lib/engine/ops.ts";
import { crossEntropy } from "../lib/engine/layers.ts";
import { CompiledGraph, threadCount } from "../lib/engine/session.ts";
import { buildBert } from "../lib/model/bert.ts";
import { GraphParams } from "../lib/model/params.ts";
import type { BertConfig } from "../lib/model/config.ts";
import { readBertConfig } from "../lib/model/config.ts";
import { bertBaseChineseConfig, randomBertWeights } from "../lib/model/random.ts";
import { GradientStep } from "../lib/train/gradient_step.ts";
import { AdamW } from "../lib/train/adamw.ts";
import { clipGradNorm } from "../lib/train/clip.ts";
import { python } from "../lib/util/config.ts";
import { Rng } from "../lib/util/rng.ts";
import { commandFlags, type CommandSpec } from "../lib/util/flags.ts";
import { runScript } from "../lib/experiments/script.ts";

const MASK_RATE = 0.15;
const here = new URL(".", import.meta.url).pathname;

/** Peak resident memory of this process (VmHWM), in MB. */
function peakRssMb(): number {
  const m = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Matmul FLOPs of one training step; the same formula as torch_baseline.py's `flops_per_step`. */
function flopsPerStep(c: BertConfig, batch: number, seq: number, masked: number): number {
  const H = c.hidden_size, L = c.num_hidden_layers;
  const encoder = L * (4 * H * H + 2 * H * c.intermediate_size);
  const head = (H * H + H * c.vocab_size) * masked;
  return 6 * encoder * batch * seq + 6 * head + 12 * L * batch * seq * seq * H;
}

/**
 * GFLOP/s of fp32 [1024x768]·[768x3072] matmuls on onnxruntime: the practical peak of this machine. The right
 * operands are constants (pre-packed, as frozen weights are) and the products are reduced in the graph, so
 * the time is the GEMMs', not the copies'; four independent products per run amortise the call.
 */
async function matmulPeak(): Promise<number> {
  const g = new Graph();
  const a = g.input("a", [1024, 768]);
  const products = [0, 1, 2, 3].map((i) => {
    const b = g.constant(`b${i}`, new Float32Array(768 * 3072).fill(0.25 + i), [768, 3072]);
    return op.reduceSum(op.matmul(a, b), [0, 1]);
  });
  const c = await CompiledGraph.compile(g, { y: products.reduce((x, y) => op.add(x, y)) });
  const feeds = { a: new Float32Array(1024 * 768).fill(0.5) };
  for (let i = 0; i < 3; i++) await c.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await c.run(feeds);
    times.push(performance.now() - t);
  }
  await c.release();
  return (4 * 2 * 1024 * 768 * 3072) / (median(times) / 1000) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Case {
  name: string;
  config: BertConfig;
  /** Arguments that give torch_baseline.py the same shape. */
  torchArgs: string[];
}

async function kitRun(c: Case, batch: number, seq: number, steps: number, warmup: number, peak: number) {
  const config = c.config;
  const weights = randomBertWeights(config, 42);
  const perSeq = Math.max(1, Math.round(MASK_RATE * seq));
  const masked = batch * perSeq;
  const rng = new Rng(42);
  const tBuild = performance.now();
  const step = await GradientStep.build((g) => {
    const params = new GraphParams(g, weights, () => true);
    const bert = buildBert(g, config, params.get, { batch, seqLen: seq, train: true });
    const rows = g.input("rows", [masked], "int64"), targets = g.input("targets", [masked], "int64");
    return { loss: crossEntropy(bert.mlmLogits(rows), targets), params };
  });
  const buildSeconds = (performance.now() - tBuild) / 1000;
  const opt = new AdamW(weights, { lr: 1e-5, weightDecay: 0.01 });
  const ids = BigInt64Array.from({ length: batch * seq }, () => BigInt(rng.int(config.vocab_size)));
  const times: number[] = [];
  let loss = NaN;
  for (let s = 0; s < warmup + steps; s++) {
    const rows = new BigInt64Array(masked), targets = new BigInt64Array(masked);
    for (let b = 0; b < batch; b++) {
      rng.shuffle([...Array(seq).keys()]).slice(0, perSeq).forEach((p, j) => (rows[b * perSeq + j] = BigInt(b * seq + p)));
    }
    for (let i = 0; i < masked; i++) targets[i] = BigInt(rng.int(config.vocab_size));
    const t = performance.now();
    const r = await step.run(weights, {
      input_ids: ids,
      token_type_ids: new BigInt64Array(batch * seq),
      attention_mask: new Float32Array(batch * seq).fill(1),
      dropout_seed: Uint32Array.of(s),
      rows,
      targets,
    });
    clipGradNorm(r.grads, 1.0);
    opt.step(r.grads);
    if (s >= warmup) times.push((performance.now() - t) / 1000);
    loss = r.loss;
  }
  await step.release();
  const stepS = median(times), flops = flopsPerStep(config, batch, seq, masked);
  return {
    impl: "promptlab",
    model: c.name,
    batch,
    seq,
    masked,
    threads: threadCount(),
    steps,
    tokens_per_s: Math.round((batch * seq / stepS) * 10) / 10,
    step_s_median: Number(stepS.toFixed(4)),
    step_s_min: Number(Math.min(...times).toFixed(4)),
    build_s: Number(buildSeconds.toFixed(2)),
    flops_per_step: flops,
    gflops_per_s: Number((flops / stepS / 1e9).toFixed(2)),
    mfu: Number((flops / stepS / (peak * 1e9)).toFixed(4)),
    peak_rss_mb: Math.round(peakRssMb()),
    final_loss: Number(loss.toFixed(4)),
  };
}

async function torchRun(c: Case, batch: number, seq: number, steps: number, warmup: number, peak: number) {
  const args = [
    `${here}torch_baseline.py`,
    ...c.torchArgs,
    "--model", c.name,
    "--batch", `${batch}`,
    "--seq", `${seq}`,
    "--steps", `${steps}`,
    "--warmup", `${warmup}`,
    "--threads", `${threadCount()}`,
    "--peak-gflops", `${peak}`,
  ];
  const out = await new Deno.Command(python(), {
    args,
    // MALLOC_ARENA_MAX bounds glibc's memory; an mmap threshold would re-fault every activation each step.
    env: { MALLOC_ARENA_MAX: "2" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    return { impl: "pytorch", model: c.name, error: new TextDecoder().decode(out.stderr).trim().split("\n").pop() };
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

/** Runs the kit's side of one case in a child process, so each case's peak memory is its own. */
async function kitInChild(name: string, flags: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.url.replace("file://", ""), "--child", name, ...flags],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) return { impl: "promptlab", model: name, error: `exit ${out.code}` };
  return JSON.parse(text.split("\n").pop()!);
}

const tinyDir = `${here}../../shared/models/zh-review-bert-tiny`;
/** The model shapes benchmarked, by flag name. */
const CASES: Record<string, () => Promise<Case>> = {
  tiny: async () => ({ name: "zh-review-bert-tiny", config: await readBertConfig(`${tinyDir}/config.json`), torchArgs: ["--model-dir", tinyDir] }),
  base: () => Promise.resolve({ name: "bert-base-chinese-shape", config: bertBaseChineseConfig(), torchArgs: [] }),
};

const SPEC = {
  name: "bench",
  usage: "deno task bench [--models tiny,base] [--steps N] [--warmup N] [--batch B] [--seq S] [--no-torch]",
  flags: {
    models: { type: "strings", choices: ["tiny", "base"], default: ["tiny", "base"], help: "model shapes to time" },
    steps: { type: "int", min: 1, default: 5, help: "timed training steps" },
    warmup: { type: "int", min: 0, default: 1, help: "untimed steps first" },
    batch: { type: "int", min: 1, default: 16, help: "sequences per batch" },
    seq: { type: "int", min: 1, default: 128, help: "tokens per sequence" },
    "no-torch": { type: "boolean", help: "time the kit only" },
    peak: { type: "number", above: 0, help: "(internal) the measured matmul peak, for a child run" },
    child: { type: "string", choices: ["tiny", "base"], help: "(internal) time one model in this process" },
  },
} as const satisfies CommandSpec;

async function main(args: string[]): Promise<number> {
  const p = commandFlags(SPEC, args);
  if (!p) return 0;
  const { values } = p;
  const { steps, warmup, batch, seq } = values;
  if (values.child) {
    const c = await CASES[values.child]();
    console.log(JSON.stringify(await kitRun(c, batch, seq, steps, warmup, values.peak ?? NaN)));
  } else {
    const peak = await matmulPeak();
    console.log(JSON.stringify({ matmul_peak_gflops: Number(peak.toFixed(1)), threads: threadCount(), shape: "1024x768x3072" }));
    for (const c of await Promise.all(values.models.map((m) => CASES[m]()))) {
      const flags = ["--steps", `${steps}`, "--warmup", `${warmup}`, "--batch", `${batch}`, "--seq", `${seq}`, "--peak", `${peak}`];
      const kit = await kitInChild(c.name === "zh-review-bert-tiny" ? "tiny" : "base", flags);
      console.log(JSON.stringify(kit));
      if (values["no-torch"]) continue;
      const torch = await torchRun(c, batch, seq, steps, warmup, peak);
      console.log(JSON.stringify(torch));
      if (kit.tokens_per_s && torch.tokens_per_s) {
        console.log(JSON.stringify({
          model: c.name,
          speedup_vs_pytorch: Number((kit.tokens_per_s / torch.tokens_per_s).toFixed(3)),
          promptlab_tokens_per_s: kit.tokens_per_s,
          pytorch_tokens_per_s: torch.tokens_per_s,
          promptlab_mfu: kit.mfu,
          pytorch_mfu: torch.mfu,
          promptlab_peak_rss_mb: kit.peak_rss_mb,
          pytorch_peak_rss_mb: torch.peak_rss_mb,
        }));
      }
    }
  }
  return 0;
}

await runScript(main);
