/** The configuration module: the only reader of `PROMPTLAB_*`, matching README, strict about values. */
import assert from "node:assert/strict";
import { homedir } from "node:os";
import { resolveSourceOptions } from "../lib/data/sources.ts";
import { threadCount } from "../lib/engine/session.ts";
import * as config from "../lib/util/config.ts";
import { InputError } from "../lib/util/errors.ts";
import { root } from "./_shared.ts";

/** Run `fn` with `vars` set (undefined: removed), restoring the environment afterwards. */
function withEnv(vars: Partial<Record<config.EnvName, string | undefined>>, fn: () => void): void {
  const saved = Object.keys(vars).map((k) => [k, Deno.env.get(k)] as const);
  try {
    for (const [k, v] of Object.entries(vars)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

/** Every .ts file under `dir` (relative to the repository root). */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${root}/${dir}`)) {
    if (e.isDirectory) out.push(...tsFiles(`${dir}/${e.name}`));
    else if (e.name.endsWith(".ts")) out.push(`${dir}/${e.name}`);
  }
  return out;
}

Deno.test("config: README's environment table lists exactly the variables of lib/util/config.ts", async () => {
  const readme = await Deno.readTextFile(`${root}/README.md`);
  const section = readme.slice(
    readme.indexOf("## Environment variables"),
    readme.indexOf("\n## ", readme.indexOf("## Environment variables") + 1),
  );
  const rows = [...section.matchAll(/^\| `(PROMPTLAB_[A-Z_]+)` \| (.*) \| (.*) \|$/gm)].map((m) => ({
    name: m[1],
    description: m[2],
    default: m[3],
  }));
  assert.deepEqual(rows, config.ENV_VARIABLES.map((v) => ({ ...v })));
});

Deno.test("config: nothing else reads a PROMPTLAB_ variable, and every one mentioned is documented", async () => {
  const documented = new Set<string>(config.ENV_VARIABLES.map((v) => v.name));
  const files = [...tsFiles("lib"), ...tsFiles("bench"), ...tsFiles("tests")];
  for (const file of files) {
    const source = await Deno.readTextFile(`${root}/${file}`);
    if (file !== "lib/util/config.ts") {
      assert.doesNotMatch(source, /Deno\.env\.get\(\s*["'`]PROMPTLAB_/, `${file} reads a PROMPTLAB_ variable itself`);
    }
    for (const [name] of source.matchAll(/PROMPTLAB_[A-Z_]*[A-Z]/g)) {
      assert.ok(documented.has(name), `${file} mentions ${name}, which lib/util/config.ts does not document`);
    }
  }
  assert.ok(files.length > 100, `${files.length} files`);
});

Deno.test("config: defaults when unset (or empty), values when set", () => {
  const unset = Object.fromEntries(config.ENV_VARIABLES.map((v) => [v.name, undefined]));
  withEnv(unset, () => {
    assert.equal(config.dataMirror(), undefined);
    assert.equal(config.cacheDir(), `${homedir()}/.cache/promptlab`);
    assert.equal(config.offline(), false);
    assert.equal(config.threads(), undefined);
    assert.equal(threadCount(), navigator.hardwareConcurrency);
    assert.equal(config.ortProfile(), undefined);
    assert.equal(config.spin(), false);
    assert.equal(config.budget(), "ci");
    assert.equal(config.modelDir(), undefined);
    assert.equal(config.runsRoot(), undefined);
    assert.equal(config.figuresRoot(), undefined);
    assert.equal(config.trainMissing(), true);
    assert.equal(config.sharedRoot(), undefined);
    assert.equal(config.requireShared(), false);
    assert.equal(config.python(), "/usr/bin/python3");
  });
  withEnv({ PROMPTLAB_BUDGET: "", PROMPTLAB_CACHE: "", PROMPTLAB_THREADS: "" }, () => {
    assert.equal(config.budget(), "ci");
    assert.equal(config.cacheDir(), `${homedir()}/.cache/promptlab`);
    assert.equal(config.threads(), undefined);
  });
  withEnv({
    PROMPTLAB_DATA_MIRROR: "/m",
    PROMPTLAB_CACHE: "/c",
    PROMPTLAB_OFFLINE: "1",
    PROMPTLAB_THREADS: "3",
    PROMPTLAB_BUDGET: "full",
    PROMPTLAB_TRAIN: "no",
    PROMPTLAB_SPIN: "1",
    PROMPTLAB_PYTHON: "/opt/py",
  }, () => {
    // The readers go through the module.
    assert.deepEqual(resolveSourceOptions(), { mirror: "/m", cache: "/c", download: false, baseUrl: "https://raw.githubusercontent.com" });
    assert.deepEqual(resolveSourceOptions({ mirror: null, cache: "/d", download: true }).mirror, null);
    assert.equal(threadCount(), 3);
    assert.equal(config.budget(), "full");
    assert.equal(config.trainMissing(), false);
    assert.equal(config.spin(), true);
    assert.equal(config.python(), "/opt/py");
  });
});

Deno.test("config: a value outside its range is an input error naming the variable", () => {
  const bad: [Partial<Record<config.EnvName, string>>, () => unknown, RegExp][] = [
    [{ PROMPTLAB_THREADS: "0" }, config.threads, /field "PROMPTLAB_THREADS": must be a positive integer, got "0"/],
    [{ PROMPTLAB_THREADS: "2.5" }, threadCount, /field "PROMPTLAB_THREADS": must be a positive integer, got "2.5"/],
    [{ PROMPTLAB_BUDGET: "huge" }, config.budget, /field "PROMPTLAB_BUDGET": must be "ci" or "full", got "huge"/],
    [{ PROMPTLAB_TRAIN: "maybe" }, config.trainMissing, /field "PROMPTLAB_TRAIN": must be "yes" or "no", got "maybe"/],
    [{ PROMPTLAB_OFFLINE: "yes" }, () => resolveSourceOptions(), /field "PROMPTLAB_OFFLINE": must be "0" or "1", got "yes"/],
    [{ PROMPTLAB_SPIN: "true" }, config.spin, /field "PROMPTLAB_SPIN": must be "0" or "1"/],
    [{ PROMPTLAB_REQUIRE_SHARED: "2" }, config.requireShared, /field "PROMPTLAB_REQUIRE_SHARED": must be "0" or "1"/],
  ];
  for (const [vars, read, message] of bad) {
    withEnv(vars, () => assert.throws(read, (e: Error) => e instanceof InputError && message.test(e.message), JSON.stringify(vars)));
  }
});
