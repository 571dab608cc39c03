/**
 * What leave-one-task-out runs at each budget (notebook 08 and `docs/zeroprompt.md`'s long runs): at `full` the
 * four committed mixtures (EPRSTMT, BUSTM, CSL, CLUEWSC held out) on two sizes of the kit's BERT family and on the
 * kit's T5 (text to text, at its own learning rate), each mixture's own step count, the held-out tasks' test sets;
 * at `ci` the EPRSTMT mixture for a few steps on the same three models, scored on the embedded demo reviews (a
 * sentiment set like EPRSTMT, so nothing is downloaded for scoring).
 */
import { fileURLToPath } from "node:url";
import { type Mixture, readMixture, withLr } from "./mixture.ts";
import { type LeaveOneOutCase, leaveOneOutPlan } from "./leave_one_out.ts";
import { type Budget, MODELS_DIR, trainedModelsDir } from "../experiments/setup.ts";

/** The held-out tasks of the committed mixtures (`mixtures/holdout_<task>.json`). */
export const HELDOUT_TASKS = ["eprstmt", "bustm", "csl", "cluewsc"] as const;

/** The two family sizes compared, smallest first. */
export const LEAVE_ONE_OUT_MODELS = [`${MODELS_DIR}/promptlab-bert-zh-L2-H128`, `${MODELS_DIR}/promptlab-bert-zh-L4-H256`];

/** The kit's T5, the text-to-text base of the same runs. */
export const LEAVE_ONE_OUT_T5 = `${MODELS_DIR}/promptlab-t5-zh-L2-H192`;

/**
 * The T5's peak learning rate: the mixtures carry the BERT's 2e-5, at which a T5 trained from its span-corruption
 * weights barely moves in the mixture's steps (`cli zeroprompt --lr`, docs/zeroprompt.md).
 */
export const T5_MULTITASK_LR = 1e-4;

/** Multitask steps at the ci budget: enough to move the weights, seconds of training. */
const CI_STEPS = 20;

/** The plan at budget `b` and the multitask step count it trains with (undefined: each mixture's own). */
export async function leaveOneOutPreset(b: Budget): Promise<{ cases: LeaveOneOutCase[]; steps?: number }> {
  const tasks = b === "ci" ? HELDOUT_TASKS.slice(0, 1) : HELDOUT_TASKS;
  const mixtures = [];
  for (const task of tasks) {
    mixtures.push(await readMixture(fileURLToPath(new URL(`../../mixtures/holdout_${task}.json`, import.meta.url))));
  }
  const modelsDir = trainedModelsDir("zeroprompt");
  const scoring = b === "full" ? {} : { dataset: "demo", budget: b };
  const plan = (ms: readonly Mixture[], models: readonly string[]) => leaveOneOutPlan(ms, models, { modelsDir, ...scoring });
  const cases = [
    ...await plan(mixtures, LEAVE_ONE_OUT_MODELS),
    ...await plan(mixtures.map((m) => withLr(m, T5_MULTITASK_LR)), [LEAVE_ONE_OUT_T5]),
  ];
  return b === "full" ? { cases } : { cases, steps: CI_STEPS };
}
