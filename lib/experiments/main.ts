/**
 * `deno task grid <grid.json> [--results FILE] [--shard i/n] [--model DIR] [--skip-corrupt] [--minutes M]`: run a grid (results by
 * default in `resultsPath(name, model)`; with `PROMPTLAB_BUDGET=full`, `results/grids/<name>-<model>.jsonl`),
 * resuming from its results file. For a cluster array job give each task its shard, e.g. Slurm
 * `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT` or a Kubernetes indexed Job
 * `--shard $JOB_COMPLETION_INDEX/<completions>`; each shard writes its own file, merged on load. `--minutes`
 * starts no cell after that many minutes (a job's time limit), so no run is cut off half-way; rerun to go on.
 */
import { loadModelFolder } from "../model/folder.ts";
import { loadGrid, parseShard } from "./grid.ts";
import { runGrid } from "./grid_run.ts";
import { defaultModelDir, resultsPath } from "./setup.ts";
import { runScript } from "./script.ts";
import { commandFlags, type CommandSpec } from "../util/flags.ts";

const SPEC = {
  name: "grid",
  usage: "deno task grid <grid.json> [--results FILE] [--shard i/n] [--model DIR] [--skip-corrupt] [--minutes M]",
  positionals: { name: "grid file", min: 1, max: 1 },
  flags: {
    results: { type: "string", value: "FILE", help: "results file (default from the grid's name and the model)" },
    shard: { type: "string", value: "i/n", help: "run every n-th cell from the i-th, into its own file" },
    model: { type: "string", value: "DIR", help: "BERT model folder (default: the reference model, else the embedded one)" },
    "skip-corrupt": { type: "boolean", help: "skip unreadable lines of the results file instead of stopping" },
    minutes: { type: "number", above: 0, help: "start no cell after this many minutes" },
  },
} as const satisfies CommandSpec;

async function main(args: string[]): Promise<number> {
  const p = commandFlags(SPEC, args);
  if (!p) return 0;
  const { values, positionals } = p;
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const grid = await loadGrid(positionals[0]);
  const model = await loadModelFolder(values.model ?? defaultModelDir());
  const results = values.results ?? resultsPath(grid.name, model.dir);
  const deadline = values.minutes === undefined ? undefined : Date.now() + values.minutes * 60_000;
  const rows = await runGrid(grid, { model, results, shard, skipCorrupt: values["skip-corrupt"], deadline });
  console.log(`${rows.length} rows in ${results}${shard ? " and its shards" : ""}`);
  return 0;
}

if (import.meta.main) await runScript(main);
