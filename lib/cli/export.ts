/**
 * `deno task cli export <saved> --out DIR`: a saved predictor as a folder transformers.js loads; `deno task cli
 * export --model T5DIR --out DIR`: a T5 model itself, for text2text-generation (docs/export.md).
 */
import { EMBEDDED_MODEL } from "../experiments/setup.ts";
import { exportSaved } from "../methods/export.ts";
import { loadAnyModelFolder } from "../model/folder.ts";
import { writeT5Export } from "../model/t5/export.ts";
import { isT5Folder, loadT5Folder } from "../model/t5/folder.ts";
import { InputError } from "../util/errors.ts";
import { type CommandSpec } from "../util/flags.ts";
import { printNextStep } from "../util/next_step.ts";
import { type Command, flagCommand } from "./command.ts";

/** `--model DIR`: the base model a saved predictor was trained on. */
export const BASE_MODEL_FLAG = {
  type: "string",
  value: "DIR",
  default: EMBEDDED_MODEL,
  help: "the base model the predictor was trained on (its fingerprint is checked)",
} as const;

const SPEC = {
  name: "cli export",
  usage: "deno task cli export <saved predictor folder> --out DIR [--model DIR]\n  deno task cli export --model T5DIR --out DIR",
  positionals: { name: "saved predictor folder", min: 0, max: 1 },
  flags: {
    out: {
      type: "string",
      value: "DIR",
      required: true,
      help:
        "a new or empty folder, or an earlier export (replaced): config.json, tokenizer files, onnx/model.onnx, model.safetensors, promptlab_scorer.mjs, ...",
    },
    model: BASE_MODEL_FLAG,
  },
  notes: `finetune and ptuning-v2 export for pipeline('text-classification') (ptuning-v2 also writes a PEFT adapter);
pet and soft-prompt export for pipeline('fill-mask') with promptlab.json (soft-prompt: its vectors baked into the
ONNX graph, plus a PEFT PROMPT_TUNING or P_TUNING adapter); every export ships promptlab_scorer.mjs, the scorer
that sentence pairs, PET and soft prompts need, and model.safetensors for Python transformers (see docs/export.md).
text2text (on a T5: give its --model) exports for pipeline('text2text-generation') with promptlab.json (its template:
the pipeline takes the filled prompt; prompt tuning's vectors baked into the encoder graph); cli predict opens it.
an export records the kind of input its model takes; one trained on sentence pairs takes them in cli predict with --text-b.
without a saved predictor, --model names a T5 folder (model_type t5 or mt5): the model itself exports for
pipeline('text2text-generation') (onnx/encoder_model.onnx, onnx/decoder_model_merged.onnx with a key/value cache).`,
} as const satisfies CommandSpec;

/** The `export` command. */
export const exportCommand: Command = flagCommand(
  "export a saved predictor as a Hugging Face folder transformers.js loads offline (ONNX, config, tokenizer)",
  SPEC,
  async (p) => {
    const [saved] = p.positionals;
    const { out } = p.values;
    if (saved === undefined) return await exportT5(p.values.model, out);
    const { pipeline, inputs } = await exportSaved(saved, await loadAnyModelFolder(p.values.model), out);
    const example = inputs === "pair" ? `--text "今天天气怎么样" --text-b "今天的天气如何"` : `--text "物流很快，包装完好。"`;
    printNextStep({
      wrote: [out],
      next: [`deno task cli predict ${out} ${example}   # the export through transformers.js' pipeline("${pipeline}") (docs/export.md)`],
    });
    return 0;
  },
);

/** A T5 model folder exported for text2text-generation; any other `--model` means the saved predictor was forgotten. */
async function exportT5(model: string, out: string): Promise<number> {
  if (!(await isT5Folder(model))) {
    throw new InputError(
      `missing saved predictor folder; usage: ${SPEC.usage.split("\n")[0]} (or --model a T5 folder to export the model itself)`,
    );
  }
  await writeT5Export(out, await loadT5Folder(model), "--out");
  const generate = `console.log(await (await openT5Export('${out}'))('这个手机很好', { max_new_tokens: 16 }))`;
  printNextStep({
    wrote: [out],
    next: [
      `deno eval "import { openT5Export } from './lib/model/t5/export_pipeline.ts'; ${generate}"   # pipeline("text2text-generation") on the export (docs/export.md)`,
    ],
  });
  return 0;
}
