/**
 * Multitask prompted training on a T5 (text to text) on the tiny T5 fixtures: exact resume of a stopped run, the
 * loss being the text-to-text method's teacher-forced loss of `<extra_id_0>` + the label word on the template with
 * `[MASK]` read as the sentinel, the card naming mixture, held-out task and objective, the mixture's prompts checked
 * against the T5's tokenizer, the leave-one-task-out plan and run on a T5 base (text-to-text zero-shot wordings,
 * text-to-text fine-tuning references), and the CLI.
 */
import assert from "node:assert/strict";
import { loadAnyModelFolder, type TextToTextFolder } from "../lib/model/folder.ts";
import { T5Runner } from "../lib/model/t5/runner.ts";
import type { T5Config } from "../lib/model/t5/config.ts";
import { buildMixtureRows } from "../lib/multitask/builder.ts";
import { parseMixture, readMixture } from "../lib/multitask/mixture.ts";
import { HELDOUT_TASKS } from "../lib/multitask/leave_one_out_preset.ts";
import { text2textMultitask } from "../lib/multitask/text2text_objective.ts";
import { checkGrid, gridTask } from "../lib/experiments/grid_check.ts";
import { drawStep, temperatureWeights } from "../lib/multitask/sampling.ts";
import { multitask } from "../lib/multitask/train.ts";
import { leaveOneOutPlan, runLeaveOneOut } from "../lib/multitask/leave_one_out.ts";
import type { CellRunner } from "../lib/experiments/grid_run.ts";
import { readResultsFile } from "../lib/experiments/results.ts";
import { InputError } from "../lib/util/errors.ts";
import { fakeOutcome } from "./_outcome.ts";
import { mixtureJson } from "./_mixture.ts";
import { assertResumesExactly } from "./_resume.ts";
import { root, shared, sharedTest } from "./_shared.ts";
import { runDeno } from "./_subprocess.ts";
import { withTempDir } from "./_temp_dir.ts";

const FIXTURES = ["tiny-t5", "tiny-t5-v1_1"].map((name) => `${root}/tests/fixtures/${name}`);
const T5 = FIXTURES[1];
const BERT = `${root}/models/promptlab-bert-zh-L2-H128`;
const source = { mirror: shared("data") };

