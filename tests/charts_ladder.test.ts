import assert from "node:assert/strict";
import { captionOf } from "../lib/charts/caption.ts";
import { ladderChart } from "../lib/charts/ladder.ts";
import { compileChart, renderSvg } from "../lib/charts/render.ts";
import { expandGrid } from "../lib/experiments/grid.ts";
import { LADDER_RUNGS, ladderGrid } from "../lib/experiments/presets.ts";
import type { ResultRow } from "../lib/experiments/results.ts";
import { exportFigures, figuresFor } from "../lib/figures/export.ts";
import { CHANCE_RING } from "../lib/charts/degenerate.ts";
import { chartRows } from "./_chart_rows.ts";
import { fakeRow } from "./_outcome.ts";

/** Trained weights per rung of the synthetic ladder: growing along it, fine-tuning the most. */
const WEIGHTS = [4e6, 768 * 3, 768 * 20, 768 * 20 * 4, 768 * 20 * 4 + 2 * 769, 4e6 + 2 * 769];

/**
 * Synthetic rows of the EPRSTMT ladder grid (no training): accuracy rising along the rungs and with K, seeds
 * spread by a point; PET zero-shot trains nothing.
 */
function ladderRows(): ResultRow[] {
  const grid = ladderGrid("full", "eprstmt");
  return expandGrid(grid).map((c) => {
    const rung = LADDER_RUNGS.indexOf(c.label as typeof LADDER_RUNGS[number]);
    const accuracy = c.zeroShot ? 0.6 : 0.62 + rung * 0.03 + (c.k === 64 ? 0.04 : 0) + (c.seed! - 3) / 100;
    return fakeRow(c, grid.name, {
      split: `k${c.k}_seed${c.seed}`,
      accuracy,
      macroF1: accuracy,
      n: 610,
      trainSize: c.k! * 2,
      trainableParams: c.zeroShot ? 0 : WEIGHTS[rung],
      predicted: { Negative: 305, Positive: 305 },
      steps: 10,
      bestStep: 10,
      losses: [],
    });
  });
}

type Values = Record<string, unknown>[];
const part = (spec: unknown, name: string) => (spec as { data: { values: Values } }).data.values.filter((v) => v.part === name);

Deno.test("ladder: one mean ± std per rung and K against trained weights, in the article's order, fine-tuning as the ceiling", async () => {
  const spec = ladderChart(ladderRows());
  const means = part(spec, "mean");
  // PET zero-shot at K 0, every rung at K 16 and 64.
  assert.equal(means.length, 1 + LADDER_RUNGS.length * 2);
  assert.deepEqual(
    [...new Set(means.map((m) => m.method))],
    ["PET (zero-shot)", ...LADDER_RUNGS],
    "rungs in the ladder's order, zero-shot first",
  );
  const zeroShot = means.find((m) => m.K === "zero-shot")!;
  assert.equal(zeroShot.params, 0, "the discrete zero-shot prompt trains nothing: at 0 on the symlog axis");
  const deepMask = means.find((m) => m.method === LADDER_RUNGS[3] && m.K === "K = 64")!;
  assert.equal(deepMask.n, 5);
  assert.ok(Math.abs((deepMask.mean as number) - (0.62 + 0.09 + 0.04)) < 1e-9);
  assert.ok(Math.abs((deepMask.std as number) - Math.sqrt(0.001 / 4)) < 1e-9, "sample std of seeds ±1, ±2 points");
  assert.deepEqual(
    part(spec, "ceiling").map((c) => [c.K, c.text]),
    [["K = 16", "fine-tuning ceiling, K = 16"], ["K = 64", "fine-tuning ceiling, K = 64"]],
  );
  assert.deepEqual(part(spec, "label").map((l) => [l.method, l.K, l.left]), [
    ["PET (zero-shot)", "zero-shot", false],
    ...LADDER_RUNGS.map((r, i) => [r, "K = 64", WEIGHTS[i] * 10 > WEIGHTS[5]]),
  ]);
  assert.deepEqual(part(spec, "chance").map((c) => c.chance), [0.5]);
  const layers = (spec as unknown as { layer: { encoding?: { x?: { scale?: { type: string } } } }[] }).layer;
  assert.ok(layers.some((l) => l.encoding?.x?.scale?.type === "symlog"), "trained weights on a log-like axis that holds 0");
  const caption = captionOf(spec)!;
  assert.match(caption.what, /prompting turns into fine-tuning/);
  assert.deepEqual(caption.flags, []);
  assert.ok(means.every((m) => m.collapsed === false));
  const vega = compileChart(spec) as { marks?: unknown[] };
  assert.ok(vega.marks?.length);
  const svg = await renderSvg(spec);
  assert.doesNotMatch(svg, /: undefined/, "every encoded field is in the records");
  assert.match(svg, />deep prompt, \[CLS\], P = 20 \(P-tuning v2\)</, "rungs labelled");
});

