import assert from "node:assert/strict";
import { COLLAPSE_LEGEND } from "../lib/eval/marks.ts";
import { benchmarkMarkdown, benchmarkOf, benchmarkTable, difficultyChart, difficultyLabel, fewclueScore } from "../lib/charts/benchmark.ts";
import { benchmarkCostMarkdown } from "../lib/charts/benchmark_cost.ts";
import { captionOf } from "../lib/charts/caption.ts";
import { renderSvg } from "../lib/charts/render.ts";
import { expandGrid } from "../lib/experiments/grid.ts";
import { benchmarkGrid } from "../lib/experiments/presets.ts";
import type { ResultRow } from "../lib/experiments/results.ts";
import { exportFigures, figuresFor } from "../lib/figures/export.ts";

/** Gold class counts of each synthetic task's test set: EPRSTMT-like unbalanced, CSL balanced, CLUEWSC unbalanced. */
const GOLD: Record<string, [number, number]> = { eprstmt: [400, 210], csl: [500, 500], cluewsc: [600, 376] };

/** Mean accuracy per task and method (display name); splits spread it by ±1 point. */
const ACCURACY: Record<string, Record<string, number>> = {
  eprstmt: { "fine-tuning": 0.85, PET: 0.8, AutoPrompt: 0.7, "P-tuning v2": 0.75, "PET (zero-shot)": 0.7 },
  csl: { "fine-tuning": 0.6, PET: 0.52, AutoPrompt: 0.51, "P-tuning v2": 0.55, "PET (zero-shot)": 0.5 },
  cluewsc: { "fine-tuning": 0.62, PET: 0.6, AutoPrompt: 0.58, "P-tuning v2": 0.61, "PET (zero-shot)": 0.55 },
};

const DISPLAY: Record<string, string> = { finetune: "fine-tuning", pet: "PET", autoprompt: "AutoPrompt", "ptuning-v2": "P-tuning v2" };

/** A binary confusion matrix with gold counts `gold` and (close to) accuracy `a`: errors split over the classes. */
function confusionFor([g0, g1]: [number, number], a: number): number[][] {
  const wrong = Math.round((1 - a) * (g0 + g1));
  const w0 = Math.min(g0, Math.ceil(wrong / 2)), w1 = wrong - w0;
  return [[g0 - w0, w0], [w1, g1 - w1]];
}

/**
 * Synthetic rows of the benchmark grids of three tasks (no training). CSL's zero-shot PET answers one class for
 * every row (collapsed: its accuracy is the class share, 50 %).
 */
function benchmarkRows(): ResultRow[] {
  return Object.keys(GOLD).flatMap((task) => {
    const grid = benchmarkGrid("full", task as "eprstmt");
    return expandGrid(grid).map((c) => {
      const name = c.zeroShot ? "PET (zero-shot)" : DISPLAY[c.method];
      const gold = GOLD[task];
      const collapsed = task === "csl" && c.zeroShot;
      const a = ACCURACY[task][name] + (c.zeroShot ? 0 : (c.index! - 2) / 100);
      const confusion = collapsed ? [[gold[0], 0], [gold[1], 0]] : confusionFor(gold, a);
      const n = gold[0] + gold[1];
      const accuracy = (confusion[0][0] + confusion[1][1]) / n;
      return {
        ...c,
        grid: grid.name,
        split: c.zeroShot ? "zero_shot" : `split_${c.index}`,
        accuracy,
        macroF1: collapsed ? 1 / 3 : accuracy,
        confusion,
        labels: ["a", "b"],
        predicted: { a: confusion[0][0] + confusion[1][0], b: confusion[0][1] + confusion[1][1] },
        n,
        trainSize: 32,
        trainableParams: 10,
        steps: 10,
        bestStep: 10,
        wallSeconds: 1,
        losses: [],
        dev: [],
        model: { name: "m", fingerprint: "f" },
        dataFingerprint: "d",
        notes: [],
        finishedAt: "",
      };
    });
  });
}

