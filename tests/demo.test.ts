/** The demo's grid and summary table. */
import assert from "node:assert/strict";
import { demoGrid } from "../lib/experiments/demo.ts";
import { expandGrid } from "../lib/experiments/grid.ts";
import type { ResultRow } from "../lib/experiments/results.ts";
import { summaryMarkdown, summaryTable } from "../lib/experiments/stats.ts";

Deno.test("demo grid: every method at each K and seed, PET also zero-shot once", () => {
  const cells = expandGrid(demoGrid("demo", [4, 16], [1, 2]));
  const count = (m: string, k: number) => cells.filter((c) => c.method === m && c.k === k).length;
  for (const m of ["finetune", "pet", "autoprompt", "ptuning-v2", "soft-prompt"]) {
    assert.equal(count(m, 4), 2, m);
    assert.equal(count(m, 16), 2, m);
  }
  assert.equal(cells.filter((c) => c.k === 0).map((c) => c.method).join(), "pet");
  assert.equal(cells.length, 21);
});

Deno.test("summary table: mean and sample std of accuracy per model, method, parameters and K; numbers ascending", () => {
  const row = (label: string, k: number, accuracy: number, name = "a", params = {}) =>
    ({ label, k, accuracy, params, model: { name }, macroF1: accuracy, trainableParams: 10, wallSeconds: 2 }) as unknown as ResultRow;
  const s = summaryTable([
    row("pet", 0, 0.7),
    row("finetune", 4, 0.6),
    row("finetune", 4, 0.8),
    row("finetune", 4, 0.5, "b"),
    row("ptuning-v2", 4, 0.6, "a", { prefixLength: 8 }),
    row("finetune", 2, 0.5),
    row("ptuning-v2", 4, 0.7, "a", { prefixLength: 2 }),
  ]);
  assert.deepEqual(s.map((r) => [r.model, r.method, r.params, r.k, r.runs]), [
    ["a", "pet", "", 0, 1],
    ["a", "finetune", "", 2, 1],
    ["a", "finetune", "", 4, 2],
    ["a", "ptuning-v2", "prefixLength=2", 4, 1],
    ["a", "ptuning-v2", "prefixLength=8", 4, 1],
    ["b", "finetune", "", 4, 1],
  ]);
  assert.ok(Math.abs(s[2].accuracy - 0.7) < 1e-12);
  assert.ok(Math.abs(s[2].std - Math.sqrt(0.02)) < 1e-12);
  const md = summaryMarkdown(s).split("\n");
  assert.equal(md[4], "| a | finetune |  | 4 | 2 | 70.0 ± 14.1 | 70.0 | 10 | 2 |");
});
