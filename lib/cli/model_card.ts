import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { compareModels, type ModelComparison, modelCard, type TrainingLog } from "../experiments/model_card.ts";
import { EMBEDDED_MODEL, REFERENCE_MODEL } from "../experiments/setup.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { readJsonFile } from "../model/config.ts";

/** `deno task cli model-card`: compare a pre-trained model with a reference and write its model card. */
export const modelCardCommand: Command = {
  summary: "compare a kit-pretrained model with a reference (held-out MLM, zero-shot, few-shot) and write its README.md",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        model: { type: "string", default: EMBEDDED_MODEL },
        reference: { type: "string", default: REFERENCE_MODEL },
        "few-shot": { type: "string", default: "pet" },
        splits: { type: "string" },
        mirror: { type: "string" },
        comparison: { type: "string" },
        help: { type: "boolean" },
      },
    });
    if (values.help) {
      console.log("usage: deno task cli model-card [--model <dir>] [--reference <dir>] [--few-shot pet,ptuning-v2] [--splits 0,1] [--mirror <dir>] [--comparison <saved comparison.json>]");
      return 0;
    }
    const dir = values.model!;
    const log = await readJsonFile(`${dir}/training_log.json`) as TrainingLog;
    const config = await readJsonFile(`${dir}/config.json`) as Record<string, unknown>;
    const splits = values.splits?.split(",").map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n)) throw new InputError(`not a list of split indices: "${values.splits}"`, { field: "--splits" });
      return n;
    });
    // A saved comparison re-renders the card without re-running the evaluations.
    const rows = values.comparison ? await readJsonFile(values.comparison) as ModelComparison[] : await compareModels([dir, values.reference!], {
      source: values.mirror ? { mirror: values.mirror } : undefined,
      fewShotMethods: values["few-shot"] ? values["few-shot"].split(",") : [],
      splits,
      onStatus: (s) => console.error(s),
    });
    await writeFileAtomic(`${dir}/comparison.json`, JSON.stringify(rows, null, 1) + "\n");
    await writeFileAtomic(`${dir}/README.md`, modelCard(dir.replace(/\/+$/, "").replace(/^.*\//, ""), config, log, rows));
    console.log(JSON.stringify(rows));
    return 0;
  },
};
