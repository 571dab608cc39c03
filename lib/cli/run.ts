/**
 * `deno task cli run`: one method on one dataset (registered, or a local `.csv`/`.jsonl` file) over a few-shot
 * protocol's splits (see `lib/experiments/fewclue_run.ts`); any `--kebab-case` flag beyond the run's own sets
 * the method option of the same camelCase name.
 */
import { fileURLToPath } from "node:url";
import { datasetFromFlags, datasetTask, LOCAL_DATA_FLAGS } from "../data/dataset_spec.ts";
import { type RunProtocol, runProtocol, type RunSummary } from "../experiments/fewclue_run.ts";
import { codeProvenance } from "../experiments/provenance.ts";
import { poolProblem } from "../experiments/grid_check.ts";
import { modelRef } from "../experiments/results.ts";
import { EMBEDDED_MODEL } from "../experiments/setup.ts";
import { DivergedRunError, type SplitResult } from "../experiments/split_run.ts";
import { chanceOf, chanceText } from "../eval/chance.ts";
import { collapseOf, collapseText } from "../eval/collapse.ts";
import { STD_LABEL } from "../eval/summary.ts";
import { getMethod } from "../methods/registry.ts";
import { loadAnyModelFolder } from "../model/folder.ts";
import { dataMirror } from "../util/config.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { percent } from "../util/format.ts";
import { printNextStep } from "../util/next_step.ts";
import { camelCase, type CommandSpec, type FlagValues, kebabCase } from "../util/flags.ts";
import { type Command, flagCommand } from "./command.ts";
import { methodsHelp } from "./method_help.ts";
import { progressReporter } from "./progress.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
const DEFAULT_MIRROR = `${repoRoot}/../shared/data`;

/** The flags of `run` itself; every other flag is a method option. */
export const RUN_SPEC = {
  name: "cli run",
  usage: "deno task cli run --method NAME --dataset NAME --protocol fewclue|sampled [flags] [--OPTION VALUE ...]\n" +
    "  deno task cli run --method NAME --dataset file.csv|file.jsonl --text COL [--text-b COL] --label COL [--test FILE] [--labels A,B] --protocol sampled [flags]\n" +
    "  deno task cli run --method NAME --dataset file.jsonl --text COL --label COL --dev FILE --test FILE --protocol fewclue [flags]\n" +
    "  deno task cli run --method NAME --dataset DIR (train_<i>.json, dev_<i>.json, test_public.json) --protocol fewclue [flags]\n" +
    "  deno task cli run --method pet --dataset NAME|FILE|DIR --mode zero-shot   (no protocol: the test set scored once)",
  extraFlags: true,
  flags: {
    method: { type: "string", value: "NAME", required: true, help: "the method (finetune, pet, autoprompt, ptuning-v2)" },
    dataset: {
      type: "string",
      value: "NAME|FILE|DIR",
      required: true,
      help: "a registered dataset, a .csv/.jsonl file (with --text and --label), or a folder in FewCLUE's layout",
    },
    ...LOCAL_DATA_FLAGS,
    protocol: {
      type: "string",
      choices: ["fewclue", "sampled"],
      help: "fewclue: FewCLUE's splits train_i/dev_i, scored on the test set; sampled: K per class drawn under each seed " +
        "(required, but with --mode zero-shot: without it, the test set is scored once, untrained)",
    },
    splits: { type: "ints", min: 0, help: "FewCLUE split indices (fewclue; default all)" },
    k: { type: "int", min: 1, help: "examples per class (sampled; default 16)" },
    seeds: { type: "ints", help: "seeds, one run each (sampled; default 1,2,3)" },
    model: {
      type: "string",
      value: "DIR",
      help: "a model folder: a BERT, or a T5 for text2text (default: the embedded models/promptlab-bert-zh-L4-H256)",
    },
    mirror: { type: "string", value: "DIR", help: "the data mirror (default: PROMPTLAB_DATA_MIRROR, else ../shared/data when present)" },
    json: { type: "boolean", help: "one JSON object per split, then a summary object (default: a table)" },
    save: { type: "string", value: "DIR", help: "save each split's trained predictor in DIR/<split> (for cli export and predict)" },
  },
  notes: `--OPTION VALUE sets a method option, e.g. --prefix-length 8 --lr 1e-2 --prefix-projection true.
Label words (PET's --verbalizer, AutoPrompt's --label-words) are a preset name, JSON words per label
('{"Positive":["好"],"Negative":["差"]}'), or a JSON file (@words.json, or a path ending .json).
FewCLUE csl, cluewsc, iflytek and csldcp bring their own template and label words (docs/data.md), which
prompt methods take unless --template, --verbalizer or --label-words say otherwise.
chid (multiple choice) scores each row's 7 candidate idioms in its blank with every method (docs/data.md).
Sentence pairs (bustm, or --text-b COL): PET and AutoPrompt need a template with a second slot
({text_b}, {sentence_b}; presets pair-question, pair-same, pair-semantic, pair-fewclue).

${methodsHelp()}

examples:
  deno task cli run --method ptuning-v2 --dataset eprstmt --protocol fewclue --prefix-length 8 --json
  deno task cli run --method pet --dataset reviews.csv --text review --label label --protocol sampled --k 8 \\
    --verbalizer '{"1":["好"],"0":["差"]}'
  deno task cli run --method pet --dataset bustm --protocol fewclue --template pair-question --verbalizer yes-no`,
} as const satisfies CommandSpec;

