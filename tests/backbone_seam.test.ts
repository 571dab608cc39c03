/**
 * The backbone seam (docs/architecture.md): methods reach a model only through `ModelFolder.backbone`. No module
 * of lib/methods/ imports an architecture's folder (`lib/model/bert/`, any later one) or names what it exports,
 * `config.json`'s `model_type` picks the backbone, and a method refuses a backbone lacking what it needs with an
 * InputError naming the folder's config.json, before any training.
 */
import assert from "node:assert/strict";
import { posix } from "node:path";
import { rejects } from "./_assert.ts";
import { runDeno } from "./_subprocess.ts";
import { root, SHARED_MODEL_FOLDERS } from "./_shared.ts";
import { methods } from "../lib/methods/registry.ts";
import type { Backbone, Capability } from "../lib/model/backbone.ts";
import { type AnyModelFolder, loadAnyModelFolder, loadModelFolder } from "../lib/model/folder.ts";
import { text2text } from "../lib/methods/text2text/text2text.ts";

const MODEL = `${root}/models/promptlab-bert-zh-L4-H256`;
const T5_MODEL = `${root}/tests/fixtures/tiny-t5-v1_1`;

/** Architecture folders under lib/model/ (relative to the repository): every subfolder but the shared ones. */
function backboneFolders(): string[] {
  return [...Deno.readDirSync(`${root}/lib/model`)]
    .filter((e) => e.isDirectory && !SHARED_MODEL_FOLDERS.has(e.name))
    .map((e) => `lib/model/${e.name}`);
}

/** Every .ts file under `dir`, relative to the repository. */
function tsFiles(dir: string): string[] {
  return [...Deno.readDirSync(`${root}/${dir}`)].flatMap((e) =>
    e.isDirectory ? tsFiles(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []
  );
}

/** Names the modules of `folder` export (functions, classes, constants, types). */
function exportedNames(folder: string): Set<string> {
  const names = new Set<string>();
  for (const f of tsFiles(folder)) {
    const source = Deno.readTextFileSync(`${root}/${f}`);
    for (const m of source.matchAll(/^export (?:async )?(?:function\*?|class|const|let|type|interface) (\w+)/gm)) names.add(m[1]);
  }
  return names;
}

/**
 * A lint plugin reporting each call, construction or type named by one of `names` (a member such as
 * `backbone.initTensor` is not), and each relative import resolving under one of `folders`.
 */
function seamPlugin(file: string, names: ReadonlySet<string>, folders: readonly string[]): Deno.lint.Plugin {
  const inFolder = (spec: string) => {
    const target = posix.normalize(posix.join(posix.dirname(file), spec));
    return folders.some((f) => target.startsWith(`${f}/`));
  };
  return {
    name: "seam",
    rules: {
      seam: {
        create(ctx) {
          const byName = (node: Deno.lint.Node, id: Deno.lint.Node) => {
            if (id.type === "Identifier" && names.has(id.name)) ctx.report({ node, message: id.name });
          };
          return {
            CallExpression: (node) => byName(node, node.callee),
            NewExpression: (node) => byName(node, node.callee),
            TSTypeReference: (node) => byName(node, node.typeName),
            ImportDeclaration(node) {
              if (inFolder(node.source.value)) ctx.report({ node, message: `import ${node.source.value}` });
            },
          };
        },
      },
    },
  };
}

/** `file:line: what` for each breach of the seam in `source`. */
function seamBreaches(file: string, source: string, names: ReadonlySet<string>, folders: readonly string[]): string[] {
  return Deno.lint.runPlugin(seamPlugin(file, names, folders), file, source).map((d) =>
    `${file}:${source.slice(0, d.range[0]).split("\n").length}: ${d.message}`
  );
}

Deno.test("backbone seam: no module of lib/methods/ imports an architecture's folder or names what it exports", () => {
  const folders = backboneFolders();
  assert.ok(folders.includes("lib/model/bert"), `architecture folders: ${folders}`);
  const names = new Set(folders.flatMap((f) => [...exportedNames(f)]));
  assert.ok(names.has("buildBert") && names.has("BertConfig"), "the BERT folder's exports were not found");
  const files = tsFiles("lib/methods");
  assert.ok(files.length > 30, `only ${files.length} method modules found`);
  assert.deepEqual(files.flatMap((f) => seamBreaches(f, Deno.readTextFileSync(`${root}/${f}`), names, folders)), []);
});

Deno.test("backbone seam: the check finds a builder called by name, a type named, an import of an architecture's folder", () => {
  const source = [
    `import { buildBert } from "../../model/bert/graph.ts";`,
    `import type { Backbone } from "../../model/backbone.ts";`,
    `// buildBert(g, config) in a comment is no call`,
    `const bert = buildBert(g, config, param, opts);`,
    `const ok = model.backbone.encoder(g, param, opts), init = backbone.initTensor("w", [2], rng);`,
    `function f(c: BertConfig) {}`,
  ].join("\n");
  const names = new Set(["buildBert", "initTensor", "BertConfig"]);
  assert.deepEqual(seamBreaches("lib/methods/pet/x.ts", source, names, ["lib/model/bert"]), [
    "lib/methods/pet/x.ts:1: import ../../model/bert/graph.ts",
    "lib/methods/pet/x.ts:4: buildBert",
    "lib/methods/pet/x.ts:6: BertConfig",
  ]);
});

/** `model` with a backbone that has only `capabilities`. */
function withCapabilities<M extends AnyModelFolder>(model: M, capabilities: readonly Capability[]): M {
  const backbone: Backbone<M["config"]> = { ...model.backbone, capabilities: new Set(capabilities) };
  return { ...model, backbone };
}

Deno.test("backbone seam: each method refuses a backbone without what it needs, naming config.json's model_type", async () => {
  const [bert, t5] = [await loadModelFolder(MODEL), await loadAnyModelFolder(T5_MODEL)];
  const labels = ["Positive", "Negative"];
  for (const [name, m] of methods) {
    const options = m.presets.test;
    // The model of the backbone the method is written for, with every capability of it: accepted.
    const [model, dir] = name === text2text.name ? [t5, T5_MODEL] : [bert, MODEL];
    m.create(model, labels, options);
    await rejects(
      () => m.create(withCapabilities(model, []), labels, options),
      `${dir}/config.json`,
      new RegExp(`\\(field "model_type"\\): a ${model.backbone.type} model has no .*, which ${name} needs`),
    );
  }
});

Deno.test("backbone seam: P-tuning v2 needs a pooler for its [CLS] head, an MLM head for its [MASK] head", async () => {
  const model = await loadModelFolder(MODEL);
  const labels = ["Positive", "Negative"];
  const ptuning = methods.get("ptuning-v2")!;
  const noPooler = withCapabilities(model, ["prefix", "mlm"]), noMlm = withCapabilities(model, ["prefix", "pooled"]);
  const mask = { head: "mask", verbalizer: "good-bad" };
  ptuning.create(noPooler, labels, mask);
  ptuning.create(noMlm, labels, {});
  await rejects(() => ptuning.create(noPooler, labels, {}), "config.json", /has no pooled first-token representation, which ptuning-v2/);
  await rejects(() => ptuning.create(noMlm, labels, mask), "config.json", /has no masked-LM head scoring words at a \[MASK\]/);
  await rejects(
    () => ptuning.create(withCapabilities(model, ["mlm"]), labels, { ...mask, prefixDepth: "input" }),
    "config.json",
    /has no soft input embeddings, which ptuning-v2 needs/,
  );
});

/** The embedded model's files linked into a temporary folder, its config.json given `edit`'s keys. */
async function modelWithConfig(edit: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const e of Deno.readDirSync(MODEL)) if (e.name !== "config.json") await Deno.symlink(`${MODEL}/${e.name}`, `${dir}/${e.name}`);
  const json = JSON.parse(await Deno.readTextFile(`${MODEL}/config.json`));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...json, ...edit }));
  return dir;
}

