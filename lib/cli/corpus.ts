/** `deno task cli corpus`: a named pre-training corpus's size, and the family's held-out masked LM on it. */
import { type Command, flagCommand } from "./command.ts";
import { CORPUS_NAMES, DEFAULT_CORPUS } from "../pretrain/corpora.ts";
import { pretrainingCorpus } from "../pretrain/corpus.ts";
import { corpusTokens } from "../pretrain/corpus_stats.ts";
import { PRETRAIN_DEFAULTS } from "../pretrain/pretrain.ts";
import { loadTokenizer } from "../model/tokenizers/tokenizer.ts";
import { heldoutScores, heldoutTable } from "../experiments/heldout_scores.ts";
import { modelFamily } from "../experiments/model_family.ts";
import { EMBEDDED_MODEL } from "../experiments/setup.ts";
import { type CommandSpec } from "../util/flags.ts";
import { MIRROR_FLAG } from "./common_flags.ts";

const SPEC = {
  name: "cli corpus",
  usage: "deno task cli corpus [--name NAME] [--tokenizer DIR] [--family | --models DIR,...] [--mirror DIR]",
  flags: {
    name: { type: "string", value: "NAME", choices: CORPUS_NAMES, default: DEFAULT_CORPUS, help: "the corpus" },
    tokenizer: { type: "string", value: "DIR", default: EMBEDDED_MODEL, help: "count tokens with this model folder's tokenizer" },
    family: { type: "boolean", help: "score every model of the family (models/) on the corpus's held-out texts" },
    models: { type: "strings", value: "DIRS", help: "score these model folders on the corpus's held-out texts" },
    mirror: MIRROR_FLAG,
  },
  notes: "Prints the corpus's counts as one JSON line (texts per source, duplicates, decontaminated, characters, tokens),\n" +
    "then, with --family or --models, a Markdown table of held-out masked-LM loss and accuracy.",
} as const satisfies CommandSpec;

/** The `corpus` command. */
export const corpusCommand: Command = flagCommand(
  "a named pre-training corpus's size (texts, characters, tokens); held-out masked LM of the family on it",
  SPEC,
  async ({ values }) => {
    const source = values.mirror ? { mirror: values.mirror } : undefined;
    const corpus = await pretrainingCorpus({ ...source, name: values.name });
    const tokens = corpusTokens(corpus, await loadTokenizer(values.tokenizer), PRETRAIN_DEFAULTS.maxLength);
    console.log(JSON.stringify({ ...corpus.report, tokenizer: values.tokenizer, ...tokens }));
    const dirs = values.family ? (await modelFamily()).map((m) => m.dir) : values.models ?? [];
    if (dirs.length) {
      const rows = await heldoutScores(dirs, values.name, source, (s) => console.error(s));
      console.log(heldoutTable(rows, values.name));
    }
    return 0;
  },
);
