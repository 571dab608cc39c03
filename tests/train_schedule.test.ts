import assert from "node:assert/strict";
import { constantSchedule, linearWarmupDecay } from "../lib/train/schedule.ts";

Deno.test("linearWarmupDecay: Hugging Face values at the boundaries", () => {
  const s = linearWarmupDecay(10, 110);
  assert.equal(s(0), 0); // HF's first update with warmup has lr 0
  assert.equal(s(1), 0.1);
  assert.equal(s(9), 0.9);
  assert.equal(s(10), 1); // end of warmup: full rate
  assert.equal(s(60), 0.5);
  assert.equal(s(109), 0.01);
  assert.equal(s(110), 0);
  assert.equal(s(500), 0); // past the end: clamped at 0, never negative
});

Deno.test("linearWarmupDecay: no warmup starts at 1; degenerate lengths do not divide by 0", () => {
  const s = linearWarmupDecay(0, 4);
  assert.deepEqual([0, 1, 2, 3, 4].map(s), [1, 0.75, 0.5, 0.25, 0]);
  const flat = linearWarmupDecay(5, 5); // HF: max(1, total - warmup) as the decay length
  assert.equal(flat(4), 0.8);
  assert.equal(flat(5), 0);
  assert.equal(linearWarmupDecay(0, 0)(0), 0);
});

Deno.test("schedules reject bad steps and lengths", () => {
  assert.throws(() => linearWarmupDecay(-1, 10), RangeError);
  assert.throws(() => linearWarmupDecay(1, 2.5), RangeError);
  assert.throws(() => linearWarmupDecay(1, 10)(-1), RangeError);
  assert.throws(() => constantSchedule()(0.5), RangeError);
});

Deno.test("constantSchedule: 1 at every step", () => {
  const s = constantSchedule();
  assert.deepEqual([0, 1, 1000].map(s), [1, 1, 1]);
});