Deno.test("ladder: collapsed runs and identical seeds are flagged in the caption", () => {
  const rows = ladderRows().map((r) =>
    r.label === LADDER_RUNGS[1] && r.k === 16 ? { ...r, accuracy: 0.5, predicted: { Negative: 0, Positive: 610 } } : r
  );
  const spec = ladderChart(rows);
  assert.deepEqual(part(spec, "mean").filter((m) => m.collapsed).map((m) => [m.method, m.K]), [[LADDER_RUNGS[1], "K = 16"]], "ringed");
  const flags = captionOf(spec)!.flags;
  assert.equal(flags.length, 2);
  assert.match(flags[0], /^soft prompt, input, \[MASK\], P = 3 · K = 16: predictions collapsed onto one class in seeds 1–5/);
  assert.match(flags[1], /^soft prompt, input, \[MASK\], P = 3 · K = 16: all 5 seeds scored exactly the same/);
});

Deno.test("ladder: a mean with runs at chance gets a dashed ring, its subtitle the legend, its caption the runs", async () => {
  // The P = 20 input rung at K = 64: 310 of 610 right on gold 305/305 (50.8 %, p = 0.36), predictions spread.
  const rows = ladderRows().map((r) =>
    r.label === LADDER_RUNGS[2] && r.k === 64
      ? { ...r, accuracy: 310 / 610, confusion: [[155, 150], [150, 155]], labels: ["Negative", "Positive"] }
      : r
  );
  const spec = ladderChart(rows);
  assert.deepEqual(part(spec, "mean").filter((m) => m.atChance).map((m) => [m.method, m.K, m.collapsed]), [[
    LADDER_RUNGS[2],
    "K = 64",
    false,
  ]]);
  const subtitle = (spec as unknown as { title: { subtitle: string[] } }).title.subtitle.join("\n");
  assert.ok(subtitle.includes(CHANCE_RING), subtitle);
  assert.ok(!(ladderChart(ladderRows()) as unknown as { title: { subtitle: string[] } }).title.subtitle.join("").includes("dashed ring"));
  const flags = captionOf(spec)!.flags;
  assert.match(
    flags[0],
    /^soft prompt, input, \[MASK\], P = 20 · K = 64: no better than the majority class in seeds 1–5 \(best accuracy 50\.8% vs/,
  );
  assert.match(await renderSvg(spec), /stroke-dasharray="3,2"/);
});

Deno.test("figures: the ladder is drawn for a ladder grid's rows only, with its caption's Code paragraph", async () => {
  assert.ok(figuresFor(ladderRows()).has("ladder"));
  assert.ok(!figuresFor(chartRows()).has("ladder"), "a comparison grid's rows get no ladder");
  const dir = await Deno.makeTempDir();
  const rows = ladderRows().map((r) => ({ ...r, code: { kit: "0.1.0", numerics: "2026-12-01" } }));
  const written = await exportFigures(rows, dir);
  for (const ext of ["vl.json", "svg", "png", "pdf", "caption.md"]) assert.ok(written.includes(`${dir}/ladder.${ext}`), ext);
  assert.match(await Deno.readTextFile(`${dir}/ladder.caption.md`), /\*\*Code\.\*\* 61 rows of numerics 2026-12-01/);
  await Deno.remove(dir, { recursive: true });
});
