/**
 * Multitask prompted training (ZeroPrompt): every step draws a task of the mixture and a batch of its rows, each
 * rendered with one of the task's templates, and trains the whole model with the objective its backbone's
 * capabilities choose (`backbone_path.ts`): PET's loss on a BERT (one cross-entropy over the class scores of the
 * task's label words at [MASK]), the teacher-forced loss of the label word's target on a T5. The out folder follows
 * pre-training's rules (a marker, a lock, a foreign non-empty folder refused, a finished model never
 * overwritten) and its checkpoints, from which a stopped run resumes exactly: a step's draw, dropout and update
 * depend on (seed, step) and the checkpointed weights and moments only.
 *
 * The output is a model folder every method loads (`--model DIR`), with `multitask.json` (the mixture, the
 * rows, the log) and a model card (README.md) naming the mixture and the held-out task.
 */
import type { SourceOptions } from "../data/sources.ts";
import { threadCount } from "../engine/session.ts";
import { modelFingerprint } from "../model/fingerprint.ts";
import { loadCheckpoint, type LoopState, removeCheckpoint, saveCheckpoint } from "../pretrain/checkpoint.ts";
import { claimOutFolder, type OutFolderOwner, startOutFolder } from "../pretrain/out_folder.ts";
import { AdamW } from "../train/adamw.ts";
import { clipScale, gradNorm } from "../train/clip.ts";
import type { ProgressCallback } from "../train/progress.ts";
import { linearWarmupDecay } from "../train/schedule.ts";
import { stepSeed } from "../train/step_seed.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import type { TensorMap } from "../util/tensor.ts";
import { multitaskPath } from "./backbone_path.ts";
import { buildMixtureRows } from "./builder.ts";
import { multitaskCard, type MultitaskRun } from "./card.ts";
import type { Mixture } from "./mixture.ts";
import { mixtureRecord } from "./record.ts";
import { drawStep, temperatureWeights } from "./sampling.ts";

/** Multitask folders: marked as such, so pre-training never takes one for its own (nor the reverse). */
export const MULTITASK_OWNER: OutFolderOwner = {
  marker: ".promptlab-multitask",
  what: "multitask training",
  command: "multitask",
  ownWithoutMarker: [],
};

/** The file beside the model that records the run (read by the model card). */
export const MULTITASK_LOG = "multitask.json";

/** Options of {@link multitask}. */
export interface MultitaskOptions {
  mixture: Mixture;
  /** Output model folder; its `checkpoint/` holds the resumable state while training. */
  out: string;
  /** The model folder training starts from. */
  model: string;
  /** Step budget instead of the mixture's. */
  steps?: number;
  /** Stop after this step with a checkpoint, to resume later. */
  stopAt?: number;
  /** Checkpoint every this many minutes (default 5). */
  checkpointMinutes?: number;
  /** A log entry every this many steps (default 50) and at the end. */
  logEvery?: number;
  source?: SourceOptions;
  onProgress?: ProgressCallback;
  onLog?: (entry: Record<string, number>) => void;
}

/** What {@link multitask} returns. */
export interface MultitaskResult {
  dir: string;
  steps: number;
  resumedFrom: number;
  seconds: number;
  /** True when the run paused (stopAt or Ctrl-C) with a checkpoint instead of finishing. */
  stopped: boolean;
  interrupted: boolean;
  /** Each step's `{ step, loss, tokens }` (tokens seen so far), from the first step of the run on. */
  log: Record<string, number>[];
}

/**
 * Train (or resume training) into `o.out`.
 * @throws InputError: `out` a file, a foreign non-empty folder or a finished model; a resume with another mixture,
 *   model or step budget; label words or templates the model's tokenizer cannot take; a diverging loss.
 */
export async function multitask(o: MultitaskOptions): Promise<MultitaskResult> {
  const out = o.out.replace(/(.)\/+$/, "$1");
  const lock = await claimOutFolder(out, MULTITASK_OWNER);
  try {
    return await multitaskInto({ ...o, out });
  } finally {
    await lock.release();
  }
}

