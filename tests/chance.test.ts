/**
 * Runs at chance made visible beside collapsed ones: a run whose accuracy is not significantly above always
 * answering the test set's most frequent class (exact one-sided binomial test) is marked ≈n in tables and named
 * in captions; a collapsed run keeps its ⚠ and is not marked twice.
 */
import assert from "node:assert/strict";
import { benchmarkMarkdown, benchmarkTable, difficultyChart } from "../lib/charts/benchmark.ts";
import { captionOf } from "../lib/charts/caption.ts";
import { CHANCE_RING, chanceFlags, degenerateFlags } from "../lib/charts/degenerate.ts";
import { renderSvg } from "../lib/charts/render.ts";
import type { ChartSpec } from "../lib/charts/spec.ts";
import { binomialUpperTail, CHANCE_LEVEL, chanceOf, chanceText, majorityTest } from "../lib/eval/chance.ts";
import { collapseOf } from "../lib/eval/collapse.ts";
import { CHANCE_LEGEND, degenerateCounts, marksText } from "../lib/eval/marks.ts";
import { classificationMetrics } from "../lib/eval/metrics.ts";
import { summaryRecords } from "../lib/experiments/notebook_tables.ts";
import type { ResultRow } from "../lib/experiments/results.ts";
import { flatRow, summaryMarkdown, summaryTable } from "../lib/experiments/stats.ts";
import { chartRows } from "./_chart_rows.ts";

/** A binary confusion matrix of a balanced 976-row test set (CLUEWSC's size) with `correct` right answers. */
function balanced976(correct: number): number[][] {
  const wrong = 976 - correct, w0 = Math.ceil(wrong / 2);
  return [[488 - w0, w0], [wrong - w0, 488 - (wrong - w0)]];
}

/** A scored binary run of a confusion matrix: macro-F1 from the matrix, so the collapse test sees the real one. */
function binaryRun(confusion: number[][]) {
  const gold = confusion.flatMap((row, g) => row.flatMap((count, p) => Array(count).fill([String(g), String(p)])));
  const m = classificationMetrics(gold.map(([g]) => g), gold.map(([, p]) => p), ["0", "1"]);
  assert.deepEqual(m.confusion, confusion);
  return m;
}

Deno.test("chance: the binomial upper tail against hand-computed cases", () => {
  // n = 10, p = 1/2: P(X ≥ 8) = (C(10,8) + C(10,9) + C(10,10)) / 2^10 = (45 + 10 + 1) / 1024; P(X ≥ 9) = 11/1024.
  assert.ok(Math.abs(binomialUpperTail(8, 10, 0.5) - 56 / 1024) < 1e-14);
  assert.ok(Math.abs(binomialUpperTail(9, 10, 0.5) - 11 / 1024) < 1e-14);
  // n = 3, p = 0.2: P(X ≥ 2) = 3 · 0.2² · 0.8 + 0.2³ = 0.104.
  assert.ok(Math.abs(binomialUpperTail(2, 3, 0.2) - 0.104) < 1e-14);
  assert.equal(binomialUpperTail(0, 10, 0.3), 1);
  assert.equal(binomialUpperTail(11, 10, 0.3), 0);
  assert.equal(binomialUpperTail(10, 10, 1), 1, "a one-class test set: the majority answer is always right");
  // n = 976, p = 1/2 (exact rational sums in Python's fractions): 514 right is p = 0.05127, 515 is 0.04487, 537 is 0.000944.
  assert.ok(Math.abs(binomialUpperTail(514, 976, 0.5) - 0.05126580548274223) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(515, 976, 0.5) - 0.04487094364580376) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(537, 976, 0.5) - 0.0009443651715679366) < 1e-12);
  // Thousands of rows far in the tail: no overflow of C(n, k), no underflow to NaN.
  const far = binomialUpperTail(3000, 4000, 0.5);
  assert.ok(far > 0 && far < 1e-100, String(far));
});

