import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { runDemo } from "../figures/demo.ts";
import { EMBEDDED_MODEL } from "../experiments/setup.ts";
import { InputError } from "../util/errors.ts";

const pct = (x: number) => `${(100 * x).toFixed(1)}`;
const list = (flag: string, raw: string) =>
  raw.split(",").map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new InputError(`not a list of non-negative integers: "${raw}"`, { field: flag });
    return n;
  });

/** The README's main job: the four methods on the embedded model and data, a summary table and a figure. */
export const demo: Command = {
  summary: "all four methods on a small grid (embedded model and demo data by default): table + few-shot figure",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        model: { type: "string", default: EMBEDDED_MODEL },
        dataset: { type: "string", default: "demo" },
        mirror: { type: "string" },
        k: { type: "string", default: "4,8,16,32" },
        seeds: { type: "string", default: "1,2,3" },
        results: { type: "string" },
        figures: { type: "string" },
        help: { type: "boolean" },
      },
    });
    if (values.help) {
      console.log("usage: deno task demo [--model <dir>] [--dataset demo|eprstmt|...] [--mirror <dir>] [--k 4,8,16,32] [--seeds 1,2,3] [--results <file>] [--figures <dir>]");
      return 0;
    }
    const dataset = values.dataset!;
    const { summary, figures, rows } = await runDemo({
      model: values.model!,
      dataset,
      k: list("--k", values.k!),
      seeds: list("--seeds", values.seeds!),
      results: values.results ?? `runs/demo/${dataset}.jsonl`,
      figures: values.figures ?? `figures/demo/${dataset}`,
      source: values.mirror ? { mirror: values.mirror } : undefined,
    });
    console.log(`\n${rows.length} runs on ${dataset}, test accuracy (%) as mean ± std over seeds:\n`);
    console.log(["method".padEnd(12), "K".padStart(3), "runs".padStart(5), "accuracy".padStart(14), "macro-F1".padStart(9), "trainable".padStart(10), "s/run".padStart(7)].join(" "));
    for (const r of summary) {
      console.log([
        r.method.padEnd(12),
        String(r.k ?? "-").padStart(3),
        String(r.runs).padStart(5),
        `${pct(r.accuracy)} ± ${pct(r.std)}`.padStart(14),
        pct(r.macroF1).padStart(9),
        String(r.trainableParams).padStart(10),
        r.seconds.toFixed(1).padStart(7),
      ].join(" "));
    }
    console.log(`\nfigure: ${figures.join(", ")}`);
    return 0;
  },
};
