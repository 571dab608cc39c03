/**
 * `deno task figures <results.jsonl>... [--out DIR] [--skip-corrupt]`: export every chart of a grid's results
 * (shards merged; several files, e.g. one per model, side by side) as Vega-Lite JSON, SVG and PNG. Default
 * output for one file: `figures/<results name>/`; several need `--out`.
 */
import { parseArgs } from "node:util";
import { hasCjkFont } from "../charts/render.ts";
import { loadResultSets } from "../experiments/results.ts";
import { exportFigures } from "./export.ts";
import { runScript } from "../experiments/script.ts";

const USAGE = "usage: deno task figures <results.jsonl>... [--out DIR] [--skip-corrupt] [--scale 2]";

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string" }, "skip-corrupt": { type: "boolean" }, scale: { type: "string", default: "2" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || positionals.length === 0 || (positionals.length > 1 && !values.out)) {
    console.error(positionals.length > 1 ? `several results files need --out\n${USAGE}` : USAGE);
    return values.help ? 0 : 2;
  }
  const rows = await loadResultSets(positionals, { skipCorrupt: values["skip-corrupt"], onSkip: (e) => console.error(`warning: ${e.message}`) });
  if (!hasCjkFont()) console.error("warning: no CJK font installed (apt-get install fonts-wqy-microhei): Chinese text will not render in PNGs");
  const out = values.out ?? `figures/${positionals[0].replace(/^.*\//, "").replace(/\.jsonl$/, "")}`;
  for (const path of await exportFigures(rows, out, { scale: Number(values.scale) })) console.log(path);
  return 0;
}

if (import.meta.main) await runScript(main);
