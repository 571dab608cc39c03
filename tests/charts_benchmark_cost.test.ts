import assert from "node:assert/strict";
import { benchmarkCostMarkdown, benchmarkCostOf } from "../lib/charts/benchmark_cost.ts";
import type { ResultRow } from "../lib/experiments/results.ts";

/** A done benchmark cell of `task` (`n` test rows) that took `wallSeconds`; split `index`, or the zero-shot run. */
function cell(task: string, n: number, method: string, index: number | null, wallSeconds: number): ResultRow {
  return {
    key: `${task}-${method}-${index}`,
    method,
    label: method,
    dataset: task,
    params: {},
    options: index === null ? { mode: "zero-shot" } : {},
    protocol: "fewclue",
    k: null,
    seed: null,
    index,
    zeroShot: index === null,
    grid: `fewclue_benchmark-${task}`,
    split: index === null ? "zero_shot" : `fewclue_${index}`,
    accuracy: 0.6,
    macroF1: 0.6,
    n,
    trainSize: index === null ? 0 : 32,
    trainableParams: 10,
    steps: 10,
    bestStep: 10,
    losses: [],
    dev: [],
    dataFingerprint: "d",
    notes: [],
    wallSeconds,
    model: { name: "m", fingerprint: "f" },
    finishedAt: "",
  } as ResultRow;
}

/**
 * EPRSTMT (610 test rows) and CHID (2,002 texts x 7 candidates), each with zero-shot PET and two splits of PET and
 * fine-tuning; the zero-shot cells take 10 ms and 14 ms per text.
 */
const ROWS: ResultRow[] = [
  cell("eprstmt", 610, "pet", null, 6.1),
  cell("eprstmt", 610, "pet", 0, 100),
  cell("eprstmt", 610, "pet", 1, 120),
  cell("eprstmt", 610, "finetune", 0, 80),
  cell("eprstmt", 610, "finetune", 1, 100),
  cell("chid", 2002, "pet", null, 28.028),
  cell("chid", 2002, "pet", 0, 400),
  cell("chid", 2002, "pet", 1, 600),
  cell("chid", 2002, "finetune", 0, 300),
  cell("chid", 2002, "finetune", 1, 500),
];

const close = (a: number | null | undefined, b: number) => assert.ok(a != null && Math.abs(a - b) < 1e-9, `${a} vs ${b}`);

Deno.test("benchmark cost: cells, wall seconds, mean seconds per cell per method and ms per test text, per task and in all", () => {
  const cost = benchmarkCostOf(ROWS);
  assert.deepEqual(cost.methods, ["PET (zero-shot)", "PET", "fine-tuning"]);
  const [eprstmt, chid] = ["eprstmt", "chid"].map((t) => cost.tasks.find((c) => c.task === t)!);
  assert.equal(eprstmt.testRows, 610);
  assert.equal(eprstmt.cells, 5);
  close(eprstmt.seconds, 6.1 + 100 + 120 + 80 + 100);
  close(eprstmt.perCell.get("PET"), 110);
  close(eprstmt.perCell.get("fine-tuning"), 90);
  close(eprstmt.msPerText, 10); // 6.1 s / 610 texts
  assert.equal(eprstmt.candidates, null);
  close(chid.msPerText, 14); // 28.028 s / 2,002 texts
  assert.equal(chid.candidates, 7, "CHID scores each text's 7 candidates");
  assert.equal(cost.total.cells, 10);
  close(cost.total.seconds, 406.1 + 28.028 + 1800);
  close(cost.total.perCell.get("PET"), (100 + 120 + 400 + 600) / 4);
  close(cost.total.perCell.get("PET (zero-shot)"), (6.1 + 28.028) / 2);
});

Deno.test("benchmark cost table: cell-hours per task and for the whole grid, ms per text and per candidate, the note on machines", () => {
  const lines = benchmarkCostMarkdown(ROWS).split("\n");
  assert.equal(
    lines[0],
    "| task | test rows | cells | cell-hours | PET (zero-shot): s per cell | PET: s per cell | fine-tuning: s per cell | PET (zero-shot): ms per test text |",
  );
  // 406.1 s = 0.11 h; 1,828.028 s = 0.51 h; 2,234.128 s = 0.62 h. CHID: 14 ms per text, 2 per candidate.
  assert.ok(lines.includes("| eprstmt | 610 | 5 | 0.11 | 6 | 110 | 90 | 10.0 |"), lines.join("\n"));
  assert.ok(lines.includes("| chid | 2002 | 5 | 0.51 | 28 | 500 | 400 | 14.0 (2.0 per candidate) |"), lines.join("\n"));
  assert.ok(lines.includes("| all 2 task(s) |  | 10 | 0.62 | 17 | 305 | 245 |  |"), lines.join("\n"));
  const note = lines.find((l) => l.startsWith("Cell-hours:"))!;
  assert.match(note, /depend on the machine and its load/);
  assert.match(note, /PROMPTLAB_THREADS/);
});

Deno.test("benchmark cost table: a task without a zero-shot PET cell has no cost per text", () => {
  const lines = benchmarkCostMarkdown(ROWS.filter((r) => !(r.dataset === "chid" && r.zeroShot))).split("\n");
  assert.ok(lines.includes("| chid | 2002 | 4 | 0.50 | — | 500 | 400 | — |"), lines.join("\n"));
});