sharedTest(
  "multitask on a T5: a stopped run resumed gives bit-identical weights (both fixtures); the folder is a T5 whose card names mixture, held-out task and objective",
  "data",
  async () => {
    for (const model of FIXTURES) {
      await withTempDir(async (dir) => {
        const mixture = parseMixture(mixtureJson(), "tiny.json");
        const { a, b } = await assertResumesExactly((o) => multitask({ mixture, model, source, logEvery: 2, ...o }), mixture.steps, dir);
        assert.deepEqual(b.log, a.log, "the same loss at every step");
        const trained = await loadAnyModelFolder(`${dir}/a`);
        assert.ok(trained.backbone.capabilities.has("text-to-text"), model);
        const [w0, wa] = await Promise.all([loadAnyModelFolder(model), trained]).then((m) => m.map((x) => x.weights));
        assert.notDeepEqual(wa.get("shared.weight")!.data, w0.get("shared.weight")!.data, "it trained");
        assert.deepEqual([...wa.keys()].sort(), [...w0.keys()].sort(), "the same tensors as the base T5");
        const card = await Deno.readTextFile(`${dir}/a/README.md`);
        assert.match(card, /^A Chinese T5 \(encoder-decoder, text to text\) trained by/m);
        assert.match(card, /mixture \*\*tiny\*\* \(`tiny\.json`\)/);
        assert.match(card, /loadable\nby the text-to-text method \(`--method text2text`\)/);
        assert.match(card, /Held-out task: `eprstmt`/);
        assert.match(card, /teacher-forced cross-entropy of the gold label's\ntarget, `<extra_id_0>` followed by its first label word/);
        const run = JSON.parse(await Deno.readTextFile(`${dir}/a/multitask.json`));
        assert.equal(run.objective, "text2text");
        assert.equal(await Deno.stat(`${dir}/a/checkpoint`).catch(() => null), null, "checkpoint removed at the end");
      });
    }
  },
);

sharedTest(
  "multitask on a T5: a step's loss is the mean token cross-entropy of <extra_id_0> + the gold label word on the template with [MASK] as the sentinel",
  "data",
  () =>
    withTempDir(async (dir) => {
      // Without dropout, the first step's loss is the untrained model's, which the runner computes by hand.
      await Deno.mkdir(`${dir}/t5`);
      for await (const e of Deno.readDir(T5)) await Deno.copyFile(`${T5}/${e.name}`, `${dir}/t5/${e.name}`);
      const config = JSON.parse(await Deno.readTextFile(`${T5}/config.json`));
      await Deno.writeTextFile(`${dir}/t5/config.json`, JSON.stringify({ ...config, dropout_rate: 0 }));
      const json = mixtureJson((m) => (m.steps = 1, m.maxLength = 256));
      const mixture = parseMixture(json, "tiny.json");
      const r = await multitask({ mixture, model: `${dir}/t5`, out: `${dir}/out`, source });

      const tasks = await buildMixtureRows(mixture, source);
      const weights = temperatureWeights(tasks.map((t) => t.rows.length), mixture.temperature);
      const shapes = tasks.map((t, i) => ({ rows: t.rows.length, templates: mixture.tasks[i].templates.length }));
      const draw = drawStep(mixture.seed, 0, weights, shapes, mixture.batchSize);
      const task = tasks[draw.task], spec = json.tasks[task.task.name];
      const model = await loadAnyModelFolder(`${dir}/t5`) as TextToTextFolder;
      const runner = new T5Runner(model.config as T5Config, model.weights);
      let logLikelihood = 0, tokens = 0;
      for (const { row, template } of draw.picks) {
        const { text, textB, label } = task.rows[row];
        const prompt = spec.templates![template].replace("[MASK]", "<extra_id_0>").replace("{text}", text).replace("{text_b}", textB!);
        const target = model.tokenizer.encode(`<extra_id_0>${spec.words![label][0]}`);
        logLikelihood += (await runner.logLikelihoods(model.tokenizer.encodeBatch([prompt]), [target]))[0][0];
        tokens += target.length;
      }
      await runner.release();
      const expected = -logLikelihood / tokens;
      assert.ok(Math.abs(r.log[0].loss - expected) < 1e-4 * Math.abs(expected), `${r.log[0].loss} vs ${expected}`);
    }),
);

const refused = (field: string, text: RegExp) => (e: unknown) =>
  e instanceof InputError && e.location.file === "mix.json" && e.location.field === field && text.test(e.message);

sharedTest(
  "multitask on a T5: words its tokenizer lacks, a template too long: refused naming the mixture file, nothing written",
  "data",
  () =>
    withTempDir(async (dir) => {
      const unknownWord = parseMixture(mixtureJson((m) => (m.tasks.bustm.words!.Same = ["😀"])), "mix.json");
      await assert.rejects(
        multitask({ mixture: unknownWord, model: T5, out: `${dir}/out`, source }),
        refused("tasks.bustm.words", /"😀" has a character the tokenizer does not know/),
      );
      const short = parseMixture(mixtureJson((m) => (m.maxLength = 8)), "mix.json");
      await assert.rejects(
        multitask({ mixture: short, model: T5, out: `${dir}/out`, source }),
        refused("tasks.bustm.templates[1]", /takes \d+ tokens, too many for maxLength 8/),
      );
      assert.equal(await Deno.stat(`${dir}/out`).catch(() => null), null, "nothing written");
    }),
);

sharedTest(
  "leave-one-task-out on a T5 base: text-to-text wordings before and after, text-to-text fine-tuning at K = 16; a BERT base keeps PET's",
  "data",
  () =>
    withTempDir(async (dir) => {
      const mixture = parseMixture(mixtureJson(), "tiny.json");
      const results = (grid: string, model: string) => `${dir}/results/${grid}-${model.replace(/^.*\//, "")}.jsonl`;
      const [bert, t5] = await leaveOneOutPlan([mixture], [BERT, T5], { modelsDir: `${dir}/models`, results });
      const methods = (c: typeof t5) => c.grids.map((g) => g.grid.methods.map((m) => m.method));
      assert.deepEqual(methods(bert), [["pet"], ["pet", "finetune"], ["pet"]]);
      assert.deepEqual(methods(t5), [["text2text"], ["text2text"], ["text2text"]]);
      // The held-out wording as text2text reads a PET prompt; zero-shot cells only.
      const [wording] = t5.grids[0].grid.methods;
      assert.deepEqual(wording.options, { template: "{text}总之很<extra_id_0>。", targets: { Positive: "好", Negative: "差" } });
      assert.deepEqual(wording.zeroShot, { mode: "zero-shot" });
      assert.deepEqual(t5.grids[0].grid.protocol, { kind: "sampled", k: [0], seeds: [1] });
      const reference = t5.grids[1].grid;
      assert.equal(reference.methods[0].options?.mode, "finetune");
      assert.deepEqual(reference.protocol, { kind: "sampled", k: [16], seeds: [1, 2, 3, 4, 5] });
      assert.equal(t5.multitaskDir, `${dir}/models/tiny-t5-v1_1-zeroprompt-eprstmt`);

      const seen: string[] = [];
      const runCell: CellRunner = (cell, { model }) => {
        seen.push(`${cell.method}:${model.backbone.type}:${model.dir.replace(/^.*\//, "")}`);
        return Promise.resolve(fakeOutcome());
      };
      const run = await runLeaveOneOut([t5], { source, runCell });
      assert.ok(run.done);
      assert.equal(run.trained.get(t5.multitaskDir)?.steps, mixture.steps);
      assert.deepEqual(seen, [
        "text2text:t5:tiny-t5-v1_1",
        ...new Array(5).fill("text2text:t5:tiny-t5-v1_1"),
        "text2text:t5:tiny-t5-v1_1-zeroprompt-eprstmt",
      ]);
      const after = await readResultsFile(t5.grids[2].results);
      assert.deepEqual(after.map((r) => [r.model.name, r.method]), [["tiny-t5-v1_1-zeroprompt-eprstmt", "text2text"]]);
    }),
);

sharedTest(
  "cli multitask --model T5DIR --lr: trains text to text at the given rate (recorded, a resume at another refused), points at text2text zero-shot; --help says so",
  "data",
  () =>
    withTempDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/tiny.json`, JSON.stringify(mixtureJson()));
      const args = ["--mixture", `${dir}/tiny.json`, "--model", T5, "--out", `${dir}/out`, "--steps", "2", "--mirror", shared("data")];
      const paused = await runDeno(["task", "-q", "cli", "multitask", ...args, "--lr", "0.0001", "--stop-at", "1"]);
      assert.equal(paused.code, 0, paused.stderr);
      const otherRate = await runDeno(["task", "-q", "cli", "multitask", ...args]);
      assert.equal(otherRate.code, 2, otherRate.stderr);
      assert.match(otherRate.stderr, /^error: .*another mixture/);
      const r = await runDeno(["task", "-q", "cli", "multitask", ...args, "--lr", "0.0001"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /"done":true/);
      assert.match(r.stdout + r.stderr, /--method text2text --dataset eprstmt --mode zero-shot --model /);
      const record = JSON.parse(await Deno.readTextFile(`${dir}/out/multitask.json`));
      assert.equal(record.objective, "text2text");
      assert.equal(record.mixture.lr, 1e-4);
      assert.match(await Deno.readTextFile(`${dir}/out/README.md`), /lr 0\.0001/);
      const help = await runDeno(["task", "-q", "cli", "multitask", "--help"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /T5/);
    }),
);

sharedTest(
  "the committed mixtures on the kit's T5: every task's templates and words fit its tokenizer, the wordings and reference grids pass the grid checker",
  "data",
  async () => {
    const kitT5 = `${root}/models/promptlab-t5-zh-L2-H192`;
    const model = await loadAnyModelFolder(kitT5);
    const mixtures = await Promise.all(HELDOUT_TASKS.map((task) => readMixture(`${root}/mixtures/holdout_${task}.json`)));
    for (const c of await leaveOneOutPlan(mixtures, [kitT5], { modelsDir: "unused" })) {
      await text2textMultitask.start(kitT5, c.mixture);
      for (const { grid } of c.grids.slice(0, 2)) await checkGrid(grid, { model, task: await gridTask(grid), source, file: grid.name });
    }
  },
);
