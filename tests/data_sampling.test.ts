/** Few-shot sampling, the fixed split, unlabelled text and truncation counts, on synthetic data. */
import assert from "node:assert/strict";
import {
  FIXED_TEST_FRACTION,
  fixedSplit,
  type Row,
  sampleFewShot,
  type Task,
  textKey,
  truncationReport,
  unlabeledTexts,
} from "../lib/data/mod.ts";
import { InputError } from "../lib/util/errors.ts";

const LABELS = ["Positive", "Negative"];
const pool: Row[] = Array.from({ length: 120 }, (_, i) => ({ text: `第${i}条评论`, label: LABELS[i % 3 === 0 ? 1 : 0] }));
const texts = (rows: Row[]) => rows.map((r) => r.text);

Deno.test("fewshot: K per class, train and dev disjoint, test excluded, deterministic per seed", () => {
  const exclude = ["第0条评论", "第1条评论"];
  const a = sampleFewShot(pool, { k: 8, seed: 1, labels: LABELS, exclude });
  for (const label of LABELS) {
    assert.equal(a.train.filter((r) => r.label === label).length, 8);
    assert.equal(a.dev.filter((r) => r.label === label).length, 8);
  }
  const train = new Set(texts(a.train));
  assert.ok(texts(a.dev).every((t) => !train.has(t)));
  assert.ok([...texts(a.train), ...texts(a.dev)].every((t) => !exclude.includes(t)));
  assert.deepEqual(sampleFewShot(pool, { k: 8, seed: 1, labels: LABELS, exclude }), a);
  assert.notDeepEqual(texts(sampleFewShot(pool, { k: 8, seed: 2, labels: LABELS }).train).sort(), texts(a.train).sort());
  assert.equal(sampleFewShot(pool, { k: 4, devK: 0, seed: 1, labels: LABELS }).dev.length, 0);
});

Deno.test("fewshot: repeated texts cannot land in both train and dev", () => {
  const dup: Row[] = Array.from({ length: 40 }, (_, i) => ({ text: `重复 ${i % 10}`, label: LABELS[i % 2] }));
  const { train, dev } = sampleFewShot(dup, { k: 2, seed: 3, labels: LABELS });
  const keys = [...train, ...dev].map((r) => textKey(r.text));
  assert.equal(new Set(keys).size, keys.length);
});

Deno.test("fewshot: a class with fewer than 2K examples is a clear error", () => {
  assert.throws(
    () => sampleFewShot(pool, { k: 21, seed: 1, labels: LABELS }),
    (e) => e instanceof InputError && /class "Negative" has 40 usable examples, fewer than the 42 needed/.test(e.message),
  );
  assert.throws(() => sampleFewShot(pool, { k: 0, seed: 1, labels: LABELS }), InputError);
});

Deno.test("fixed split: stratified, deterministic, de-duplicated with the drops counted", () => {
  const rows: Row[] = [...pool, { text: "第5条评论", label: "Positive" }, { text: "第6条 评论", label: "Positive" }];
  const a = fixedSplit(rows, "toy");
  assert.deepEqual(a.dropped, { duplicate: 1, conflicting: 2 });
  assert.equal(a.train.length + a.test.length, 119);
  assert.equal(a.test.filter((r) => r.label === "Negative").length, Math.round(39 * FIXED_TEST_FRACTION));
  assert.deepEqual(fixedSplit(rows, "toy"), a);
  assert.notDeepEqual(fixedSplit(rows, "other").test, a.test);
  const train = new Set(texts(a.train).map(textKey));
  assert.ok(a.test.every((r) => !train.has(textKey(r.text))));
});

Deno.test("unlabeled: de-duplicated, decontaminated against eval splits and exclude, with a report", async () => {
  const rowsOf: Record<string, { text: string; label?: string }[]> = {
    unl: ["甲", "乙", "甲", "丙 ", "丁", "戊"].map((text) => ({ text })),
    test: [{ text: "丙", label: "Positive" }],
  };
  const task = {
    name: "toy",
    evalSplits: ["test"],
    unlabeled: ["unl"],
    read: (split: string) => Promise.resolve({ labelled: split === "test", rows: rowsOf[split], dropped: {} }),
  } as unknown as Task;
  const stream = unlabeledTexts(task, { exclude: ["戊"] });
  const got: string[] = [];
  for await (const t of stream) got.push(t);
  assert.deepEqual(got, ["甲", "乙", "丁"]);
  assert.deepEqual(stream.report, { read: 6, yielded: 3, duplicates: 1, decontaminated: 2 });
});

Deno.test("truncation: counts texts longer than the maximum length, drops none", () => {
  const report = truncationReport(["短", "长一点的句子", "这是一条很长很长很长的评论"], 8, (t) => t.length + 2);
  assert.deepEqual(report, { total: 3, truncated: 1, longest: 15, maxLength: 8 });
});