/** {@link multitask} once its folder is claimed. */
async function multitaskInto(o: MultitaskOptions): Promise<MultitaskResult> {
  const { mixture, out } = o;
  const ckptDir = `${out}/checkpoint`;
  const checkpoint = await loadCheckpoint(ckptDir);
  if (!checkpoint && (await exists(`${out}/model.safetensors`))) {
    throw new InputError("already holds a multitask model; choose another --out or remove it", { file: out });
  }
  const recorded = {
    mixture: mixtureRecord(mixture, o.steps),
    model: { name: o.model.replace(/\/+$/, "").replace(/^.*\//, ""), fingerprint: await modelFingerprint(o.model) },
  };
  if (checkpoint) checkSameRun(checkpoint.state, recorded, `${ckptDir}/state.json`);
  const totalSteps = o.steps ?? mixture.steps;

  let weights: TensorMap;
  if (checkpoint) weights = checkpoint.weights;
  else {
    // Everything is read and checked before the folder is started: nothing is written for a model or mixture refused.
    const start = await (await multitaskPath(o.model)).arch.start(o.model, mixture);
    weights = start.weights;
    await startOutFolder(out, MULTITASK_OWNER);
    for (const [name, text] of Object.entries(start.files)) await writeFileAtomic(`${out}/${name}`, text);
  }
  // The out folder's own config decides, so a resumed run trains as the first one did.
  const { arch } = await multitaskPath(out);
  const tasks = await buildMixtureRows(mixture, o.source);
  const objective = await arch.open(out, mixture, tasks, weights);
  const weightsOfTasks = temperatureWeights(tasks.map((t) => t.rows.length), mixture.temperature);

  const optimizer = new AdamW(weights, { lr: mixture.lr, weightDecay: 0.01 });
  if (checkpoint) optimizer.loadState(checkpoint.optimizer);
  const state: LoopState = checkpoint?.state ?? {
    step: 0,
    totalSteps,
    epoch: 0,
    index: 0,
    tokensSeen: 0,
    elapsedSeconds: 0,
    log: [],
    stages: [{ fromStep: 0, options: recorded, changed: [] }],
  };
  const resumedFrom = state.step;
  const schedule = linearWarmupDecay(mixture.warmupSteps, Math.max(totalSteps, mixture.warmupSteps + 1));
  const began = performance.now() - state.elapsedSeconds * 1000;
  const elapsed = () => (performance.now() - began) / 1000;
  const save = () => saveCheckpoint(ckptDir, { weights, optimizer: optimizer.state(), state: { ...state, elapsedSeconds: elapsed() } });
  let lastCheckpoint = performance.now();
  /** A progress line: the mean loss of the steps since the last multiple of `logEvery` (from the log, so exact on resume too). */
  const report = () => {
    const every = o.logEvery ?? 50;
    const window = state.log.filter((e) => e.step > Math.floor((state.step - 1) / every) * every);
    const loss = window.reduce((s, e) => s + e.loss, 0) / window.length;
    o.onLog?.({ step: state.step, seconds: Number(elapsed().toFixed(1)), tokens: state.tokensSeen, train_loss: Number(loss.toFixed(4)) });
  };
  let interrupted = false;
  const onSignal = () => (interrupted = true);
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    const paused = () => interrupted || state.step === o.stopAt;
    while (!paused() && state.step < totalSteps) {
      const draw = drawStep(
        mixture.seed,
        state.step,
        weightsOfTasks,
        tasks.map((t, i) => ({ rows: t.rows.length, templates: mixture.tasks[i].templates.length })),
        mixture.batchSize,
      );
      const r = await objective.step(draw, stepSeed(mixture.seed, state.step));
      if (!Number.isFinite(r.loss)) {
        throw new InputError(
          `multitask training diverged: loss ${r.loss} at step ${state.step}; the last checkpoint, if any, is kept; try a lower lr (now ${mixture.lr})`,
          { file: mixture.file, field: "lr" },
        );
      }
      optimizer.step(r.grads, mixture.lr * schedule(state.step), clipScale(gradNorm(r.grads), 1));
      state.step++;
      state.tokensSeen += r.tokens;
      state.log.push({ step: state.step, loss: r.loss, tokens: state.tokensSeen });
      o.onProgress?.({ phase: "train", step: state.step, totalSteps, loss: r.loss });
      if (state.step % (o.logEvery ?? 50) === 0 || state.step === totalSteps) report();
      if (performance.now() - lastCheckpoint > (o.checkpointMinutes ?? 5) * 60_000) {
        await save();
        lastCheckpoint = performance.now();
      }
    }
    const stopped = state.step < totalSteps;
    const result: MultitaskResult = { dir: out, steps: state.step, resumedFrom, seconds: elapsed(), stopped, interrupted, log: state.log };
    if (stopped) {
      await save();
      return result;
    }
    await objective.save();
    const run: MultitaskRun = {
      ...recorded,
      objective: arch.objective,
      mixtureFile: mixture.file,
      steps: state.step,
      seconds: Number(result.seconds.toFixed(1)),
      threads: threadCount(),
      rows: tasks.map((t, i) => ({
        task: t.task.name,
        used: t.rows.length,
        read: t.read,
        decontaminated: t.decontaminated,
        duplicates: t.duplicates,
        probability: Number(weightsOfTasks[i].toFixed(4)),
      })),
      log: state.log,
    };
    await writeFileAtomic(`${out}/${MULTITASK_LOG}`, JSON.stringify(run, null, 1) + "\n");
    await writeFileAtomic(`${out}/README.md`, multitaskCard(out.replace(/^.*\//, ""), objective.card, run));
    await removeCheckpoint(ckptDir);
    return result;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await objective.release();
  }
}

/** A checkpoint resumes only with the mixture, step budget and base model it started with. */
function checkSameRun(state: LoopState, recorded: Record<string, unknown>, file: string): void {
  const was = state.stages?.[0]?.options ?? {};
  for (const key of Object.keys(recorded)) {
    if (JSON.stringify(was[key]) !== JSON.stringify(recorded[key])) {
      throw new InputError(
        `the checkpoint was made with another ${
          key === "model" ? "base model (--model)" : "mixture or --steps"
        }; resume with the same ones, or give another --out`,
        { file, field: key },
      );
    }
  }
}
