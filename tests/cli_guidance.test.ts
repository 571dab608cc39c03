/**
 * What the commands tell a user: `cli --help` names every command and every other task, `run --help` every
 * method and option with its default, commands end naming what they wrote and what to run next, notes only
 * where they apply, a missing dataset's real cause said once, and a refused write one line (exit 2) under the
 * tasks' own permissions.
 */
import assert from "node:assert/strict";
import { commands, otherTasks } from "../lib/cli/commands.ts";
import { methodsHelp } from "../lib/cli/method_help.ts";
import { methods } from "../lib/methods/registry.ts";
import { bertBaseChineseConfig, randomBertWeights } from "../lib/model/bert/random.ts";
import { normalizeWeights } from "../lib/model/bert/weights.ts";
import { notesFor } from "../lib/model/weights.ts";
import { fatalMessage, TASK_WRITE_SCOPE } from "../lib/util/fatal.ts";
import { InputError } from "../lib/util/errors.ts";
import { kebabCase } from "../lib/util/flags.ts";
import { nextStepText } from "../lib/util/next_step.ts";
import { root } from "./_shared.ts";
import { type Ran, runDeno } from "./_subprocess.ts";

const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as { tasks: Record<string, string> };

/** `deno task <name> ...args` from the repository root, exactly as a user types it (the task's own permissions). */
function task(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return runDeno(["task", ...args], { env });
}

/** stderr without the line `deno task` prints first (the command it runs). */
const ownStderr = (stderr: string) => stderr.split("\n").filter((l) => !/^Task \S+ /.test(l)).join("\n").trim();

Deno.test("cli --help: every command, and every other deno task", async () => {
  const { code, stdout } = await task(["cli", "--help"]);
  assert.equal(code, 0);
  for (const name of Object.keys(commands)) assert.match(stdout, new RegExp(`^  ${name} +\\S`, "m"), name);
  // Every task of deno.json but `cli` itself is listed, and nothing that is not a task.
  const listed = Object.keys(otherTasks).map((t) => t.split(" ")[0]);
  assert.deepEqual(listed.toSorted(), Object.keys(config.tasks).filter((t) => t !== "cli").toSorted());
  for (const t of Object.keys(otherTasks)) {
    assert.match(stdout, new RegExp(`^  deno task ${t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n`, "m"));
  }
});

/** `x` as a literal inside a regular expression. */
const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

Deno.test("run --help: every registered method and each of its options with its default", async () => {
  const { code, stdout } = await task(["cli", "run", "--help"]);
  assert.equal(code, 0);
  assert.ok(stdout.includes(methodsHelp()));
  for (const [name, m] of methods) {
    assert.match(stdout, new RegExp(`^  ${name}: ${escape(m.summary)}$`, "m"));
    const block = stdout.slice(stdout.indexOf(`  ${name}: `)).split(/\n {2}\S/)[0];
    assert.match(
      block,
      new RegExp(`^    ${m.kind}: .*; ${m.exporter ? `exports to transformers.js ${m.exporter.pipeline}` : "no export"}$`, "m"),
      `${name}: kind and export`,
    );
    for (const [key, value] of Object.entries(m.defaults)) {
      const shown = typeof value === "number"
        ? `(${value}|${value.toExponential()})`
        : escape(typeof value === "string" && value ? value : JSON.stringify(value));
      assert.match(block, new RegExp(`--${kebabCase(key)} ${shown}(  |\\n|$)`), `${name} --${kebabCase(key)}`);
    }
  }
  assert.match(stdout, /--lr 2e-5/, "small numbers as typed: 2e-5, not 0.00002");
});

Deno.test("closing lines: what was written, or that nothing was, and the next command", () => {
  assert.equal(
    nextStepText({ wrote: ["a.jsonl", "f/x.svg"], next: ["deno task figures a.jsonl   # charts"] }),
    "wrote: a.jsonl, f/x.svg\nnext:  deno task figures a.jsonl   # charts",
  );
  assert.equal(nextStepText({ wrote: [], nothing: "add --json", next: [] }), "wrote nothing (add --json)");
});

Deno.test("notes: a missing pooler is a classifier's concern, a missing MLM head a prompt method's", () => {
  // A tiny random BERT stored with neither head (a bare encoder).
  const config = bertBaseChineseConfig({
    vocab_size: 64,
    hidden_size: 8,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 16,
    max_position_embeddings: 16,
  });
  const stored = new Map(
    [...randomBertWeights(config, 1)]
      .filter(([name]) => !name.startsWith("bert.pooler.") && !name.startsWith("cls.predictions."))
      .map(([name, t]) => [name, { dtype: "F32" as const, ...t }]),
  );
  const loaded = normalizeWeights(stored, config);
  assert.ok(loaded.poolerInitialized && loaded.mlmHeadInitialized);
  assert.equal(loaded.notes.length, 2, loaded.notes.join("; "));
  assert.deepEqual(notesFor(loaded, "pooler").map((n) => n.slice(0, 16)), ["no pooler stored"]);
  assert.deepEqual(notesFor(loaded, "mlm-head").map((n) => n.slice(0, 17)), ["no MLM head store"]);
});

