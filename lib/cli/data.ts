/** `deno task cli data`: list the datasets and print split statistics, as JSON. */
import {
  datasetFromFlags,
  datasetStats,
  datasetTask,
  listTasks,
  LOCAL_DATA_FLAGS,
  MissingSourceError,
  type SourceOptions,
  type Task,
} from "../data/mod.ts";
import { offline } from "../util/config.ts";
import { InputError } from "../util/errors.ts";
import { type CommandSpec } from "../util/flags.ts";
import { MIRROR_FLAG } from "./common_flags.ts";
import { type Command, flagCommand } from "./command.ts";

const SPEC = {
  name: "cli data",
  usage: `deno task cli data --list                      every dataset, one JSON line each, with split counts where
                                                 the data is at hand (mirror, cache, embedded; no download)
  deno task cli data <name> --stats              one dataset's splits with row and label counts (downloads)
  deno task cli data <file.jsonl|file.csv> --text COL [--text-b COL] --label COL [--test FILE] [--labels A,B] --stats`,
  positionals: { name: "dataset name or file", max: 1 },
  flags: {
    list: { type: "boolean", help: "list every dataset" },
    stats: { type: "boolean", help: "print one dataset's split statistics" },
    mirror: MIRROR_FLAG,
    cache: { type: "string", value: "DIR", help: "download cache (else PROMPTLAB_CACHE or ~/.cache/promptlab)" },
    ...LOCAL_DATA_FLAGS,
  },
} as const satisfies CommandSpec;

function describe(task: Task) {
  const { name, description, labels, labelNamesZh, labelNamesEn } = task;
  return { dataset: name, description, labels, labelNamesZh, labelNamesEn };
}

/** Once for every dataset the listing found neither in the mirror nor in the cache: why, and how to get them. */
function notAtHand(names: string[]): string {
  const get = offline()
    ? "downloads are off (PROMPTLAB_OFFLINE=1): unset it and `deno task cli data <name> --stats` downloads one into the cache"
    : "`deno task cli data <name> --stats` downloads one into the cache (PROMPTLAB_CACHE, else ~/.cache/promptlab)";
  return `${names.length} dataset(s) not at hand (${names.join(", ")}; --list reads only the mirror and the cache, ` +
    `it never downloads): ${get}, or set PROMPTLAB_DATA_MIRROR (or --mirror) to a folder laid out like the mirror's ` +
    `MANIFEST.md. The "demo" dataset is embedded and needs neither.`;
}

/** The `data` command. */
export const data: Command = flagCommand("list datasets; print a dataset's splits with row and label counts (JSON)", SPEC, async (p) => {
  const { values, positionals } = p;
  const opts: SourceOptions = { mirror: values.mirror, cache: values.cache };
  if (values.list) {
    const missing: string[] = [];
    for (const task of listTasks()) {
      try {
        const stats = await datasetStats(task, { ...opts, download: false });
        console.log(JSON.stringify({ ...describe(task), ...stats }));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        // A missing file gets the short reason here and the remedy once below; other faults (a bad mirror file) in full.
        if (err instanceof MissingSourceError) missing.push(task.name);
        console.log(
          JSON.stringify({
            ...describe(task),
            splits: task.splits,
            unavailable: err instanceof MissingSourceError ? err.short : err.message,
          }),
        );
      }
    }
    if (missing.length) console.error(notAtHand(missing));
    return 0;
  }
  const [name] = positionals;
  if (!name || !values.stats) throw new InputError(`give --list, or a dataset and --stats; \`deno task cli data --help\` shows how`);
  const task = await datasetTask(datasetFromFlags(name, values, "dataset"));
  console.log(JSON.stringify(await datasetStats(task, opts)));
  return 0;
});
