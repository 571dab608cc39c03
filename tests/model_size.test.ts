/**
 * The model-size axis: rows record their base model's size, the family is listed by size, rows of older
 * results get their model's size looked up by name, and the chart of accuracy against model size (log x, a
 * point per size, band, chance line, a panel per K) is drawn and exported when rows span several sizes.
 */
import assert from "node:assert/strict";
import { captionOf, titleText } from "../lib/charts/caption.ts";
import { STD_BAND } from "../lib/charts/context.ts";
import { accuracyVsModelSize, modelSizes } from "../lib/charts/model_size.ts";
import { METHOD_PALETTE } from "../lib/charts/palette.ts";
import { compileChart, renderSvg } from "../lib/charts/render.ts";
import type { ChartSpec } from "../lib/charts/spec.ts";
import { expandGrid, parseGrid } from "../lib/experiments/grid.ts";
import { runGrid } from "../lib/experiments/grid_run.ts";
import { lookUpModelSizes, modelFamily, modelSizeModels, textToTextModels } from "../lib/experiments/model_family.ts";
import { modelSizeGrid, t5ComparisonGrid } from "../lib/experiments/presets.ts";
import { loadResults, type ResultRow } from "../lib/experiments/results.ts";
import { notebookHeader, REFERENCE_MODEL } from "../lib/experiments/setup.ts";
import { exportFigures, figuresFor } from "../lib/figures/export.ts";
import type { BertConfig } from "../lib/model/bert/config.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { bertBaseChineseConfig, writeRandomModelFolder } from "../lib/model/bert/random.ts";
import { chartRows } from "./_chart_rows.ts";
import { root } from "./_shared.ts";
import { fakeOutcome, fakeRow } from "./_outcome.ts";

/** A small random-weight config: `layers` × `hidden`, intermediate 2 × hidden, 300 tokens, 64 positions. */
function smallConfig(layers: number, hidden: number): BertConfig {
  return bertBaseChineseConfig({
    num_hidden_layers: layers,
    hidden_size: hidden,
    num_attention_heads: 2,
    intermediate_size: 2 * hidden,
    vocab_size: 300,
    max_position_embeddings: 64,
  });
}

