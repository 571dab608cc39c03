/**
 * The flag layer (lib/util/flags.ts) and every command through it: a bad flag is one line on stderr and exit
 * code 2, never a stack trace, and never a run with a value other than the one typed.
 */
import assert from "node:assert/strict";
import { type CommandSpec, helpText, parseFlags } from "../lib/util/flags.ts";
import { InputError } from "../lib/util/errors.ts";
import { root } from "./_shared.ts";
import { type Ran, runDeno } from "./_subprocess.ts";

const SPEC = {
  name: "test",
  usage: "deno task test [flags] FILE...",
  positionals: { name: "file", max: 2 },
  flags: {
    steps: { type: "int", min: 1, help: "steps" },
    seed: { type: "int", default: 42, help: "seed" },
    lr: { type: "number", above: 0, help: "learning rate" },
    beta2: { type: "number", min: 0, below: 1, default: 0.98, help: "beta2" },
    k: { type: "ints", min: 1, default: [4, 8], help: "K values" },
    labels: { type: "strings", help: "labels" },
    models: { type: "strings", choices: ["tiny", "base"], help: "models" },
    mode: { type: "string", choices: ["a", "b", "c"], help: "mode" },
    out: { type: "string", help: "output" },
    json: { type: "boolean", help: "JSON" },
  },
} as const satisfies CommandSpec;

const values = (args: string[]) => {
  const p = parseFlags(SPEC, args);
  assert.ok(!p.help);
  return p.values;
};
const refused = (args: string[], field: string | undefined, text: RegExp) =>
  assert.throws(() => parseFlags(SPEC, args), (e) => e instanceof InputError && e.location.field === field && text.test(e.message));

Deno.test("flags: typed values and defaults", () => {
  assert.deepEqual(values([]), {
    steps: undefined,
    seed: 42,
    lr: undefined,
    beta2: 0.98,
    k: [4, 8],
    labels: undefined,
    models: undefined,
    mode: undefined,
    out: undefined,
    json: false,
  });
  const v = values([
    "--steps",
    "3",
    "--seed=-1",
    "--lr",
    "1e-3",
    "--k",
    "16",
    "--labels",
    "pos,neg",
    "--json",
    "--mode",
    "b",
    "--out",
    "x",
    "--models",
    "base",
  ]);
  assert.deepEqual([v.steps, v.seed, v.lr, v.k, v.labels, v.json, v.mode, v.out, v.models], [
    3,
    -1,
    1e-3,
    [16],
    ["pos", "neg"],
    true,
    "b",
    "x",
    ["base"],
  ]);
  assert.equal(values(["--seed", "-7"]).seed, -7);
  assert.deepEqual(parseFlags(SPEC, ["a.json", "--json", "b.json"]), {
    help: false,
    values: values(["--json"]),
    positionals: ["a.json", "b.json"],
    extra: new Map(),
  });
  assert.deepEqual(parseFlags(SPEC, ["--steps", "x", "-h"]), { help: true });
});

Deno.test("flags: unknown, repeated, valueless and value-taking booleans are refused by name", () => {
  refused(["--stepz", "3"], "--stepz", /unknown flag \(did you mean --steps\?\); `deno task test --help` lists the flags/);
  refused(["-x"], "-x", /unknown flag/);
  refused(["--constructor"], "--constructor", /unknown flag/);
  refused(["--seed", "1", "--seed", "2"], "--seed", /given twice/);
  refused(["--steps"], "--steps", /needs a value/);
  refused(["--out", "--json"], "--out", /needs a value/);
  refused(["--json=1"], "--json", /takes no value, got "1"/);
  refused(["a", "b", "c"], undefined, /unexpected argument "c".*at most 2 file/);
});

