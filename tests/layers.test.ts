/**
 * The layer rule of docs/architecture.md: every import in lib/ points down (or within its layer), and neither
 * the folders nor the modules import each other in a cycle.
 */
import assert from "node:assert/strict";
import { posix } from "node:path";
import { root, SHARED_MODEL_FOLDERS } from "./_shared.ts";

/** Layer of each folder of lib/, bottom first; folders of one layer may import each other if acyclic. */
const LAYERS: Readonly<Record<string, number>> = {
  util: 0,
  eval: 0,
  engine: 1,
  train: 2,
  model: 3,
  data: 4,
  methods: 4,
  pretrain: 5,
  experiments: 5,
  multitask: 5,
  charts: 6,
  figures: 6,
  cli: 7,
};

/** Import graph: module path relative to lib/ → the lib/ modules it imports. */
type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** Relative specifiers of static imports, re-exports and dynamic imports (comment lines never start with them). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms)) out.push(m[1]);
  for (const m of source.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) out.push(m[1]);
  for (const m of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]);
  return out.filter((s) => s.startsWith("./") || s.startsWith("../"));
}

/** The import graph of every .ts file under lib/, with the JSON files a module imports as data (leaves). */
function libGraph(): ImportGraph {
  const lib = `${root}/lib`;
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(`${lib}/${dir}`)) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory) walk(rel);
      else if (e.name.endsWith(".ts")) {
        const targets = specifiers(Deno.readTextFileSync(`${lib}/${rel}`)).map((s) => posix.normalize(posix.join(posix.dirname(rel), s)));
        graph.set(rel, targets);
      } else if (e.name.endsWith(".json")) graph.set(rel, []);
    }
  };
  walk("");
  return graph;
}

/** Strongly connected components with more than one member, or a module importing itself (Tarjan). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/**
 * Every breach of the layer rule in `graph`: an import of a module outside lib/ or in a folder without a layer,
 * an import into a higher layer, and cycles between folders or between modules.
 */
function layerProblems(graph: ImportGraph, layers: Readonly<Record<string, number>> = LAYERS): string[] {
  const problems: string[] = [];
  const folderOf = (path: string) => path.includes("/") ? path.slice(0, path.indexOf("/")) : "";
  const folders = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const a = folderOf(from);
    if (!(a in layers)) problems.push(`${from}: lib/${a || "."} has no layer in docs/architecture.md`);
    for (const to of targets) {
      const b = folderOf(to);
      if (to.startsWith("..")) problems.push(`${from} imports ${to}, outside lib/`);
      else if (!(b in layers)) problems.push(`${from} imports ${to}: lib/${b || "."} has no layer`);
      else if (layers[b] > layers[a]) {
        problems.push(`upward import: ${from} (${a}, layer ${layers[a]}) imports ${to} (${b}, layer ${layers[b]})`);
      }
      if (a !== b) folders.set(a, (folders.get(a) ?? new Set()).add(b));
    }
  }
  for (const c of cycles(new Map([...folders].map(([f, to]) => [f, [...to]])))) problems.push(`folder cycle: ${c.join(" ↔ ")}`);
  for (const c of cycles(graph)) problems.push(`module cycle: ${c.join(" ↔ ")}`);
  return problems;
}

Deno.test("layers: every import in lib/ points down or within its layer, with no cycle", () => {
  const graph = libGraph();
  assert.ok(graph.size > 50, `only ${graph.size} modules found under lib/`);
  for (const [from, targets] of graph) {
    for (const to of targets) assert.ok(graph.has(to), `${from} imports ${to}, which does not exist`);
  }
  assert.deepEqual(layerProblems(graph), []);
});

