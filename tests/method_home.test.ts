/**
 * One home per method: outside `lib/methods/`, no module of lib/ names a method by a string literal. Whatever
 * the kit knows about a method (display name, colour, kind, exporter, presets, sweeps) comes from the registry,
 * or from the method's own factory (`pet.name`) where code is about that one method; so adding a method
 * touches only its folder and one line of `lib/methods/registry.ts`. Tests, grid JSON files and notebooks may
 * name methods: there they are data.
 */
import assert from "node:assert/strict";
import { methods } from "../lib/methods/registry.ts";
import { root } from "./_shared.ts";

/** A lint plugin reporting each string literal (quoted, or a template without `${}`) that is one of `names`. */
function literalsOf(names: ReadonlySet<string>): Deno.lint.Plugin {
  return {
    name: "method-names",
    rules: {
      literal: {
        create(ctx) {
          return {
            Literal(node) {
              if (typeof node.value === "string" && names.has(node.value)) ctx.report({ node, message: node.value });
            },
            TemplateLiteral(node) {
              const text = node.quasis[0]?.cooked;
              if (node.expressions.length === 0 && text !== undefined && names.has(text)) ctx.report({ node, message: text });
            },
          };
        },
      },
    },
  };
}

/** `file:line: name` for every method-name literal in `source`. */
function methodLiterals(file: string, source: string, names: ReadonlySet<string>): string[] {
  return Deno.lint.runPlugin(literalsOf(names), file, source).map((d) =>
    `${file}:${source.slice(0, d.range[0]).split("\n").length}: "${d.message}"`
  );
}

/** Every .ts file under `dir` (relative to the repository), `skip` and the folders below it left out. */
function tsFiles(dir: string, skip: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${root}/${dir}`)) {
    const rel = `${dir}/${e.name}`;
    if (rel === skip) continue;
    if (e.isDirectory) out.push(...tsFiles(rel, skip));
    else if (e.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

Deno.test("method home: no module of lib/ outside lib/methods/ names a registered method by a literal", () => {
  const names = new Set(methods.keys());
  const files = tsFiles("lib", "lib/methods");
  assert.ok(files.length > 100, `only ${files.length} modules found`);
  assert.deepEqual(files.flatMap((f) => methodLiterals(f, Deno.readTextFileSync(`${root}/${f}`), names)), []);
});

Deno.test("method home: the check finds quoted, template and type literals, and skips comments, regexes and longer strings", () => {
  const source = [
    `// getMethod("pet")`,
    `/** { method: "pet" } */`,
    `const a = getMethod("pet");`,
    `const b = \`pet\`, c = \`pet-\${x}\`, d = "pets", e = /"pet"/;`,
    `type M = { method: 'pet' };`,
  ].join("\n");
  assert.deepEqual(methodLiterals("x.ts", source, new Set(["pet"])), ['x.ts:3: "pet"', 'x.ts:4: "pet"', 'x.ts:5: "pet"']);
});
