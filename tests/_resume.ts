/** The exact-resume check every pre-training objective passes. */
import assert from "node:assert/strict";
import { readSafetensors } from "../lib/model/formats/safetensors.ts";
import { pretrain, type PretrainOptions, type PretrainResult } from "../lib/pretrain/pretrain.ts";

/**
 * Pre-train `opts` into `dir`/a uninterrupted and into `dir`/b stopped after step 3 and resumed; assert that both
 * end with bit-identical weights. Returns the uninterrupted run and the resumed one.
 */
export async function assertExactResume(opts: Partial<PretrainOptions>, dir: string): Promise<{ a: PretrainResult; b: PretrainResult }> {
  const a = await pretrain({ ...opts, out: `${dir}/a` });
  assert.equal(a.steps, opts.steps);
  assert.ok(!a.stopped);
  const paused = await pretrain({ ...opts, out: `${dir}/b`, stopAt: 3 });
  assert.ok(paused.stopped && paused.steps === 3);
  const b = await pretrain({ ...opts, out: `${dir}/b` });
  assert.equal(b.resumedFrom, 3);
  const [wa, wb] = await Promise.all([`${dir}/a`, `${dir}/b`].map((d) => readSafetensors(`${d}/model.safetensors`)));
  assert.deepEqual([...wa.tensors.keys()].sort(), [...wb.tensors.keys()].sort());
  for (const [name, t] of wa.tensors) assert.deepEqual(wb.tensors.get(name)!.data, t.data, name);
  return { a, b };
}