Deno.test("permission errors: one line naming the path and the way out; other errors keep their trace", () => {
  const refused = new Deno.errors.NotCapable('Requires write access to "/var/x/r.jsonl", run again with the --allow-write flag');
  const m = fatalMessage(new Error("wrapped", { cause: refused }));
  assert.equal(m?.code, 2);
  assert.match(
    m!.message,
    /^error: no permission to write \/var\/x\/r\.jsonl: the deno tasks may write only in the current folder, \$HOME\/\.cache\/promptlab and \/tmp .*choose a path there/,
  );
  assert.doesNotMatch(m!.message, /\n/);
  assert.match(
    fatalMessage(new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/srv/r'"))!.message,
    /operating system refused access .*\/srv\/r/,
  );
  assert.deepEqual(fatalMessage(new InputError("bad", { field: "--k" })), { message: "error: --k: bad", code: 2 });
  assert.equal(fatalMessage(new TypeError("a bug")), null);
});

Deno.test("the write scope the messages name is the one deno.json grants every writing task", () => {
  for (const name of ["cli", "demo", "grid", "figures"]) {
    const granted = /--allow-write=(\S+)/.exec(config.tasks[name])?.[1].split(",");
    assert.deepEqual(granted, [...TASK_WRITE_SCOPE], name);
  }
});

Deno.test("a write outside the tasks' scope: one line and exit 2 from both entry points, no stack trace", async () => {
  const outside = `/var/tmp/promptlab-denied-${crypto.randomUUID().slice(0, 8)}`;
  const dir = await Deno.makeTempDir();
  try {
    const grid = `${dir}/g.json`;
    await Deno.writeTextFile(
      grid,
      JSON.stringify({
        name: "g",
        dataset: "demo",
        protocol: { kind: "sampled", k: [0], seeds: [1] },
        methods: [{ method: "pet", zeroShot: { mode: "zero-shot" } }],
      }),
    );
    const runs = [
      await task(["grid", grid, "--results", `${outside}/g.jsonl`, "--model", "models/promptlab-bert-zh-L4-H256"]),
      await task(["cli", "demo", "--results", `${outside}/d.jsonl`, "--k", "1", "--seeds", "1"]),
    ];
    for (const r of runs) {
      const err = ownStderr(r.stderr);
      assert.equal(r.code, 2, r.stderr);
      assert.match(err, new RegExp(`^error: no permission to write ${outside}: the deno tasks may write only in the current folder`));
      assert.equal(err.split("\n").length, 1, err);
      assert.doesNotMatch(r.stderr, /Uncaught|NotCapable|\bat .*:\d+:\d+/);
    }
    assert.equal(await Deno.stat(outside).then(() => true, () => false), false, "nothing written there");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data --list without a mirror: a short reason per dataset, the remedy once, no blame on an unset PROMPTLAB_OFFLINE", async () => {
  const cache = await Deno.makeTempDir();
  try {
    for (const offline of ["0", "1"]) {
      const { code, stdout, stderr } = await task(["cli", "data", "--list", "--cache", cache], {
        PROMPTLAB_OFFLINE: offline,
        PROMPTLAB_DATA_MIRROR: "",
      });
      assert.equal(code, 0, stderr);
      const rows = stdout.trim().split("\n").map((l) => JSON.parse(l));
      const missing = rows.filter((r) => r.unavailable);
      assert.ok(missing.length >= 4, stdout);
      assert.ok(rows.find((r) => r.dataset === "demo" && !r.unavailable), "the embedded dataset is always at hand");
      for (const r of missing) {
        assert.match(r.unavailable, /is not in the data mirror \(none set\) nor in the cache/);
        assert.ok(r.unavailable.length < 250, r.unavailable);
        assert.doesNotMatch(r.unavailable, /PROMPTLAB_OFFLINE|sha256|https:/);
      }
      const err = ownStderr(stderr);
      assert.equal(err.split("\n").length, 1, err);
      assert.match(err, new RegExp(`^${missing.length} dataset\\(s\\) not at hand \\(.*it never downloads\\).*PROMPTLAB_DATA_MIRROR`));
      if (offline === "1") assert.match(err, /downloads are off \(PROMPTLAB_OFFLINE=1\)/);
      else assert.doesNotMatch(err, /PROMPTLAB_OFFLINE/);
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
