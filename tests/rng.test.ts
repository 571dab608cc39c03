import assert from "node:assert/strict";
import { Rng } from "../lib/util/rng.ts";

Deno.test("Rng: the same seed gives the same stream, different seeds differ", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xs = Array.from({ length: 5 }, () => a.nextUint32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.nextUint32()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.nextUint32()));
});

Deno.test("Rng: uniform and normal moments are right", () => {
  const r = new Rng(1);
  const n = 20000;
  let s = 0, s2 = 0, u = 0;
  for (let i = 0; i < n; i++) {
    const x = r.normal(1, 2);
    s += x;
    s2 += x * x;
    u += r.next();
  }
  const mean = s / n, variance = s2 / n - mean * mean;
  assert.ok(Math.abs(mean - 1) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(variance) - 2) < 0.05, `std ${Math.sqrt(variance)}`);
  assert.ok(Math.abs(u / n - 0.5) < 0.01);
});

Deno.test("Rng: forks are independent of later draws of the parent and of each other", () => {
  const a = new Rng(3);
  const f1 = a.fork("init").nextUint32();
  const b = new Rng(3);
  assert.equal(b.fork("init").nextUint32(), f1);
  assert.notEqual(new Rng(3).fork("dropout").nextUint32(), f1);
});
