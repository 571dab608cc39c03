import { type Command, flagCommand } from "./command.ts";
import type { CommandSpec } from "../util/flags.ts";
import { MIRROR_FLAG } from "./common_flags.ts";
import { printNextStep } from "../util/next_step.ts";
import { readMixture, withLr } from "../multitask/mixture.ts";
import { leaveOneOutPlan, runLeaveOneOut } from "../multitask/leave_one_out.ts";
import { trainedModelsDir } from "../experiments/setup.ts";

const SPEC = {
  name: "cli zeroprompt",
  usage: "deno task cli zeroprompt --mixtures FILE,FILE,... --models DIR,DIR,... [--models-dir DIR] [--steps N] [--lr X] [--minutes M]",
  flags: {
    mixtures: {
      type: "strings",
      value: "FILES",
      required: true,
      help: "mixture files, one per held-out task, e.g. mixtures/holdout_eprstmt.json,mixtures/holdout_bustm.json",
    },
    models: { type: "strings", value: "DIRS", required: true, help: "base model folders (the sizes compared): BERTs, T5s or both" },
    "models-dir": {
      type: "string",
      value: "DIR",
      help: "folder of the multitask models (default models/zeroprompt; runs/ci/models/zeroprompt at the ci budget)",
    },
    steps: { type: "int", min: 1, help: "multitask steps instead of each mixture's (a cost measurement)" },
    lr: {
      type: "number",
      above: 0,
      help: "peak learning rate instead of the mixture's (a T5 trains at 1e-4; the mixtures carry a BERT's 2e-5)",
    },
    minutes: { type: "number", above: 0, help: "start no grid cell or training after this many minutes; rerun to go on" },
    mirror: MIRROR_FLAG,
  },
  notes: "Leave-one-task-out (docs/zeroprompt.md): per mixture and base model, the held-out wordings zero-shot on the base\n" +
    "model (before), PET and fine-tuning at K = 16 on the held-out task (references), multitask training into\n" +
    "<models-dir>/<model>-zeroprompt-<task>, and the wordings again on that model (after). On a T5 base (capability\n" +
    "text-to-text) the wordings are the text2text method's zero-shot ([MASK] read as <extra_id_0>), the references its\n" +
    "fine-tuning at K = 16, and training text to text (cli multitask --help). Rerunning the same command\n" +
    "goes on from where it stopped: finished cells and models are kept, a stopped training resumes from its checkpoint.\n" +
    "Results go where `deno task grid` puts them: results/grids/<grid>-<model>.jsonl with PROMPTLAB_BUDGET=full.",
} as const satisfies CommandSpec;

/** `deno task cli zeroprompt`: the leave-one-task-out experiment, resumable. */
export const zeropromptCommand: Command = flagCommand(
  "leave-one-task-out: zero-shot on each held-out task before and after multitask training, with K = 16 references",
  SPEC,
  async ({ values }) => {
    const mixtures = [];
    for (const file of values.mixtures) mixtures.push(withLr(await readMixture(file), values.lr));
    const cases = await leaveOneOutPlan(mixtures, values.models, { modelsDir: values["models-dir"] ?? trainedModelsDir("zeroprompt") });
    const outcome = await runLeaveOneOut(cases, {
      steps: values.steps,
      source: values.mirror ? { mirror: values.mirror } : undefined,
      deadline: values.minutes === undefined ? undefined : Date.now() + values.minutes * 60_000,
      onStage: (line) => console.error(line),
    });
    for (const [dir, t] of outcome.trained) {
      console.log(JSON.stringify({ multitask: dir, steps: t.steps, seconds: Math.round(t.seconds), stepsPerSecond: t.steps / t.seconds }));
    }
    const results = [...new Set(cases.flatMap((c) => c.grids.map((g) => g.results)))];
    printNextStep({
      wrote: results,
      next: outcome.done
        ? [`deno task figures ${results.join(" ")} --out figures/zeroprompt   # transfer and spread`]
        : ["the same command again   # it goes on from here"],
    });
    return outcome.interrupted ? 130 : 0;
  },
);
