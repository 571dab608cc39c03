/**
 * The grid of the kit's main job, `deno task demo`: all four methods on the embedded model and the embedded
 * demo dataset (or any dataset and model folder). `figures/demo.ts` runs it and draws its figure.
 */
import type { Grid } from "./grid.ts";

/** Training sizes that keep the demo near ten minutes on two cores with the embedded model. */
const DEMO_LOOP = { steps: 60, evalEvery: 20, batchSize: 16, maxLength: 64 };

/** The demo grid: every method at each K and seed, PET also zero-shot. */
export function demoGrid(dataset: string, k: readonly number[], seeds: readonly number[]): Grid {
  return {
    name: "demo",
    dataset,
    protocol: { kind: "sampled", k: [0, ...k.filter((x) => x > 0)], seeds: [...seeds] },
    methods: [
      { method: "finetune", options: { ...DEMO_LOOP, lr: 5e-5 } },
      { method: "pet", options: { ...DEMO_LOOP, lr: 5e-5 }, zeroShot: { mode: "zero-shot" } },
      // Label search and accuracy ties broken by log-likelihood (as AutoPrompt's `search` preset), at a demo's budget.
      {
        method: "autoprompt",
        options: { iterations: 8, numCand: 8, batchSize: 16, accumulationSteps: 1, maxLength: 64, metric: "accuracy+loglik", labelSearch: true },
      },
      { method: "ptuning-v2", options: { ...DEMO_LOOP, steps: 100, prefixLength: 8 } },
    ],
  };
}
