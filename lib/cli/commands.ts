import type { Command } from "./command.ts";
import { demo } from "./demo.ts";
import { data } from "./data.ts";
import { parity } from "./parity.ts";
import { run } from "./run.ts";
import { pretrainCommand } from "./pretrain.ts";
import { modelCardCommand } from "./model_card.ts";
import { exportCommand } from "./export.ts";
import { predictCommand } from "./predict.ts";

/** Every command of `deno task cli`, by name. */
export const commands: Record<string, Command> = {
  demo,
  data,
  parity,
  pretrain: pretrainCommand,
  "model-card": modelCardCommand,
  run,
  export: exportCommand,
  predict: predictCommand,
};
