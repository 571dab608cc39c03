/**
 * Degenerate predictions made visible: every result row records its predicted-class counts, and a run whose
 * predictions collapse onto one class (over 90 %, or macro-F1 at the one-class level) is flagged in tables,
 * notebook summaries and figure captions.
 */
import assert from "node:assert/strict";
import { collapseFlags } from "../lib/charts/degenerate.ts";
import { fewShotCurve } from "../lib/charts/fewshot_curve.ts";
import { captionOf } from "../lib/charts/caption.ts";
import { collapseOf, oneClassMacroF1, predictedCounts } from "../lib/eval/collapse.ts";
import { classificationMetrics } from "../lib/eval/metrics.ts";
import { summaryRecords } from "../lib/experiments/notebook_tables.ts";
import type { ResultRow } from "../lib/experiments/results.ts";
import { EMBEDDED_MODEL } from "../lib/experiments/setup.ts";
import { runSplit } from "../lib/experiments/split_run.ts";
import { summaryMarkdown, summaryTable } from "../lib/experiments/stats.ts";
import { pet } from "../lib/methods/pet/pet.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { chartRows } from "./_chart_rows.ts";

const L = ["a", "b", "c"];
/** Metrics of `predicted` against gold 6 a, 3 b, 1 c. */
const scored = (predicted: string[]) => classificationMetrics(["a", "a", "a", "a", "a", "a", "b", "b", "b", "c"], predicted, L);

Deno.test("collapse: predicted counts are the confusion's column sums; the one-class macro-F1 by hand", () => {
  const m = scored(["a", "a", "a", "a", "b", "c", "b", "b", "a", "c"]);
  assert.deepEqual(predictedCounts(m), { a: 5, b: 3, c: 2 });
  // Always "a": F1(a) = 2·6/(10 + 6) = 0.75, averaged over the 3 classes present: 0.25 (better than b's 0.154).
  assert.equal(oneClassMacroF1(m), 0.25);
  assert.equal(collapseOf(m), undefined);
});

Deno.test("collapse: one class over 90 % of predictions, or macro-F1 at the one-class level, is a collapse", () => {
  const all = scored(Array(10).fill("a"));
  assert.deepEqual(collapseOf(all), { label: "a", share: 1 });
  // 7 of 10 "b" (under 90 %), but no better than always answering one class: not one right, macro-F1 0 ≤ 0.25.
  const poor = scored(["b", "b", "b", "b", "b", "b", "a", "a", "c", "b"]);
  assert.equal(poor.macroF1, 0);
  assert.deepEqual(collapseOf(poor), { label: "b", share: 0.7 });
  // Counts alone (a row without its confusion matrix): only the share counts; nothing recorded, nothing said.
  assert.deepEqual(collapseOf({ macroF1: 0.3, predicted: { x: 91, y: 9 } }), { label: "x", share: 0.91 });
  assert.equal(collapseOf({ macroF1: 0.3, predicted: { x: 90, y: 10 } }), undefined);
  assert.equal(collapseOf({ macroF1: 0.3 }), undefined);
});

Deno.test("collapse: a run records its predicted-class counts, summing to the test set and matching its confusion", async () => {
  const model = await loadModelFolder(EMBEDDED_MODEL);
  const r = await runSplit({
    method: pet.name,
    options: { mode: "zero-shot", template: "{text}总之很[MASK]。", verbalizer: "good-bad", maxLength: 32 },
    dataset: "demo",
    split: { kind: "zero-shot" },
    model,
  });
  assert.deepEqual(Object.keys(r.predicted!), r.labels);
  assert.equal(Object.values(r.predicted!).reduce((a, b) => a + b, 0), r.n);
  assert.deepEqual(r.predicted, predictedCounts(r));
});

/** Chart rows with the zero-shot PET runs turned into a collapse (every prediction "Positive"). */
function rowsWithCollapse(): ResultRow[] {
  return chartRows().map((r) =>
    r.zeroShot && r.seed === 1
      ? {
        ...r,
        accuracy: 0.5,
        macroF1: 1 / 3,
        predicted: { Positive: 100, Negative: 0 },
        confusion: [[50, 0], [50, 0]],
        labels: ["Positive", "Negative"],
      }
      : { ...r, predicted: { Positive: 55, Negative: 45 } }
  );
}

Deno.test("collapse: summaries mark a group with collapsed runs, captions name them", () => {
  const rows = rowsWithCollapse();
  const table = summaryTable(rows);
  const zero = table.filter((t) => t.collapsed);
  assert.ok(zero.length > 0 && zero.every((t) => t.k === 0 && t.collapsed === 1), JSON.stringify(zero));
  assert.ok(table.filter((t) => t.k !== 0).every((t) => t.collapsed === 0));
  const md = summaryMarkdown(table);
  assert.match(md, /\| 0 \| 1 \| 50\.0 ⚠1 \| 33\.3 \|/);
  assert.match(md, /⚠n: n runs predicted one class for more than 90 % of the test set/);
  assert.ok(summaryRecords(rows).some((r) => String(r["accuracy %"]).endsWith(" ⚠1")));
  assert.ok(!summaryMarkdown(summaryTable(chartRows())).includes("⚠"));

  const flags = collapseFlags(rows, (r) => `${r.label} · K=${r.k}`);
  assert.ok(flags.length > 0);
  for (const f of flags) {
    assert.match(
      f,
      /^PET 模板 · K=0: predictions collapsed onto one class in seed 1 \(predictions collapsed: 100\.0% "Positive"; the score is that class's share\)$/,
    );
  }
  const caption = captionOf(fewShotCurve(rows))!;
  assert.ok(caption.flags.some((f) => /zero-shot: predictions collapsed onto one class in seed 1/.test(f)), caption.flags.join("\n"));
  assert.ok(!captionOf(fewShotCurve(chartRows()))!.flags.some((f) => f.includes("collapsed")));
});