/** BERT's parameters from its shape, pooler excluded, decoder tied: counted by hand, not from any weights. */
function expectedParameters(c: BertConfig): number {
  const { vocab_size: V, hidden_size: H, intermediate_size: I, max_position_embeddings: P, type_vocab_size: T, num_hidden_layers: L } = c;
  const embeddings = V * H + P * H + T * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  const head = H * H + H + 2 * H + V; // transform dense, its LayerNorm, the output bias
  return embeddings + L * layer + head;
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("new grid rows record the base model's parameters (pooler excluded); committed rows without them still load", async () => {
  const dir = await Deno.makeTempDir();
  const config = smallConfig(2, 32);
  await writeRandomModelFolder(`${dir}/m`, config, { seed: 3 });
  const model = await loadModelFolder(`${dir}/m`);
  assert.ok(model.weights.has("bert.pooler.dense.weight"), "the loaded model has a pooler, which is not counted");
  const grid = parseGrid({
    name: "g",
    dataset: "demo",
    protocol: { kind: "sampled", k: [2], seeds: [1] },
    methods: [{ method: "finetune" }],
  });
  const rows = await runGrid(grid, {
    model,
    results: `${dir}/r.jsonl`,
    progress: false,
    runCell: () => Promise.resolve(fakeOutcome({ n: 4 })),
  });
  assert.equal(expectedParameters(config), 30_284, "11,776 embedding + 2 × 8,544 layer + 1,420 head weights");
  assert.equal(rows[0].model.parameters, expectedParameters(config));
  assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/r.jsonl`)).model.parameters, expectedParameters(config), "written to the file");
  const embedded = await loadModelFolder(`${root}/models/promptlab-bert-zh-L4-H256`);
  const rerun = await runGrid(grid, {
    model: embedded,
    results: `${dir}/e.jsonl`,
    progress: false,
    runCell: () => Promise.reject(new Error("x")),
    onFailure: () => {},
  });
  assert.equal(rerun.length, 0);
  const failed = JSON.parse(await Deno.readTextFile(`${dir}/e.jsonl`));
  assert.equal(failed.model.parameters, expectedParameters(embedded.config), "failed rows too; the embedded model as its card counts it");
  const old = await loadResults(`${root}/results/grids/comparison-eprstmt-zh-review-bert-tiny.jsonl`);
  assert.ok(old.length > 0 && old.every((r) => r.model.parameters === undefined), "committed rows predate sizes and load as they are");
});

Deno.test("the family: model folders under models/ sorted by parameters; sizes of unsized rows looked up by name", async () => {
  const dir = await Deno.makeTempDir();
  const configs = { "a-large": smallConfig(3, 64), "b-small": smallConfig(1, 16), "c-medium": smallConfig(2, 32) };
  for (const [name, config] of Object.entries(configs)) await writeRandomModelFolder(`${dir}/${name}`, config);
  await Deno.mkdir(`${dir}/pretraining`); // a size still pre-training: no config or weights yet
  await Deno.writeTextFile(`${dir}/pretraining/checkpoint.json`, "{}");
  await Deno.writeTextFile(`${dir}/README.md`, "not a folder");
  const family = await modelFamily(dir);
  assert.deepEqual(family.map((m) => m.name), ["b-small", "c-medium", "a-large"]);
  assert.deepEqual(family.map((m) => m.parameters), family.map((m) => expectedParameters(configs[m.name as keyof typeof configs])));
  assert.deepEqual(family.map((m) => m.dir), family.map((m) => `${dir}/${m.name}`));

  const row = (name: string, parameters?: number) => ({
    model: { name, fingerprint: "f", ...(parameters === undefined ? {} : { parameters }) },
  });
  const sizes = await lookUpModelSizes([row("c-medium"), row("a-large", 7), row("elsewhere"), row("c-medium")], dir);
  assert.deepEqual(
    [...sizes],
    [["c-medium", expectedParameters(configs["c-medium"])]],
    "recorded sizes are not looked up; unknown names stay unknown",
  );

  const one = await Deno.makeTempDir();
  await writeRandomModelFolder(`${one}/only`, configs["b-small"]);
  assert.deepEqual((await modelSizeModels("full", one)).map((m) => m.name), ["only"]);
  const withReference = await exists(`${REFERENCE_MODEL}/config.json`);
  assert.deepEqual(
    (await modelSizeModels("ci", one)).map((m) => m.name),
    withReference ? ["only", "zh-review-bert-tiny"] : ["only"],
    "ci adds a second size while the family has one",
  );
  assert.deepEqual((await modelSizeModels("ci", dir)).map((m) => m.name), ["b-small", "c-medium", "a-large"], "not once it has several");
});

/** Synthetic rows of the full model-size grid for three models; the middle one records no size. */
function sizeRows(): ResultRow[] {
  const models = [{ name: "s2x128", parameters: 1_234_567 }, { name: "s4x256", fingerprint: "f2" }, {
    name: "s6x384",
    parameters: 21_000_000,
  }];
  return models.flatMap((m, j) =>
    expandGrid(modelSizeGrid("full")).map((c, i) =>
      fakeRow(c, "model_size-eprstmt", {
        accuracy: 0.55 + ((i * 37 + j * 11) % 40) / 100,
        n: 610,
        trainSize: 2 * c.k!,
        trainableParams: 10,
        steps: 4,
        bestStep: 4,
        losses: [],
        model: { fingerprint: `f${j}`, ...m },
      })
    )
  );
}

/** Every object in `spec`, depth first. */
function objects(value: unknown): Record<string, unknown>[] {
  if (!value || typeof value !== "object") return [];
  const children = Object.values(value).flatMap(objects);
  return Array.isArray(value) ? children : [value as Record<string, unknown>, ...children];
}

type Datum = Record<string, unknown> & { part: string };
const data = (spec: ChartSpec) => (spec as unknown as { data: { values: Datum[] } }).data.values;
const subtitle = (spec: ChartSpec) => (spec as unknown as { title: { subtitle: string[] } }).title.subtitle.join("\n");

Deno.test("accuracy vs model size: log x, a point per model size and method in each K panel, band, chance line", async () => {
  const rows = sizeRows();
  const spec = accuracyVsModelSize(rows, { sizes: new Map([["s4x256", 4_380_427]]) });
  const means = data(spec).filter((d) => d.part === "mean");
  assert.deepEqual([...new Set(means.map((d) => d.panel))], ["K = 4", "K = 16", "K = 64"]);
  for (const panel of ["K = 4", "K = 16", "K = 64"]) {
    for (const method of ["fine-tuning", "PET", "AutoPrompt", "P-tuning v2"]) {
      const line = means.filter((d) => d.panel === panel && d.method === method);
      assert.deepEqual(line.map((d) => d.parameters), [1_234_567, 4_380_427, 21_000_000], `${panel} ${method}: one point per size`);
      assert.ok(
        line.every((d) => d.n === 5 && (d.low as number) < (d.mean as number) && (d.mean as number) < (d.high as number)),
        "band over 5 seeds",
      );
    }
  }
  const row = rows.find((r) => r.model.name === "s6x384" && r.method === "pet" && r.k === 16)!;
  const seeds = rows.filter((r) => r.model.name === "s6x384" && r.method === "pet" && r.k === 16).map((r) => r.accuracy);
  const mean = means.find((d) => d.model === "s6x384" && d.method === "PET" && d.panel === "K = 16")!;
  assert.ok(row && Math.abs((mean.mean as number) - seeds.reduce((a, b) => a + b) / 5) < 1e-12, "the mean of the seeds");
  const xs = objects(spec).filter((o) => o.field === "parameters" && o.scale);
  assert.ok(xs.length >= 3 && xs.every((x) => (x.scale as { type: string }).type === "log"), "x on a log scale in every layer");
  const [domainLow, domainHigh] = (xs[0].scale as { domain: number[] }).domain;
  assert.ok(Math.abs(domainLow - 1_234_567) < 1e-3 && Math.abs(domainHigh - 21_000_000) < 1e-3, "the sizes' range, not rounded to decades");
  assert.deepEqual((xs[0].axis as { values: number[] }).values, [1_234_567, 4_380_427, 21_000_000], "a tick per size");
  const close = accuracyVsModelSize(rows, { sizes: new Map([["s4x256", 1_300_000]]) });
  const closeX = objects(close).find((o) => o.field === "parameters" && o.scale)!;
  assert.deepEqual((closeX.axis as { values: number[] }).values, [1_234_567, 21_000_000], "no second label on top of a close size");
  assert.ok(objects(spec).some((o) => o.field === "low" && objects(spec).some((p) => p.field === "high")), "a band from low to high");
  assert.equal((spec as unknown as { facet: { column: { field: string } } }).facet.column.field, "panel", "a panel per K");
  const palette = objects(spec).filter((o) => o.field === "method" && o.scale).map((o) =>
    (o.scale as { domain: string[] }).domain.slice(0, METHOD_PALETTE.length)
  );
  assert.ok(
    palette.length && palette.every((d) => JSON.stringify(d) === JSON.stringify(METHOD_PALETTE.map(([n]) => n))),
    "the methods' fixed palette",
  );
  assert.equal(titleText(spec), "Accuracy vs model size — eprstmt");
  assert.match(subtitle(spec), /eprstmt · scored on test_public \(n = 610\) · models: s2x128, s4x256, s6x384/);
  assert.ok(subtitle(spec).includes(`seeds 1–5 per point · line: mean · band: ${STD_BAND}`));
  assert.match(subtitle(spec), /s2x128 1\.23M, s4x256 4\.38M, s6x384 21M/);
  const caption = captionOf(spec)!;
  assert.ok(caption.band?.includes(STD_BAND) && caption.data.includes("seeds 1–5") && caption.flags.length === 0);
  const vega = compileChart(spec) as { marks?: unknown[] };
  assert.ok(vega.marks?.length);
  const svg = await renderSvg(spec);
  assert.match(svg, /chance \(1\/2\)/, "chance line labelled");
  assert.match(svg, /K = 64/);
});

Deno.test("accuracy vs model size: a T5's text-to-text rows sit at its size as triangles (span corruption), the BERTs' as circles (masked LM)", async () => {
  const t5 = { name: "promptlab-t5-zh-L2-H192", fingerprint: "t5", parameters: 4_360_192 };
  const t5Rows = expandGrid(t5ComparisonGrid("full", "eprstmt")).map((c, i) =>
    fakeRow(c, "t5_comparison-eprstmt", { accuracy: 0.5 + (i % 7) / 20, n: 610, model: t5 })
  );
  const spec = accuracyVsModelSize([...sizeRows(), ...t5Rows], { sizes: new Map([["s4x256", 4_380_427]]) });
  const means = data(spec).filter((d) => d.part === "mean");
  const t5Means = means.filter((d) => d.model === t5.name);
  assert.deepEqual(
    t5Means.map((d) => `${d.panel}: ${d.method}`).sort(),
    [
      "K = 16: text-to-text",
      "K = 16: text-to-text, prompt tuning",
      "K = 64: text-to-text",
      "K = 64: text-to-text, prompt tuning",
      "zero-shot: text-to-text (zero-shot)",
    ],
  );
  assert.ok(t5Means.every((d) => d.parameters === t5.parameters && d.objective === "span corruption (T5)"));
  assert.ok(t5Means.filter((d) => d.panel !== "zero-shot").every((d) => d.n === 5), "five seeds per trained point");
  assert.ok(means.filter((d) => d.model !== t5.name).every((d) => d.objective === "masked LM (BERT)"));
  const [t5Mean] = t5Means.filter((d) => d.panel === "K = 16" && d.method === "text-to-text");
  const seeds = t5Rows.filter((r) => r.k === 16 && r.label === "text2text").map((r) => r.accuracy);
  assert.ok(Math.abs((t5Mean.mean as number) - seeds.reduce((a, b) => a + b) / seeds.length) < 1e-12, "the mean of its seeds");
  const shapes = objects(spec).filter((o) => o.field === "objective" && o.scale).map((o) => o.scale);
  assert.ok(shapes.length >= 2, "mean and seed points shaped by the objective");
  for (const scale of shapes) {
    assert.deepEqual(scale, { domain: ["masked LM (BERT)", "span corruption (T5)"], range: ["circle", "triangle-up"] });
  }
  // Beside the default BERT (4.38M) at nearly its size: one tick for the two, the shapes tell them apart.
  assert.deepEqual((objects(spec).find((o) => o.field === "parameters" && o.scale)!.axis as { values: number[] }).values, [
    1_234_567,
    4_360_192,
    21_000_000,
  ]);
  assert.match(subtitle(spec), /promptlab-t5-zh-L2-H192 4\.36M/);
  assert.match(captionOf(spec)!.what, /triangles span-corruption ones \(T5\)/);
  assert.match(await renderSvg(spec), /span corruption \(T5\)/, "the legend names the objectives");
});

Deno.test("accuracy vs model size: rows of a model with no known size are left out, saying so", () => {
  const spec = accuracyVsModelSize(sizeRows());
  const means = data(spec).filter((d) => d.part === "mean");
  assert.deepEqual([...new Set(means.map((d) => d.model))], ["s2x128", "s6x384"]);
  assert.match(subtitle(spec), /left out \(model size unknown\): s4x256/);
  assert.match(captionOf(spec)!.flags.join("\n"), /^s4x256: left out, its rows record no model size/);
  assert.deepEqual([...modelSizes(sizeRows())], [["s2x128", 1_234_567], ["s6x384", 21_000_000]]);
  assert.deepEqual(
    [...modelSizes(sizeRows(), new Map([["s4x256", 0]]))],
    [["s2x128", 1_234_567], ["s6x384", 21_000_000]],
    "no size 0 on a log axis",
  );
});

Deno.test("figures: accuracy vs model size only when rows span several sizes; export looks sizes up under models/", async () => {
  assert.ok(figuresFor(sizeRows()).has("accuracy_vs_model_size"));
  assert.ok(!figuresFor(sizeRows().filter((r) => r.model.name !== "s6x384")).has("accuracy_vs_model_size"), "one known size");
  assert.ok(
    figuresFor(sizeRows().filter((r) => r.model.name !== "s6x384"), { sizes: new Map([["s4x256", 9]]) }).has("accuracy_vs_model_size"),
  );
  assert.ok(!figuresFor(chartRows()).has("accuracy_vs_model_size"), "one model");

  const models = await Deno.makeTempDir();
  await writeRandomModelFolder(`${models}/s4x256`, smallConfig(1, 16));
  const rows = sizeRows().filter((r) => r.model.name !== "s6x384" && r.method === "pet");
  const out = await Deno.makeTempDir();
  const written = await exportFigures(rows, out, { modelsDir: models });
  for (const ext of ["svg", "png", "pdf", "vl.json", "caption.md"]) {
    assert.ok(written.includes(`${out}/accuracy_vs_model_size.${ext}`), ext);
  }
  const spec = JSON.parse(await Deno.readTextFile(`${out}/accuracy_vs_model_size.vl.json`));
  const sizes = new Set(data(spec).filter((d) => d.part === "mean").map((d) => d.parameters));
  assert.deepEqual(
    [...sizes].sort((a, b) => Number(a) - Number(b)),
    [expectedParameters(smallConfig(1, 16)), 1_234_567],
    "the unsized model's size read from its folder",
  );
  assert.match(
    await Deno.readTextFile(`${out}/accuracy_vs_model_size.caption.md`),
    /^# Accuracy vs model size — eprstmt\n[\s\S]*\*\*Band\.\*\* mean ± 1 sample std/,
  );
});

Deno.test("a family notebook's first cell names every model by folder name and fingerprint, no path", async () => {
  const dir = await Deno.makeTempDir();
  for (const name of ["small", "large"]) await writeRandomModelFolder(`${dir}/${name}`, smallConfig(1, name === "small" ? 16 : 32));
  const header = await notebookHeader(await modelFamily(dir));
  assert.match(header, /- \*\*Models:\*\* `small` \(fingerprint `[0-9a-f]{16}`\), `large` \(fingerprint `[0-9a-f]{16}`\)\.$/);
  assert.ok(!header.includes(dir));
});

Deno.test("the committed models/: the family lists the BERTs only, textToTextModels the kit's T5", async () => {
  const family = (await modelFamily(`${root}/models`)).map((m) => m.name);
  assert.ok(family.length >= 3 && family.every((name) => name.startsWith("promptlab-bert-")), family.join(", "));
  assert.deepEqual(await textToTextModels(`${root}/models`), [`${root}/models/promptlab-t5-zh-L2-H192`]);
});