Deno.test("flags: bad numbers are refused, never rounded or clamped", () => {
  refused(["--steps=-5"], "--steps", /must be at least 1, got -5/);
  refused(["--steps", "-5"], "--steps", /must be at least 1, got -5/);
  refused(["--steps", "2.5"], "--steps", /must be an integer, got "2.5"/);
  refused(["--steps", "0"], "--steps", /must be at least 1, got 0/);
  refused(["--steps", ""], "--steps", /must be an integer, got ""/);
  refused(["--steps", "1e400"], "--steps", /must be an integer/);
  refused(["--steps", "4,8"], "--steps", /takes one integer, got the list "4,8"/);
  refused(["--lr", "0"], "--lr", /must be greater than 0, got 0/);
  refused(["--lr", "fast"], "--lr", /must be a number, got "fast"/);
  refused(["--lr", "NaN"], "--lr", /must be a number/);
  refused(["--beta2", "1"], "--beta2", /must be less than 1, got 1/);
  refused(["--mode", "d"], "--mode", /must be one of a, b, c, got "d"/);
});

Deno.test("flags: a repeatable flag collects every value in order, commas kept; none given is the empty list", () => {
  const spec = {
    name: "t",
    usage: "t",
    flags: { text: { type: "repeated", help: "a text" }, out: { type: "string", help: "out" } },
  } as const satisfies CommandSpec;
  const parse = (args: string[]) => {
    const p = parseFlags(spec, args);
    assert.ok(!p.help);
    return p.values;
  };
  assert.deepEqual(parse(["--text", "好,很好", "--out", "x", "--text=差"]), { text: ["好,很好", "差"], out: "x" });
  assert.deepEqual(parse([]).text, []);
  assert.throws(
    () => parse(["--text"]),
    (e) => e instanceof InputError && e.location.field === "--text" && /needs a value \(TEXT\)/.test(e.message),
  );
  assert.throws(() => parse(["--out", "a", "--out", "b"]), /given twice/);
  assert.match(helpText(spec), /--text TEXT\s+a text \(repeatable\)/);
});

Deno.test("flags: bad lists and repeated entries are refused", () => {
  refused(["--k", "4,x"], "--k", /integers separated by commas, like 1,2,3, got "4,x"/);
  refused(["--k", "4,8.5"], "--k", /integers/);
  refused(["--k", "4,,8"], "--k", /empty entry/);
  refused(["--k", "4,4"], "--k", /lists 4 twice in "4,4"/);
  refused(["--k", "4,04"], "--k", /lists 04 twice/);
  refused(["--k", "0,4"], "--k", /must be at least 1, got 0 in "0,4"/);
  refused(["--labels", "pos,pos"], "--labels", /lists pos twice/);
  refused(["--models", "tiny,huge"], "--models", /each must be tiny or base, got "huge"/);
});

Deno.test("flags: --help lists every flag with its value, default and help", () => {
  const text = helpText(SPEC);
  assert.match(text, /^usage: deno task test \[flags\] FILE\.\.\.\n\nflags:\n/);
  assert.match(text, /--seed N +seed \(default 42\)/);
  assert.match(text, /--k N,N,\.\.\. +K values \(default 4,8\)/);
  assert.match(text, /--mode a\|b\|c +mode/);
  assert.match(text, /--json +JSON\n/);
});

/** Run an entry point with `args`; its exit code and output. */
function cli(entry: string, args: string[]): Promise<Ran> {
  return runDeno(["run", "-A", `${root}/${entry}`, ...args], { env: { PROMPTLAB_OFFLINE: "1" } });
}

/** Exit 2 with one line `error: ...` matching `text` on stderr, and no stack trace. */
async function usageError(entry: string, args: string[], text: RegExp): Promise<void> {
  const { code, stderr } = await cli(entry, args);
  const what = `${entry} ${args.join(" ")}: ${stderr}`;
  assert.equal(code, 2, what);
  assert.match(stderr, /^error: [^\n]+\n$/, what);
  assert.doesNotMatch(stderr, /\bat .*:\d+:\d+|Uncaught/, what);
  assert.match(stderr, text, what);
}

const CLI = "lib/cli/main.ts";

