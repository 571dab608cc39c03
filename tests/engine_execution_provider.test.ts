/**
 * PROMPTLAB_EP picks onnxruntime's execution provider: `cpu` is the default and the tested path; an unknown
 * name is refused naming the variable; a provider that cannot start here is one clear error, and one that
 * starts computes what the CPU computes.
 */
import assert from "node:assert/strict";
import { Graph } from "../lib/engine/graph.ts";
import * as op from "../lib/engine/ops.ts";
import { gelu } from "../lib/engine/layers.ts";
import { CompiledGraph } from "../lib/engine/session.ts";
import { InputError } from "../lib/util/errors.ts";

/** The variable under test; set and restored here, read only through lib/util/config.ts. */
const EP = "PROMPTLAB_EP";

/** gelu(x W) on a fixed input, compiled and run under PROMPTLAB_EP=`ep` (unset for undefined). */
async function runUnder(ep: string | undefined): Promise<Float32Array> {
  const before = Deno.env.get(EP);
  if (ep === undefined) Deno.env.delete(EP);
  else Deno.env.set(EP, ep);
  try {
    const g = new Graph();
    const x = g.input("x", [4, 8]);
    const w = g.constant("w", Float32Array.from({ length: 8 * 3 }, (_, i) => Math.sin(i)), [8, 3]);
    const c = await CompiledGraph.compile(g, { y: gelu(op.matmul(x, w)) });
    try {
      return (await c.run({ x: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)) })).y as Float32Array;
    } finally {
      await c.release();
    }
  } finally {
    if (before === undefined) Deno.env.delete(EP);
    else Deno.env.set(EP, before);
  }
}

const namesEp = (e: unknown) => e instanceof InputError && e.location.field === "PROMPTLAB_EP";

Deno.test("execution provider: cpu is the default; an unknown name is refused naming PROMPTLAB_EP", async () => {
  const byDefault = await runUnder(undefined);
  assert.deepEqual(await runUnder("cpu"), byDefault);
  await assert.rejects(runUnder("tpu"), (e) => namesEp(e) && /must be "cpu" or "webgpu" or "cuda", got "tpu"/.test((e as Error).message));
});

Deno.test("execution provider: webgpu and cuda either compute what the CPU does or fail with one error naming PROMPTLAB_EP", async () => {
  const cpu = await runUnder("cpu");
  for (const ep of ["webgpu", "cuda"]) {
    try {
      const y = await runUnder(ep);
      y.forEach((v, i) => assert.ok(Math.abs(v - cpu[i]) < 1e-4, `${ep} [${i}]: ${v} vs ${cpu[i]}`));
    } catch (e) {
      assert.ok(namesEp(e), `${ep}: ${e}`);
      assert.match((e as Error).message, new RegExp(`execution provider "${ep}" could not start a session here: \\S`));
      assert.ok(!(e as Error).message.includes("\n"), "one line");
    }
  }
});