Deno.test("benchmark grids: every method on the five official splits, PET's zero-shot once per task", () => {
  const cells = expandGrid(benchmarkGrid("full", "csl"));
  assert.equal(cells.filter((c) => c.zeroShot).length, 1, "zero-shot trains nothing: one cell, not one per split");
  for (const m of ["finetune", "pet", "autoprompt", "ptuning-v2"]) {
    assert.deepEqual(cells.filter((c) => c.method === m && !c.zeroShot).map((c) => c.index), [0, 1, 2, 3, 4], m);
  }
});

Deno.test("benchmark: majority share from the confusion matrices, tasks ordered by fine-tuning's chance-normalised accuracy", () => {
  const b = benchmarkOf(benchmarkRows());
  assert.deepEqual(b.tasks.map((t) => t.task), ["eprstmt", "csl", "cluewsc"], "easiest for fine-tuning first");
  const eprstmt = b.tasks[0];
  assert.ok(Math.abs(eprstmt.majority - 400 / 610) < 1e-12);
  const ft = b.cells.find((c) => c.task === "eprstmt" && c.method === "fine-tuning")!;
  assert.ok(Math.abs(eprstmt.headroom! - (ft.mean - 400 / 610) / (1 - 400 / 610)) < 1e-12);
  assert.equal(ft.n, 5);
  assert.equal(b.methods[0], "PET (zero-shot)", "zero-shot first");
  assert.equal(b.methods.at(-1), "fine-tuning", "fine-tuning, the reference, last");
  const collapsed = b.cells.filter((c) => c.collapsed);
  assert.deepEqual(collapsed.map((c) => [c.task, c.method, c.collapsed]), [["csl", "PET (zero-shot)", 1]]);
});

Deno.test("benchmark table: majority row, mean ± std per cell, ⚠ on collapsed runs, caption names them", async () => {
  const rows = benchmarkRows();
  const md = benchmarkMarkdown(rows);
  const lines = md.trim().split("\n");
  assert.equal(lines[0], "| method | eprstmt | csl | cluewsc | score |");
  // Score of the majority row: (400/610 + 500/1000 + 600/976) / 3 = 0.5902.
  assert.match(lines[2], /^\| majority class \| 65\.6 \| 50\.0 \| 61\.5 \| 59\.0 \|$/);
  const zeroShot = lines.find((l) => l.startsWith("| PET (zero-shot)"))!;
  assert.match(zeroShot, /\| 50\.0 ⚠1 \|/, "the collapsed zero-shot run is marked, with no ± for one run");
  assert.ok(lines.includes(COLLAPSE_LEGEND), "the ⚠ legend under the table");
  const ft = lines.find((l) => l.startsWith("| fine-tuning"))!;
  assert.match(ft, /\| 85\.\d ± 1\.\d \|/);
  const spec = benchmarkTable(rows);
  assert.ok(captionOf(spec)!.flags.some((f) => f.includes("csl") && f.includes("collapsed")));
  assert.match(await renderSvg(spec), /<svg/);
});

Deno.test("FewCLUE score: the plain mean over the tasks, null when one is missing or there are none", () => {
  const acc: Record<string, number> = { eprstmt: 0.8, csl: 0.5, cluewsc: 0.65 };
  assert.ok(Math.abs(fewclueScore(["eprstmt", "csl", "cluewsc"], (t) => acc[t])! - 0.65) < 1e-12);
  assert.equal(fewclueScore(["eprstmt", "csl", "bustm"], (t) => acc[t]), null);
  assert.equal(fewclueScore([], (t) => acc[t]), null);
});

