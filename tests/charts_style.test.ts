import assert from "node:assert/strict";
import { captionOf, titleText } from "../lib/charts/caption.ts";
import { STD_BAND } from "../lib/charts/context.ts";
import { noTriggerAccepted } from "../lib/charts/degenerate.ts";
import { fewShotCurve } from "../lib/charts/fewshot_curve.ts";
import { METHOD_PALETTE } from "../lib/charts/palette.ts";
import { hasCjkFont, renderSvg, svgSize } from "../lib/charts/render.ts";
import type { ChartSpec } from "../lib/charts/spec.ts";
import { accuracyVsParams, MAX_CURVE_POINTS, trainingCurves, windowMeans } from "../lib/charts/training.ts";
import type { ResultRow } from "../lib/experiments/results.ts";
import { exportChart, figuresFor } from "../lib/figures/export.ts";
import { chartRows } from "./_chart_rows.ts";

/** Every object in `spec` (depth first), to find encodings wherever layers, facets or concats put them. */
function objects(value: unknown): Record<string, unknown>[] {
  if (!value || typeof value !== "object") return [];
  const children = Object.values(value).flatMap(objects);
  return Array.isArray(value) ? children : [value as Record<string, unknown>, ...children];
}

/** The colour scales of `spec` that encode the method field. */
function methodScales(spec: ChartSpec): { domain: string[]; range: string[] }[] {
  return objects(spec).filter((o) => o.field === "method" && o.scale && typeof o.scale === "object")
    .map((o) => o.scale as { domain: string[]; range: string[] });
}

/** The synthetic grid with AutoPrompt's prompt notes: seed 1 never accepted a trigger, seed 2 replaced one. */
function rowsWithPrompts(): ResultRow[] {
  return chartRows().map((r) => {
    if (r.method !== "autoprompt") return r;
    const slots = Number(r.params.triggers);
    const kept = r.seed === 1 ? "[MASK]".repeat(slots) : `好${"[MASK]".repeat(slots - 1)}`;
    return { ...r, trainableParams: slots, notes: [`prompt: {sentence}${kept}[MASK]。`] };
  });
}

const subtitle = (spec: ChartSpec) => ((spec as { title: { subtitle: string[] } }).title.subtitle ?? []).join("\n");

Deno.test("every figure's title names the dataset and its subtitle the model, split and seeds", () => {
  const figures = figuresFor(chartRows());
  assert.equal(figures.size, 7);
  for (const [name, spec] of figures) {
    assert.match(titleText(spec), /\bdemo\b/, `${name}: dataset in the title`);
    assert.match(subtitle(spec), /scored on test \(n = 100\) · model: m/, `${name}: split, size and model in the subtitle`);
    assert.match(subtitle(spec), /seeds 1, 2/, `${name}: seeds in the subtitle`);
    const caption = captionOf(spec);
    assert.ok(caption?.what && caption.data.includes("demo") && caption.perPoint, `${name}: a caption with what, data and n per point`);
  }
});

Deno.test("one method colour scale, the same domain → range pairs in every figure that colours by method", () => {
  const figures = figuresFor(chartRows());
  const colourOf = new Map<string, string>();
  let coloured = 0;
  for (const [name, spec] of figures) {
    for (const scale of methodScales(spec)) {
      coloured++;
      assert.deepEqual(scale.domain.slice(0, METHOD_PALETTE.length), METHOD_PALETTE.map(([n]) => n), `${name}: fixed palette first`);
      scale.domain.forEach((method, i) => {
        assert.equal(colourOf.get(method) ?? scale.range[i], scale.range[i], `${name}: ${method} keeps its colour`);
        colourOf.set(method, scale.range[i]);
      });
    }
  }
  for (const name of ["fewshot_curve", "accuracy_vs_params", "prefix_length", "template_sensitivity"]) {
    assert.ok(methodScales(figures.get(name)!).length, `${name} colours by method`);
  }
  assert.ok(coloured >= 4);
  assert.equal(colourOf.get("P-tuning v2"), "#54a24b");
  assert.notEqual(colourOf.get("PET 模板 (zero-shot)"), colourOf.get("P-tuning v2"), "zero-shot PET unlike P-tuning v2");
  assert.equal(new Set(colourOf.values()).size, colourOf.size, "no two methods share a colour");
});

