/**
 * Multitask prompted training (ZeroPrompt, `lib/multitask/`): the mixture file's checks, temperature sampling,
 * the builder's leakage rule on the real data, exact resume of a stopped run, the out folder's rules and the
 * model card, the held-out wordings grid, and bad input through the CLI (exit 2, one line).
 */
import assert from "node:assert/strict";
import { listTasks } from "../lib/data/registry.ts";
import { textKey } from "../lib/data/split.ts";
import { sentences } from "../lib/data/unlabeled.ts";
import { parseBertConfig } from "../lib/model/bert/config.ts";
import { bertBackbone } from "../lib/model/bert/backbone.ts";
import { loadModelFolder, saveModelFolder } from "../lib/model/folder.ts";
import { randomBertWeights } from "../lib/model/bert/random.ts";
import { readSafetensors } from "../lib/model/formats/safetensors.ts";
import { buildMixtureRows, trainingSplits } from "../lib/multitask/builder.ts";
import { type Mixture, parseMixture, readMixture } from "../lib/multitask/mixture.ts";
import { drawStep, temperatureWeights } from "../lib/multitask/sampling.ts";
import { multitask } from "../lib/multitask/train.ts";
import { wordingsGrid } from "../lib/multitask/wordings_grid.ts";
import { leaveOneOutPlan, runLeaveOneOut } from "../lib/multitask/leave_one_out.ts";
import type { CellRunner } from "../lib/experiments/grid_run.ts";
import { readResultsFile } from "../lib/experiments/results.ts";
import { fakeOutcome } from "./_outcome.ts";
import { checkGrid, gridTask } from "../lib/experiments/grid_check.ts";
import { loadGrid } from "../lib/experiments/grid.ts";
import {
  HELDOUT_TASKS,
  LEAVE_ONE_OUT_MODELS,
  LEAVE_ONE_OUT_T5,
  leaveOneOutPreset,
  T5_MULTITASK_LR,
} from "../lib/multitask/leave_one_out_preset.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";
import { runDeno } from "./_subprocess.ts";
import { type MixtureJson, mixtureJson } from "./_mixture.ts";

const MIXTURE_FILE = `${root}/mixtures/holdout_eprstmt.json`;
const source = { mirror: shared("data") };

const refused = (field: string, text: RegExp) => (e: unknown) =>
  e instanceof InputError && e.location.file === "mix.json" && e.location.field === field && text.test(e.message);

Deno.test("mixture file: each kind of bad input is refused naming the file and the field", () => {
  const cases: [(m: MixtureJson) => void, string, RegExp][] = [
    [(m) => (m.tasks.no_such_task = m.tasks.bustm), "tasks.no_such_task", /unknown dataset "no_such_task"/],
    [(m) => (m.tasks.bustm.templates = []), "tasks.bustm.templates", /no template/],
    [(m) => delete m.tasks.bustm.templates, "tasks.bustm.templates", /no template/],
    [
      (m) => (m.tasks.eprstmt = { templates: ["{text}很[MASK]。"], words: { Positive: ["好"], Negative: ["差"] } }),
      "tasks.eprstmt",
      /held-out task/,
    ],
    [(m) => (m.temperature = 0), "temperature", /must be a number > 0, got 0/],
    [(m) => (m.temperature = -1), "temperature", /> 0/],
    [(m) => (m.tasks.bustm.templates![1] = "{text}{text_b}意思相同。"), "tasks.bustm.templates[1]", /no \[MASK\] slot/],
    [(m) => (m.tasks.bustm.templates![0] = "{text}很[MASK]。"), "tasks.bustm.templates[0]", /sentence pairs/],
    [(m) => delete m.tasks.bustm.words!.Different, "tasks.bustm.words.Different", /label "Different" of "bustm" has no words/],
    [(m) => (m.tasks.bustm.words!.Maybe = ["或"]), "tasks.bustm.words.Maybe", /not a label of "bustm"/],
    [(m) => delete m.tasks.bustm.words, "tasks.bustm.words", /registers none/],
    [(m) => (m.heldout.task = "nope"), "heldout.task", /unknown dataset "nope"/],
    [(m) => (m.heldout.wordings = []), "heldout.wordings", /no wording/],
    [(m) => (m.heldout.wordings[0].template = m.tasks.bustm.templates![0]), "heldout.wordings[0].template", /needs text pairs/],
    [(m) => (m.tasks.chid = { templates: ["{text}[MASK]"] }), "tasks.chid", /multiple choice/],
    [(m) => (m.stesp = 5), "stesp", /unknown field/],
    [(m) => (m.batchSize = 2.5), "batchSize", /an integer ≥ 1/],
  ];
  for (const [edit, field, text] of cases) assert.throws(() => parseMixture(mixtureJson(edit), "mix.json"), refused(field, text), field);
  // A held-out wording may not reuse a mixture template (on a task of the same kind of input).
  const sameKind = mixtureJson((m) => {
    m.heldout = { task: "csl", wordings: [{ template: m.tasks.bustm.templates![0], words: { Genuine: ["是"], Fake: ["不"] } }] };
  });
  assert.throws(() => parseMixture(sameKind, "mix.json"), refused("heldout.wordings[0].template", /template of the mixture/));
  // Defaults fill what a file leaves out; a task with registered words may leave them out.
  const m = parseMixture(
    mixtureJson((m) => (delete m.seed, m.tasks.iflytek = { templates: ["这是一款[MASK]类应用：{text}"] })),
    "mix.json",
  );
  assert.equal(m.seed, 42);
  assert.equal(m.tasks[2].words["银行"]?.[0], "银行");
});

