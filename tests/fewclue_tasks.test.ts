/**
 * FewCLUE's CSL, CLUEWSC, IFLYTEK and CSLDCP registered: pinned splits read through the mirror, their record
 * formats (CSL's keyword list, CLUEWSC's spans checked against the text), label sets, and a default prompt every
 * method accepts on the embedded model.
 */
import assert from "node:assert/strict";
import { datasetStats, loadFewShot, loadSplit } from "../lib/data/load.ts";
import { chidRecord, cluewscRecord, cslRecord } from "../lib/data/fewclue_formats.ts";
import { CSLDCP_CLASSES, IFLYTEK_CLASSES } from "../lib/data/fewclue_labels.ts";
import { parseJsonl } from "../lib/data/parse_jsonl.ts";
import { getTask } from "../lib/data/registry.ts";
import { fewcluePairSpec } from "../lib/data/tasks.ts";
import { inputKind } from "../lib/data/types.ts";
import { parseGrid } from "../lib/experiments/grid.ts";
import { checkGrid } from "../lib/experiments/grid_check.ts";
import { optionsOnTask, splitData } from "../lib/experiments/split_run.ts";
import { EMBEDDED_MODEL } from "../lib/experiments/setup.ts";
import { methods } from "../lib/methods/registry.ts";
import { loadAnyModelFolder, loadModelFolder, type TextToTextFolder } from "../lib/model/folder.ts";
import { text2text, type Text2TextOptions } from "../lib/methods/text2text/text2text.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";

const src = () => ({ mirror: shared("data"), download: false });
const NEW_TASKS = ["csl", "cluewsc", "iflytek", "csldcp"];

const inputError = (file: string, line: number, field: string, text: RegExp) => (e: Error) => {
  assert.ok(e instanceof InputError, String(e));
  assert.deepEqual(e.location, { file, line, field });
  assert.match(e.message, text);
  return true;
};

Deno.test("fewclue tasks: registered with FewCLUE's five splits, test_public as test set, their label sets and kinds", () => {
  for (const name of NEW_TASKS) {
    const task = getTask(name);
    assert.equal(task.test, "test_public");
    assert.deepEqual(task.official, { count: 5 });
    assert.deepEqual(task.pool, ["train_few_all", "dev_few_all"]);
    assert.ok(task.splits.includes("test") && !task.unlabeled.some((s) => task.evalSplits.includes(s)), name);
  }
  assert.deepEqual([getTask("csl").labels, getTask("cluewsc").labels], [["Genuine", "Fake"], ["True", "False"]]);
  assert.deepEqual(NEW_TASKS.map((n) => inputKind(getTask(n))), ["pair", "pair", "text", "text"]);
  assert.equal(getTask("iflytek").labels.length, 119);
  assert.equal(getTask("csldcp").labels.length, 67);
  // Every class has a distinct word of exactly two characters: PET scores all over the same two masks.
  for (const classes of [IFLYTEK_CLASSES, CSLDCP_CLASSES]) {
    assert.ok(classes.every(([, w]) => [...w].length === 2));
    assert.equal(new Set(classes.map(([, w]) => w)).size, classes.length);
  }
});

sharedTest("fewclue tasks: test_public rows and label counts through the mirror (data --stats)", "data/fewclue/csldcp", async () => {
  const rows: Record<string, number> = {};
  for (const name of NEW_TASKS) {
    const stats = await datasetStats(name, src());
    rows[name] = stats.splits.test_public.rows;
    assert.equal(
      stats.splits.train_0.rows,
      stats.splits.train_0.labels && Object.values(stats.splits.train_0.labels).reduce((a, b) => a + b),
    );
  }
  // CSL's file holds 2838 rows (FewCLUE's README counts 2828); nothing is dropped from an official file.
  assert.deepEqual(rows, { csl: 2838, cluewsc: 976, iflytek: 1749, csldcp: 1784 });
  const iflytek = await datasetStats("iflytek", src());
  assert.equal(Object.keys(iflytek.splits.train_few_all.labels!).length, 119);
  assert.equal(iflytek.splits.train_0.labels!["公共交通"], 8);
});