Deno.test("backbone seam: config.json's model_type picks the backbone; none is BERT, an unknown one is refused", async () => {
  const bare = await modelWithConfig({ model_type: undefined });
  const loaded = await loadModelFolder(bare);
  assert.equal(loaded.backbone.type, "bert");
  assert.equal(loaded.backbone.config, loaded.config);
  assert.deepEqual(loaded.backbone.sizes, {
    hiddenSize: 256,
    layers: 4,
    heads: 4,
    vocabSize: 4363,
    maxPositions: 128,
    hiddenDropout: 0.1,
    classifierDropout: 0.1,
  });
  const gpt2 = await modelWithConfig({ model_type: "gpt2" });
  await rejects(() => loadModelFolder(gpt2), `${gpt2}/config.json`, /\(field "model_type"\): unsupported \(got "gpt2"\); supported: bert/);
  const odd = await modelWithConfig({ model_type: 7 });
  await rejects(() => loadModelFolder(odd), `${odd}/config.json`, /\(field "model_type"\): unsupported \(got 7\)/);
});

Deno.test("backbone seam: cli run on a folder of an unsupported model_type is exit 2, one line naming config.json", async () => {
  const dir = await modelWithConfig({ model_type: "gpt2" });
  const { code, stderr } = await runDeno(
    ["run", "-A", `${root}/lib/cli/main.ts`, "run", "--method", "pet", "--dataset", "demo", "--protocol", "sampled", "--model", dir],
    { env: { PROMPTLAB_OFFLINE: "1" } },
  );
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^error: [^\n]*config\.json[^\n]*model_type[^\n]*"gpt2"[^\n]*\n$/);
});
