/**
 * `deno task figures <results.jsonl>... [--out DIR] [--skip-corrupt]`: export every chart of a grid's results
 * (shards merged; several files, e.g. one per model, side by side) as Vega-Lite JSON, SVG and PNG. Default
 * output for one file: `figures/<results name>/`; several need `--out`.
 */
import { hasCjkFont } from "../charts/render.ts";
import { numericsNote } from "../experiments/provenance.ts";
import { loadResultSets } from "../experiments/results.ts";
import { withVariantRows } from "../experiments/variant_rows.ts";
import { exportFigures } from "./export.ts";
import { runScript } from "../experiments/script.ts";
import { InputError } from "../util/errors.ts";
import { commandFlags, type CommandSpec } from "../util/flags.ts";
import { printNextStep } from "../util/next_step.ts";

const SPEC = {
  name: "figures",
  usage: "deno task figures <results.jsonl>... [--out DIR] [--skip-corrupt] [--scale 2]",
  positionals: { name: "results file", min: 1 },
  flags: {
    out: { type: "string", value: "DIR", help: "output folder (default figures/<results name>; several files need it)" },
    "skip-corrupt": { type: "boolean", help: "skip unreadable lines of the results files instead of stopping" },
    scale: { type: "number", above: 0, default: 2, help: "PNG pixels per SVG unit" },
  },
} as const satisfies CommandSpec;

async function main(args: string[]): Promise<number> {
  const p = commandFlags(SPEC, args);
  if (!p) return 0;
  const { values, positionals } = p;
  if (positionals.length > 1 && !values.out) throw new InputError("several results files need --out", { field: "--out" });
  const read = await loadResultSets(positionals, {
    skipCorrupt: values["skip-corrupt"],
    onSkip: (e) => console.error(`warning: ${e.message}`),
  });
  const rows = withVariantRows(read);
  if (!rows.length) {
    throw new InputError(`no rows to draw: ${positionals.length > 1 ? "the files are" : "the file is"} empty; run a grid into it first`, {
      file: positionals.join(", "),
    });
  }
  const mixed = numericsNote(read, "the results' rows");
  if (mixed) console.error(`note: ${mixed} (summary.md splits them; each caption names the code)`);
  if (!hasCjkFont()) {
    console.error("warning: no CJK font installed (apt-get install fonts-wqy-microhei): Chinese text will not render in PNGs");
  }
  const out = values.out ?? `figures/${positionals[0].replace(/^.*\//, "").replace(/\.jsonl$/, "")}`;
  const written = await exportFigures(rows, out, { scale: values.scale });
  for (const path of written) console.log(path);
  printNextStep({
    wrote: [`${out}/ (the ${written.length} files above)`],
    next: [`open ${out}/summary.md   # the table behind the charts; each <chart>.caption.md says what it shows, the data, n and the band`],
  });
  return 0;
}

if (import.meta.main) await runScript(main);
