/** Synthetic results of a small comparison grid (no training), for chart and figure tests. */
import { expandGrid, parseGrid } from "../lib/experiments/grid.ts";
import type { ResultRow } from "../lib/experiments/results.ts";
import { fakeRow } from "./_outcome.ts";

/**
 * Rows of a grid over the `demo` dataset: fine-tuning, PET (a template grid, zero-shot, labelled "PET 模板"),
 * P-tuning v2 (prefix lengths 1, 4, 16) and AutoPrompt (1 or 3 triggers), K 4 and 8, seeds 1 and 2.
 */
export function chartRows(): ResultRow[] {
  const grid = parseGrid({
    name: "charts",
    dataset: "demo",
    protocol: { kind: "sampled", k: [0, 4, 8], seeds: [1, 2] },
    methods: [
      { method: "finetune" },
      {
        method: "pet",
        grid: { template: ["fewclue", "article"], verbalizer: ["fewclue"] },
        zeroShot: { mode: "zero-shot" },
        label: "PET 模板",
      },
      { method: "ptuning-v2", grid: { prefixLength: [1, 4, 16] } },
      { method: "autoprompt", grid: { triggers: [1, 3] } },
    ],
  });
  return expandGrid(grid).map((c, i) =>
    fakeRow(c, "charts", {
      accuracy: 0.5 + ((i * 37) % 40) / 100,
      n: 100,
      trainSize: (c.k ?? 0) * 2,
      trainableParams: c.method === "finetune"
        ? 4e6
        : c.method === "autoprompt"
        ? 3
        : c.zeroShot
        ? 0
        : 4000 * (Number(c.params.prefixLength) || 1),
      steps: c.zeroShot ? 0 : 4,
      bestStep: 4,
      losses: c.zeroShot ? [] : [0.9, 0.7, 0.6, 0.5],
    })
  );
}