/** Options holding label words: a preset name, or words per label as JSON or a JSON file ({@link labelWords}). */
const LABEL_WORD_OPTIONS = new Set(["verbalizer", "labelWords"]);

/**
 * Label words from a flag: JSON (`{"Positive":["好"]}`), a JSON file (`@words.json`, or a path ending
 * `.json`), else a preset name. Their labels and words are checked by the method against the task.
 * @throws InputError naming the flag (and the file) when the JSON does not parse or the file cannot be read.
 */
export function labelWords(raw: string, field: string): unknown {
  const file = raw.startsWith("@") ? raw.slice(1) : raw.endsWith(".json") ? raw : undefined;
  if (file === undefined && !raw.trimStart().startsWith("{")) return raw;
  let text = raw;
  if (file !== undefined) {
    try {
      text = Deno.readTextFileSync(file);
    } catch (err) {
      throw new InputError(`cannot read (${(err as Error).message})`, { file, field });
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message}); give words per label, like {"Positive":["好"],"Negative":["差"]}`, {
      file,
      field,
    });
  }
}

/**
 * Method options from flags, each parsed after the type of its default: numbers, `true`/`false` (a bare flag
 * is true), strings, JSON for lists and objects; label words as {@link labelWords}.
 * @throws InputError naming a flag that is not one of the method's options or does not parse.
 */
export function methodOptions(method: string, defaults: object, flags: ReadonlyMap<string, string | true>): Record<string, unknown> {
  const known = defaults as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const [flag, raw] of flags) {
    const key = camelCase(flag), field = `--${flag}`;
    if (!/^[a-z][a-z0-9-]*$/.test(flag) || !Object.hasOwn(known, key)) {
      const names = Object.keys(known).map((k) => `--${kebabCase(k)}`).join(", ");
      throw new InputError(`not an option of method "${method}"; its options: ${names}`, { field });
    }
    const type = typeof known[key];
    if (type === "boolean") {
      if (raw !== true && raw !== "true" && raw !== "false") throw new InputError(`must be true or false, got "${raw}"`, { field });
      options[key] = raw !== "false";
      continue;
    }
    if (raw === true) throw new InputError(`needs a value`, { field });
    if (type === "number") {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new InputError(`must be a number, got "${raw}"`, { field });
      options[key] = n;
    } else if (LABEL_WORD_OPTIONS.has(key)) {
      options[key] = labelWords(raw, field);
    } else if (type === "string") {
      options[key] = raw;
    } else {
      try {
        options[key] = JSON.parse(raw);
      } catch {
        throw new InputError(`must be JSON, got "${raw}"`, { field });
      }
    }
  }
  return options;
}

/**
 * The protocol the flags ask for. A zero-shot method (`--mode zero-shot`) without `--protocol` runs once on the
 * test set, needing no K or sample (with one, it scores each of the protocol's splits, untrained).
 * @throws InputError naming the flag: a flag of the other protocol, no `--protocol` for a trained method, or
 *   split or sample flags with zero-shot but no protocol.
 */
export function protocolOf(flags: FlagValues<typeof RUN_SPEC.flags>, options: Readonly<Record<string, unknown>> = {}): RunProtocol {
  if (flags.protocol === undefined && options.mode === "zero-shot") {
    const extra = (["k", "seeds", "splits"] as const).find((f) => flags[f] !== undefined);
    if (extra) {
      throw new InputError("a zero-shot run without --protocol trains on no split: it scores the test set once", { field: `--${extra}` });
    }
    return { kind: "zero-shot" };
  }
  if (flags.protocol === undefined) {
    throw new InputError("must be fewclue or sampled, got nothing (only a --mode zero-shot run needs no protocol)", {
      field: "--protocol",
    });
  }
  if (flags.protocol === "fewclue") {
    if (flags.k !== undefined || flags.seeds) throw new InputError("--k and --seeds belong to --protocol sampled", { field: "--protocol" });
    return { kind: "fewclue", indices: flags.splits };
  }
  if (flags.splits) throw new InputError("--splits belongs to --protocol fewclue", { field: "--protocol" });
  return { kind: "sampled", k: flags.k ?? 16, seeds: flags.seeds ?? [1, 2, 3] };
}

/** Decimals of the percentages `run` prints (per split and in its summary). */
const DIGITS = 2;

function splitRow(r: SplitResult): string {
  return [
    r.split.padEnd(12),
    percent(r.accuracy, DIGITS).padStart(8),
    percent(r.macroF1, DIGITS).padStart(8),
    String(r.steps).padStart(6),
    String(r.bestStep).padStart(6),
    String(r.trainableParams).padStart(10),
    r.wallSeconds.toFixed(1).padStart(8),
  ].join(" ");
}

/** One line per predictor variant (`variants` of the splits): its options and its scores, averaged over the splits. */
function variantRows(splits: readonly SplitResult[]): string[] {
  const names = [...new Set(splits.flatMap((r) => Object.keys(r.variants ?? {})))];
  return names.map((name) => {
    const scores = splits.map((r) => r.variants?.[name]).filter((v) => v !== undefined);
    const mean = (f: (v: (typeof scores)[number]) => number) => scores.reduce((a, v) => a + f(v), 0) / scores.length;
    const options = Object.entries(scores[0].options).map(([k, v]) => `${k}=${v}`).join(" ");
    return `variant ${name} (${options}, the same weights): accuracy ${percent(mean((v) => v.accuracy), DIGITS)}, macro-F1 ${
      percent(mean((v) => v.macroF1), DIGITS)
    }`;
  });
}

function summaryRow(s: RunSummary): string {
  return `${s.method} on ${s.dataset} (${s.protocol}, ${s.splits} split${s.splits === 1 ? "" : "s"}): accuracy ${
    percent(s.accuracyMean, DIGITS)
  }` +
    `${s.splits > 1 ? ` ± ${percent(s.accuracyStd, DIGITS)} (${STD_LABEL})` : ""}, ` +
    `macro-F1 ${percent(s.macroF1Mean, DIGITS)}, ${s.trainableParams} trainable parameters, ${s.wallSeconds.toFixed(1)} s`;
}

/** The `run` command. */
export const run: Command = flagCommand(
  "train and score a method over a few-shot protocol's splits (FewCLUE or sampled)",
  RUN_SPEC,
  async (p) => {
    const { values, extra } = p;
    const method = values.method;
    const factory = getMethod(method);
    const options = methodOptions(method, factory.defaults, extra);
    const protocol = protocolOf(values, options);
    const dataset = await datasetTask(datasetFromFlags(values.dataset, values));
    const modelDir = values.model ?? (await exists(EMBEDDED_MODEL) ? EMBEDDED_MODEL : undefined);
    if (!modelDir) throw new InputError(`no model at ${EMBEDDED_MODEL}: pass --model DIR`, { field: "--model" });
    const mirror = values.mirror ?? (!dataMirror() && (await exists(DEFAULT_MIRROR)) ? DEFAULT_MIRROR : undefined);
    const json = values.json;
    if (protocol.kind === "sampled") {
      const problem = await poolProblem(dataset, protocol.k, protocol.seeds[0], { mirror });
      if (problem) throw new InputError(problem, { field: "--k" });
    }

    const model = await loadAnyModelFolder(modelDir);
    const code = await codeProvenance(); // the code that made these rows, in every --json line
    const progress = progressReporter();
    if (!json) {
      console.log(
        [
          "split".padEnd(12),
          "accuracy".padStart(8),
          "macroF1".padStart(8),
          "steps".padStart(6),
          "best".padStart(6),
          "params".padStart(10),
          "seconds".padStart(8),
        ].join(" "),
      );
    }
    const ran = await runProtocol({ method, dataset, protocol, model, options, source: { mirror }, saveDir: values.save }, {
      onProgress: (split, e) => progress.report(split, e),
      onSplit: (r) => {
        progress.done();
        console.log(json ? JSON.stringify({ type: "split", method, dataset: dataset.name, ...r, code }) : splitRow(r));
      },
    }).catch((err) => {
      if (!(err instanceof DivergedRunError)) throw err;
      progress.done();
      console.error(`error: ${err.split}: ${err.message}`);
      return null;
    });
    if (!ran) return 1;
    const { splits, summary } = ran;
    // The model by name, fingerprint and size: no machine path in what is printed (and often committed).
    if (json) {
      console.log(
        JSON.stringify({ type: "summary", ...summary, model: await modelRef(model), date: new Date().toISOString(), code }),
      );
    } else {
      console.log(summaryRow(summary));
      for (const line of variantRows(splits)) console.log(line);
      for (const note of new Set(splits.flatMap((r) => r.notes))) console.log(`note: ${note}`);
      for (const r of splits) {
        const collapse = collapseOf(r);
        if (collapse) console.log(`note: ${r.split}: ${collapseText(collapse)} (its score is that class's share, not a method working)`);
        const chance = chanceOf(r);
        if (chance) console.log(`note: ${r.split}: no better than the majority class: ${chanceText(chance)}, so its score is no result`);
      }
    }
    const saved = values.save === undefined ? [] : splits.map((r) => `${values.save}/${r.split}`);
    // Export loads the predictor onto its base model: one given by --model is named again.
    const modelFlag = values.model === undefined ? "" : ` --model ${values.model}`;
    const exportNext = saved.length
      ? [`deno task cli export ${saved[0]}${modelFlag} --out <dir>   # a folder transformers.js loads (docs/export.md)`]
      : [];
    printNextStep({
      wrote: saved,
      nothing: json ? "redirect stdout to a file to keep these rows" : "add --json and redirect stdout to keep the rows",
      next: [
        ...exportNext,
        "deno task grid <grid.json>   # several methods, K and seeds into a resumable results file, then figures (docs/experiments.md)",
      ],
    }, json);
    return 0;
  },
);
