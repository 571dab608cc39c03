/**
 * `deno task cli run`: flag parsing, method-option mapping and validation, progress output, and one short
 * real run of the per-split runner on the reference model.
 */
import assert from "node:assert/strict";
import { chanceOf, chanceText } from "../lib/eval/chance.ts";
import { collapseOf } from "../lib/eval/collapse.ts";
import { methodOptions, protocolOf, RUN_SPEC } from "../lib/cli/run.ts";
import { camelCase, parseFlags as parseSpec } from "../lib/util/flags.ts";
import { progressReporter } from "../lib/cli/progress.ts";
import { runProtocol } from "../lib/experiments/fewclue_run.ts";
import { PTUNING_V2_DEFAULTS } from "../lib/methods/classifier/ptuning_v2.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { InputError } from "../lib/util/errors.ts";
import { shared, sharedTest } from "./_shared.ts";
import { demoZeroShotArgs, runDeno } from "./_subprocess.ts";

const isInputError = (field: string, text: RegExp) => (e: Error) =>
  e instanceof InputError && e.location.field === field && text.test(e.message);

/** `run`'s flags as before the flag layer: its own and the method options by name, raw. */
function parseFlags(args: string[]): Map<string, string | true> {
  const p = parseSpec(RUN_SPEC, ["--method", "m", "--dataset", "d", "--protocol", "sampled", ...args]);
  if (p.help) throw new Error("help");
  return p.extra;
}

Deno.test("run: flags in every form", () => {
  const p = parseSpec(RUN_SPEC, [
    "--method",
    "ptuning-v2",
    "--prefix-length=8",
    "--json",
    "--lr",
    "-1e-3",
    "--prefix-projection",
    "--dataset",
    "demo",
    "--protocol=fewclue",
  ]);
  assert.ok(!p.help);
  assert.deepEqual([p.values.method, p.values.json, p.values.dataset, p.values.protocol], ["ptuning-v2", true, "demo", "fewclue"]);
  assert.deepEqual([...p.extra], [["prefix-length", "8"], ["lr", "-1e-3"], ["prefix-projection", true]]);
  assert.throws(() => parseFlags(["eprstmt"]), /unexpected argument "eprstmt"/);
  assert.throws(() => parseFlags(["--k", "1", "--k", "2"]), isInputError("--k", /twice/));
  assert.equal(camelCase("prefix-hidden-size"), "prefixHiddenSize");
});

Deno.test("run: method options are parsed after their defaults' types and checked by name", () => {
  const opts = (args: string[]) => methodOptions("ptuning-v2", PTUNING_V2_DEFAULTS, parseFlags(args));
  assert.deepEqual(opts(["--prefix-length", "8", "--lr", "1e-2", "--prefix-projection", "--eval-every", "0"]), {
    prefixLength: 8,
    lr: 0.01,
    prefixProjection: true,
    evalEvery: 0,
  });
  assert.deepEqual(opts(["--prefix-projection", "false"]), { prefixProjection: false });
  assert.throws(
    () => opts(["--prefix-lenght", "8"]),
    isInputError("--prefix-lenght", /not an option of method "ptuning-v2".*--prefix-length/),
  );
  assert.throws(() => opts(["--prefix-length", "eight"]), isInputError("--prefix-length", /must be a number/));
  assert.throws(() => opts(["--prefix-length"]), isInputError("--prefix-length", /needs a value/));
  assert.throws(() => opts(["--prefix-projection", "yes"]), isInputError("--prefix-projection", /true or false/));
  // Only the method's own options map: not inherited object keys.
  assert.throws(() => opts(["--constructor", "1"]), isInputError("--constructor", /not an option/));
  assert.deepEqual(methodOptions("m", { mode: "finetune", patterns: [0] }, parseFlags(["--mode", "zero-shot", "--patterns", "[1,2]"])), {
    mode: "zero-shot",
    patterns: [1, 2],
  });
});

Deno.test("run: protocols", () => {
  const p = (args: string[]) => {
    const parsed = parseSpec(RUN_SPEC, ["--method", "m", "--dataset", "d", ...args]);
    if (parsed.help) throw new Error("help");
    return protocolOf(parsed.values);
  };
  assert.deepEqual(p(["--protocol", "fewclue"]), { kind: "fewclue", indices: undefined });
  assert.deepEqual(p(["--protocol", "fewclue", "--splits", "0,3"]), { kind: "fewclue", indices: [0, 3] });
  assert.deepEqual(p(["--protocol", "sampled"]), { kind: "sampled", k: 16, seeds: [1, 2, 3] });
  assert.deepEqual(p(["--protocol", "sampled", "--k", "8", "--seeds", "13,21"]), { kind: "sampled", k: 8, seeds: [13, 21] });
  assert.throws(() => p([]), isInputError("--protocol", /fewclue or sampled, got nothing/));
  assert.throws(() => p(["--protocol", "lmbff"]), isInputError("--protocol", /got "lmbff"/));
  assert.throws(() => p(["--protocol", "fewclue", "--k", "8"]), isInputError("--protocol", /sampled/));
  assert.throws(() => p(["--protocol", "sampled", "--seeds", "1,x"]), isInputError("--seeds", /integers/));
  assert.throws(() => p(["--protocol", "sampled", "--k", "0"]), isInputError("--k", /at least 1/));
});

