/**
 * Pre-training, from scratch (a character-level vocabulary built from the corpus) or continued from a model
 * folder: masked LM on a BERT or span corruption on a T5 (`objective.ts`), length-bucketed batches, AdamW with
 * warmup and linear decay, a step or wall-clock budget, held-out loss and accuracy logged as it goes, and
 * checkpoints every few minutes from which a stopped run resumes exactly.
 *
 * The output is a Hugging Face model folder (config.json, model.safetensors, tokenizer files) plus
 * `training_log.json`.
 */
import type { SourceOptions } from "../data/sources.ts";
import { threadCount } from "../engine/session.ts";
import { AdamW } from "../train/adamw.ts";
import { clipScale, gradNorm } from "../train/clip.ts";
import { GradAccumulator } from "../train/grad_accumulator.ts";
import { linearWarmupDecay } from "../train/schedule.ts";
import type { TokenSeq } from "../model/batch.ts";
import type { ProgressCallback } from "../train/progress.ts";
import { stepSeed } from "../train/step_seed.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { mixSeed, Rng } from "../util/rng.ts";
import type { TensorMap } from "../util/tensor.ts";
import { loadCheckpoint, type LoopState, type OptionStage, removeCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { claimOutFolder, startOutFolder } from "./out_folder.ts";
import { pretrainingCorpus } from "./corpus.ts";
import { corpusDefinition, DEFAULT_CORPUS } from "./corpora.ts";
import type { HeldoutResult } from "./heldout.ts";
import { BucketedBatches, microBatches, MLM_BUCKETS } from "./mlm_batches.ts";
import { bertPretraining } from "./bert_objective.ts";
import type { ModelOptions, PretrainArch } from "./objective.ts";
import { T5_SIZES, t5Pretraining } from "./t5_objective.ts";

/** The backbones pre-training knows, by `--arch`: masked LM on a BERT, span corruption on a T5. */
export const PRETRAIN_ARCHS = { bert: bertPretraining, t5: t5Pretraining } as const satisfies Record<string, PretrainArch>;

/**
 * Options of {@link pretrain}; sizes apply to a model built from scratch (for a T5: `layers` blocks in each
 * stack, `hidden` d_model, `intermediate` d_ff, heads of `hidden / heads`). `out` is the output model folder,
 * whose `checkpoint/` holds the resumable state while training; `from` continues from a model folder (its
 * tokenizer and shape) instead of starting from scratch; `tokenizer` gives a new model this folder's tokenizer
 * (vocabulary and rules) instead of a vocabulary built from the corpus, to pre-train on a known vocabulary;
 * `maxLength` is the longest sequence (and a BERT's position table); `minFreq` keeps characters seen at least
 * this often in a vocabulary built from the corpus.
 */
export interface PretrainOptions extends ModelOptions {
  /** The backbone and its objective: `bert` (masked LM, the default) or `t5` (span corruption). */
  arch: keyof typeof PRETRAIN_ARCHS;
  tokensPerBatch: number;
  /**
   * Most padded tokens one forward/backward pass holds: a larger batch runs as several passes whose
   * gradients are summed, the same update with a fraction of the activation memory.
   */
  microBatchTokens: number;
  lr: number;
  beta2: number;
  weightDecay: number;
  warmupSteps: number;
  /** Step budget; or leave undefined and give `minutes`. */
  steps?: number;
  /** Wall-clock budget: the step count is fixed from the measured speed once warmup ends. */
  minutes?: number;
  /** Held-out evaluation every this many steps. */
  evalEvery: number;
  /** Texts held out of training for evaluation. */
  heldout: number;
  checkpointMinutes: number;
  seed: number;
  /** Stop after this step with a checkpoint, to resume later (a scheduled pause). */
  stopAt?: number;
  /**
   * Let a resume change training options (seed, lr, batch size, budget...) from the checkpoint's; the change
   * starts a new stage in the training log. Without it such a resume is refused. Options left out of a resume
   * are the checkpoint's.
   */
  allowChanges?: boolean;
  /** The named corpus to train on (`corpora.ts`): `reviews-v1` (the default) or a later, broader one. */
  corpusName: string;
  /** Text to train on instead of a named corpus (e.g. domain-adaptive pre-training). */
  corpus?: { train: string[]; heldout: string[] };
  source?: SourceOptions;
  onProgress?: ProgressCallback;
  /** Receives each log entry as it is made. */
  onLog?: (entry: Record<string, number>) => void;
}

/** Defaults: the reference model's recipe (4 layers, hidden 256, lr 1e-3, betas 0.9/0.98, ~8k tokens a batch). */
export const PRETRAIN_DEFAULTS: Omit<PretrainOptions, "out"> = {
  arch: "bert",
  layers: 4,
  hidden: 256,
  heads: 4,
  intermediate: 1024,
  maxLength: 128,
  minFreq: 3,
  tokensPerBatch: 8192,
  microBatchTokens: 2048,
  lr: 1e-3,
  beta2: 0.98,
  weightDecay: 0.01,
  warmupSteps: 100,
  evalEvery: 100,
  heldout: 2000,
  checkpointMinutes: 5,
  seed: 42,
  corpusName: DEFAULT_CORPUS,
};

function residentMb(): number {
  return Deno.memoryUsage().rss / 2 ** 20;
}

/** What {@link pretrain} returns. */
export interface PretrainResult {
  dir: string;
  /** The model's config (a BERT's or a T5's). */
  config: { vocab_size: number };
  log: Record<string, number>[];
  heldout: HeldoutResult;
  steps: number;
  tokensSeen: number;
  seconds: number;
  resumedFrom: number;
  /** True when the run paused (stopAt or Ctrl-C) with a checkpoint instead of finishing. */
  stopped: boolean;
  /** True when SIGINT (Ctrl-C) stopped the run; a checkpoint was written. */
  interrupted: boolean;
  /** The options of each stage of the run: one, unless a resume was allowed to change some. */
  optionStages: OptionStage[];
  /** onnxruntime intra-op threads. */
  threads: number;
}

/** Options that fix the model's shape, vocabulary, training text or held-out texts: a resume can never change them. */
const FIXED_ON_RESUME = [
  "arch",
  "from",
  "tokenizer",
  "layers",
  "hidden",
  "heads",
  "intermediate",
  "minFreq",
  "heldout",
  "corpusName",
] as const;
/** Options of the training itself: a resume changes them only with `allowChanges`, as a new stage. */
const STAGE_OPTIONS = [
  "seed",
  "lr",
  "beta2",
  "weightDecay",
  "warmupSteps",
  "tokensPerBatch",
  "microBatchTokens",
  "maxLength",
  "steps",
  "minutes",
] as const;

/** Options of the run's bookkeeping: a resume keeps the checkpoint's unless given, and may change them freely. */
const FREE_ON_RESUME = ["evalEvery", "checkpointMinutes"] as const;

/** The options given a value (a flag left out arrives as undefined and must not hide a default). */
function givenOptions(options: Partial<PretrainOptions>): Partial<PretrainOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/** The recorded options, without the unset ones. */
function recordedOptions(o: PretrainOptions, keys: readonly (keyof PretrainOptions)[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/**
 * The options of a resumed run: the checkpoint's, overridden by those given. A given option that differs
 * is refused (always for {@link FIXED_ON_RESUME}, without `allowChanges` for the others).
 * @returns the options and the names of those that changed.
 */
function resumeOptions(options: Partial<PretrainOptions>, state: LoopState, file: string): { o: PretrainOptions; changed: string[] } {
  const given = givenOptions(options);
  const stage = state.stages?.at(-1)?.options as Partial<PretrainOptions> | undefined;
  // A checkpoint from before corpora had names trained on the first one.
  const recorded = stage && { corpusName: DEFAULT_CORPUS, ...stage };
  if (!recorded) {
    if (!options.allowChanges) {
      throw new InputError(
        "the checkpoint does not record its options (an older format); pass --allow-changes to resume with the options given now",
        { file },
      );
    }
    return { o: { ...PRETRAIN_DEFAULTS, ...given } as PretrainOptions, changed: ["unrecorded"] };
  }
  const show = (v: unknown) => v === undefined ? "unset" : JSON.stringify(v);
  const differs = (k: keyof PretrainOptions) => k in given && given[k] !== recorded[k];
  const fixed = FIXED_ON_RESUME.find(differs);
  if (fixed) {
    throw new InputError(
      `is ${show(recorded[fixed])} in the checkpoint, ${
        show(given[fixed])
      } now: it fixes the model's shape, vocabulary, training text or held-out texts, so a resume cannot change it (use another --out)`,
      { file, field: fixed },
    );
  }
  const changed = STAGE_OPTIONS.filter(differs);
  if (changed.length && !options.allowChanges) {
    const list = changed.map((k) => `${k} from ${show(recorded[k])} to ${show(given[k])}`).join(", ");
    throw new InputError(
      `resuming would change ${list}; leave ${
        changed.length > 1 ? "them" : "it"
      } out to keep the checkpoint's, or pass --allow-changes to go on with the new values as a new stage of the training log`,
      { file, field: changed[0] },
    );
  }
  return { o: { ...PRETRAIN_DEFAULTS, ...recorded, ...given } as PretrainOptions, changed };
}

/** Refuse options the loop cannot run with, before the corpus is read. */
function checkOptions(o: PretrainOptions): void {
  if (!Object.hasOwn(PRETRAIN_ARCHS, o.arch)) {
    throw new InputError(`must be one of ${Object.keys(PRETRAIN_ARCHS).join(", ")}, got ${JSON.stringify(o.arch)}`, { field: "arch" });
  }
  if (o.steps === undefined && o.minutes === undefined) throw new InputError("give a budget: steps or minutes", { field: "steps" });
  corpusDefinition(o.corpusName, "corpusName");
  if (o.maxLength < MLM_BUCKETS[0]) {
    throw new InputError(`must be at least ${MLM_BUCKETS[0]} (the shortest length bucket), got ${o.maxLength}`, { field: "maxLength" });
  }
  if (o.from && o.tokenizer) {
    throw new InputError("a continued model keeps its own tokenizer; give --from or --tokenizer, not both", { field: "tokenizer" });
  }
  if (!o.from && o.hidden % o.heads !== 0) {
    throw new InputError(`hidden ${o.hidden} is not divisible by heads ${o.heads}`, { field: "hidden" });
  }
}

/**
 * Pre-train (or resume pre-training) into `o.out`, one run per folder: a second run on the same `out` waits for
 * the first (then resumes from its checkpoint or finds its finished model).
 * @throws InputError when `o.out` is a file, holds files pre-training did not write, or already holds a finished
 *   model (nothing is overwritten), no budget is given, an option is out of range, or a resume would change an
 *   option of the checkpoint (see `allowChanges`).
 */
export async function pretrain(options: Partial<PretrainOptions> & { out: string }): Promise<PretrainResult> {
  const out = options.out.replace(/(.)\/+$/, "$1");
  const lock = await claimOutFolder(out);
  try {
    return await pretrainInto({ ...options, out });
  } finally {
    await lock.release();
  }
}

/** {@link pretrain} once its folder is claimed. */
async function pretrainInto(options: Partial<PretrainOptions> & { out: string }): Promise<PretrainResult> {
  const ckptDir = `${options.out}/checkpoint`;
  const checkpoint = await loadCheckpoint(ckptDir);
  if (!checkpoint && (await exists(`${options.out}/model.safetensors`))) {
    throw new InputError("already holds a pre-trained model; choose another --out or remove it", { file: options.out });
  }
  const { o, changed } = checkpoint
    ? resumeOptions(options, checkpoint.state, `${ckptDir}/state.json`)
    : { o: { ...PRETRAIN_DEFAULTS, ...(options.arch === "t5" ? T5_SIZES : {}), ...givenOptions(options) } as PretrainOptions, changed: [] };
  checkOptions(o);
  if (checkpoint && (changed.includes("steps") || changed.includes("minutes"))) {
    if (o.steps !== undefined && o.steps <= checkpoint.state.step) {
      throw new InputError(`must be beyond the checkpoint's step ${checkpoint.state.step}, got ${o.steps}`, { field: "steps" });
    }
    // A new budget: a step count is the new length, a time budget fixes it again from the speed measured so far.
    checkpoint.state.totalSteps = o.steps ?? 0;
  }
  const corpus = o.corpus ?? await pretrainingCorpus({ ...o.source, heldout: o.heldout, name: o.corpusName });

  // The tokenizer and config are written first, so a resumed run reads back exactly what it started with.
  const arch = PRETRAIN_ARCHS[o.arch];
  let weights: TensorMap;
  if (checkpoint) weights = checkpoint.weights;
  else {
    const start = await arch.start(o, corpus.train);
    weights = start.weights;
    await startOutFolder(o.out);
    for (const [name, text] of Object.entries(start.files)) await writeFileAtomic(`${o.out}/${name}`, text);
  }
  const objective = await arch.open(o, weights, corpus);
  const data = new BucketedBatches(objective.seqs, o.tokensPerBatch, o.seed, objective.maxLength);

  const optimizer = new AdamW(weights, { lr: o.lr, beta2: o.beta2, weightDecay: o.weightDecay });
  const state: LoopState = checkpoint?.state ?? {
    step: 0,
    totalSteps: o.steps ?? 0,
    epoch: 0,
    index: 0,
    tokensSeen: 0,
    elapsedSeconds: 0,
    log: [],
  };
  const recorded = recordedOptions(o, [...FIXED_ON_RESUME, ...STAGE_OPTIONS, ...FREE_ON_RESUME]);
  if (!checkpoint || changed.length) state.stages = [...(state.stages ?? []), { fromStep: state.step, options: recorded, changed }];
  else state.stages!.at(-1)!.options = recorded; // only bookkeeping options may differ: the next resume keeps them
  if (checkpoint) optimizer.loadState(checkpoint.optimizer);
  const resumedFrom = state.step;
  const began = performance.now() - state.elapsedSeconds * 1000;
  const elapsed = () => (performance.now() - began) / 1000;
  let lastCheckpoint = performance.now(), lossSum = 0, lossCount = 0, tokensAtLog = state.tokensSeen, timeAtLog = elapsed();
  let interrupted = false;
  const onSignal = () => (interrupted = true);
  Deno.addSignalListener("SIGINT", onSignal);

  const save = () => saveCheckpoint(ckptDir, { weights, optimizer: optimizer.state(), state: { ...state, elapsedSeconds: elapsed() } });
  const logEntry = async () => {
    const h = await objective.heldout();
    const now = elapsed();
    const entry = {
      step: state.step,
      tokens: state.tokensSeen,
      seconds: Number(now.toFixed(1)),
      tokens_per_s: Math.round((state.tokensSeen - tokensAtLog) / Math.max(1e-9, now - timeAtLog)),
      train_loss: lossCount ? Number((lossSum / lossCount).toFixed(4)) : NaN,
      heldout_loss: Number(h.loss.toFixed(4)),
      heldout_acc: Number(h.accuracy.toFixed(4)),
      rss_mb: Math.round(residentMb()),
    };
    state.log.push(entry);
    o.onLog?.(entry);
    [lossSum, lossCount, tokensAtLog, timeAtLog] = [0, 0, state.tokensSeen, elapsed()];
    return h;
  };

  /**
   * Loss and gradients of one batch, in passes of at most `microBatchTokens` tokens whose gradients are
   * summed: memory holds one pass's activations. The first pass draws what a single pass would.
   */
  const trainingPasses = async (b: { seqs: TokenSeq[]; rows: number; length: number }, step: number) => {
    const { parts, rows } = microBatches(b.seqs, b.rows, b.length, o.microBatchTokens);
    const sum = new GradAccumulator();
    for (const [i, part] of parts.entries()) {
      const rng = new Rng(i ? mixSeed(o.seed, step, i) : mixSeed(o.seed, step));
      const r = await objective.pass(part, rows, b.length, { rng, dropoutSeed: stepSeed(i ? mixSeed(o.seed, i) : o.seed, step) });
      sum.add(r.loss, r.grads, r.count);
    }
    return sum.result();
  };

  try {
    let epochBatches = data.epoch(state.epoch);
    const paused = () => interrupted || state.step === o.stopAt;
    while (!paused() && (state.totalSteps === 0 || state.step < state.totalSteps)) {
      if (state.index >= epochBatches.length) {
        state.epoch++;
        state.index = 0;
        epochBatches = data.epoch(state.epoch);
      }
      const b = epochBatches[state.index];
      const r = await trainingPasses(b, state.step);
      if (!Number.isFinite(r.loss)) {
        // Almost always a learning rate too high for the model: the user's to change, so an input error.
        throw new InputError(
          `pre-training diverged: loss ${r.loss} at step ${state.step}; the last checkpoint, if any, is kept; try a lower lr (now ${o.lr})`,
          { field: "lr" },
        );
      }
      // With a wall-clock budget the schedule's length is fixed once warmup has measured the speed.
      if (state.totalSteps === 0 && state.step + 1 >= Math.max(o.warmupSteps, 10)) {
        state.totalSteps = Math.max(state.step + 2, Math.floor(((o.minutes! * 60) / elapsed()) * (state.step + 1)));
      }
      const schedule = linearWarmupDecay(o.warmupSteps, Math.max(state.totalSteps, o.warmupSteps + 1));
      optimizer.step(r.grads, o.lr * schedule(state.step), clipScale(gradNorm(r.grads), 1));
      state.step++;
      state.index++;
      state.tokensSeen += b.seqs.reduce((s, q) => s + q.ids.length, 0);
      lossSum += r.loss;
      lossCount++;
      o.onProgress?.({ phase: "pretrain", step: state.step, totalSteps: state.totalSteps, loss: r.loss });
      if (state.step % o.evalEvery === 0) await logEntry();
      if (performance.now() - lastCheckpoint > o.checkpointMinutes * 60_000) {
        await save();
        lastCheckpoint = performance.now();
      }
    }
    const stopped = paused() && (state.totalSteps === 0 || state.step < state.totalSteps);
    if (stopped) await save();
    const heldout = state.log.at(-1)?.step === state.step ? await objective.heldout() : await logEntry();
    const result: PretrainResult = {
      dir: o.out,
      config: objective.config,
      log: state.log,
      heldout,
      steps: state.step,
      tokensSeen: state.tokensSeen,
      seconds: elapsed(),
      resumedFrom,
      stopped,
      interrupted,
      optionStages: state.stages!,
      threads: threadCount(),
    };
    if (stopped) return result;
    await objective.save();
    const report = "report" in corpus ? corpus.report : { train: corpus.train.length, heldout: corpus.heldout.length };
    const { onLog: _l, onProgress: _p, corpus: _c, allowChanges: _a, ...options } = o;
    // A continued run carries the log of the stages before it, so the model's whole history stays readable.
    const earlier = o.from ? await Deno.readTextFile(`${o.from}/training_log.json`).then(JSON.parse, () => undefined) : undefined;
    const stages = earlier ? [...(earlier.stages ?? []), { ...earlier, stages: undefined }] : undefined;
    await writeFileAtomic(
      `${o.out}/training_log.json`,
      JSON.stringify({ ...result, config: undefined, interrupted: undefined, corpus: report, options, stages }, null, 1) + "\n",
    );
    await removeCheckpoint(ckptDir);
    return result;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await objective.release();
  }
}
