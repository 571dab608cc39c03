import assert from "node:assert/strict";
import { chartBundle } from "../lib/charts/display.ts";
import { fewShotCurve } from "../lib/charts/fewshot_curve.ts";
import { prefixLengthChart, triggerCountChart } from "../lib/charts/param_sensitivity.ts";
import { compileChart, hasCjkFont, pngSize, renderSvg, svgSize } from "../lib/charts/render.ts";
import { VIEW_SIZE } from "../lib/charts/spec.ts";
import { templateSensitivity } from "../lib/charts/template_sensitivity.ts";
import { accuracyVsParams, trainingCurves } from "../lib/charts/training.ts";
import { titleText } from "../lib/charts/caption.ts";
import { exportFigures, figuresFor } from "../lib/figures/export.ts";
import { requireShared } from "../lib/util/config.ts";
import { chartRows as rows } from "./_chart_rows.ts";

Deno.test("chart specs compile with vega-lite and render to SVG", async () => {
  const r = rows();
  const specs = [
    fewShotCurve(r),
    prefixLengthChart(r),
    triggerCountChart(r),
    templateSensitivity(r),
    trainingCurves(r),
    accuracyVsParams(r),
  ];
  for (const spec of specs) {
    const vega = compileChart(spec) as { marks?: unknown[] };
    assert.ok(vega.marks?.length, `${titleText(spec)}: no marks`);
    const svg = await renderSvg(spec);
    assert.match(svg, /^<svg[^>]*>/);
    assert.ok(svgSize(svg).width >= VIEW_SIZE.width, `${titleText(spec)}: SVG narrower than the chart`);
  }
  assert.match(await renderSvg(fewShotCurve(r)), /PET 模板 \(zero-shot\)/, "zero-shot marked in the legend, Chinese kept");
  const bundle = await chartBundle(fewShotCurve(r));
  assert.deepEqual(Object.keys(bundle), ["application/vnd.vegalite.v6+json", "image/svg+xml"]);
});

Deno.test("figuresFor picks the charts the results support", () => {
  assert.deepEqual([...figuresFor(rows()).keys()], [
    "fewshot_curve",
    "fewshot_curve_macro_f1",
    "trigger_count",
    "prefix_length",
    "template_sensitivity",
    "training_loss",
    "accuracy_vs_params",
  ]);
  const finetuneOnly = rows().filter((r) => r.method === "finetune" && r.k === 8);
  assert.deepEqual([...figuresFor(finetuneOnly).keys()], ["training_loss"]);
});

Deno.test("exportFigures writes Vega-Lite JSON, SVG and a PNG of the SVG's size × scale, under stable names", async () => {
  const dir = await Deno.makeTempDir();
  const r = rows().filter((x) => x.method !== "autoprompt");
  const paths = await exportFigures(r, dir, { scale: 2 });
  const names = paths.map((p) => p.slice(dir.length + 1));
  assert.ok(names.includes("fewshot_curve.png") && names.includes("fewshot_curve.svg") && names.includes("fewshot_curve.vl.json"));
  assert.match(await Deno.readTextFile(`${dir}/summary.md`), /^\| model \| method /, "summary table written beside the charts");
  const svg = await Deno.readTextFile(`${dir}/fewshot_curve.svg`);
  const { width, height } = svgSize(svg);
  assert.deepEqual(pngSize(await Deno.readFile(`${dir}/fewshot_curve.png`)), {
    width: Math.round(width * 2),
    height: Math.round(height * 2),
  });
  assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/fewshot_curve.vl.json`)).title.text, "Few-shot curves — demo");
  assert.throws(() => pngSize(new TextEncoder().encode("not a png at all, really not")), /not a PNG/);
  // No rows (a grid not run yet for this model): nothing written, the export already there kept.
  const before = await Deno.readTextFile(`${dir}/summary.md`);
  assert.deepEqual(await exportFigures([], dir), []);
  assert.equal(await Deno.readTextFile(`${dir}/summary.md`), before);
});

Deno.test({
  name: "a CJK font is installed for PNG export (required in CI)",
  ignore: !requireShared() && !hasCjkFont(),
  fn() {
    assert.ok(hasCjkFont(), "no CJK font: apt-get install fonts-wqy-microhei (Chinese would render as boxes)");
  },
});

Deno.test({
  name: "text is laid out at the installed font's widths: a chart is as wide as what it draws",
  ignore: !hasCjkFont(),
  async fn() {
    // Vega's canvas-free estimate (0.8 × font size per character) puts this 176-character subtitle at 1,549 px;
    // measured, its 40 Chinese characters take ~11 px each and its Latin ones about half that.
    const spec = fewShotCurve(rows());
    const long = "x".repeat(40) + " · " + "中文标题".repeat(10) + " · " + "K = 16, seeds 1–5 ".repeat(5);
    const wide = { ...spec, title: { ...(spec.title as object), subtitle: [long] } };
    const { width } = svgSize(await renderSvg(wide as typeof spec));
    assert.ok(width < 0.8 * 11 * long.length, `width ${width}: the 0.8 × size estimate is in use`);
    assert.ok(width > 10 * 40 * 0.4 + 10 * 11 * 4, `width ${width}: narrower than the subtitle's 40 Chinese characters and Latin text`);
  },
});

Deno.test("rows of two models give side-by-side panels named by model", async () => {
  const two = [...rows(), ...rows().map((r) => ({ ...r, model: { name: "other-model", fingerprint: "g" }, accuracy: r.accuracy - 0.1 }))];
  for (const spec of [fewShotCurve(two), accuracyVsParams(two), trainingCurves(two), prefixLengthChart(two), templateSensitivity(two)]) {
    const svg = await renderSvg(spec);
    assert.ok(svgSize(svg).width >= 2 * VIEW_SIZE.width, `${titleText(spec)}: not two panels wide`);
    assert.match(svg, />m</, "panel of model m");
    assert.match(svg, />other-model</, "panel named by the model folder");
  }
  const single = await renderSvg(fewShotCurve(rows()));
  assert.ok(svgSize(single).width < 2 * VIEW_SIZE.width, "one model, one panel");
});