Deno.test("benchmark table: score column, blank for a method that lacks a task; published rows in grey under the kit's, with their source", async () => {
  // AutoPrompt has no CSL runs: its row shows "—" there and no score.
  const rows = benchmarkRows().filter((r) => !(r.dataset === "csl" && r.method === "autoprompt"));
  const lines = benchmarkMarkdown(rows).trim().split("\n");
  // Its CLUEWSC runs (58 % against a majority share of 61.5 %) are marked at chance.
  assert.match(lines.find((l) => l.startsWith("| AutoPrompt"))!, /\| — \| [\d.]+ ± [\d.]+ ≈5 \| {2}\|$/);
  const b = benchmarkOf(rows);
  const pet = b.tasks.map((t) => b.cells.find((c) => c.task === t.task && c.method === "PET")!.mean);
  assert.match(lines.find((l) => l.startsWith("| PET |"))!, new RegExp(`\\| ${(100 * (pet[0] + pet[1] + pet[2]) / 3).toFixed(1)} \\|$`));
  // Published PET on EPRSTMT, CSL and WSC (86.7, 59.4, 57.5): score (86.7 + 59.4 + 57.5) / 3 = 67.9; BUSTM is not shown.
  const published = lines.findIndex((l) => l.startsWith("| RoBERTa-wwm-ext · PET |"));
  assert.equal(lines[published], "| RoBERTa-wwm-ext · PET | 86.7 ± 1.0 | 59.4 ± 1.3 | 57.5 ± 2.7 | 67.9 |");
  assert.ok(published > lines.findIndex((l) => l.startsWith("| fine-tuning |")), "published rows under the kit's");
  assert.ok(lines.includes("| RoBERTa-wwm-ext · PET (zero-shot) | 85.2 | 52.2 | 50.0 | 62.5 |"));
  assert.ok(lines.some((l) => l.startsWith("| RoBERTa-wwm-ext · P-tuning (v1) |")), "P-tuning kept apart from P-tuning v2");
  assert.match(lines.at(-1)!, /Source: Xu et al\. 2021, .*arXiv:2107\.07498.*Table 3.*CLUEbenchmark\/FewCLUE \(commit 62a02c6/);

  const spec = benchmarkTable(rows);
  const values =
    (spec as unknown as { data: { values: { task: string; method: string; published: boolean; above: number | null }[] } }).data.values;
  const greyed = values.filter((v) => v.published);
  assert.ok(
    greyed.length && greyed.every((v) => v.above === null && v.method.startsWith("RoBERTa-wwm-ext · ")),
    "published cells are not coloured",
  );
  assert.ok(!values.some((v) => v.task === "bustm"), "a task the kit has no rows for is not shown");
  assert.equal(values.find((v) => v.method === "AutoPrompt" && v.task === "score")!.above, null);
  const caption = captionOf(spec)!;
  assert.match(caption.data, /published rows: Xu et al\. 2021.*Table 3/);
  assert.match(caption.what, /Score: FewCLUE's score, the plain mean .* over the 3 task\(s\) shown here only/);
  assert.match(await renderSvg(spec), /RoBERTa-wwm-ext · EFL/);
});

Deno.test("benchmark caption: a collapsed FewCLUE zero-shot run reads as the zero-shot run, not as seed 0", () => {
  const flags = captionOf(benchmarkTable(benchmarkRows()))!.flags;
  assert.ok(
    flags.some((f) => f.startsWith("csl · PET (zero-shot): predictions collapsed onto one class in the zero-shot run (")),
    flags.join("\n"),
  );
  assert.ok(!flags.some((f) => /seed 0/.test(f)), flags.join("\n"));
});

Deno.test("difficulty: each few-shot method's gap to fine-tuning per task, tasks easiest first, collapsed means ringed", async () => {
  const rows = benchmarkRows();
  const spec = difficultyChart(rows);
  const all = (spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
  const values = all.filter((v) => v.part === "gap");
  assert.ok(!values.some((v) => v.method === "fine-tuning"), "fine-tuning is the zero line, not a series");
  assert.ok(!values.some((v) => v.method === "PET (zero-shot)"), "zero-shot has its own panel");
  const b = benchmarkOf(rows);
  const mean = (task: string, method: string) => b.cells.find((c) => c.task === task && c.method === method)!.mean;
  const csl = values.find((v) => String(v.task).startsWith("csl") && v.method === "PET")!;
  assert.ok(Math.abs((csl.gap as number) - (mean("csl", "PET") - mean("csl", "fine-tuning"))) < 1e-12);
  const zeroShot = all.filter((v) => v.part === "zeroShot");
  assert.deepEqual(zeroShot.filter((v) => v.collapsed).map((v) => [String(v.task).split(" ")[0], v.method]), [["csl", "PET (zero-shot)"]]);
  assert.match(await renderSvg(spec), /<svg/);
});

Deno.test("difficulty: the zero-shot panel is zero-shot accuracy minus the task's majority share, one point per task", () => {
  const all = (difficultyChart(benchmarkRows()) as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
  const above = new Map(all.filter((v) => v.part === "zeroShot").map((v) => [String(v.task).split(" ")[0], v.gap as number]));
  // confusionFor: EPRSTMT at 70 % of 610 rows is 183 errors split 92/91, so 308 + 119 = 427 right against 400
  // majority rows; CLUEWSC at 55 % of 976 is 439 errors split 220/219, 380 + 157 = 537 right against 600; CSL's
  // collapsed run answers one class of a balanced set: exactly its share.
  assert.deepEqual([...above.keys()], ["eprstmt", "csl", "cluewsc"]);
  assert.ok(Math.abs(above.get("eprstmt")! - 27 / 610) < 1e-12, String(above.get("eprstmt")));
  assert.ok(Math.abs(above.get("csl")!) < 1e-12);
  assert.ok(Math.abs(above.get("cluewsc")! - -63 / 976) < 1e-12, String(above.get("cluewsc")));
  const band = all.find((v) => v.part === "zeroShot" && String(v.task).startsWith("eprstmt"))!;
  assert.equal(band.n, 1);
});

Deno.test("difficulty: x labels name the classes (a multiple-choice task's candidates) and fine-tuning's headroom", () => {
  const rows = benchmarkRows();
  const b = benchmarkOf(rows);
  const spec = difficultyChart(rows) as unknown as { vconcat: { layer: { encoding?: { x?: { sort: string[] } } }[] }[] };
  const expected = b.tasks.map((t) => `${t.task} (2 classes; FT ${(100 * t.headroom!).toFixed(0)} %)`);
  for (const panel of spec.vconcat) assert.deepEqual(panel.layer.find((l) => l.encoding?.x)!.encoding!.x!.sort, expected);
  const task = { task: "chid", testRows: 2002, majority: 286 / 2002, headroom: 0.034 };
  assert.equal(difficultyLabel({ ...task, classes: 7, multipleChoice: true }), "chid (7 candidates; FT 3 %)");
  assert.equal(difficultyLabel({ ...task, task: "local", classes: null, multipleChoice: false }), "local (FT 3 %)");
  // CHID's rows: the registry makes it multiple choice with 7 candidates.
  const chid = benchmarkOf(rows.map((r) => ({ ...r, dataset: r.dataset === "csl" ? "chid" : r.dataset })));
  assert.deepEqual(chid.tasks.filter((t) => t.task === "chid").map((t) => [t.classes, t.multipleChoice]), [[7, true]]);
});

Deno.test("figures: benchmark rows of several tasks get the table, the difficulty chart, benchmark_table.md and benchmark_cost.md", async () => {
  const rows = benchmarkRows();
  const names = [...figuresFor(rows).keys()];
  assert.ok(names.includes("benchmark_table") && names.includes("difficulty"), names.join(", "));
  assert.ok(!figuresFor(rows.filter((r) => r.dataset === "csl")).has("benchmark_table"), "one task: no benchmark table");
  const dir = await Deno.makeTempDir();
  try {
    const written = await exportFigures(rows, dir);
    assert.ok(written.includes(`${dir}/benchmark_table.md`) && written.includes(`${dir}/benchmark_cost.md`));
    assert.equal(await Deno.readTextFile(`${dir}/benchmark_table.md`), benchmarkMarkdown(rows));
    assert.equal(await Deno.readTextFile(`${dir}/benchmark_cost.md`), benchmarkCostMarkdown(rows));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