Deno.test("chance: a binary run at 55 % of 976 balanced rows is a result, at 51 % (or 52.7 %) it is not", () => {
  assert.equal(CHANCE_LEVEL, 0.05);
  assert.equal(chanceOf(binaryRun(balanced976(537))), undefined);
  assert.equal(chanceOf(binaryRun(balanced976(515))), undefined, "p = 0.045: just significant");
  const at514 = chanceOf(binaryRun(balanced976(514)))!;
  assert.ok(Math.abs(at514.pValue - 0.05126580548274223) < 1e-12);
  const at51 = chanceOf(binaryRun(balanced976(498)))!;
  assert.deepEqual([at51.accuracy, at51.majority], [498 / 976, 0.5]);
  assert.equal(chanceText(at51), "accuracy 51.0% vs the majority class's 50.0% (one-sided binomial p = 0.27)");
});

Deno.test("chance: the floor is the majority share, not 1/C; a many-class run below it is flagged though not collapsed", () => {
  // 600 of 976 gold in class 0: 60 % correct is above 1/2 but below the 61.5 % of always answering class 0.
  const unbalanced = binaryRun([[400, 200], [190, 186]]);
  assert.equal(collapseOf(unbalanced), undefined);
  assert.ok(chanceOf(unbalanced)!.pValue > 0.5);
  // 20 classes (IFLYTEK-like): 100 gold rows of c0, 20 of each other; 60 % of answers "c7", a tenth right.
  const labels = Array.from({ length: 20 }, (_, i) => `c${i}`);
  const gold = labels.flatMap((l, i) => Array(i === 0 ? 100 : 20).fill(l));
  const predicted = gold.map((l, j) => (j % 10 < 6 ? "c7" : j % 10 === 6 ? l : labels[(j * 7) % 20]));
  const many = classificationMetrics(gold, predicted, labels);
  const test = majorityTest(many.confusion)!;
  assert.ok(many.accuracy < test.majority && test.majority === 100 / 480);
  assert.equal(collapseOf(many), undefined, "60 % in one class and a macro-F1 above one class's: not collapsed");
  assert.deepEqual(chanceOf(many), test);
});

Deno.test("chance: a collapsed run is reported as collapsed only; a row without its confusion matrix is not judged", () => {
  const allOne = binaryRun([[488, 0], [488, 0]]);
  assert.ok(collapseOf(allOne));
  assert.ok(majorityTest(allOne.confusion)!.pValue >= CHANCE_LEVEL, "it is at chance too");
  assert.equal(chanceOf(allOne), undefined, "but carries one mark: the collapse");
  assert.equal(chanceOf({ macroF1: 0.5, predicted: { a: 50, b: 50 } }), undefined);
  const runs = [allOne, binaryRun(balanced976(498)), binaryRun(balanced976(498)), binaryRun(balanced976(600))];
  assert.deepEqual(degenerateCounts(runs), { collapsed: 1, atChance: 2 });
  assert.equal(marksText(degenerateCounts(runs)), " ⚠1 ≈2");
  assert.equal(marksText({ collapsed: 0, atChance: 3 }), " ≈3");
  assert.equal(marksText({ collapsed: 0, atChance: 0 }), "");
});

/** Chart rows with the K = 8 P-tuning v2 (prefix 4) runs at chance (51 % of 976) and every other run well above it. */
function rowsAtChance(): ResultRow[] {
  return chartRows().map((r) => {
    const atChance = r.method === "ptuning-v2" && r.k === 8 && r.params.prefixLength === 4;
    const confusion = balanced976(atChance ? 498 : 800);
    return { ...r, accuracy: (confusion[0][0] + confusion[1][1]) / 976, n: 976, confusion, labels: ["Positive", "Negative"] };
  });
}

