/**
 * `deno task grid <grid.json> [--results FILE] [--shard i/n] [--model DIR] [--skip-corrupt] [--minutes M]`: run a grid (results by
 * default in `resultsPath(name, model)`; with `PROMPTLAB_BUDGET=full`, `results/grids/<name>-<model>.jsonl`),
 * resuming from its results file. For a cluster array job give each task its shard, e.g. Slurm
 * `--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT` or a Kubernetes indexed Job
 * `--shard $JOB_COMPLETION_INDEX/<completions>`; each shard writes its own file, merged on load. `--minutes`
 * starts no cell after that many minutes (a job's time limit), so no run is cut off half-way; rerun to go on.
 * A cell that fails is recorded as failed and the grid goes on; the command then lists the failures and exits 1
 * (`--retry-failed` runs them again). A finished cell whose data changed since is refused (`--rerun-stale` runs it
 * again, its row set aside). `--status` lists done, failed and missing cells per shard and overall;
 * `--merge` moves the shard files' rows into the results file, refusing conflicting ones. `--dataset` runs the
 * grid on another dataset than its own, e.g. a local file (`--dataset reviews.csv --text review --label label`),
 * as grid `<name>-<dataset>`.
 */
import { datasetFromFlags, datasetName, LOCAL_DATA_FLAGS, type LocalDataFlags } from "../data/dataset_spec.ts";
import { loadAnyModelFolder } from "../model/folder.ts";
import { describeCell, type Grid, loadGrid, parseShard } from "./grid.ts";
import { runGrid } from "./grid_run.ts";
import { formatStatus, gridStatus } from "./grid_status.ts";
import { mergeShards } from "./results_merge.ts";
import { shardPath } from "./results.ts";
import { defaultModelDir, resultsPath } from "./setup.ts";
import { runScript } from "./script.ts";
import { commandFlags, type CommandSpec } from "../util/flags.ts";
import { printNextStep } from "../util/next_step.ts";

const SPEC = {
  name: "grid",
  usage:
    "deno task grid <grid.json> [--results FILE] [--shard i/n] [--model DIR] [--skip-corrupt] [--minutes M] [--retry-failed] [--rerun-stale] [--status [--shards N]] [--merge]\n" +
    "  deno task grid <grid.json> --dataset file.csv|file.jsonl --text COL [--text-b COL] --label COL [--test FILE] [--labels A,B] [flags]",
  positionals: { name: "grid file", min: 1, max: 1 },
  flags: {
    results: { type: "string", value: "FILE", help: "results file (default from the grid's name and the model)" },
    shard: { type: "string", value: "i/n", help: "run every n-th cell from the i-th, into its own file" },
    model: {
      type: "string",
      value: "DIR",
      help: "model folder, a BERT or a T5 (default: PROMPTLAB_MODEL, else the embedded models/promptlab-bert-zh-L4-H256)",
    },
    "skip-corrupt": { type: "boolean", help: "skip unreadable lines of the results file instead of stopping" },
    minutes: { type: "number", above: 0, help: "start no cell after this many minutes" },
    "retry-failed": { type: "boolean", help: "run again the cells recorded as failed (default: leave them)" },
    "rerun-stale": {
      type: "boolean",
      help: "run again the finished cells whose data changed since (their rows set aside in <results>.stale.jsonl; default: refuse)",
    },
    status: { type: "boolean", help: "train nothing: list done, failed and missing cells per shard and overall" },
    shards: { type: "int", min: 1, help: "with --status: the shard count (default: as the shard files say)" },
    merge: { type: "boolean", help: "train nothing: merge the shard files into the results file, refusing conflicting rows" },
    dataset: {
      type: "string",
      value: "NAME|FILE",
      help: "run the grid on this dataset instead of its own (a registered name, or a .csv/.jsonl file), as grid <name>-<dataset>",
    },
    ...LOCAL_DATA_FLAGS,
  },
} as const satisfies CommandSpec;

/** The grid on `--dataset` when given (renamed after it, so its results get their own file), else as is. */
function withDataset(grid: Grid, flags: LocalDataFlags & { dataset?: string }): Grid {
  const dataset = datasetFromFlags(flags.dataset, flags);
  return dataset === undefined ? grid : { ...grid, name: `${grid.name}-${datasetName(dataset)}`, dataset };
}

async function main(args: string[]): Promise<number> {
  const p = commandFlags(SPEC, args);
  if (!p) return 0;
  const { values, positionals } = p;
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const grid = withDataset(await loadGrid(positionals[0]), values);
  const skipCorrupt = values["skip-corrupt"];
  if (values.status || values.merge) {
    // The results path needs only the model folder's name: nothing is loaded.
    const results = values.results ?? resultsPath(grid.name, values.model ?? defaultModelDir());
    if (values.merge) {
      const m = await mergeShards(results, { skipCorrupt });
      console.log(`merged ${m.merged.length} shard files into ${results}: ${m.done} done, ${m.failed} failed cells`);
      printNextStep({ wrote: [results], next: [`deno task figures ${results}   # every chart of the grid`] });
    }
    if (values.status) console.log(formatStatus(grid, await gridStatus(grid, results, { skipCorrupt, shards: values.shards })));
    return 0;
  }
  const model = await loadAnyModelFolder(values.model ?? defaultModelDir());
  const results = values.results ?? resultsPath(grid.name, model.dir);
  const deadline = values.minutes === undefined ? undefined : Date.now() + values.minutes * 60_000;
  const retryFailed = values["retry-failed"];
  const rerunStale = values["rerun-stale"];
  const rows = await runGrid(grid, { model, results, shard, skipCorrupt, deadline, retryFailed, rerunStale, gridFile: positionals[0] });
  console.log(`${rows.length} rows in ${results}${shard ? " and its shards" : ""}`);
  // Failures of this process's cells, new or left from an earlier run.
  const status = await gridStatus(grid, results, { skipCorrupt, shards: shard?.count });
  const sharded = shard !== undefined && shard.count > 1;
  const mine = sharded ? status.shards[shard.index] : status.overall;
  const failed = mine.cells.filter((c) => c.state === "failed");
  const missing = mine.cells.filter((c) => c.state === "missing").length;
  printNextStep({
    wrote: [shardPath(results, shard)],
    next: [
      ...(missing ? [`deno task grid ${args.join(" ")}   # the same again: ${missing} cell(s) not run yet, it goes on from here`] : []),
      ...(sharded
        ? [
          `deno task grid ${
            positionals[0]
          } --results ${results} --status   # every shard's done, failed and missing cells; --merge once all are done`,
        ]
        : []),
      `deno task figures ${results}   # every chart of the grid${sharded ? " (shards are read with it)" : ""}`,
    ],
  });
  if (!failed.length) return 0;
  console.error(`${failed.length} cell(s) failed${retryFailed ? "" : " (now or in an earlier run)"}:`);
  for (const f of failed) console.error(`  ${describeCell(f.cell)}: ${f.error}`);
  console.error("rerun with --retry-failed to run them again");
  return 1;
}

if (import.meta.main) await runScript(main);
