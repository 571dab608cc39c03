/**
 * `deno task cli predict <saved or exported folder>`: class probabilities of `--text` (given once per text,
 * with `--text-b` once per text for sentence pairs) or of a file's text column (and `--text-b-column`), as
 * JSON Lines `{text, text_b, label, probabilities}` on stdout or in `--out`, with progress on stderr.
 */
import { readLocalRows } from "../data/mod.ts";
import { argmax } from "../eval/metrics.ts";
import type { TextInput } from "../model/batch.ts";
import { openPredictor, type TextClassifier } from "../methods/open_predictor.ts";
import { inputKindOf } from "../methods/prompt_inputs.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { type CommandSpec, type FlagValues } from "../util/flags.ts";
import { printNextStep } from "../util/next_step.ts";
import { statusLine } from "../util/status_line.ts";
import { type Command, flagCommand } from "./command.ts";
import { BASE_MODEL_FLAG } from "./export.ts";

const SPEC = {
  name: "cli predict",
  usage:
    "deno task cli predict <saved or exported folder> (--text A [--text-b B] [--text A --text-b B ...] | --input FILE --text-column COL [--text-b-column COL]) [--out FILE] [--model DIR]",
  positionals: { name: "saved predictor or export folder", min: 1, max: 1 },
  flags: {
    text: { type: "repeated", help: "a text to classify (a pair's first text); give it once per text" },
    "text-b": { type: "repeated", help: "a pair's second text: once per --text, in the same order" },
    input: { type: "string", value: "FILE", help: "texts to classify: a .jsonl (JSON Lines) or .csv file" },
    "text-column": { type: "string", value: "COL", default: "text", help: "the input file's text column" },
    "text-b-column": { type: "string", value: "COL", help: "the input file's second-text column: its rows are sentence pairs" },
    out: { type: "string", value: "FILE", help: "write the JSON Lines here (default: stdout)" },
    model: BASE_MODEL_FLAG,
    "batch-size": { type: "int", min: 1, default: 64, help: "texts per batch (progress is reported per batch)" },
  },
  notes: `each output line: {"text": ..., "text_b": ... (pairs only), "label": the most probable label, "probabilities": {label: p, ...}}
the other kind of input than the model takes is refused: a PET, soft-prompt or AutoPrompt model takes pairs when its template
has a second slot, single texts otherwise; a fine-tuning or P-tuning v2 model, the kind it was trained on (one
saved before the kit recorded that encodes either: give it the kind it was trained on; docs/export.md).`,
} as const satisfies CommandSpec;

type Values = FlagValues<typeof SPEC.flags>;

/** The texts or pairs the flags give, with the flag that makes them pairs. */
async function readInputs(values: Values): Promise<{ inputs: TextInput[]; pairFlag: string }> {
  const textB = values["text-b"];
  if (values.input === undefined) {
    if (values["text-b-column"] !== undefined) {
      throw new InputError("goes with --input; with --text give --text-b", { field: "--text-b-column" });
    }
    if (textB.length && textB.length !== values.text.length) {
      throw new InputError(`${textB.length} given for ${values.text.length} --text: give one per --text, in the same order`, {
        field: "--text-b",
      });
    }
    return { inputs: textB.length ? values.text.map((text, i) => ({ text, textB: textB[i] })) : values.text, pairFlag: "--text-b" };
  }
  if (textB.length) throw new InputError("goes with --text; with --input give --text-b-column", { field: "--text-b" });
  const rows = await readLocalRows(values.input, { text: values["text-column"], textB: values["text-b-column"] });
  return { inputs: rows.map(({ text, textB }) => (textB === undefined ? text : { text, textB })), pairFlag: "--text-b-column" };
}

/** @throws InputError naming `pairFlag` when the model says it takes the other kind of input than `inputs`. */
function checkInputKind(predictor: TextClassifier, inputs: readonly TextInput[], pairFlag: string): void {
  if (!predictor.inputs || predictor.inputs === inputKindOf(inputs[0])) return;
  const pair = predictor.inputs === "pair", fix = `${pair ? "give" : "drop"} ${pairFlag}`;
  const what = pair ? "sentence pairs" : "single texts";
  const problem = predictor.inputsFrom === "training"
    ? `the model (${predictor.kind}) was trained on ${what}: ${fix}`
    : `the model (${predictor.kind}) takes ${what}, its template having ${pair ? "a second input slot" : "one input slot"}: ${fix}`;
  throw new InputError(problem, { field: pairFlag });
}

/** The `predict` command. */
export const predictCommand: Command = flagCommand(
  "classify texts or sentence pairs (--text or a .jsonl/.csv file) with a saved predictor or an export; JSON Lines out",
  SPEC,
  async (p) => {
    const { values } = p;
    if ((values.text.length > 0) === (values.input !== undefined)) {
      throw new InputError("give either --text or --input", { field: "--text" });
    }
    const { inputs, pairFlag } = await readInputs(values);
    const predictor = await openPredictor(p.positionals[0], values.model);
    checkInputKind(predictor, inputs, pairFlag);
    const line = statusLine();
    const lines: string[] = [];
    for (let start = 0; start < inputs.length; start += values["batch-size"]) {
      const batch = inputs.slice(start, start + values["batch-size"]);
      const proba = await predictor.predictProba(batch);
      const generated = await predictor.generate?.(batch);
      batch.forEach((input, i) => {
        const pair = typeof input === "string" ? { text: input } : { text: input.text, text_b: input.textB };
        const probabilities = Object.fromEntries(predictor.labels.map((l, c) => [l, proba[i][c]]));
        const row = JSON.stringify({
          ...pair,
          label: predictor.labels[argmax(proba[i])],
          probabilities,
          ...(generated ? { generated: generated[i] } : {}),
        });
        if (values.out) lines.push(row);
        else console.log(row);
      });
      const done = Math.min(start + batch.length, inputs.length);
      if (inputs.length > values["batch-size"]) line.show(`predict ${done}/${inputs.length} texts`, done === inputs.length);
    }
    line.end();
    if (values.out) await writeFileAtomic(values.out, lines.map((l) => `${l}\n`).join(""));
    // On stderr: stdout may carry the JSON Lines.
    printNextStep(
      { wrote: values.out ? [values.out] : [], nothing: "the rows went to stdout; --out FILE writes them to a file", next: [] },
      true,
    );
    return 0;
  },
);
