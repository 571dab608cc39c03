/**
 * Determinism at a fixed thread count above one: the embedding gradient (Gather's) sums the rows of a repeated
 * index in index order on any number of threads, so a training run repeats bit for bit (docs/engine.md).
 */
import assert from "node:assert/strict";
import { gradients } from "../lib/engine/autodiff.ts";
import { Graph } from "../lib/engine/graph.ts";
import * as op from "../lib/engine/ops.ts";
import { CompiledGraph } from "../lib/engine/session.ts";
import { loadTexts } from "../lib/data/load.ts";
import { readSafetensors } from "../lib/model/formats/safetensors.ts";
import { pretrain } from "../lib/pretrain/pretrain.ts";
import { threads } from "../lib/util/config.ts";
import { Rng } from "../lib/util/rng.ts";

/** Run `fn` with PROMPTLAB_THREADS set to `n` (read when each session is created). */
async function withThreads<T>(n: number, fn: () => Promise<T>): Promise<T> {
  const before = threads();
  Deno.env.set("PROMPTLAB_THREADS", String(n));
  try {
    return await fn();
  } finally {
    if (before === undefined) Deno.env.delete("PROMPTLAB_THREADS");
    else Deno.env.set("PROMPTLAB_THREADS", String(before));
  }
}

Deno.test("Gather's gradient at 2 threads: each table row is the float32 sum of its rows in index order, every run", async () => {
  const [V, H, N] = [8, 64, 4096];
  const rng = new Rng(5);
  // Few ids, many repeats, values of mixed magnitude: a different summation order changes the float32 sums.
  const ids = BigInt64Array.from({ length: N }, () => BigInt(rng.int(V)));
  const upstream = Float32Array.from({ length: N * H }, () => rng.normal() * 10 ** rng.int(4));
  const g = new Graph();
  const table = g.input("table", [V, H]), idx = g.input("ids", [N], "int64"), up = g.input("up", [N, H]);
  const loss = op.reduceSum(op.mul(op.gather(table, idx), up), [0, 1]);
  const [grad] = gradients(loss, [table]);
  const runs = await withThreads(2, async () => {
    const c = await CompiledGraph.compile(g, { grad });
    const out: Float32Array[] = [];
    for (let i = 0; i < 5; i++) out.push((await c.run({ table: new Float32Array(V * H), ids, up: upstream })).grad as Float32Array);
    return out;
  });
  const expected = new Float32Array(V * H);
  for (let n = 0; n < N; n++) {
    const row = Number(ids[n]);
    for (let h = 0; h < H; h++) expected[row * H + h] = Math.fround(expected[row * H + h] + upstream[n * H + h]);
  }
  runs.forEach((r, i) => assert.deepEqual(r, expected, `run ${i}`));
});

Deno.test("pre-training twice at 2 threads gives bit-identical weights", async () => {
  const texts = (await loadTexts("demo", "train")).map((r) => r.text);
  const options = {
    corpus: { train: texts.slice(20), heldout: texts.slice(0, 20) },
    layers: 2,
    hidden: 128,
    heads: 2,
    intermediate: 256,
    maxLength: 64,
    minFreq: 1,
    tokensPerBatch: 1024,
    steps: 4,
    warmupSteps: 1,
    evalEvery: 5,
    lr: 1e-3,
  };
  const base = await Deno.makeTempDir();
  try {
    const weights = await withThreads(2, async () => {
      for (const run of ["a", "b"]) await pretrain({ ...options, out: `${base}/${run}` });
      return Promise.all(["a", "b"].map((run) => readSafetensors(`${base}/${run}/model.safetensors`)));
    });
    const [a, b] = weights.map((w) => w.tensors);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [name, t] of a) assert.deepEqual(b.get(name)!.data, t.data, name);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
