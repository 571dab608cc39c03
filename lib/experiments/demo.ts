/**
 * The grid of the kit's main job, `deno task demo`: every registered method on the embedded model and the embedded
 * demo dataset (or any dataset and model folder). `figures/demo.ts` runs it and draws its figure.
 */
import { methods } from "../methods/registry.ts";
import type { Grid } from "./grid.ts";

/**
 * The demo grid: every registered method with demo options at each K and seed with those options (sized to keep
 * the demo near ten minutes on two cores with the embedded model), and the zero-shot cells of those that have
 * them (PET).
 */
export function demoGrid(dataset: string, k: readonly number[], seeds: readonly number[]): Grid {
  return {
    name: "demo",
    dataset,
    protocol: { kind: "sampled", k: [0, ...k.filter((x) => x > 0)], seeds: [...seeds] },
    methods: [...methods.values()].flatMap(({ name, presets }) =>
      presets.demo
        ? [{
          method: name,
          options: { ...presets.demo },
          ...(presets.zeroShot ? { zeroShot: { ...presets.zeroShot } } : {}),
        }]
        : []
    ),
  };
}