Deno.test("layers: the check catches an upward import, folder and module cycles, and unknown folders", () => {
  const clean: ImportGraph = new Map([
    ["methods/pet/pet.ts", ["model/bert/graph.ts", "data/types.ts", "methods/types.ts"]],
    ["methods/types.ts", ["data/types.ts"]],
    ["model/bert/graph.ts", ["engine/graph.ts"]],
    ["engine/graph.ts", []],
    ["data/types.ts", []],
  ]);
  assert.deepEqual(layerProblems(clean), []);

  const upward = new Map(clean).set("model/bert/graph.ts", ["engine/graph.ts", "methods/types.ts"]);
  assert.deepEqual(layerProblems(upward), [
    "upward import: model/bert/graph.ts (model, layer 3) imports methods/types.ts (methods, layer 4)",
    "folder cycle: methods ↔ model",
  ]);

  // The training loop knows tensors, not models: a model import from train/ is upward.
  const trainOnModel = new Map(clean).set("train/loop.ts", ["model/bert/graph.ts"]);
  assert.deepEqual(layerProblems(trainOnModel), [
    "upward import: train/loop.ts (train, layer 2) imports model/bert/graph.ts (model, layer 3)",
  ]);

  const folderCycle = new Map(clean).set("data/types.ts", ["methods/types.ts"]);
  const problems = layerProblems(folderCycle);
  assert.ok(problems.includes("folder cycle: data ↔ methods"), problems.join("\n"));
  assert.ok(problems.includes("module cycle: data/types.ts ↔ methods/types.ts"), problems.join("\n"));

  const moduleCycle = new Map(clean).set("engine/graph.ts", ["engine/ops.ts"]).set("engine/ops.ts", ["engine/graph.ts"]);
  assert.deepEqual(layerProblems(moduleCycle), ["module cycle: engine/graph.ts ↔ engine/ops.ts"]);

  const unknown = new Map(clean).set("plugins/x.ts", ["../tests/_shared.ts"]);
  assert.deepEqual(layerProblems(unknown), [
    "plugins/x.ts: lib/plugins has no layer in docs/architecture.md",
    "plugins/x.ts imports ../tests/_shared.ts, outside lib/",
  ]);
});

/**
 * Breaches of the backbone seam inside model/: an architecture folder (`model/bert/`, `model/t5/`) importing
 * another, or a shared folder (formats, tokenizers) importing an architecture.
 */
function modelProblems(graph: ImportGraph): string[] {
  const subfolder = (path: string) => /^model\/([^/]+)\//.exec(path)?.[1];
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    const a = subfolder(from);
    if (!a) continue;
    for (const to of targets) {
      const b = subfolder(to);
      if (!b || b === a || SHARED_MODEL_FOLDERS.has(b)) continue;
      problems.push(
        `${from} imports ${to}: ${
          SHARED_MODEL_FOLDERS.has(a) ? "shared model code imports an architecture" : "architectures import each other"
        }`,
      );
    }
  }
  return problems;
}

Deno.test("layers: no architecture folder of model/ imports another, nor does a shared one (formats, tokenizers)", () => {
  assert.deepEqual(modelProblems(libGraph()), []);
  const clean: ImportGraph = new Map([
    ["model/bert/graph.ts", ["model/backbone.ts", "model/formats/safetensors.ts"]],
    ["model/t5/graph.ts", ["model/tokenizers/tokenizer.ts", "model/params.ts"]],
  ]);
  assert.deepEqual(modelProblems(clean), []);
  const crossed = new Map(clean).set("model/t5/graph.ts", ["model/bert/config.ts"]).set("model/formats/x.ts", ["model/bert/weights.ts"]);
  assert.deepEqual(modelProblems(crossed), [
    "model/t5/graph.ts imports model/bert/config.ts: architectures import each other",
    "model/formats/x.ts imports model/bert/weights.ts: shared model code imports an architecture",
  ]);
});

Deno.test("layers: import specifiers are read from every form and never from comments", () => {
  const source = `/**
 * @example
 * import { x } from "../cli/main.ts";
 */
import { a } from "./a.ts";
import type {
  B,
} from "../model/b.ts";
export { c } from "./c.ts";
import "./side_effect.ts";
import assert from "node:assert/strict";
const d = await import("../data/d.ts");
`;
  assert.deepEqual(specifiers(source), ["./a.ts", "../model/b.ts", "./c.ts", "./side_effect.ts", "../data/d.ts"]);
});
