/**
 * `deno task cli predict <saved or exported folder>`: class probabilities of `--text` (given once per text) or
 * of a file's text column, as JSON Lines `{text, label, probabilities}` on stdout or in `--out`, with progress on stderr.
 */
import { readLocalRows } from "../data/mod.ts";
import { argmax } from "../eval/metrics.ts";
import { openPredictor } from "../methods/open_predictor.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { type CommandSpec } from "../util/flags.ts";
import { printNextStep } from "../util/next_step.ts";
import { statusLine } from "../util/status_line.ts";
import { type Command, flagCommand } from "./command.ts";
import { BASE_MODEL_FLAG } from "./export.ts";

const SPEC = {
  name: "cli predict",
  usage: "deno task cli predict <saved or exported folder> (--text TEXT [--text TEXT ...] | --input FILE --text-column COL) [--out FILE] [--model DIR]",
  positionals: { name: "saved predictor or export folder", min: 1, max: 1 },
  flags: {
    text: { type: "repeated", help: "a text to classify; give it once per text" },
    input: { type: "string", value: "FILE", help: "texts to classify: a .jsonl (JSON Lines) or .csv file" },
    "text-column": { type: "string", value: "COL", default: "text", help: "the input file's text column" },
    out: { type: "string", value: "FILE", help: "write the JSON Lines here (default: stdout)" },
    model: BASE_MODEL_FLAG,
    "batch-size": { type: "int", min: 1, default: 64, help: "texts per batch (progress is reported per batch)" },
  },
  notes: "each output line: {\"text\": ..., \"label\": the most probable label, \"probabilities\": {label: p, ...}}",
} as const satisfies CommandSpec;

/** The `predict` command. */
export const predictCommand: Command = flagCommand("classify texts (--text or a .jsonl/.csv file) with a saved predictor or an export; JSON Lines out", SPEC, async (p) => {
  const { values } = p;
  if ((values.text.length > 0) === (values.input !== undefined)) throw new InputError("give either --text or --input", { field: "--text" });
  const texts = values.text.length > 0
    ? values.text
    : (await readLocalRows(values.input!, { text: values["text-column"] })).map((r) => r.text);
  const predictor = await openPredictor(p.positionals[0], values.model);
  const line = statusLine();
  const lines: string[] = [];
  for (let start = 0; start < texts.length; start += values["batch-size"]) {
    const batch = texts.slice(start, start + values["batch-size"]);
    const proba = await predictor.predictProba(batch);
    batch.forEach((text, i) => {
      const probabilities = Object.fromEntries(predictor.labels.map((l, c) => [l, proba[i][c]]));
      const row = JSON.stringify({ text, label: predictor.labels[argmax(proba[i])], probabilities });
      if (values.out) lines.push(row);
      else console.log(row);
    });
    const done = Math.min(start + batch.length, texts.length);
    if (texts.length > values["batch-size"]) line.show(`predict ${done}/${texts.length} texts`, done === texts.length);
  }
  line.end();
  if (values.out) await writeFileAtomic(values.out, lines.map((l) => `${l}\n`).join(""));
  // On stderr: stdout may carry the JSON Lines.
  printNextStep({ wrote: values.out ? [values.out] : [], nothing: "the rows went to stdout; --out FILE writes them to a file", next: [] }, true);
  return 0;
});
