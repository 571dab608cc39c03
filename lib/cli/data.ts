/** `deno task cli data`: list the datasets and print split statistics, as JSON. */
import { parseArgs } from "node:util";
import { datasetStats, getTask, listTasks, localTask, type SourceOptions, type Task } from "../data/mod.ts";
import { InputError } from "../util/errors.ts";
import type { Command } from "./command.ts";

const HELP = `usage:
  deno task cli data --list                      every dataset, one JSON line each, with split counts where
                                                 the data is at hand (mirror, cache, embedded; no download)
  deno task cli data <name> --stats              one dataset's splits with row and label counts (downloads)
  deno task cli data <file.jsonl|file.csv> --text COL --label COL [--test FILE] [--labels A,B] --stats

flags: --mirror DIR (else PROMPTLAB_DATA_MIRROR), --cache DIR (else PROMPTLAB_CACHE or ~/.cache/promptlab)`;

function describe(task: Task) {
  const { name, description, labels, labelNamesZh, labelNamesEn } = task;
  return { dataset: name, description, labels, labelNamesZh, labelNamesEn };
}

/** The `data` command. */
export const data: Command = {
  summary: "list datasets; print a dataset's splits with row and label counts (JSON)",
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        list: { type: "boolean" },
        stats: { type: "boolean" },
        mirror: { type: "string" },
        cache: { type: "string" },
        text: { type: "string" },
        label: { type: "string" },
        test: { type: "string" },
        labels: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const opts: SourceOptions = { mirror: values.mirror, cache: values.cache };
    if (values.list) {
      for (const task of listTasks()) {
        try {
          const stats = await datasetStats(task, { ...opts, download: false });
          console.log(JSON.stringify({ ...describe(task), ...stats }));
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
          console.log(JSON.stringify({ ...describe(task), splits: task.splits, unavailable: err.message }));
        }
      }
      return 0;
    }
    const [name] = positionals;
    if (!name || positionals.length > 1 || !values.stats) {
      console.error(HELP);
      return 2;
    }
    const local = /\.(jsonl?|csv)$/i.test(name);
    if (local && (!values.text || !values.label)) throw new InputError("a local file needs --text and --label");
    const task = local
      ? await localTask({ train: name, test: values.test, text: values.text!, label: values.label!, labels: values.labels?.split(",") })
      : getTask(name);
    console.log(JSON.stringify(await datasetStats(task, opts)));
    return 0;
  },
};
