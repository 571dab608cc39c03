/**
 * The model family's definition: the sizes the kit pre-trains, each with its shape and corpus, and the one
 * recipe they share (docs/pretraining.md). `cli pretrain --family NAME` runs a member from it, so the command
 * that made a size (or will make the next) is written down once; its checkpoints and resume are pre-training's.
 */
import { InputError } from "../util/errors.ts";
import type { PretrainOptions } from "./pretrain.ts";

/** One size of the family. */
export interface FamilyMember {
  /** The model folder's name under `models/` (`promptlab-bert-zh-L<layers>-H<hidden>`). */
  name: string;
  layers: number;
  hidden: number;
  heads: number;
  /** The named corpus (`corpora.ts`) it is pre-trained on. */
  corpusName: string;
}

/**
 * The recipe every size shares: the default model's 4,363-word vocabulary, 2,500 steps of about 6,000 real
 * tokens (15M tokens), lr 1e-3 with 300 warmup steps then linear decay, feed-forward 4 x hidden, held-out
 * evaluation every 250 steps and a checkpoint every 5 minutes.
 */
export const FAMILY_RECIPE = {
  tokenizer: "models/promptlab-bert-zh-L4-H256",
  steps: 2500,
  warmupSteps: 300,
  lr: 1e-3,
  evalEvery: 250,
  checkpointMinutes: 5,
} as const satisfies Partial<PretrainOptions>;

/** The sizes, smallest first: three pre-trained on `reviews-v1`, the next on the broader `fewclue-v2`. */
export const FAMILY_MEMBERS: readonly FamilyMember[] = [
  { name: "promptlab-bert-zh-L2-H64", layers: 2, hidden: 64, heads: 2, corpusName: "reviews-v1" },
  { name: "promptlab-bert-zh-L2-H128", layers: 2, hidden: 128, heads: 2, corpusName: "reviews-v1" },
  { name: "promptlab-bert-zh-L4-H256", layers: 4, hidden: 256, heads: 4, corpusName: "reviews-v1" },
  { name: "promptlab-bert-zh-L6-H384", layers: 6, hidden: 384, heads: 6, corpusName: "fewclue-v2" },
];

/**
 * The pre-training options of family member `name`: its shape and corpus on the family's recipe.
 * @throws InputError naming the field `family` and the members.
 */
export function familyOptions(name: string): Partial<PretrainOptions> {
  const m = FAMILY_MEMBERS.find((x) => x.name === name);
  if (!m) {
    throw new InputError(`no family member "${name}" (members: ${FAMILY_MEMBERS.map((x) => x.name).join(", ")})`, { field: "family" });
  }
  return { ...FAMILY_RECIPE, layers: m.layers, hidden: m.hidden, heads: m.heads, intermediate: 4 * m.hidden, corpusName: m.corpusName };
}
