/**
 * ZeroPrompt's figures on synthetic rows (no training): `transfer` (before → after per held-out task and base
 * model, the K = 16 references beside), `spread` (every held-out wording) and the transfer table, drawn by `figuresFor` for rows of
 * the held-out wordings grids; the rows' phases read from the multitask model's name.
 */
import assert from "node:assert/strict";
import { captionOf } from "../lib/charts/caption.ts";
import { CHANCE_RING } from "../lib/charts/degenerate.ts";
import { renderSvg } from "../lib/charts/render.ts";
import { zeropromptRows } from "../lib/charts/zeroprompt_rows.ts";
import { wordingSpreads, zeropromptSpread } from "../lib/charts/zeroprompt_spread.ts";
import { zeropromptMarkdown } from "../lib/charts/zeroprompt_table.ts";
import { MEAN_OF_TASKS, zeropromptTransfer } from "../lib/charts/zeroprompt_transfer.ts";
import { CHANCE_LEGEND, COLLAPSE_LEGEND } from "../lib/eval/marks.ts";
import { expandGrid } from "../lib/experiments/grid.ts";
import { ZEROPROMPT_FEWSHOT_GRID, zeropromptFewShotGrid } from "../lib/experiments/presets.ts";
import type { ResultRow } from "../lib/experiments/results.ts";
import { figuresFor } from "../lib/figures/export.ts";
import { readMixture } from "../lib/multitask/mixture.ts";
import { parseZeropromptModelName, zeropromptModelName } from "../lib/multitask/model_name.ts";
import { text2textWording, wordingsGrid } from "../lib/multitask/wordings_grid.ts";
import { root } from "./_shared.ts";
import { fakeRow } from "./_outcome.ts";

/** Two base models of two sizes. */
const BASES = [{ name: "small", parameters: 1_000 }, { name: "large", parameters: 9_000 }];
const TASKS = ["eprstmt", "bustm"];
/** Held-out wordings per task in the committed mixtures. */
const WORDINGS: Record<string, number> = { eprstmt: 12, bustm: 11 };
const ALL_WORDINGS = 2 * 2 * (WORDINGS.eprstmt + WORDINGS.bustm);

/** Accuracy of wording i: before 0.5 + i/100 (a 10-point spread over BUSTM's 11 wordings), after 0.7 + i/200 (5 points). */
const accuracy = (phase: "before" | "after", i: number) => (phase === "before" ? 0.5 + i / 100 : 0.7 + i / 200);

/**
 * Synthetic leave-one-task-out rows: each task's held-out wordings on each base model (before) and on its
 * multitask model (after), and the K = 16 references (PET 0.8, fine-tuning 0.75). The large model's first
 * EPRSTMT wording collapsed onto one class after training.
 */
async function rows(): Promise<ResultRow[]> {
  const out: ResultRow[] = [];
  for (const task of TASKS) {
    const grid = wordingsGrid(await readMixture(`${root}/mixtures/holdout_${task}.json`));
    const reference = zeropromptFewShotGrid("full", task);
    for (const base of BASES) {
      for (const phase of ["before", "after"] as const) {
        const model = {
          name: phase === "before" ? base.name : zeropromptModelName(base.name, task),
          fingerprint: "f",
          parameters: base.parameters,
        };
        expandGrid(grid).forEach((cell, i) => {
          const collapsed = base.name === "large" && task === "eprstmt" && phase === "after" && i === 0;
          const confusion = collapsed ? [[70, 0], [30, 0]] : [[50, 0], [0, 50]];
          out.push(fakeRow(cell, grid.name, { accuracy: accuracy(phase, i), n: 100, confusion, labels: ["a", "b"], model }));
        });
      }
      for (const cell of expandGrid(reference)) {
        const a = cell.method === "pet" ? 0.8 : 0.75;
        out.push(
          fakeRow(cell, reference.name, { accuracy: a, n: 100, model: { name: base.name, fingerprint: "f", parameters: base.parameters } }),
        );
      }
    }
  }
  return out;
}

type Values = { data: { values: Record<string, unknown>[] } };

Deno.test("zeroprompt model names: base and held-out task read back; other names are no multitask model", () => {
  assert.deepEqual(parseZeropromptModelName(zeropromptModelName("promptlab-bert-zh-L4-H256", "bustm")), {
    base: "promptlab-bert-zh-L4-H256",
    heldoutTask: "bustm",
  });
  assert.equal(parseZeropromptModelName("promptlab-bert-zh-L4-H256"), undefined);
});

Deno.test("zeroprompt rows: phases from the model name, bases smallest first, references kept apart", async () => {
  const z = zeropromptRows(await rows());
  assert.deepEqual(z.bases, ["small", "large"]);
  assert.equal(z.wordings.length, ALL_WORDINGS);
  assert.equal(z.wordings.filter((w) => w.phase === "after").length, ALL_WORDINGS / 2);
  assert.equal(z.references.length, 2 * 2 * 2 * 5, "PET and fine-tuning, five seeds, per task and base");
});

