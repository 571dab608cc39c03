/** The demo's grid and summary table. */
import assert from "node:assert/strict";
import { demoGrid, demoSummary } from "../lib/experiments/demo.ts";
import { expandGrid } from "../lib/experiments/grid.ts";
import type { ResultRow } from "../lib/experiments/results.ts";

Deno.test("demo grid: every method at each K and seed, PET also zero-shot once", () => {
  const cells = expandGrid(demoGrid("demo", [4, 16], [1, 2]));
  const count = (m: string, k: number) => cells.filter((c) => c.method === m && c.k === k).length;
  for (const m of ["finetune", "pet", "autoprompt", "ptuning-v2"]) {
    assert.equal(count(m, 4), 2, m);
    assert.equal(count(m, 16), 2, m);
  }
  assert.equal(cells.filter((c) => c.k === 0).map((c) => c.method).join(), "pet");
  assert.equal(cells.length, 17);
});

Deno.test("demo summary: mean and sample std of accuracy per method and K, in grid order", () => {
  const row = (label: string, k: number, accuracy: number) =>
    ({ label, k, accuracy, macroF1: accuracy, trainableParams: 10, wallSeconds: 2 }) as unknown as ResultRow;
  const s = demoSummary([row("pet", 0, 0.7), row("finetune", 4, 0.6), row("finetune", 4, 0.8)]);
  assert.deepEqual(s.map((r) => [r.method, r.k, r.runs]), [["pet", 0, 1], ["finetune", 4, 2]]);
  assert.ok(Math.abs(s[1].accuracy - 0.7) < 1e-12);
  assert.ok(Math.abs(s[1].std - Math.sqrt(0.02)) < 1e-12);
});
