/** The embedded demo dataset: valid, balanced, original (no sentence shared with EPRSTMT). */
import assert from "node:assert/strict";
import { datasetStats, loadFewShot, loadSplit, loadTexts, textKey } from "../lib/data/mod.ts";
import { shared, sharedTest } from "./_shared.ts";

Deno.test("demo: labels valid and balanced, sentences unique, train and test disjoint", async () => {
  const stats = await datasetStats("demo");
  assert.deepEqual(stats.splits, {
    train: { rows: 200, labels: { Positive: 100, Negative: 100 } },
    test: { rows: 100, labels: { Positive: 50, Negative: 50 } },
  });
  const all = [...await loadSplit("demo", "train"), ...await loadSplit("demo", "test")];
  assert.equal(new Set(all.map((r) => textKey(r.text))).size, 300);
  assert.ok(all.every((r) => r.text.length >= 8 && r.text.length <= 60));
});

Deno.test("demo: the kit's few-shot protocol runs on it offline", async () => {
  const run = await loadFewShot("demo", { kind: "sampled", k: 16, seed: 7 }, { mirror: null, download: false });
  assert.equal(run.train.length, 32);
  assert.equal(run.dev.length, 32);
  assert.equal(run.test.length, 100);
});

sharedTest("demo: shares no sentence with any EPRSTMT split", "data/fewclue/eprstmt", async () => {
  const opts = { mirror: shared("data"), download: false };
  const eprstmt = new Set<string>();
  for (const split of ["train_few_all", "dev_few_all", "test_public", "test", "unlabeled"]) {
    for (const r of await loadTexts("eprstmt", split, opts)) eprstmt.add(textKey(r.text));
  }
  const demo = [...await loadTexts("demo", "train"), ...await loadTexts("demo", "test")];
  assert.deepEqual(demo.filter((r) => eprstmt.has(textKey(r.text))), []);
});
