import assert from "node:assert/strict";
import { AdamW, isNoDecayParam } from "../lib/train/adamw.ts";
import { Rng } from "../lib/util/rng.ts";
import type { TensorMap } from "../lib/util/tensor.ts";

function tensors(entries: Record<string, number[]>): TensorMap {
  return new Map(Object.entries(entries).map(([k, v]) => [k, { shape: [v.length], data: new Float32Array(v) }]));
}

function copy(map: TensorMap): TensorMap {
  return new Map([...map].map(([k, t]) => [k, { shape: [...t.shape], data: t.data.slice() }]));
}

function assertClose(actual: Float32Array, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}] ${a} vs ${expected[i]}`));
}

Deno.test("AdamW: three steps match torch.optim.AdamW", () => {
  // Expected values printed by Debian's PyTorch 1.13.1:
  //   w = Parameter([[0.5, -1.0], [2.0, 0.0]]); b = Parameter([0.1, -0.2])
  //   AdamW([{params: [w], weight_decay: 0.1}, {params: [b], weight_decay: 0.0}], betas=(0.9, 0.999), eps=1e-8)
  //   per step: set every group's lr, assign the grads below, opt.step(); print w, b and state[w].
  const params = tensors({ w: [0.5, -1.0, 2.0, 0.0], "b.bias": [0.1, -0.2] });
  const opt = new AdamW(params, { lr: 0.01, weightDecay: 0.1 });
  const gw = [[0.1, -0.2, 0.3, 0.0], [-0.5, 0.4, 0.0, 1.0], [0.2, 0.2, -0.1, -3.0]];
  const gb = [[1.0, -1.0], [0.5, 0.5], [-2.0, 0.1]];
  const lrs = [0.01, 0.02, 0.005];
  const expected = [
    [[0.4895000159740448, -0.9890000224113464, 1.9880000352859497, 0.0], [0.09000000357627869, -0.1899999976158142]],
    [[0.5004881024360657, -0.9943441152572632, 1.9706228971481323, -0.014882735908031464], [
      0.07135641574859619,
      -0.1846732646226883,
    ]],
    [[0.5012238025665283, -0.9964430928230286, 1.9681918621063232, -0.012754077091813087], [
      0.07238820195198059,
      -0.18393276631832123,
    ]],
  ];
  for (let t = 0; t < 3; t++) {
    opt.step(tensors({ w: gw[t], "b.bias": gb[t] }), lrs[t]);
    assertClose(params.get("w")!.data, expected[t][0]);
    assertClose(params.get("b.bias")!.data, expected[t][1]);
  }
  const state = opt.state();
  assert.equal(state.step, 3);
  assertClose(state.m.get("w")!.data, [-0.016899997368454933, 0.039799999445676804, 0.014299998991191387, -0.21]);
  assertClose(state.v.get("w")!.data, [
    0.00029973004711791873,
    0.0002397600474068895,
    9.982010669773445e-05,
    0.00999900046736002,
  ], 1e-9);
});

Deno.test("isNoDecayParam: biases and LayerNorm parameters, old and new names", () => {
  for (
    const name of [
      "bert.encoder.layer.0.attention.self.query.bias",
      "bert.embeddings.LayerNorm.weight",
      "bert.embeddings.LayerNorm.gamma",
      "cls.predictions.bias",
      "encoder.layer_norm.weight",
    ]
  ) assert.ok(isNoDecayParam(name), name);
  for (const name of ["bert.encoder.layer.0.output.dense.weight", "bert.embeddings.word_embeddings.weight"]) {
    assert.ok(!isNoDecayParam(name), name);
  }
});

Deno.test("AdamW: weight decay skips the no-decay group, and the override predicate replaces the rule", () => {
  const names = ["dense.weight", "dense.bias", "LayerNorm.weight", "prefix.embedding.weight"];
  const zeroGrads = () => new Map(names.map((n) => [n, { shape: [1], data: new Float32Array([0]) }]));
  // A zero gradient leaves Adam's term at 0, so a step is pure decay: p *= 1 - lr * wd.
  const run = (noDecay?: (name: string) => boolean) => {
    const params: TensorMap = new Map(names.map((n) => [n, { shape: [1], data: new Float32Array([2]) }]));
    const opt = new AdamW(params, { lr: 0.5, weightDecay: 0.1, noDecay });
    opt.step(zeroGrads());
    return { values: names.map((n) => params.get(n)!.data[0]), decayed: opt.decayedNames() };
  };
  const decayed = Math.fround(2 * (1 - 0.5 * 0.1));
  assert.deepEqual(run(), {
    values: [decayed, 2, 2, decayed],
    decayed: ["dense.weight", "prefix.embedding.weight"],
  });
  const custom = run((n) => isNoDecayParam(n) || n.startsWith("prefix."));
  assert.deepEqual(custom.values, [decayed, 2, 2, 2]);
});

Deno.test("AdamW: parameters without a gradient are left alone, step counts included", () => {
  const params = tensors({ a: [1, 2], frozen: [3] });
  const opt = new AdamW(params, { lr: 0.1 });
  opt.step(tensors({ a: [1, 1] }));
  opt.step(tensors({ a: [1, 1] }));
  assert.deepEqual([...params.get("frozen")!.data], [3]);
  const state = opt.state();
  assert.deepEqual([...state.paramSteps], [["a", 2]]);
  assert.ok(!state.m.has("frozen"));
});

Deno.test("AdamW: state() then loadState() on a fresh optimizer continues bit for bit", () => {
  const rng = new Rng(5);
  const rand = (n: number) => Array.from({ length: n }, () => rng.normal());
  const init = tensors({ "l.weight": rand(6), "l.bias": rand(3), sometimes: rand(2) });
  const gradSeq = Array.from(
    { length: 6 },
    (_, t) => tensors({ "l.weight": rand(6), "l.bias": rand(3), ...(t % 2 ? { sometimes: rand(2) } : {}) }),
  );
  const options = { lr: 0.01, weightDecay: 0.01 };

  const straight = copy(init);
  const a = new AdamW(straight, options);
  gradSeq.forEach((g, t) => a.step(g, 0.01 * (1 - t / 6)));

  const first = copy(init);
  const b = new AdamW(first, options);
  gradSeq.slice(0, 3).forEach((g, t) => b.step(g, 0.01 * (1 - t / 6)));
  const saved = b.state();
  b.step(gradSeq[3]); // the snapshot must not see later steps
  // Parameters as they were at the snapshot: replay the first three steps on a copy.
  const atSnapshot = copy(init);
  const replay = new AdamW(atSnapshot, options);
  gradSeq.slice(0, 3).forEach((g, t) => replay.step(g, 0.01 * (1 - t / 6)));
  const c = new AdamW(atSnapshot, options);
  c.loadState(saved);
  assert.equal(c.stepCount, 3);
  gradSeq.slice(3).forEach((g, t) => c.step(g, 0.01 * (1 - (t + 3) / 6)));
  for (const [k, t] of straight) assert.deepEqual(atSnapshot.get(k)!.data, t.data, k);
  assert.deepEqual(c.state(), a.state());
});

Deno.test("AdamW: gradScale gives the update of gradients scaled in place first, bit for bit, and leaves them as they were", () => {
  const rng = new Rng(11);
  const values = (n: number) => Array.from({ length: n }, () => rng.normal());
  const params = tensors({ w: values(9), "b.bias": values(3) });
  const grads = [tensors({ w: values(9), "b.bias": values(3) }), tensors({ w: values(9), "b.bias": values(3) })];
  const [a, b] = [copy(params), copy(params)];
  const optA = new AdamW(a, { lr: 0.01, weightDecay: 0.1 }), optB = new AdamW(b, { lr: 0.01, weightDecay: 0.1 });
  for (const [t, g] of grads.entries()) {
    const scale = [0.37, 1][t];
    const before = copy(g);
    optA.step(g, 0.01, scale);
    assert.deepEqual(g, before, "the gradients are read, not rewritten");
    const scaled = copy(g);
    for (const { data } of scaled.values()) data.forEach((x, i) => (data[i] = x * scale));
    optB.step(scaled, 0.01);
  }
  assert.deepEqual(a, b);
  assert.throws(() => optA.step(grads[0], 0.01, -1), /gradScale must be a finite number >= 0/);
  assert.throws(() => optA.step(grads[0], 0.01, NaN), RangeError);
});

Deno.test("AdamW: rejects unknown or mis-sized gradients and state, and bad settings", () => {
  const opt = new AdamW(tensors({ a: [1, 2] }), { lr: 0.1 });
  assert.throws(() => opt.step(tensors({ b: [1] })), /unknown parameter "b"/);
  assert.throws(() => opt.step(tensors({ a: [1] })), /1 elements, parameter 2/);
  assert.equal(opt.stepCount, 0);
  const other = new AdamW(tensors({ b: [1] }), { lr: 0.1 });
  other.step(tensors({ b: [1] }));
  assert.throws(() => opt.loadState(other.state()), /unknown parameter "b"/);
  assert.throws(() => new AdamW(new Map(), { lr: -1 }), RangeError);
  assert.throws(() => new AdamW(new Map(), { lr: 1, beta1: 1 }), RangeError);
});
