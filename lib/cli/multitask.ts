import { stepLogger } from "./progress.ts";
import { type Command, flagCommand } from "./command.ts";
import type { CommandSpec } from "../util/flags.ts";
import { MIRROR_FLAG } from "./common_flags.ts";
import { printNextStep } from "../util/next_step.ts";
import { readMixture, withLr } from "../multitask/mixture.ts";
import { multitask } from "../multitask/train.ts";
import { multitaskPath } from "../multitask/backbone_path.ts";
import { EMBEDDED_MODEL } from "../experiments/setup.ts";

const SPEC = {
  name: "cli multitask",
  usage: "deno task cli multitask --mixture FILE --out DIR [--model DIR] [--steps N] [--lr X] [--mirror DIR] [flags]",
  flags: {
    mixture: {
      type: "string",
      value: "FILE",
      required: true,
      help: "mixture definition (JSON, docs/zeroprompt.md), e.g. mixtures/holdout_eprstmt.json",
    },
    out: { type: "string", value: "DIR", required: true, help: "output model folder; a run resumes from its checkpoint/" },
    model: {
      type: "string",
      value: "DIR",
      help: "the model folder to start from, a BERT or a T5 (default: the embedded models/promptlab-bert-zh-L4-H256)",
    },
    steps: { type: "int", min: 1, help: "step budget instead of the mixture's" },
    lr: {
      type: "number",
      above: 0,
      help: "peak learning rate instead of the mixture's (a T5 trains at 1e-4; the mixtures carry a BERT's 2e-5)",
    },
    mirror: MIRROR_FLAG,
    "checkpoint-minutes": { type: "number", above: 0, default: 5, help: "checkpoint every this many minutes" },
    "log-every": { type: "int", min: 1, default: 50, help: "a log line (mean training loss) every this many steps" },
    "stop-at": { type: "int", min: 1, help: "pause with a checkpoint after this step" },
  },
  notes: "Trains the whole model on the mixture's tasks, each row rendered with one of its task's templates; the held-out\n" +
    "task contributes nothing. The model's backbone decides the objective: a BERT (masked LM) trains with PET's loss\n" +
    "over the label words at [MASK]; a T5 (text-to-text, e.g. models/promptlab-t5-zh-L2-H192) reads each template\n" +
    "with [MASK] as the sentinel <extra_id_0> and learns the target <extra_id_0> + the label's first word by teacher\n" +
    "forcing, as the text2text method scores it. A stopped run resumes exactly from <out>/checkpoint with the same\n" +
    "command (same mixture, --model, --steps and --lr); Ctrl-C writes a checkpoint and exits with code 130.",
} as const satisfies CommandSpec;

/** `deno task cli multitask --mixture FILE --out DIR`: multitask prompted training (ZeroPrompt) with resume. */
export const multitaskCommand: Command = flagCommand(
  "multitask prompted training (ZeroPrompt) on a mixture of prompted tasks; resumes from <out>/checkpoint",
  SPEC,
  async ({ values }) => {
    const mixture = withLr(await readMixture(values.mixture), values.lr);
    const result = await multitask({
      mixture,
      out: values.out,
      model: values.model ?? EMBEDDED_MODEL,
      steps: values.steps,
      stopAt: values["stop-at"],
      checkpointMinutes: values["checkpoint-minutes"],
      logEvery: values["log-every"],
      source: values.mirror ? { mirror: values.mirror } : undefined,
      onLog: (entry) => console.log(JSON.stringify(entry)),
      onProgress: stepLogger("multitask"),
    });
    console.log(JSON.stringify({ done: !result.stopped, dir: result.dir, steps: result.steps, seconds: Math.round(result.seconds) }));
    if (result.interrupted) {
      console.error(`interrupted at step ${result.steps}: checkpoint in ${result.dir}/checkpoint; run the same command to go on`);
      return 130;
    }
    // The held-out task's zero-shot method is the one the trained model's backbone takes.
    const { method } = (await multitaskPath(result.dir)).wording(mixture.heldout.wordings[0]);
    printNextStep({
      wrote: [`${result.dir}/ (the model, README.md naming the mixture and held-out task; checkpoint/ to resume)`],
      next: result.stopped ? ["the same command again   # goes on from the checkpoint"] : [
        `deno task cli run --method ${method} --dataset ${mixture.heldout.task.name} --mode zero-shot --model ${result.dir}   # zero-shot on the held-out task`,
      ],
    }, true);
    return 0;
  },
);
