/** The exact-resume check every pre-training objective and multitask training pass. */
import assert from "node:assert/strict";
import { readSafetensors } from "../lib/model/formats/safetensors.ts";
import { pretrain, type PretrainOptions, type PretrainResult } from "../lib/pretrain/pretrain.ts";

/** What a resumable run returns, as the check reads it. */
interface Resumable {
  steps: number;
  stopped: boolean;
  resumedFrom: number;
}

/**
 * Run `run` into `dir`/a uninterrupted (`steps` steps) and into `dir`/b stopped after step 3 and resumed; assert
 * that both end with bit-identical weights. Returns the uninterrupted run and the resumed one.
 */
export async function assertResumesExactly<R extends Resumable>(
  run: (o: { out: string; stopAt?: number }) => Promise<R>,
  steps: number,
  dir: string,
): Promise<{ a: R; b: R }> {
  const a = await run({ out: `${dir}/a` });
  assert.equal(a.steps, steps);
  assert.ok(!a.stopped);
  const paused = await run({ out: `${dir}/b`, stopAt: 3 });
  assert.ok(paused.stopped && paused.steps === 3);
  const b = await run({ out: `${dir}/b` });
  assert.equal(b.resumedFrom, 3);
  const [wa, wb] = await Promise.all([`${dir}/a`, `${dir}/b`].map((d) => readSafetensors(`${d}/model.safetensors`)));
  assert.deepEqual([...wa.tensors.keys()].sort(), [...wb.tensors.keys()].sort());
  for (const [name, t] of wa.tensors) assert.deepEqual(wb.tensors.get(name)!.data, t.data, name);
  return { a, b };
}

/** {@link assertResumesExactly} of pre-training with `opts`. */
export function assertExactResume(opts: Partial<PretrainOptions>, dir: string): Promise<{ a: PretrainResult; b: PretrainResult }> {
  return assertResumesExactly((o) => pretrain({ ...opts, ...o }), opts.steps!, dir);
}
