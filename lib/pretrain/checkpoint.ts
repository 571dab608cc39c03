/**
 * Pre-training checkpoints: weights, optimizer moments and the loop's state, written as one folder that
 * replaces the previous one atomically (written beside it, then renamed), so an interrupted write never
 * leaves a half checkpoint and the last complete one survives.
 */
import type { AdamWState } from "../train/adamw.ts";
import type { TensorMap } from "../util/tensor.ts";
import { checkFinite } from "../model/check_weights.ts";
import { readSafetensors, writeSafetensors } from "../model/formats/safetensors.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";

/** The training options in force from `fromStep` on; a resume allowed to change some starts a new stage. */
export interface OptionStage {
  fromStep: number;
  options: Record<string, unknown>;
  /** Options that differ from the stage before (empty for the first). */
  changed: string[];
}

/** The loop's own state: enough, with the options of its last stage, to continue exactly where it stopped. */
export interface LoopState {
  step: number;
  totalSteps: number;
  epoch: number;
  index: number;
  tokensSeen: number;
  elapsedSeconds: number;
  log: Record<string, number>[];
  /** Oldest first; absent in checkpoints written before options were recorded. */
  stages?: OptionStage[];
}

/** A checkpoint in memory. */
export interface Checkpoint {
  weights: TensorMap;
  optimizer: AdamWState;
  state: LoopState;
}

/** Write `ckpt` to `dir`, replacing what was there only once the new one is complete. */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint): Promise<void> {
  const tmp = `${dir}.tmp`, old = `${dir}.old`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  await writeSafetensors(`${tmp}/weights.safetensors`, ckpt.weights);
  const moments: TensorMap = new Map();
  for (const [name, m] of ckpt.optimizer.m) moments.set(`m.${name}`, m);
  for (const [name, v] of ckpt.optimizer.v) moments.set(`v.${name}`, v);
  await writeSafetensors(`${tmp}/optimizer.safetensors`, moments);
  const optimizer = { step: ckpt.optimizer.step, paramSteps: Object.fromEntries(ckpt.optimizer.paramSteps) };
  await writeFileAtomic(`${tmp}/state.json`, JSON.stringify({ optimizer, loop: ckpt.state }));
  if (await exists(dir)) {
    // A crash between the renames below and the removal leaves `old` beside `dir`: `dir` is the newer, complete
    // one, so the leftover goes (renaming onto a non-empty folder would fail).
    await Deno.remove(old, { recursive: true }).catch(() => {});
    await Deno.rename(dir, old);
  }
  await Deno.rename(tmp, dir);
  await Deno.remove(old, { recursive: true }).catch(() => {});
}

/** Remove the checkpoint in `dir` with whatever an interrupted {@link saveCheckpoint} left beside it. */
export async function removeCheckpoint(dir: string): Promise<void> {
  for (const d of [dir, `${dir}.old`, `${dir}.tmp`]) await Deno.remove(d, { recursive: true }).catch(() => {});
}

/**
 * The last complete checkpoint in `dir` (or its `.old` twin after a crash mid-swap), or null.
 * @throws InputError naming the file: unreadable state, a NaN or infinite weight or moment.
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint | null> {
  const where = (await exists(`${dir}/state.json`)) ? dir : (await exists(`${dir}.old/state.json`)) ? `${dir}.old` : null;
  if (!where) return null;
  let parsed: { optimizer: { step: number; paramSteps: Record<string, number> }; loop: LoopState };
  try {
    parsed = JSON.parse(await Deno.readTextFile(`${where}/state.json`));
  } catch (e) {
    throw new InputError(`unreadable checkpoint state: ${(e as Error).message}`, { file: `${where}/state.json` });
  }
  const floats = async (file: string) => {
    const out: TensorMap = new Map();
    for (const [n, t] of (await readSafetensors(file)).tensors) out.set(n, { shape: t.shape, data: t.data as Float32Array });
    return out;
  };
  const weights = await floats(`${where}/weights.safetensors`);
  const moments = await floats(`${where}/optimizer.safetensors`);
  checkFinite(weights, `${where}/weights.safetensors`);
  checkFinite(moments, `${where}/optimizer.safetensors`);
  const pick = (prefix: string) => new Map([...moments].filter(([n]) => n.startsWith(prefix)).map(([n, t]) => [n.slice(prefix.length), t]));
  const optimizer: AdamWState = {
    step: parsed.optimizer.step,
    paramSteps: new Map(Object.entries(parsed.optimizer.paramSteps)),
    m: pick("m."),
    v: pick("v."),
  };
  return { weights, optimizer, state: parsed.loop };
}
