/**
 * Which path multitask training and leave-one-task-out take on a model folder, decided by its backbone's
 * capabilities (the seam: `model/backbone.ts`), never by its name: on a text-to-text backbone (T5) training is
 * text to text and the held-out wordings and references are the text-to-text method's; on an encoder with a
 * masked-LM head (BERT) training is PET's loss, the wordings zero-shot PET and the references PET and
 * fine-tuning. A backbone with neither is refused.
 * @module
 */
import { type Budget } from "../experiments/setup.ts";
import type { Grid } from "../experiments/grid.ts";
import { zeropromptFewShotGrid } from "../experiments/presets.ts";
import { requireCapabilities } from "../model/backbone.ts";
import { readBackbone } from "../model/backbones.ts";
import { readJsonFile } from "../util/json_file.ts";
import type { MultitaskArch } from "./objective.ts";
import { petMultitask } from "./pet_objective.ts";
import { text2textMultitask } from "./text2text_objective.ts";
import { petWording, text2textWording, type WordingEntry } from "./wordings_grid.ts";

/** Training and evaluation of leave-one-task-out on one kind of backbone. */
export interface MultitaskPath {
  /** Multitask training's objective. */
  arch: MultitaskArch;
  /** The held-out wordings' zero-shot entry. */
  wording: WordingEntry;
  /** The few-shot references on held-out task `dataset` at budget `b`. */
  references(b: Budget, dataset: string): Grid;
}

const TEXT_TO_TEXT: MultitaskPath = {
  arch: text2textMultitask,
  wording: text2textWording,
  references: (b, dataset) => zeropromptFewShotGrid(b, dataset, true),
};

const MASKED_LM: MultitaskPath = {
  arch: petMultitask,
  wording: petWording,
  references: (b, dataset) => zeropromptFewShotGrid(b, dataset),
};

/**
 * The path of model folder `dir`, read from its `config.json` alone (a resumed run reads its out folder's).
 * @throws InputError naming the config.json: none there, a config the kit cannot read, a backbone with neither
 *   capability `text-to-text` nor `mlm`.
 */
export async function multitaskPath(dir: string): Promise<MultitaskPath> {
  dir = dir.replace(/\/+$/, "");
  const file = `${dir}/config.json`;
  const backbone = readBackbone(await readJsonFile(file), file);
  if (backbone.capabilities.has("text-to-text")) return TEXT_TO_TEXT;
  requireCapabilities({ dir, backbone }, ["mlm"], "multitask training");
  return MASKED_LM;
}
