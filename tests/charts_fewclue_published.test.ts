import assert from "node:assert/strict";
import { PUBLISHED_SOURCE, publishedBaselines } from "../lib/charts/fewclue_published.ts";
import { methods } from "../lib/methods/registry.ts";

/** The JSON as committed, read as a file (not through the module) so the module's conversion is checked. */
const json = JSON.parse(await Deno.readTextFile(new URL("../lib/charts/fewclue_published.json", import.meta.url))) as {
  source: { commit: string; columns: Record<string, string> };
  rows: { published: string; score: number; accuracy: Record<string, { mean: number; std: number | null }> }[];
};

Deno.test("published baselines: every value round-trips from the JSON, percentages to fractions", () => {
  assert.deepEqual(publishedBaselines.map((p) => p.published), json.rows.map((r) => r.published));
  for (const [i, p] of publishedBaselines.entries()) {
    const r = json.rows[i];
    assert.deepEqual(Object.keys(p.accuracy), Object.keys(r.accuracy), p.published);
    for (const [task, a] of Object.entries(r.accuracy)) {
      assert.ok(Math.abs(p.accuracy[task].mean * 100 - a.mean) < 1e-9, `${p.published} ${task}`);
      assert.equal(p.accuracy[task].std === null, a.std === null, `${p.published} ${task}`);
      if (a.std !== null) assert.ok(Math.abs(p.accuracy[task].std! * 100 - a.std) < 1e-9, `${p.published} ${task}`);
    }
    assert.ok(Math.abs(p.score * 100 - r.score) < 1e-9);
  }
  assert.equal(publishedBaselines.find((p) => p.published === "PET")!.accuracy.cluewsc.mean, 0.575, "the table's WSC is the kit's cluewsc");
});

Deno.test("published baselines: each row holds the table's nine tasks and its Score is their mean (a transcription check)", () => {
  const tasks = Object.values(json.source.columns);
  assert.equal(tasks.length, 9);
  for (const p of publishedBaselines) {
    assert.deepEqual(Object.keys(p.accuracy).sort(), [...tasks].sort(), p.published);
    const average: number = tasks.reduce((s, t) => s + p.accuracy[t].mean, 0) / tasks.length;
    // The table rounds each cell to 0.1 and the Score to 0.01: Zero-shotR's cells average 44.61 against 44.60.
    assert.ok(Math.abs(average - p.score) <= 0.0002, `${p.published}: mean ${average} vs score ${p.score}`);
  }
});

Deno.test("published baselines: mapped onto the kit's methods where the same, P-tuning kept apart from P-tuning v2", () => {
  for (const p of publishedBaselines.filter((p) => p.method !== null)) assert.ok(methods.get(p.method!), `${p.method} is registered`);
  assert.deepEqual(
    publishedBaselines.map((p) => [p.published, p.name, p.method]),
    [
      ["FineTuningR", "fine-tuning", "finetune"],
      ["Zero-shotR", "PET (zero-shot)", "pet"],
      ["PET", "PET", "pet"],
      ["LM-BFF", "LM-BFF", null],
      ["P-tuningR", "P-tuning (v1)", null],
      ["EFL", "EFL", null],
    ],
  );
  assert.ok(PUBLISHED_SOURCE.includes(json.source.commit.slice(0, 7)) && PUBLISHED_SOURCE.includes("arXiv:2107.07498"));
});
