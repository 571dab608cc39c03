/**
 * `deno task grid <grid.json> [--results FILE] [--shard i/n] [--model DIR] [--skip-corrupt] [--minutes M]`: run a grid (results by
 * default in `resultsPath(name, model)`; with `PROMPTLAB_BUDGET=full`, `results/grids/<name>-<model>.jsonl`),
 * resuming from its results file. For a cluster array job give each task its shard, e.g. Slurm
 * `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT` or a Kubernetes indexed Job
 * `--shard $JOB_COMPLETION_INDEX/<completions>`; each shard writes its own file, merged on load. `--minutes`
 * starts no cell after that many minutes (a job's time limit), so no run is cut off half-way; rerun to go on.
 */
import { parseArgs } from "node:util";
import { loadModelFolder } from "../model/folder.ts";
import { loadGrid, parseShard } from "./grid.ts";
import { runGrid } from "./grid_run.ts";
import { defaultModelDir, resultsPath } from "./setup.ts";
import { runScript } from "./script.ts";
import { InputError } from "../util/errors.ts";

const USAGE = "usage: deno task grid <grid.json> [--results FILE] [--shard i/n] [--model DIR] [--skip-corrupt] [--minutes M]";

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      results: { type: "string" },
      shard: { type: "string" },
      model: { type: "string" },
      "skip-corrupt": { type: "boolean" },
      minutes: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const grid = await loadGrid(positionals[0]);
  const model = await loadModelFolder(values.model ?? defaultModelDir());
  const results = values.results ?? resultsPath(grid.name, model.dir);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
  if (minutes !== undefined && !(minutes > 0)) throw new InputError(`must be a positive number, got "${values.minutes}"`, { field: "--minutes" });
  const deadline = minutes === undefined ? undefined : Date.now() + minutes * 60_000;
  const rows = await runGrid(grid, { model, results, shard, skipCorrupt: values["skip-corrupt"], deadline });
  console.log(`${rows.length} rows in ${results}${shard ? " and its shards" : ""}`);
  return 0;
}

if (import.meta.main) await runScript(main);