Deno.test("curves state their band (sample std, n − 1) in subtitle and caption; accuracy charts draw chance", async () => {
  const figures = figuresFor(chartRows());
  for (const name of ["fewshot_curve", "fewshot_curve_macro_f1", "prefix_length", "trigger_count", "template_sensitivity"]) {
    const spec = figures.get(name)!;
    assert.ok(subtitle(spec).includes(STD_BAND), `${name}: band in the subtitle`);
    assert.ok(captionOf(spec)?.band?.includes(STD_BAND), `${name}: band in the caption`);
  }
  assert.match(STD_BAND, /sample std \(n − 1\)/);
  for (const name of ["fewshot_curve", "prefix_length", "template_sensitivity", "accuracy_vs_params"]) {
    assert.match(await renderSvg(figures.get(name)!), /chance \(1\/2\)/, `${name}: chance line labelled`);
  }
  assert.doesNotMatch(await renderSvg(figures.get("fewshot_curve_macro_f1")!), /chance \(/, "no accuracy chance line on macro-F1");
  const axis = objects(figures.get("fewshot_curve")).find((o) => o.field === "low")!.scale as { zero: boolean };
  assert.equal(axis.zero, false, "accuracy axis fitted to the data, not from 0");
});

Deno.test("the zero-shot rule's legend symbol is dashed like the rule, the trained ones solid", async () => {
  const svg = await renderSvg(fewShotCurve(chartRows()));
  const entries = [
    ...svg.matchAll(
      /role-legend-symbol[^>]*><path[^>]*stroke-dasharray="([^"]+)"[^>]*\/><\/g><g class="mark-text role-legend-label"[^>]*><text[^>]*>([^<]+)</g,
    ),
  ];
  const dashes = Object.fromEntries(entries.map(([, dash, label]) => [label, dash]));
  assert.deepEqual(dashes, {
    "fine-tuning": "1,0",
    "PET 模板": "1,0",
    "PET 模板 (zero-shot)": "5,3",
    "AutoPrompt": "1,0",
    "P-tuning v2": "1,0",
  });
});

Deno.test("AutoPrompt seeds with no trigger accepted are crossed out and named in the caption", async () => {
  const rows = rowsWithPrompts();
  const ap = rows.filter((r) => r.method === "autoprompt");
  assert.deepEqual(ap.map(noTriggerAccepted), ap.map((r) => r.seed === 1), "seed 1 kept every [MASK], seed 2 replaced one");
  const spec = fewShotCurve(rows);
  const flags = captionOf(spec)!.flags.join("\n");
  assert.match(flags, /m · AutoPrompt triggers=3 · K=4: no trigger accepted in seed 1 /);
  assert.match(subtitle(spec), /×: AutoPrompt seed with no trigger accepted/);
  const svg = await renderSvg(spec);
  assert.match(svg, /AutoPrompt seed with no trigger accepted/, "legend entry for the ×");
  assert.doesNotMatch(captionOf(fewShotCurve(chartRows()))!.flags.join("\n"), /no trigger/, "nothing flagged without such notes");
});

Deno.test("seeds that all scored the same are flagged (std 0)", () => {
  const same = chartRows().map((r) => (r.method === "finetune" && r.k === 4 ? { ...r, accuracy: 0.625 } : r));
  assert.match(captionOf(fewShotCurve(same))!.flags.join("\n"), /m · fine-tuning · K=4: all 2 seeds scored exactly the same \(std 0\)/);
});

Deno.test("failed rows are left out of every chart", () => {
  const failed = { ...chartRows()[5], key: "failed-cell", accuracy: Number.NaN, losses: [], status: "failed" } as ResultRow;
  const spec = fewShotCurve([...chartRows(), failed]);
  const values = (spec as { data: { values: { score?: number }[] } }).data.values;
  assert.ok(values.every((v) => v.score === undefined || Number.isFinite(v.score)), "no NaN score drawn");
  assert.equal(JSON.stringify(fewShotCurve([...chartRows(), failed])), JSON.stringify(fewShotCurve(chartRows())));
});

Deno.test("accuracy vs parameters: K by shape, AutoPrompt's trigger slots in a panel of their own", () => {
  const spec = accuracyVsParams(chartRows()) as unknown as { hconcat: Record<string, unknown>[] };
  assert.equal(spec.hconcat.length, 2, "weights panel and AutoPrompt panel");
  const [weights, slots] = spec.hconcat.map(objects);
  assert.ok(weights.some((o) => o.field === "K" && o.title === "examples per class (K)"), "K encoded");
  assert.ok(weights.some((o) => o.filter === `datum.model === "m" && (datum.part === 'chance' || datum.kind === 'weights')`));
  assert.ok(slots.some((o) => o.title === "trigger tokens"), "AutoPrompt's x axis counts trigger tokens, not weights");
});