sharedTest("fewclue tasks: CSL's keywords and CLUEWSC's spans become the pair's second text", "data/fewclue/cluewsc", async () => {
  const [csl] = await loadSplit("csl", "train_0", src());
  assert.equal(csl.label, "Genuine");
  assert.ok(csl.text.startsWith("无线传感器网络中实现隐私保护通用近似查询"));
  assert.equal(csl.textB, "无线传感器网络、数据聚集、物联网、近似查询");
  const [wsc] = await loadSplit("cluewsc", "train_0", src());
  assert.deepEqual([wsc.textB, wsc.label, wsc.id], ["“他”指的是“树叶”", "False", "0"]);
  const official = await loadFewShot("iflytek", { kind: "official", index: 0 }, src());
  assert.deepEqual([official.train.length, official.dev.length, official.test.length], [928, 690, 1749]);
});

Deno.test("cluewsc: a span index that does not hold its span text is an input error naming file, line and field", () => {
  const file = "wsc.json";
  const good = {
    idx: 0,
    text: "小明说他饿了。",
    label: "true",
    target: { span1_index: 0, span1_text: "小明", span2_index: 3, span2_text: "他" },
  };
  const spec = { ...fewcluePairSpec(true, ["True", "False"], { true: "True", false: "False" }), text: "text" };
  const parse = (rows: unknown[]) => parseJsonl(rows.map((r) => JSON.stringify(r)).join("\n"), file, spec, cluewscRecord);
  assert.deepEqual(parse([good]).rows, [{ text: "小明说他饿了。", textB: "“他”指的是“小明”", label: "True" }]);
  const shifted = { ...good, target: { ...good.target, span2_index: 2 } };
  assert.throws(
    () => parse([good, shifted]),
    inputError(file, 2, "target.span2_index", /span "他" is not at index 2 of the text \(found "说"\)/),
  );
  assert.throws(
    () => parse([{ ...good, target: { ...good.target, span1_text: 3 } }]),
    inputError(file, 1, "target.span1_text", /non-empty string/),
  );
  assert.throws(() => parse([{ ...good, target: "小明" }]), inputError(file, 1, "target", /must be an object/));
  assert.throws(() => parse([{ ...good, label: "maybe" }]), inputError(file, 1, "label", /unknown label "maybe"/));
});

Deno.test("csl: a keyword list that is not a list of non-empty strings is an input error naming file, line and field", () => {
  const file = "csl.json";
  const spec = { ...fewcluePairSpec(true, ["Genuine", "Fake"], { "1": "Genuine", "0": "Fake" }), text: "abst" };
  const parse = (keyword: unknown) => parseJsonl(JSON.stringify({ id: 1, abst: "摘要", keyword, label: "1" }), file, spec, cslRecord);
  assert.equal(parse(["网络", " 隐私 "]).rows[0].textB, "网络、隐私");
  assert.throws(() => parse("网络"), inputError(file, 1, "keyword", /non-empty list/));
  assert.throws(() => parse(["网络", ""]), inputError(file, 1, "keyword", /non-empty string, got ""/));
});