Deno.test("chance: summaries mark a group ≈n and explain the mark; chart captions name the group", () => {
  const rows = rowsAtChance();
  const table = summaryTable(rows);
  const marked = table.filter((t) => t.atChance);
  assert.deepEqual(marked.map((t) => [t.method, t.params, t.k, t.atChance, t.collapsed]), [["ptuning-v2", "prefixLength=4", 8, 2, 0]]);
  const md = summaryMarkdown(table);
  assert.match(md, /\| 8 \| 2 \| 51\.0 ± 0\.0 ≈2 \|/);
  assert.ok(md.trimEnd().endsWith(`\n\n${CHANCE_LEGEND}`) && !md.includes("⚠"), md);
  assert.match(CHANCE_LEGEND, /^≈n: n runs no better than the majority class: .*one-sided exact binomial test, p ≥ 0\.05/);
  assert.ok(summaryRecords(rows).some((r) => String(r["accuracy %"]).endsWith(" ≈2")));
  assert.equal(rows.map(flatRow).filter((r) => r.atChance).length, 2);
  assert.ok(!summaryMarkdown(summaryTable(chartRows())).includes("≈"), "rows without confusion matrices are not judged");

  const flags = chanceFlags(rows, (r) => `${r.label} · P = ${r.params.prefixLength} · K=${r.k}`);
  assert.deepEqual(flags, [
    "ptuning-v2 · P = 4 · K=8: no better than the majority class in seeds 1, 2 " +
    "(best accuracy 51.0% vs the majority class's 50.0% (one-sided binomial p = 0.27); the score is no result)",
  ]);
  assert.deepEqual(degenerateFlags(rows, (r) => r.label), chanceFlags(rows, (r) => r.label), "nothing collapsed");
});

Deno.test("chance: the benchmark table marks cells ≈n beside ⚠n, its caption explains both; the difficulty chart rings them", async () => {
  // Task "a": a balanced 976-row test set; zero-shot collapsed, PET at 51 %, fine-tuning at 70 %.
  const row = (method: string, zeroShot: boolean, index: number | null, confusion: number[][]): ResultRow => ({
    ...chartRows()[0],
    method,
    label: method,
    params: {},
    zeroShot,
    dataset: "a",
    seed: null,
    index,
    k: null,
    split: index === null ? "zero_shot" : `fewclue_${index}`,
    accuracy: (confusion[0][0] + confusion[1][1]) / 976,
    n: 976,
    confusion,
    labels: ["x", "y"],
  });
  const rows = [
    row("pet", true, null, [[488, 0], [488, 0]]),
    ...[0, 1].map((i) => row("pet", false, i, balanced976(498))),
    ...[0, 1].map((i) => row("finetune", false, i, balanced976(683))),
  ];
  const md = benchmarkMarkdown(rows);
  assert.match(md, /\| PET \(zero-shot\) \| 50\.0 ⚠1 \|/);
  assert.match(md, /\| PET \| 51\.0 ± 0\.0 ≈2 \|/);
  assert.match(md, /\| fine-tuning \| 70\.0 ± 0\.0 \|/);
  assert.ok(md.includes(`\n\n${CHANCE_LEGEND}\n`), md);
  const caption = captionOf(benchmarkTable(rows))!;
  assert.ok(caption.what.includes("⚠n: n runs predicted one class") && caption.what.includes(CHANCE_LEGEND), caption.what);
  assert.equal(caption.flags.length, 2);
  assert.match(caption.flags[0], /^a · PET \(zero-shot\): predictions collapsed onto one class in the zero-shot run /);
  assert.equal(
    caption.flags[1],
    "a · PET: no better than the majority class in splits 0, 1 " +
      "(best accuracy 51.0% vs the majority class's 50.0% (one-sided binomial p = 0.27); the score is no result)",
  );
  assert.ok(!captionOf(benchmarkTable(rows.filter((r) => r.method === "finetune")))!.what.includes("≈"));

  const difficulty = difficultyChart(rows) as unknown as { data: { values: Record<string, unknown>[] }; title: { subtitle: string[] } };
  const points = difficulty.data.values.filter((v) => v.part === "gap" || v.part === "zeroShot");
  assert.deepEqual(points.map((g) => [g.part, g.method, g.collapsed, g.atChance]), [
    ["gap", "PET", false, true],
    ["zeroShot", "PET (zero-shot)", true, false],
  ]);
  assert.ok(difficulty.title.subtitle.at(-1)!.endsWith(` · ${CHANCE_RING}`));
  assert.match(await renderSvg(difficulty as unknown as ChartSpec), /stroke-dasharray="3,2"/, "the dashed ring is drawn");
});
