import type { Command } from "./command.ts";
import { demo } from "./demo.ts";
import { data } from "./data.ts";
import { parity } from "./parity.ts";
import { run } from "./run.ts";
import { pretrainCommand } from "./pretrain.ts";
import { corpusCommand } from "./corpus.ts";
import { multitaskCommand } from "./multitask.ts";
import { zeropromptCommand } from "./zeroprompt.ts";
import { modelCardCommand } from "./model_card.ts";
import { exportCommand } from "./export.ts";
import { predictCommand } from "./predict.ts";

/** Every command of `deno task cli`, by name. */
export const commands: Record<string, Command> = {
  demo,
  data,
  parity,
  pretrain: pretrainCommand,
  corpus: corpusCommand,
  multitask: multitaskCommand,
  zeroprompt: zeropromptCommand,
  "model-card": modelCardCommand,
  run,
  export: exportCommand,
  predict: predictCommand,
};

/** The other `deno task`s (deno.json), listed by `deno task cli --help` so one help shows everything. */
export const otherTasks: Record<string, string> = {
  "demo": "the main job (same as `cli demo`): every method on the embedded model and data, table + figure",
  "grid <grid.json>": "an experiment grid, resumed from its results file; --shard i/n, --status, --merge",
  "figures <results.jsonl>...": "every chart of results files as Vega-Lite JSON, SVG, PNG and PDF",
  "bench": "training throughput against an eager PyTorch baseline",
  "test": "the tests (the notebook tests need `deno jupyter --install` once)",
};