Deno.test("the committed mixtures parse: each holds out its task with at least 10 unseen wordings and its grid is committed", async () => {
  const held: string[] = [];
  for await (const e of Deno.readDir(`${root}/mixtures`)) {
    const m = await readMixture(`${root}/mixtures/${e.name}`);
    assert.equal(e.name, `holdout_${m.heldout.task.name}.json`);
    held.push(m.heldout.task.name);
    assert.ok(m.heldout.wordings.length >= 10, e.name);
    assert.ok(m.tasks.every((t) => t.task.name !== m.heldout.task.name && t.templates.length >= 2), e.name);
    // The committed evaluation grid is the one the mixture gives (one zero-shot PET cell per held-out wording).
    const grid = wordingsGrid(m);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${root}/grids/${grid.name}.json`)), JSON.parse(JSON.stringify(grid)), e.name);
    assert.equal(grid.methods.length, m.heldout.wordings.length);
  }
  assert.ok(held.length >= 4, "leave-one-task-out over at least four held-out tasks");
});

Deno.test("the committed EPRSTMT mixture: no sentiment task inside", async () => {
  const m = await readMixture(MIXTURE_FILE);
  assert.equal(m.heldout.task.name, "eprstmt");
  for (const t of m.tasks) assert.notDeepEqual(t.task.labels, ["Positive", "Negative"], `${t.task.name} is a sentiment task`);
});

sharedTest(
  "leave-one-task-out: before, references, multitask, after; a stopped run goes on where it was and a finished one redoes nothing",
  "data",
  () =>
    withTinyModel(async (base, model) => {
      const mixture = parseMixture(mixtureJson(), "tiny.json");
      const results = (grid: string, dir: string) => `${base}/results/${grid}-${dir.replace(/^.*\//, "")}.jsonl`;
      const cases = await leaveOneOutPlan([mixture], [model], { modelsDir: `${base}/models`, results });
      const [c] = cases;
      assert.deepEqual(c.grids.map((g) => g.stage), ["before", "reference", "after"]);
      assert.equal(c.multitaskDir, `${base}/models/model-zeroprompt-eprstmt`);
      assert.deepEqual(c.grids.map((g) => g.results), [
        `${base}/results/zeroprompt_wordings-tiny-model.jsonl`,
        `${base}/results/zeroprompt_fewshot-eprstmt-model.jsonl`,
        `${base}/results/zeroprompt_wordings-tiny-model-zeroprompt-eprstmt.jsonl`,
      ]);
      let cells = 0;
      const runCell: CellRunner = () => Promise.resolve(fakeOutcome({ trainSize: cells++ }));
      // Past its deadline, the run starts nothing.
      const late = await runLeaveOneOut(cases, { source, runCell, deadline: Date.now() - 1 });
      assert.ok(!late.done);
      assert.equal(cells, 0);
      assert.equal(await Deno.stat(c.multitaskDir).catch(() => null), null);
      // A training killed at step 3 (its checkpoint left) is resumed, not restarted.
      await multitask({ mixture, model, out: c.multitaskDir, source, stopAt: 3 });
      const first = await runLeaveOneOut(cases, { source, runCell });
      assert.ok(first.done);
      assert.equal(first.trained.get(c.multitaskDir)?.steps, mixture.steps - 3);
      assert.equal(cells, 1 + 2 * 5 + 1, "one wording before, PET and fine-tuning × 5 seeds at K = 16, one wording after");
      const after = await readResultsFile(c.grids[2].results);
      assert.deepEqual(after.map((r) => r.model.name), ["model-zeroprompt-eprstmt"]);
      assert.equal(first.rows.length, 12, "every row of the three grids");
      const read = await runLeaveOneOut(cases, { source, runCell, train: false });
      assert.deepEqual(read.rows.map((r) => r.split).sort(), first.rows.map((r) => r.split).sort(), "read back without training");
      const again = await runLeaveOneOut(cases, { source, runCell });
      assert.ok(again.done && again.trained.size === 0);
      assert.equal(cells, 12, "nothing run twice");
    }),
);

Deno.test("temperature sampling: probabilities ∝ n^(1/T); draws follow them and depend on (seed, step) only", () => {
  const w = temperatureWeights([900, 100], 2);
  assert.ok(Math.abs(w[0] - 30 / 40) < 1e-12 && Math.abs(w[1] - 10 / 40) < 1e-12);
  assert.deepEqual(temperatureWeights([900, 100], 1), [0.9, 0.1]);
  const tasks = [{ rows: 900, templates: 3 }, { rows: 3, templates: 2 }];
  let first = 0;
  for (let step = 0; step < 4000; step++) {
    const d = drawStep(5, step, w, tasks, 4);
    if (d.task === 0) first++;
    const rows = d.picks.map((p) => p.row);
    assert.equal(new Set(rows).size, rows.length, "distinct rows in a batch");
    assert.equal(rows.length, Math.min(4, tasks[d.task].rows));
    assert.ok(d.picks.every((p) => p.template < tasks[d.task].templates && p.row < tasks[d.task].rows));
  }
  assert.ok(Math.abs(first / 4000 - 0.75) < 0.03, `${first} of 4000 draws took the first task`);
  assert.deepEqual(drawStep(5, 17, w, tasks, 4), drawStep(5, 17, w, tasks, 4));
  assert.notDeepEqual(drawStep(5, 17, w, tasks, 4), drawStep(6, 17, w, tasks, 4));
});

sharedTest("no leakage: the builder's texts meet no dev or test text of any task, and nothing of the held-out task", "data", async () => {
  const mixture = await readMixture(MIXTURE_FILE);
  const built = await buildMixtureRows({ ...mixture, examplesPerTask: 1e9 }, source);
  assert.deepEqual(built.map((b) => b.task.name), mixture.tasks.map((t) => t.task.name));
  const evaluation = new Set<string>(), heldout = new Set<string>();
  for (const task of listTasks()) {
    for (const split of task.evalSplits) {
      for (const r of (await task.read(split, source)).rows) for (const s of sentences(r)) evaluation.add(textKey(s));
    }
  }
  for (const split of mixture.heldout.task.splits) {
    for (const r of (await mixture.heldout.task.read(split, source)).rows) for (const s of sentences(r)) heldout.add(textKey(s));
  }
  for (const b of built) {
    assert.ok(b.rows.length > 0, b.task.name);
    assert.deepEqual(trainingSplits(b.task).filter((s) => b.task.evalSplits.includes(s)), []);
    const texts = b.rows.flatMap((r) => sentences(r).map(textKey));
    assert.equal(texts.filter((t) => evaluation.has(t)).length, 0, `${b.task.name}: evaluation text in the mixture`);
    assert.equal(texts.filter((t) => heldout.has(t)).length, 0, `${b.task.name}: held-out text in the mixture`);
    assert.equal(b.read, b.rows.length + b.decontaminated + b.duplicates);
  }
  // The rule bites on the real data: the category reviews share the sentiment set's file, whose test reviews go.
  const category = built.find((b) => b.task.name === "online_shopping_10_cats_category")!;
  assert.ok(category.decontaminated > 100, `${category.decontaminated} category reviews removed`);
  // The cap is a seeded sample.
  const capped = await buildMixtureRows(mixture, source);
  assert.ok(capped.every((b) => b.rows.length <= mixture.examplesPerTask));
  assert.deepEqual(capped.map((b) => b.rows.length), (await buildMixtureRows(mixture, source)).map((b) => b.rows.length));
});

/**
 * Run `fn` in a temporary folder holding `model/`, a random BERT of a few thousand weights on the reference model's
 * tokenizer (whose vocabulary has the label words); the folder goes afterwards.
 */
async function withTinyModel(fn: (base: string, model: string) => Promise<void>): Promise<void> {
  const base = await Deno.makeTempDir();
  try {
    await tinyModel(`${base}/model`);
    await fn(base, `${base}/model`);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

async function tinyModel(dir: string): Promise<void> {
  const ref = await loadModelFolder(shared("models/zh-review-bert-tiny"));
  const config = parseBertConfig({
    architectures: ["BertForMaskedLM"],
    model_type: "bert",
    vocab_size: ref.config.vocab_size,
    hidden_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 32,
  });
  await saveModelFolder(dir, {
    backbone: bertBackbone(config),
    weights: randomBertWeights(config, 3),
    tokenizerFiles: ref.tokenizer.files,
  });
}

sharedTest(
  "multitask: a stopped run resumed gives bit-identical weights; the folder loads and its card names mixture and held-out task",
  "data",
  () =>
    withTinyModel(async (base, model) => {
      const mixture: Mixture = parseMixture(mixtureJson(), "tiny.json");
      const opts = { mixture, model, source, logEvery: 2 };
      const a = await multitask({ ...opts, out: `${base}/a` });
      assert.ok(!a.stopped && a.steps === 6);
      const paused = await multitask({ ...opts, out: `${base}/b`, stopAt: 3 });
      assert.ok(paused.stopped && paused.steps === 3);
      await assert.rejects(multitask({ ...opts, out: `${base}/b`, steps: 8 }), /another mixture or --steps/);
      const b = await multitask({ ...opts, out: `${base}/b` });
      assert.equal(b.resumedFrom, 3);
      const [wa, wb, w0] = await Promise.all(
        [`${base}/a`, `${base}/b`, `${base}/model`].map((d) => readSafetensors(`${d}/model.safetensors`)),
      );
      assert.deepEqual([...wb.tensors.keys()].sort(), [...wa.tensors.keys()].sort());
      for (const [name, t] of wa.tensors) assert.deepEqual(wb.tensors.get(name)!.data, t.data, name);
      assert.deepEqual(b.log, a.log, "the same loss at every step");
      // It trained: the word embeddings moved.
      const emb = "bert.embeddings.word_embeddings.weight";
      assert.notDeepEqual(wa.tensors.get(emb)!.data, w0.tensors.get(emb)!.data);
      await loadModelFolder(`${base}/a`);
      const card = await Deno.readTextFile(`${base}/a/README.md`);
      assert.match(card, /mixture \*\*tiny\*\* \(`tiny\.json`\)/);
      assert.match(card, /Held-out task: `eprstmt`/);
      assert.match(card, /\| bustm \| 40 \|/);
      const run = JSON.parse(await Deno.readTextFile(`${base}/a/multitask.json`));
      assert.deepEqual(run.mixture.tasks.map((t: { task: string }) => t.task), ["bustm", "cluewsc"]);
      assert.equal(await Deno.stat(`${base}/a/checkpoint`).catch(() => null), null, "checkpoint removed at the end");
      // A finished model is never overwritten; a folder with someone else's files is refused.
      await assert.rejects(multitask({ ...opts, out: `${base}/a` }), /already holds a multitask model/);
      await Deno.mkdir(`${base}/mine`);
      await Deno.writeTextFile(`${base}/mine/notes.txt`, "mine");
      await assert.rejects(multitask({ ...opts, out: `${base}/mine` }), /holds files multitask training did not write \(notes\.txt\)/);
      assert.equal(await Deno.readTextFile(`${base}/mine/notes.txt`), "mine");
    }),
);

sharedTest(
  "multitask: label words the vocabulary lacks, a template too long: refused naming the mixture file, nothing written",
  "data",
  () =>
    withTinyModel(async (base, model) => {
      const mixture = parseMixture(mixtureJson((m) => (m.tasks.bustm.words!.Same = ["😀"])), "mix.json");
      await assert.rejects(
        multitask({ mixture, model, out: `${base}/out`, source }),
        refused("tasks.bustm.words", /unknown to the vocabulary/),
      );
      const short = parseMixture(mixtureJson((m) => (m.maxLength = 8)), "mix.json");
      await assert.rejects(
        multitask({ mixture: short, model, out: `${base}/out`, source }),
        refused("tasks.bustm.templates[1]", /takes \d+ of 8 tokens, leaving none for the text/),
      );
      assert.equal(await Deno.stat(`${base}/out`).catch(() => null), null, "nothing written");
    }),
);

sharedTest(
  "the committed wordings grids pass the grid checker on both family sizes (label words in the vocabulary, room at 128)",
  "data",
  async () => {
    for (const dir of LEAVE_ONE_OUT_MODELS) {
      const model = await loadModelFolder(dir);
      for (const task of HELDOUT_TASKS) {
        const grid = await loadGrid(`${root}/grids/zeroprompt_wordings-holdout-${task}.json`);
        await checkGrid(grid, { model, task: await gridTask(grid), source, file: `${grid.name}.json` });
      }
    }
  },
);

Deno.test("the leave-one-task-out preset: every held-out task on both BERT sizes at the mixture's rate and on the T5 at its own", async () => {
  for (const b of ["full", "ci"] as const) {
    const { cases, steps } = await leaveOneOutPreset(b);
    const tasks = b === "full" ? HELDOUT_TASKS : HELDOUT_TASKS.slice(0, 1);
    const planned = cases.map((c) => [c.base, c.mixture.heldout.task.name, c.mixture.lr]);
    const committed = await Promise.all(tasks.map((t) => readMixture(`${root}/mixtures/holdout_${t}.json`)));
    assert.deepEqual(planned, [
      ...committed.flatMap((m) => LEAVE_ONE_OUT_MODELS.map((dir) => [dir, m.heldout.task.name, m.lr])),
      ...committed.map((m) => [LEAVE_ONE_OUT_T5, m.heldout.task.name, T5_MULTITASK_LR]),
    ]);
    assert.ok(committed.every((m) => m.lr !== T5_MULTITASK_LR), "the mixtures carry the BERT's rate");
    // The T5 scores its wordings with text2text and trains into its own multitask folder.
    const t5 = cases.filter((c) => c.base === LEAVE_ONE_OUT_T5);
    assert.ok(t5.every((c) => c.grids[0].grid.methods.every((m) => m.method === "text2text")), "T5 wordings are text2text");
    assert.ok(t5.every((c) => c.multitaskDir.endsWith(`promptlab-t5-zh-L2-H192-zeroprompt-${c.mixture.heldout.task.name}`)));
    assert.equal(steps, b === "full" ? undefined : 20);
  }
});

Deno.test("cli zeroprompt: a bad mixture or a missing flag exits 2 with one line, nothing trained", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(mixtureJson((m) => (m.temperature = -1))));
    const bad = await runDeno(["task", "-q", "cli", "zeroprompt", "--mixtures", `${dir}/bad.json`, "--models", `${dir}/m`]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr.trim(), /^error: .*bad\.json \(field "temperature"\): must be a number > 0, got -1$/);
    const missing = await runDeno(["task", "-q", "cli", "zeroprompt", "--mixtures", `${dir}/bad.json`]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
    assert.match(missing.stderr, /--models/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bad.json"]);
    const help = await runDeno(["task", "-q", "cli", "zeroprompt", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--mixtures FILES/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli multitask: bad mixtures exit 2 with one line naming file and field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [(m: MixtureJson) => void, RegExp][] = [
      [(m) => (m.tasks.nope = m.tasks.bustm), /^error: .*bad\.json \(field "tasks\.nope"\): unknown dataset "nope"/],
      [(m) => (m.tasks.bustm.templates = []), /field "tasks\.bustm\.templates"\): no template/],
      [(m) => (m.tasks.eprstmt = m.tasks.cluewsc), /field "tasks\.eprstmt"\): "eprstmt" is the held-out task/],
      [(m) => (m.temperature = 0), /field "temperature"\): must be a number > 0, got 0/],
    ];
    for (const [edit, text] of cases) {
      await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(mixtureJson(edit)));
      const r = await runDeno(["task", "-q", "cli", "multitask", "--mixture", `${dir}/bad.json`, "--out", `${dir}/out`]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr.trim(), text);
    }
    const help = await runDeno(["task", "-q", "cli", "multitask", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--mixture FILE/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
