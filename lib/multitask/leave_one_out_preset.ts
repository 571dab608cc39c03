/**
 * What leave-one-task-out runs at each budget (notebook 08 and `docs/zeroprompt.md`'s long runs): at `full` the
 * four committed mixtures (EPRSTMT, BUSTM, CSL, CLUEWSC held out) on two sizes of the kit's family, each mixture's
 * own step count, the held-out tasks' test sets; at `ci` the EPRSTMT mixture for a few steps on the same two
 * sizes, scored on the embedded demo reviews (a sentiment set like EPRSTMT, so nothing is downloaded for scoring).
 */
import { fileURLToPath } from "node:url";
import { readMixture } from "./mixture.ts";
import { type LeaveOneOutCase, leaveOneOutPlan } from "./leave_one_out.ts";
import { type Budget, MODELS_DIR, trainedModelsDir } from "../experiments/setup.ts";

/** The held-out tasks of the committed mixtures (`mixtures/holdout_<task>.json`). */
export const HELDOUT_TASKS = ["eprstmt", "bustm", "csl", "cluewsc"] as const;

/** The two family sizes compared, smallest first. */
export const LEAVE_ONE_OUT_MODELS = [`${MODELS_DIR}/promptlab-bert-zh-L2-H128`, `${MODELS_DIR}/promptlab-bert-zh-L4-H256`];

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
  if (b === "full") return { cases: await leaveOneOutPlan(mixtures, LEAVE_ONE_OUT_MODELS, { modelsDir }) };
  return { cases: await leaveOneOutPlan(mixtures, LEAVE_ONE_OUT_MODELS, { modelsDir, dataset: "demo", budget: b }), steps: CI_STEPS };
}
