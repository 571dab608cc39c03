import { stepLogger } from "./progress.ts";
import { type Command, flagCommand } from "./command.ts";
import { pretrain, PRETRAIN_ARCHS, PRETRAIN_DEFAULTS, type PretrainOptions } from "../pretrain/pretrain.ts";
import { T5_SIZES } from "../pretrain/t5_objective.ts";
import { CORPUS_NAMES } from "../pretrain/corpora.ts";
import { FAMILY_MEMBERS, familyOptions } from "../pretrain/family.ts";
import { camelCase, type CommandSpec, type Flag } from "../util/flags.ts";
import { MIRROR_FLAG } from "./common_flags.ts";
import { printNextStep } from "../util/next_step.ts";

/**
 * A help line with the library's default, which applies to a fresh run (a resume keeps the checkpoint's), and a
 * T5's where it differs.
 */
const help = (flag: string, text: string) => {
  const d = PRETRAIN_DEFAULTS[camelCase(flag) as keyof typeof PRETRAIN_DEFAULTS];
  const t5 = T5_SIZES[camelCase(flag) as keyof typeof T5_SIZES];
  return d === undefined ? text : `${text} (default ${d}${t5 === undefined ? "" : `, a T5's ${t5}`})`;
};

/** Numeric options of {@link pretrain}, by flag; a flag left out takes the checkpoint's value or the default. */
const NUMERIC = {
  layers: { type: "int", min: 1, help: help("layers", "encoder layers of a new model (a T5: blocks per stack)") },
  hidden: { type: "int", min: 1, help: help("hidden", "hidden size (d_model) of a new model") },
  heads: { type: "int", min: 1, help: help("heads", "attention heads of a new model") },
  intermediate: { type: "int", min: 1, help: help("intermediate", "feed-forward size (d_ff) of a new model") },
  "max-length": { type: "int", min: 1, help: help("max-length", "longest sequence, at least 32") },
  "min-freq": { type: "int", min: 1, help: help("min-freq", "keep characters seen at least this often") },
  "tokens-per-batch": { type: "int", min: 1, help: help("tokens-per-batch", "tokens per batch") },
  "micro-batch-tokens": {
    type: "int",
    min: 1,
    help: help("micro-batch-tokens", "most tokens one forward/backward pass holds; a batch runs as passes with summed gradients (memory)"),
  },
  lr: { type: "number", above: 0, help: help("lr", "peak learning rate") },
  beta2: { type: "number", min: 0, below: 1, help: help("beta2", "AdamW beta2") },
  "weight-decay": { type: "number", min: 0, help: help("weight-decay", "AdamW weight decay") },
  "warmup-steps": { type: "int", min: 0, help: help("warmup-steps", "linear warmup steps") },
  steps: { type: "int", min: 1, help: "step budget" },
  minutes: { type: "number", above: 0, help: "wall-clock budget; the step count is fixed once warmup has measured the speed" },
  "eval-every": { type: "int", min: 1, help: help("eval-every", "held-out evaluation every this many steps") },
  heldout: { type: "int", min: 1, help: help("heldout", "texts held out for evaluation") },
  "checkpoint-minutes": { type: "number", above: 0, help: help("checkpoint-minutes", "checkpoint every this many minutes") },
  seed: { type: "int", help: help("seed", "seed of initialisation, batches and masks") },
  "stop-at": { type: "int", min: 1, help: "pause with a checkpoint after this step" },
} as const satisfies Record<string, Flag>;

const SPEC = {
  name: "cli pretrain",
  usage:
    "deno task cli pretrain --out DIR (--steps N | --minutes M | --family NAME) [--arch bert|t5] [--from DIR] [--corpus NAME] [--mirror DIR] [flags]",
  flags: {
    arch: {
      type: "string",
      value: "NAME",
      choices: Object.keys(PRETRAIN_ARCHS),
      help: `the backbone: bert (masked LM) or t5 (span corruption) (default ${PRETRAIN_DEFAULTS.arch})`,
    },
    out: { type: "string", value: "DIR", required: true, help: "output model folder; a run resumes from its checkpoint/" },
    from: { type: "string", value: "DIR", help: "continue from this model folder instead of starting from scratch" },
    tokenizer: {
      type: "string",
      value: "DIR",
      help: "a new model takes this folder's tokenizer instead of a vocabulary built from the corpus",
    },
    corpus: {
      type: "string",
      value: "NAME",
      choices: CORPUS_NAMES,
      help: `the named corpus to train on (default ${PRETRAIN_DEFAULTS.corpusName})`,
    },
    family: {
      type: "string",
      value: "NAME",
      choices: FAMILY_MEMBERS.map((m) => m.name),
      help: "a size of the model family: its shape, corpus and the family's recipe (lib/pretrain/family.ts); flags given override them",
    },
    mirror: MIRROR_FLAG,
    ...NUMERIC,
    "allow-changes": { type: "boolean", help: "let a resume change the checkpoint's training options (a new stage of the log)" },
  },
  notes: "A resume takes the checkpoint's options; one given with another value is refused unless --allow-changes.\n" +
    "Ctrl-C writes a checkpoint and exits with code 130; run the same command again to go on.",
} as const satisfies CommandSpec;

/**
 * `deno task cli pretrain --out <dir> --minutes 60 [--arch t5]`: masked-LM (BERT) or span-corruption (T5)
 * pre-training with checkpoints and resume.
 */
export const pretrainCommand: Command = flagCommand(
  "masked-LM (BERT) or span-corruption (--arch t5) pre-training from scratch or from --from <model>; resumes from <out>/checkpoint",
  SPEC,
  async (p) => {
    const { values } = p;
    const numbers: Partial<PretrainOptions> = {};
    for (const flag of Object.keys(NUMERIC) as (keyof typeof NUMERIC)[]) {
      if (values[flag] !== undefined) Object.assign(numbers, { [camelCase(flag)]: values[flag] });
    }
    const result = await pretrain({
      ...(values.family ? familyOptions(values.family) : {}),
      ...numbers,
      ...(values.corpus ? { corpusName: values.corpus } : {}),
      arch: values.arch as PretrainOptions["arch"] | undefined, // one of PRETRAIN_ARCHS: the flag's choices
      out: values.out,
      from: values.from,
      ...(values.tokenizer ? { tokenizer: values.tokenizer } : {}),
      allowChanges: values["allow-changes"],
      source: values.mirror ? { mirror: values.mirror } : undefined,
      onLog: (entry) => console.log(JSON.stringify(entry)),
      onProgress: stepLogger("pretrain"),
    });
    console.log(JSON.stringify({
      done: !result.stopped,
      dir: result.dir,
      steps: result.steps,
      tokens: result.tokensSeen,
      seconds: Math.round(result.seconds),
      heldout_loss: result.heldout.loss,
      heldout_acc: result.heldout.accuracy,
    }));
    if (!result.interrupted) {
      printNextStep({
        wrote: [`${result.dir}/ (the model; its checkpoint/ to resume)`],
        next: result.stopped ? ["the same command again   # goes on from the checkpoint"] : [
          `deno task cli model-card --model ${result.dir}   # write its README.md (a BERT's compared with the reference model)`,
        ],
      }, true);
      return 0;
    }
    console.error(`interrupted at step ${result.steps}: checkpoint in ${result.dir}/checkpoint; run the same command to go on`);
    return 130;
  },
);