Deno.test("fewclue tasks: every method accepts the task's default prompt (chid: its multiple-choice options) on the embedded model", async () => {
  const model = await loadModelFolder(EMBEDDED_MODEL);
  for (const name of [...NEW_TASKS, "chid"]) {
    const task = getTask(name);
    // text2text needs a T5: below, on the tiny fixture.
    for (const m of [...methods.values()].filter((m) => m.name !== text2text.name)) {
      // The test budget without its sentiment prompt (PET's test preset names one).
      const { template: _t, verbalizer: _v, labelWords: _l, ...budget } = m.presets.test;
      const options = optionsOnTask(m.name, task, budget);
      assert.doesNotThrow(() => m.create(model, task.labels, options, inputKind(task)), `${m.name} on ${name}`);
    }
  }
  // text2text takes a task's prompt with the sentinel for [MASK] and each label's first word as its target.
  const t5 = await loadAnyModelFolder(`${root}/tests/fixtures/tiny-t5-v1_1`);
  for (const name of ["csl", "cluewsc"]) { // the tasks whose words the fixture's small vocabulary has
    const task = getTask(name);
    const options = optionsOnTask(text2text.name, task, { maxLength: 64 });
    assert.equal(options.template, task.prompt!.template.replace("[MASK]", "<extra_id_0>"));
    assert.deepEqual(options.targets, Object.fromEntries(Object.entries(task.prompt!.words).map(([l, w]) => [l, w[0]])));
    assert.doesNotThrow(
      () => text2text.create(t5 as TextToTextFolder, task.labels, options as Partial<Text2TextOptions>, inputKind(task)),
      name,
    );
  }
  // Options given win over the task's prompt; AutoPrompt searches words where the task's are not single tokens.
  assert.equal(optionsOnTask("pet", getTask("iflytek"), { template: "{text}[MASK]" }).template, "{text}[MASK]");
  assert.deepEqual(optionsOnTask("autoprompt", getTask("iflytek")), { labelSearch: true });
  assert.deepEqual(optionsOnTask("autoprompt", getTask("csl")), { labelWords: { Genuine: ["都"], Fake: ["不"] } });
  assert.deepEqual(optionsOnTask("finetune", getTask("csl"), { steps: 2 }), { steps: 2 });
  // A grid's check configures its cells with the task's prompt too, and still names a bad option's field.
  const grid = (options: Record<string, unknown>) =>
    parseGrid({ name: "g", dataset: "iflytek", protocol: { kind: "fewclue", indices: [0] }, methods: [{ method: "pet", options }] });
  await checkGrid(grid({}), { model, task: getTask("iflytek") });
  await assert.rejects(
    () => checkGrid(grid({ verbalizer: "good-bad" }), { model, task: getTask("iflytek"), file: "g.json" }),
    (e: Error) => {
      assert.ok(e instanceof InputError && e.location.field === "methods[0].options.verbalizer", e.message);
      return true;
    },
  );
});

sharedTest(
  "chid: a multiple-choice task whose data loads (7 candidates per row, the answer index as label); runs read rows as pairs around the blank",
  "data/fewclue/chid",
  async () => {
    const task = getTask("chid");
    assert.deepEqual([task.choices, task.labels], [7, ["0", "1", "2", "3", "4", "5", "6"]]);
    const stats = await datasetStats("chid", src());
    assert.deepEqual([stats.splits.test_public.rows, stats.splits.test.rows, stats.splits.train_0.rows], [2002, 2000, 42]);
    assert.deepEqual(stats.splits.test_public.labels, Object.fromEntries(task.labels.map((l) => [l, 286])));
    const [first] = await loadSplit("chid", "train_0", src());
    assert.deepEqual([first.label, first.choices!.length, first.text.includes("#idiom#")], ["1", 7, true]);
    assert.equal(first.choices![1], "气势汹汹");
    // Methods read a row as the pair around its blank, candidates and label kept.
    const { train } = await splitData(task, { kind: "official", index: 0 }, src());
    assert.deepEqual(
      [train[0].text + "#idiom#" + train[0].textB, train[0].choices, train[0].label],
      [first.text, first.choices, first.label],
    );
  },
);

Deno.test("chid: an answer out of range or a content without its #idiom# blank is an input error naming file, line and field", () => {
  const file = "chid.json";
  const spec = { text: "content", id: "id", choices: "candidates", label: "answer", labels: ["0", "1", "2"] };
  const good = { id: 1, candidates: ["一心一意", "三心二意", "五湖四海"], content: "他做事#idiom#，从不分心。", answer: 0 };
  const parse = (rec: unknown) => parseJsonl(JSON.stringify(good) + "\n" + JSON.stringify(rec), file, spec, chidRecord);
  assert.deepEqual(parse(good).rows[0], { text: good.content, choices: good.candidates, id: "1", label: "0" });
  assert.throws(() => parse({ ...good, answer: 3 }), inputError(file, 2, "answer", /index of the right candidate, 0\.\.2, got 3/));
  assert.throws(() => parse({ ...good, answer: -1 }), inputError(file, 2, "answer", /got -1/));
  assert.throws(
    () => parse({ ...good, content: "他做事一心一意。" }),
    inputError(file, 2, "content", /exactly one #idiom# blank, found 0/),
  );
  assert.throws(() => parse({ ...good, content: "#idiom#又#idiom#" }), inputError(file, 2, "content", /found 2/));
  assert.throws(
    () => parse({ ...good, candidates: ["一心一意", "一心一意"] }),
    inputError(file, 2, "candidates", /distinct non-empty strings/),
  );
});