Deno.test("run: plain progress lines are throttled, evaluations always shown", () => {
  const lines: string[] = [];
  const out = { writeSync: (b: Uint8Array) => (lines.push(new TextDecoder().decode(b)), b.length) };
  const p = progressReporter({ out, terminal: false, intervalMs: 1e9 });
  for (let step = 1; step <= 4; step++) p.report("fewclue_0", { phase: "train", step, totalSteps: 4, loss: 0.5 });
  p.report("fewclue_0", { phase: "eval", step: 4, totalSteps: 4, devAccuracy: 0.75 });
  assert.deepEqual(lines, [
    "[fewclue_0] train 1/4 loss 0.5000\n",
    "[fewclue_0] train 4/4 loss 0.5000\n",
    "[fewclue_0] eval 4/4 dev 0.7500\n",
  ]);
});

sharedTest("run: one FewCLUE split of P-tuning v2 through the runner", "models/zh-review-bert-tiny", async () => {
  const model = await loadModelFolder(shared("models/zh-review-bert-tiny"));
  const seen: string[] = [], events: string[] = [];
  const { splits, summary } = await runProtocol({
    method: "ptuning-v2",
    dataset: "eprstmt",
    protocol: { kind: "fewclue", indices: [1] },
    model,
    options: { steps: 3, evalEvery: 2 },
    source: { mirror: shared("data") },
  }, { onSplit: (r) => seen.push(r.split), onProgress: (split, e) => events.push(`${split}:${e.phase}:${e.step}`) });

  assert.deepEqual(seen, ["fewclue_1"]);
  assert.deepEqual(events, ["fewclue_1:train:1", "fewclue_1:train:2", "fewclue_1:eval:2", "fewclue_1:train:3", "fewclue_1:eval:3"]);
  const [r] = splits;
  assert.equal(r.n, 610);
  assert.deepEqual(r.labels, ["Positive", "Negative"]);
  assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), 610);
  assert.equal(r.accuracy, (r.confusion[0][0] + r.confusion[1][1]) / 610);
  assert.ok(r.macroF1 >= 0 && r.macroF1 <= 1);
  assert.equal(r.steps, 3);
  assert.ok([2, 3].includes(r.bestStep));
  assert.equal(r.trainableParams, 4 * 4 * 2 * 256 + 2 * 256 + 2);
  assert.ok(r.wallSeconds > 0 && r.notes.length > 0);
  assert.deepEqual(summary, {
    method: "ptuning-v2",
    dataset: "eprstmt",
    protocol: "fewclue",
    splits: 1,
    accuracyMean: r.accuracy,
    accuracyStd: 0,
    macroF1Mean: r.macroF1,
    trainableParams: r.trainableParams,
    wallSeconds: r.wallSeconds,
  });
  // Options are validated before any data is read or training starts.
  await assert.rejects(
    runProtocol({ method: "ptuning-v2", dataset: "eprstmt", protocol: { kind: "fewclue" }, model, options: { prefixLength: 0 } }),
    isInputError("prefixLength", /integer/),
  );
});

Deno.test("run: the terminal output prints each split's and the summary's scores as percentages with two decimals", async () => {
  const args = demoZeroShotArgs("1,2");
  const [text, json] = await Promise.all([
    runDeno(args, { env: { PROMPTLAB_OFFLINE: "1" } }),
    runDeno([...args, "--json"], { env: { PROMPTLAB_OFFLINE: "1" } }),
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(json.code, 0, json.stderr);
  const records = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const two = (x: number) => (100 * x).toFixed(2);
  const splits = records.filter((r) => r.type === "split");
  assert.equal(splits.length, 2);
  for (const s of splits) {
    assert.match(text.stdout, new RegExp(`^${s.split}\\s+${two(s.accuracy)}\\s+${two(s.macroF1)}\\s`, "m"));
  }
  const summary = records.find((r) => r.type === "summary");
  assert.ok(text.stdout.includes(`accuracy ${two(summary.accuracyMean)} ± ${two(summary.accuracyStd)} (`), text.stdout);
  assert.ok(text.stdout.includes(`macro-F1 ${two(summary.macroF1Mean)},`), text.stdout);
});

Deno.test("run: a split no better than the majority class gets a note saying so; one well above it does not", async () => {
  const args = (...more: string[]) => demoZeroShotArgs("1", ...more);
  // Calibrated colour words spread the answers over both classes (no collapse) and score 38 of 100: at chance.
  const chance = ["--calibrate", "true", "--verbalizer", '{"Positive":["红"],"Negative":["绿"]}'];
  const env = { env: { PROMPTLAB_OFFLINE: "1" } };
  const [text, json, good] = await Promise.all([
    runDeno(args(...chance), env),
    runDeno(args(...chance, "--json"), env),
    runDeno(args(), env),
  ]);
  for (const r of [text, json, good]) assert.equal(r.code, 0, r.stderr);
  const split = JSON.parse(json.stdout.split("\n")[0]);
  const test = chanceOf(split)!;
  assert.ok(test && !collapseOf(split), json.stdout);
  assert.ok(
    text.stdout.includes(`\nnote: ${split.split}: no better than the majority class: ${chanceText(test)}, so its score is no result\n`),
    text.stdout,
  );
  assert.match(text.stdout, /accuracy 38\.0% vs the majority class's 50\.0% \(one-sided binomial p = 0\.99\)/);
  assert.ok(!good.stdout.includes("majority class"), good.stdout);
});
