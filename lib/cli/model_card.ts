import { type Command, flagCommand } from "./command.ts";
import { compareModels, modelCard, type TrainingLog } from "../experiments/model_card.ts";
import { readComparison } from "../experiments/comparison_file.ts";
import { EMBEDDED_MODEL, REFERENCE_MODEL } from "../experiments/setup.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { readJsonFile } from "../util/json_file.ts";
import { type CommandSpec } from "../util/flags.ts";
import { MIRROR_FLAG } from "./common_flags.ts";
import { printNextStep } from "../util/next_step.ts";
import { pet } from "../methods/pet/pet.ts";
import { loadT5Folder } from "../model/t5/folder.ts";
import { t5ModelCard } from "../experiments/t5_model_card.ts";
import { numel } from "../util/tensor.ts";

/** A kit-pretrained T5's card: no comparison (the methods do not run on T5 yet), the held-out score of its log. */
async function writeT5Card(dir: string, log: TrainingLog): Promise<number> {
  const { config, weights } = await loadT5Folder(dir);
  const parameters = [...weights.values()].reduce((n, w) => n + numel(w.shape), 0);
  await writeFileAtomic(`${dir}/README.md`, t5ModelCard(dir.replace(/\/+$/, "").replace(/^.*\//, ""), config, log, parameters));
  printNextStep({ wrote: [`${dir}/README.md`], next: [] }, true);
  return 0;
}

const SPEC = {
  name: "cli model-card",
  usage:
    "deno task cli model-card [--model DIR] [--reference DIR] [--few-shot pet,ptuning-v2] [--splits 0,1] [--mirror DIR] [--comparison FILE]",
  flags: {
    model: { type: "string", value: "DIR", default: EMBEDDED_MODEL, help: "the kit-pretrained model folder (its README.md is written)" },
    reference: { type: "string", value: "DIR", default: REFERENCE_MODEL, help: "the model to compare with" },
    "few-shot": { type: "strings", allowEmpty: true, default: [pet.name], help: 'methods for the few-shot rows ("" for none)' },
    splits: { type: "ints", min: 0, help: "FewCLUE split indices (default all)" },
    mirror: MIRROR_FLAG,
    comparison: { type: "string", value: "FILE", help: "a saved comparison.json: re-render the card without evaluating" },
  },
} as const satisfies CommandSpec;

/** `deno task cli model-card`: compare a pre-trained model with a reference and write its model card. */
export const modelCardCommand: Command = flagCommand(
  "compare a kit-pretrained model with a reference (held-out MLM, zero-shot, few-shot) and write its README.md (a T5's: its training alone)",
  SPEC,
  async (p) => {
    const { values } = p;
    const dir = values.model;
    const log = await readJsonFile(`${dir}/training_log.json`) as TrainingLog;
    const config = await readJsonFile(`${dir}/config.json`) as Record<string, unknown>;
    if (config.model_type === "t5" || config.model_type === "mt5") return await writeT5Card(dir, log);
    // A saved comparison re-renders the card without re-running the evaluations.
    const rows = values.comparison ? await readComparison(values.comparison) : await compareModels([dir, values.reference], {
      source: values.mirror ? { mirror: values.mirror } : undefined,
      fewShotMethods: values["few-shot"],
      splits: values.splits,
      onStatus: (s) => console.error(s),
    });
    await writeFileAtomic(`${dir}/comparison.json`, JSON.stringify(rows, null, 1) + "\n");
    await writeFileAtomic(`${dir}/README.md`, modelCard(dir.replace(/\/+$/, "").replace(/^.*\//, ""), config, log, rows));
    console.log(JSON.stringify(rows));
    printNextStep({
      wrote: [`${dir}/README.md`, `${dir}/comparison.json`],
      next: [`deno task demo --model ${dir}   # every method on this model (or deno task grid <grid.json> --model ${dir})`],
    }, true);
    return 0;
  },
);