Deno.test("transfer: mean over wordings before and after per task and base, references per method, collapse flagged", async () => {
  const r = await rows();
  const spec = zeropromptTransfer(r);
  const values = (spec as unknown as Values).data.values;
  const mean = (model: string, task: string, series: string) =>
    values.find((v) => v.part === "mean" && v.model === model && v.task === task && v.series === series)!;
  const avg = (phase: "before" | "after", task: string) =>
    Array.from({ length: WORDINGS[task] }, (_, i) => accuracy(phase, i)).reduce((a, b) => a + b) / WORDINGS[task];
  assert.ok(Math.abs((mean("small", "bustm", "before").mean as number) - avg("before", "bustm")) < 1e-12);
  assert.ok(Math.abs((mean("large", "eprstmt", "after").mean as number) - avg("after", "eprstmt")) < 1e-12);
  assert.equal(mean("small", "bustm", "before").n, 11);
  const tasksMean = (avg("after", "eprstmt") + avg("after", "bustm")) / 2;
  assert.ok(Math.abs((mean("small", MEAN_OF_TASKS, "after").mean as number) - tasksMean) < 1e-12, "each task weighs the same");
  assert.equal(mean("large", "eprstmt", "after").collapsed, true);
  // The subtitle names the base models only; the caption says how their multitask models are named.
  for (const chart of [spec, zeropromptSpread(r)]) {
    const subtitle = (chart as unknown as { title: { subtitle: string[] } }).title.subtitle[0];
    assert.match(subtitle, /models: small, large$/);
    assert.match(captionOf(chart)!.data, /after: each base's multitask model for the held-out task, <base>-zeroprompt-<task>\.$/);
  }
  assert.equal(mean("small", "eprstmt", "after").collapsed, false);
  const links = values.filter((v) => v.part === "link");
  assert.equal(links.length, 2 * 3, "before → after per base, for each task and their mean");
  const refs = values.filter((v) => v.part === "ref");
  assert.deepEqual([...new Set(refs.map((v) => v.series))].sort(), ["PET, K = 16", "fine-tuning, K = 16"]);
  assert.ok(refs.every((v) => v.n === 5));
  const flags = captionOf(spec)!.flags;
  assert.equal(flags.length, 1);
  assert.match(flags[0], /large-zeroprompt-eprstmt · eprstmt · held-out wording 1/);
  assert.match(await renderSvg(spec), /<svg/);
});

Deno.test("spread: every wording drawn, range per task, base and phase in the caption; figuresFor draws both", async () => {
  const r = await rows();
  const spreads = wordingSpreads(r);
  const small = spreads.find((s) => s.model === "small" && s.task === "bustm" && s.phase === "before")!;
  assert.equal(small.wordings, 11);
  assert.ok(Math.abs(small.max - small.min - 0.1) < 1e-12);
  const after = spreads.find((s) => s.model === "small" && s.task === "bustm" && s.phase === "after")!;
  assert.ok(Math.abs(after.max - after.min - 0.05) < 1e-12);
  const spec = zeropromptSpread(r);
  assert.equal((spec as unknown as Values).data.values.length, ALL_WORDINGS);
  assert.match(captionOf(spec)!.what, /small · bustm · before: 10\.0 points over 11 wordings/);
  assert.equal(captionOf(spec)!.flags.length, 1);
  // The collapsed wording is counted where it is (large, EPRSTMT, after) and nowhere else.
  const collapsedAt = spreads.filter((s) => s.collapsed > 0).map((s) => `${s.model}|${s.task}|${s.phase}|${s.collapsed}`);
  assert.deepEqual(collapsedAt, ["large|eprstmt|after|1"]);
  assert.match(captionOf(spec)!.what, /large · eprstmt · after: \d+\.\d points over 12 wordings \(1 collapsed\)/);
  assert.match(await renderSvg(spec), /<svg/);
  const names = [...figuresFor(r).keys()];
  assert.ok(names.includes("transfer") && names.includes("spread"), names.join(", "));
  assert.ok(!figuresFor(r.filter((x) => !x.grid.startsWith("zeroprompt_wordings"))).has("transfer"), "references alone: no transfer");
});

Deno.test("a T5 base's rows (text-to-text wordings and references) are drawn as one more base model, labelled by its name", async () => {
  const t5 = { name: "promptlab-t5-zh-L2-H192", fingerprint: "t", parameters: 5_000 };
  const t5Rows: ResultRow[] = [];
  for (const task of TASKS) {
    const grid = wordingsGrid(await readMixture(`${root}/mixtures/holdout_${task}.json`), text2textWording);
    for (const phase of ["before", "after"] as const) {
      const model = { ...t5, name: phase === "before" ? t5.name : zeropromptModelName(t5.name, task) };
      expandGrid(grid).forEach((cell, i) => t5Rows.push(fakeRow(cell, grid.name, { accuracy: accuracy(phase, i) - 0.1, n: 100, model })));
    }
    const reference = zeropromptFewShotGrid("full", task, true);
    for (const cell of expandGrid(reference)) t5Rows.push(fakeRow(cell, reference.name, { accuracy: 0.6, n: 100, model: t5 }));
  }
  const all = [...await rows(), ...t5Rows];
  assert.deepEqual(zeropromptRows(all).bases, ["small", t5.name, "large"], "bases by size, whatever their backbone");
  const spec = zeropromptTransfer(all);
  const values = (spec as unknown as Values).data.values;
  const of = (part: string) => values.filter((v) => v.part === part && v.model === t5.name);
  assert.deepEqual(of("mean").filter((v) => v.task === "bustm").map((v) => [v.series, v.n]).sort(), [["after", 11], ["before", 11]]);
  assert.deepEqual([...new Set(of("ref").map((v) => v.series))], ["text-to-text, K = 16"]);
  assert.equal(of("link").length, 3, "before → after on each task and their mean");
  assert.match(captionOf(spec)!.what, /few-shot references on the same task \(PET, fine-tuning, and text-to-text, K = 16\)/);
  const spreads = wordingSpreads(all).filter((s) => s.model === t5.name);
  assert.equal(spreads.length, 2 * 2, "each task before and after");
  assert.match(await renderSvg(zeropromptSpread(all)), /<svg/);
});

Deno.test("transfer table: before/after mean ± std over wordings with range and collapsed count, references, mean of tasks", async () => {
  const md = zeropromptMarkdown(await rows()).trim().split("\n");
  assert.equal(md[0], "| base model | held-out task | zero-shot before | zero-shot after | PET, K = 16 | fine-tuning, K = 16 |");
  // BUSTM's 11 wordings before: 0.50..0.60 → mean 55.0, sample std sqrt(11)/100 = 3.3, range 10.0; after 0.70..0.75.
  assert.ok(
    md.includes("| small | bustm | 55.0 ± 3.3 (range 10.0; 11 wordings) | 72.5 ± 1.7 (range 5.0; 11 wordings) | 80.0 ± 0.0 | 75.0 ± 0.0 |"),
    md.join("\n"),
  );
  // The large model's first EPRSTMT wording collapsed after training: counted there only.
  const large = md.find((l) => l.startsWith("| large | eprstmt |"))!;
  assert.match(large, /\| 55\.5 ± 3\.6 \(range 11\.0; 12 wordings\) \| 72\.8 ± 1\.8 \(range 5\.5; ⚠ 1 of 12 collapsed\) \|/);
  assert.equal(md.filter((l) => l.startsWith("|") && l.includes("⚠")).length, 1);
  assert.ok(md.includes(COLLAPSE_LEGEND), "the ⚠ legend under the table");
  // Mean of tasks: each task's mean weighs the same ((55.5 + 55.0) / 2 before).
  assert.ok(md.includes(`| small | ${MEAN_OF_TASKS} | 55.3 | 72.6 | 80.0 | 75.0 |`), md.join("\n"));
  assert.ok(md.findIndex((l) => l.startsWith("| small |")) < md.findIndex((l) => l.startsWith("| large |")), "smallest model first");
});

Deno.test("transfer table and chart: wordings and reference runs at chance counted in words, marked ≈n and ringed dashed", async () => {
  // Three of the small model's BUSTM wordings before training and its PET references at 51 % of 100 balanced rows.
  const smallBustm = (r: ResultRow) => r.model.name === "small" && r.dataset === "bustm";
  const reference = (r: ResultRow) => r.grid.startsWith(ZEROPROMPT_FEWSHOT_GRID);
  let wording = 0;
  const all = (await rows()).map((r) => {
    const atChance = smallBustm(r) && (reference(r) ? r.method === "pet" : wording++ < 3);
    return atChance ? { ...r, confusion: [[26, 24], [25, 25]], labels: ["a", "b"] } : r;
  });
  const pets = all.filter((r) => smallBustm(r) && reference(r) && r.method === "pet").length;
  assert.ok(pets > 0 && wording === 11);
  const md = zeropromptMarkdown(all).trim().split("\n");
  const small = md.find((l) => l.startsWith("| small | bustm |"))!;
  assert.ok(
    small.startsWith(
      `| small | bustm | 55.0 ± 3.3 (range 10.0; ≈ 3 of 11 at chance) | 72.5 ± 1.7 (range 5.0; 11 wordings) | 80.0 ± 0.0 ≈${pets} |`,
    ),
    small,
  );
  assert.equal(md.filter((l) => l.includes("≈")).length, 2, "that line and the legend");
  assert.equal(md.at(-1), CHANCE_LEGEND);
  assert.match(captionOf(zeropromptSpread(all))!.flags.join("\n"), /small · bustm · .*: no better than the majority class/);
  // The transfer chart rings that phase's mean, dashed, and says so under its title.
  const transfer = zeropromptTransfer(all) as unknown as Values & { title: { subtitle: string[] } };
  const ringed = transfer.data.values.filter((v) => v.part === "mean" && v.atChance).map((v) => [v.model, v.task, v.series]);
  assert.deepEqual(ringed, [["small", "bustm", "before"]]);
  assert.ok(transfer.title.subtitle.includes(CHANCE_RING), transfer.title.subtitle.join("\n"));
});
