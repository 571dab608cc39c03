import { type Command, flagCommand } from "./command.ts";
import { runDemo } from "../figures/demo.ts";
import { EMBEDDED_MODEL } from "../experiments/setup.ts";
import { type CommandSpec } from "../util/flags.ts";
import { MIRROR_FLAG } from "./common_flags.ts";
import { printNextStep } from "../util/next_step.ts";
import { percent } from "../util/format.ts";

const SPEC = {
  name: "demo",
  usage:
    "deno task demo [--model DIR] [--dataset demo|eprstmt|...] [--mirror DIR] [--k 4,8,16,32] [--seeds 1,2,3] [--results FILE] [--figures DIR]",
  flags: {
    model: { type: "string", value: "DIR", default: EMBEDDED_MODEL, help: "BERT model folder" },
    dataset: { type: "string", value: "NAME", default: "demo", help: "registered dataset" },
    mirror: MIRROR_FLAG,
    k: { type: "ints", min: 1, default: [4, 8, 16, 32], help: "examples per class, one grid column each" },
    seeds: { type: "ints", min: 0, default: [1, 2, 3], help: "sampling and training seeds" },
    results: { type: "string", value: "FILE", help: "results file (default runs/demo/<dataset>.jsonl)" },
    figures: { type: "string", value: "DIR", help: "figure folder (default figures/demo/<dataset>)" },
  },
} as const satisfies CommandSpec;

/** The README's main job: every registered method on the embedded model and data, a summary table and a figure. */
export const demo: Command = flagCommand(
  "every method on a small grid (embedded model and demo data by default): table + few-shot figure",
  SPEC,
  async (p) => {
    const { values } = p;
    const dataset = values.dataset;
    const results = values.results ?? `runs/demo/${dataset}.jsonl`, figureDir = values.figures ?? `figures/demo/${dataset}`;
    const { summary, figures, rows } = await runDemo({
      model: values.model,
      dataset,
      k: values.k,
      seeds: values.seeds,
      results,
      figures: figureDir,
      source: values.mirror ? { mirror: values.mirror } : undefined,
    });
    console.log(`\n${rows.length} runs on ${dataset}, test accuracy (%) as mean ± sample std (n−1) over seeds:\n`);
    console.log(
      [
        "method".padEnd(12),
        "K".padStart(3),
        "runs".padStart(5),
        "accuracy".padStart(14),
        "macro-F1".padStart(9),
        "trainable".padStart(10),
        "s/run".padStart(7),
      ].join(" "),
    );
    for (const r of summary) {
      console.log([
        r.method.padEnd(12),
        String(r.k ?? "-").padStart(3),
        String(r.runs).padStart(5),
        `${percent(r.accuracy)}${r.runs > 1 ? ` ± ${percent(r.std)}` : ""}`.padStart(14),
        percent(r.macroF1).padStart(9),
        String(r.trainableParams).padStart(10),
        r.seconds.toFixed(1).padStart(7),
      ].join(" "));
    }
    console.log("");
    printNextStep({
      wrote: [results, ...figures],
      next: [
        `deno task figures ${results} --out ${figureDir}   # every chart of these results, not only the few-shot curve`,
        "jupyter lab   # the notebooks in notebooks/, Deno kernel (`deno jupyter --install` once; README: Notebooks)",
      ],
    });
    return 0;
  },
);
