/**
 * A grid process for tests of concurrent writers: `deno run -A tests/_grid_worker.ts <dir> <name>` waits until
 * `<dir>/go` exists (so that several workers start together), then runs a small grid with a fake cell runner
 * (30 ms a cell) on `<dir>/results.jsonl`, printing the key of every cell it runs, one JSON string a line.
 */
import { parseGrid } from "../lib/experiments/grid.ts";
import { runGrid } from "../lib/experiments/grid_run.ts";
import type { ModelFolder } from "../lib/model/folder.ts";
import { fakeOutcome } from "./_outcome.ts";

/** The grid both workers run: 2 templates × 3 K × 4 seeds = 24 cells. */
export const WORKER_GRID = parseGrid({
  name: "concurrent",
  dataset: "demo",
  protocol: { kind: "sampled", k: [2, 4, 8], seeds: [1, 2, 3, 4] },
  methods: [{ method: "pet", grid: { template: ["fewclue", "article"] } }],
});

if (import.meta.main) {
  const [dir, name] = Deno.args;
  await Deno.writeTextFile(`${dir}/ready-${name}`, "");
  while (!(await Deno.stat(`${dir}/go`).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 10));
  await runGrid(WORKER_GRID, {
    model: { dir: `${dir}/model`, weights: new Map() } as ModelFolder,
    results: `${dir}/results.jsonl`,
    progress: false,
    onWait: (m) => console.error(m),
    runCell: async (cell) => {
      console.log(JSON.stringify(cell.key));
      await new Promise((r) => setTimeout(r, 30));
      return fakeOutcome();
    },
  });
}