Deno.test("every command: an unknown flag is exit 2 and one line naming it, no stack trace", async () => {
  for (const command of ["data", "demo", "parity", "pretrain", "model-card"]) {
    await usageError(CLI, [command, "--stepz", "3"], /^error: --stepz: unknown flag.*`deno task (cli )?\S+ --help` lists the flags/);
  }
  // run's own flags are declared; any other flag is a method option, checked against the method's.
  await usageError(CLI, ["run", "--stepz", "3"], /--method: required/);
  await usageError(
    CLI,
    ["run", "--method", "pet", "--dataset", "demo", "--protocol", "sampled", "--stepz", "3"],
    /--stepz: not an option of method "pet"; its options: .*--steps/,
  );
  await usageError("lib/experiments/main.ts", ["g.json", "--stepz"], /--stepz: unknown flag/);
  await usageError("lib/figures/main.ts", ["r.jsonl", "--stepz"], /--stepz: unknown flag/);
  await usageError("bench/bench.ts", ["--stepz", "3"], /--stepz: unknown flag \(did you mean --steps\?\)/);
});

Deno.test("commands: the issue's bad inputs are one-line errors with exit 2", async () => {
  await usageError(CLI, ["data", "--lst"], /--lst: unknown flag \(did you mean --list\?\)/);
  await usageError(CLI, ["demo", "--kk"], /--kk: unknown flag \(did you mean --k\?\)/);
  await usageError(CLI, ["pretrain", "--stepz"], /--stepz: unknown flag/);
  await usageError(CLI, ["pretrain", "--out", "x", "--steps=-5"], /--steps: must be at least 1, got -5/);
  await usageError(CLI, ["pretrain", "--out", "x", "--steps", "2.5"], /--steps: must be an integer, got "2.5"/);
  await usageError(CLI, ["pretrain", "--out", "x", "--steps", "0"], /--steps: must be at least 1, got 0/);
  await usageError(CLI, ["demo", "--k", "4,x"], /--k: must be integers/);
  await usageError(CLI, ["demo", "--seeds", "1,1"], /--seeds: lists 1 twice/);
  await usageError(CLI, ["demo", "--k", "4,4"], /--k: lists 4 twice/);
  await usageError(
    CLI,
    ["run", "--method", "pet", "--dataset", "demo", "--protocol", "sampled", "--k", "4,8"],
    /--k: takes one integer, got the list "4,8"/,
  );
  await usageError(
    CLI,
    ["run", "--method", "pet", "--dataset", "demo", "--protocol", "sampled", "--seeds", "1,1"],
    /--seeds: lists 1 twice/,
  );
  await usageError(CLI, ["model-card", "--splits", "0,0"], /--splits: lists 0 twice/);
  await usageError(CLI, ["parity", "--model"], /--model: needs a value/);
  await usageError(CLI, ["data", "eprstmt", "more", "--stats"], /unexpected argument "more"/);
  await usageError("lib/experiments/main.ts", ["g.json", "--minutes", "0"], /--minutes: must be greater than 0/);
  await usageError("lib/figures/main.ts", ["r.jsonl", "--scale", "big"], /--scale: must be a number/);
  await usageError("bench/bench.ts", ["--cases", "train-tiny,train-tiny"], /--cases: lists train-tiny twice/);
  // The two bench lines of docs/bad-inputs.md, as printed.
  await usageError(
    "bench/bench.ts",
    ["--cases", "train-tiny,huge"],
    /^error: --cases: each must be one of train-tiny, train-base, pretrain-tiny, ptuning-v2-tiny, soft-prompt-tiny, infer-base, train-t5-tiny, got "huge"/,
  );
  await usageError("bench/bench.ts", ["--steps", "0"], /^error: --steps: must be at least 1, got 0/);
});

Deno.test("every command: --help is its flag list on stdout, exit 0", async () => {
  for (const command of ["data", "demo", "parity", "pretrain", "model-card", "run"]) {
    const { code, stdout } = await cli(CLI, [command, "--help"]);
    assert.equal(code, 0, command);
    assert.match(stdout, /^usage:[\s\S]*\n\nflags:\n[\s\S]*--help, -h/, command);
  }
});
