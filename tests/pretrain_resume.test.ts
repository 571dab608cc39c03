/**
 * Pre-training on bad options and interruptions: a resume that would change the checkpoint's options is
 * refused unless asked for (then it is a new stage of the log), options too small to run are refused up
 * front, and Ctrl-C leaves a checkpoint and exit code 130.
 */
import assert from "node:assert/strict";
import { loadTexts } from "../lib/data/load.ts";
import { readSafetensors } from "../lib/model/safetensors.ts";
import { pretrain, type PretrainOptions } from "../lib/pretrain/pretrain.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";

const texts = (await loadTexts("demo", "train")).map((r) => r.text);
const OPTS: Partial<PretrainOptions> = {
  corpus: { train: texts.slice(20), heldout: texts.slice(0, 20) },
  layers: 1,
  hidden: 32,
  heads: 2,
  intermediate: 64,
  maxLength: 32,
  minFreq: 1,
  tokensPerBatch: 512,
  steps: 6,
  warmupSteps: 2,
  evalEvery: 3,
  lr: 3e-3,
};

const inputError = (field: string | undefined, text: RegExp) => (e: unknown) =>
  e instanceof InputError && e.location.field === field && text.test(e.message);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("pretrain resume: a changed lr, seed or batch size is refused naming it; the checkpoint stays resumable", () =>
  withDir(async (dir) => {
    const out = `${dir}/m`;
    assert.ok((await pretrain({ ...OPTS, out, stopAt: 2 })).stopped);
    await assert.rejects(
      pretrain({ ...OPTS, out, lr: 1e-3 }),
      inputError("lr", /state\.json.*resuming would change lr from 0\.003 to 0\.001; .*--allow-changes/),
    );
    await assert.rejects(pretrain({ ...OPTS, out, seed: 7 }), inputError("seed", /change seed from 42 to 7/));
    await assert.rejects(pretrain({ ...OPTS, out, tokensPerBatch: 256 }), inputError("tokensPerBatch", /from 512 to 256/));
    // Shape and held-out set cannot change at all, even when changes are allowed.
    await assert.rejects(pretrain({ ...OPTS, out, layers: 2, allowChanges: true }), inputError("layers", /is 1 in the checkpoint, 2 now/));
    // Options left out are the checkpoint's: the resumed run ends as an uninterrupted one does.
    const { corpus } = OPTS;
    const resumed = await pretrain({ out, corpus });
    assert.equal(resumed.steps, 6);
    assert.equal(resumed.optionStages.length, 1);
    const straight = await pretrain({ ...OPTS, out: `${dir}/straight` });
    const [a, b] = await Promise.all([out, `${dir}/straight`].map((d) => readSafetensors(`${d}/model.safetensors`)));
    for (const [name, t] of a.tensors) assert.deepEqual(b.tensors.get(name)!.data, t.data, name);
    const heldout = (log: Record<string, number>[]) => log.map((e) => [e.step, e.heldout_loss]);
    assert.deepEqual(heldout(resumed.log), heldout(straight.log));
  }));

Deno.test("pretrain resume: --allow-changes goes on with the new values, recorded as a new stage", () =>
  withDir(async (dir) => {
    const out = `${dir}/m`;
    await pretrain({ ...OPTS, out, stopAt: 2 });
    const r = await pretrain({ ...OPTS, out, lr: 1e-3, steps: 8, allowChanges: true });
    assert.equal(r.steps, 8);
    assert.deepEqual(r.optionStages.map((s) => [s.fromStep, s.changed, s.options.lr, s.options.steps]), [[0, [], 3e-3, 6], [2, ["lr", "steps"], 1e-3, 8]]);
    const log = JSON.parse(await Deno.readTextFile(`${out}/training_log.json`));
    assert.deepEqual(log.optionStages, r.optionStages);
    assert.equal(log.options.lr, 1e-3);
  }));

Deno.test("pretrain: options too small to run are refused before any work", () =>
  withDir(async (dir) => {
    await assert.rejects(pretrain({ ...OPTS, out: `${dir}/a`, maxLength: 4 }), inputError("maxLength", /at least 32 \(the shortest length bucket\), got 4/));
    await assert.rejects(pretrain({ ...OPTS, out: `${dir}/b`, maxLength: 31 }), inputError("maxLength", /at least 32/));
    await assert.rejects(pretrain({ ...OPTS, out: `${dir}/c`, steps: undefined }), inputError("steps", /give a budget/));
    await assert.rejects(pretrain({ ...OPTS, out: `${dir}/d`, hidden: 30, heads: 4 }), inputError("hidden", /30 is not divisible by heads 4/));
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    // 32 is enough.
    assert.equal((await pretrain({ ...OPTS, out: `${dir}/e`, maxLength: 32, steps: 1 })).steps, 1);
  }));

sharedTest("pretrain CLI: Ctrl-C writes a checkpoint and exits 130", "data", () =>
  withDir(async (dir) => {
    const args = [
      "run", "-A", `${root}/lib/cli/main.ts`, "pretrain", "--out", `${dir}/m`, "--mirror", shared("data"), "--steps", "100000",
      "--layers", "1", "--hidden", "32", "--heads", "2", "--intermediate", "64", "--max-length", "32", "--heldout", "20",
      "--tokens-per-batch", "256", "--eval-every", "1",
    ];
    const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped", env: { NO_COLOR: "1" } }).spawn();
    const stderr = new Response(child.stderr).text();
    // Wait for the first log line (a step done), then interrupt.
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGINT");
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
    const status = await child.status;
    const err = await stderr;
    assert.equal(status.code, 130, err);
    assert.match(err, /interrupted at step \d+: checkpoint in .*\/m\/checkpoint; run the same command to go on/);
    assert.doesNotMatch(err, /Uncaught|\bat .*:\d+:\d+/);
    const summary = JSON.parse(out.trim().split("\n").at(-1)!);
    assert.equal(summary.done, false);
    const state = JSON.parse(await Deno.readTextFile(`${dir}/m/checkpoint/state.json`));
    assert.equal(state.loop.step, summary.steps);
    assert.ok(state.loop.step >= 1 && state.loop.step < 100000);
  }));
