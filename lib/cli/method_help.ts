/**
 * The methods part of `deno task cli run --help`: every registered method, its summary, its kind and export,
 * and each option as the flag that sets it, with its default (all from the registry, so the help cannot drift
 * from the code).
 */
import { methods, type RegisteredMethod } from "../methods/registry.ts";
import type { MethodKind } from "../methods/types.ts";
import { kebabCase } from "../util/flags.ts";

/** What each kind of method trains, in words. */
const KIND_TEXT: Readonly<Record<MethodKind, string>> = {
  discrete: "a discrete prompt (vocabulary tokens)",
  continuous: "a continuous prompt (trained vectors)",
  full: "the whole model",
};

/** The line under a method's summary: its kind and how its predictors export. */
function methodFacts(m: Pick<RegisteredMethod, "kind" | "exporter">): string {
  const exported = m.exporter ? `exports to transformers.js ${m.exporter.pipeline}` : "no export";
  return `    ${m.kind}: ${KIND_TEXT[m.kind]}; ${exported}`;
}

/**
 * A default as it would be typed after the flag: small numbers as `2e-5`, strings plain (the empty string as `""`,
 * so a flag never looks as if it had no value), anything else as JSON.
 */
function shown(value: unknown): string {
  if (typeof value === "number") return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
  return typeof value === "string" && value !== "" ? value : JSON.stringify(value);
}

/** The methods, each with its summary and its options (`--flag default`), wrapped to `width` columns. */
export function methodsHelp(width = 110): string {
  const blocks = [...methods.values()].map((m) => {
    const options = Object.entries(m.defaults).map(([key, value]) => `--${kebabCase(key)} ${shown(value)}`);
    const lines: string[] = [];
    let line = "    ";
    for (const o of options) {
      if (line.length + o.length + 2 > width && line.trim()) {
        lines.push(line.trimEnd());
        line = "    ";
      }
      line += `${o}  `;
    }
    if (line.trim()) lines.push(line.trimEnd());
    return `  ${m.name}: ${m.summary}\n${methodFacts(m)}\n${lines.join("\n")}`;
  });
  return `methods and their options, each shown with its default (what they mean: docs/methods.md and each method's options type in lib/methods/):\n${
    blocks.join("\n")
  }`;
}