Deno.test("training curves: a panel per method on its own scale, window means keep specs small", () => {
  assert.deepEqual(windowMeans([1, 2, 3, 4, 5], 2), { step: [3, 5], loss: [2, 4.5] });
  assert.deepEqual(windowMeans([0.5, 0.25]), { step: [1, 2], loss: [0.5, 0.25] });
  const long = chartRows().filter((r) => !r.zeroShot).flatMap((r) =>
    [1, 2, 3, 4, 5].map((seed) => ({
      ...r,
      key: `${r.key}/${seed}`,
      seed,
      losses: Array.from({ length: 300 }, (_, i) => 1 / (1 + i) + 0.001 * seed),
    }))
  );
  const spec = trainingCurves(long) as unknown as {
    facet: { row: { field: string } };
    resolve: unknown;
    data: { values: { step: number[] }[] };
  };
  assert.equal(spec.facet.row.field, "panel");
  assert.deepEqual(spec.resolve, { scale: { x: "independent", y: "independent" } });
  assert.ok(spec.data.values.every((v) => v.step.length <= MAX_CURVE_POINTS));
  const size = JSON.stringify(spec).length;
  assert.ok(size < 300_000, `spec of ${long.length} runs × 300 steps is ${size} bytes`);
  assert.ok(spec.data.values.some((v) => (v as unknown as { panel: string }).panel === "AutoPrompt: trigger-search loss"));
});

Deno.test("export writes a PDF beside SVG and PNG (same page size, fonts embedded, same bytes each time) and a caption", async () => {
  const dir = await Deno.makeTempDir();
  const spec = fewShotCurve(rowsWithPrompts());
  const paths = await exportChart(spec, dir, "curve");
  assert.deepEqual(paths.map((p) => p.slice(dir.length + 1)), ["curve.vl.json", "curve.svg", "curve.png", "curve.pdf", "curve.caption.md"]);
  const pdf = await Deno.readFile(`${dir}/curve.pdf`);
  const text = new TextDecoder("latin1").decode(pdf);
  assert.ok(text.startsWith("%PDF-1."), "PDF header");
  assert.match(text.slice(-32), /%%EOF\s*$/, "PDF trailer");
  const { width, height } = svgSize(await Deno.readTextFile(`${dir}/curve.svg`));
  const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(text);
  assert.ok(box, "a page with a MediaBox");
  assert.ok(Math.abs(Number(box[1]) - width * 0.75) < 0.01 && Math.abs(Number(box[2]) - height * 0.75) < 0.01, "page = SVG size in points");
  if (hasCjkFont()) assert.match(text, /\/FontFile2|WenQuanYi|NotoSansCJK/, "CJK font embedded");
  await exportChart(spec, dir, "again");
  assert.deepEqual(await Deno.readFile(`${dir}/again.pdf`), pdf, "deterministic bytes");
  const caption = await Deno.readTextFile(`${dir}/curve.caption.md`);
  assert.match(caption, /^# Few-shot curves — demo\n/);
  assert.ok(caption.includes(`**Band.** ${STD_BAND}`));
  assert.match(caption, /\*\*n per point\.\*\* 2–6 seeds per point, each run scored on 100 test rows/, "seeds × parameter points per K");
  assert.match(caption, /\*\*Flagged\.\*\*[\s\S]*no trigger accepted/);
});

Deno.test("edge cases still give charts that compile and render: one seed, only zero-shot, no rows, a local dataset", async () => {
  const oneSeed = chartRows().filter((r) => r.seed !== 2);
  const zeroOnly = chartRows().filter((r) => r.zeroShot);
  const local = chartRows().map((r) => ({ ...r, dataset: "my_reviews" }));
  for (const rows of [oneSeed, zeroOnly, [], local]) {
    for (const spec of [fewShotCurve(rows), trainingCurves(rows), accuracyVsParams(rows), ...figuresFor(rows).values()]) {
      assert.match(await renderSvg(spec), /^<svg/, titleText(spec));
    }
  }
  assert.match(captionOf(fewShotCurve(oneSeed))!.perPoint, /^1–3 seeds per point/);
  assert.doesNotMatch(await renderSvg(fewShotCurve(local)), /chance \(/, "no chance line when the class count is unknown");
  assert.equal(titleText(fewShotCurve(local)), "Few-shot curves — my_reviews");
  assert.equal(titleText(fewShotCurve(local, { title: "Few-shot curves: my_reviews, m" })), "Few-shot curves: my_reviews, m", "named once");
});
