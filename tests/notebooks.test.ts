/**
 * Executes every notebook through the real Deno Jupyter kernel (Debian's jupyter-nbconvert) in the `ci`
 * budget, with fresh results and figure folders, and fails on an error output or on a cell tagged `chart` or
 * `table` that did not produce a Vega-Lite chart or an HTML table. Required in CI; elsewhere, without Jupyter,
 * it says plainly that notebook execution was not checked.
 */
import assert from "node:assert/strict";
import { requireShared } from "../lib/util/config.ts";
import { root } from "./_shared.ts";

const required = requireShared() || Deno.env.get("CI") === "true";
const notebooks = [...Deno.readDirSync(`${root}/notebooks`)].map((e) => e.name).filter((n) => n.endsWith(".ipynb")).sort();

function which(cmd: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null", stderr: "null" }).outputSync().success;
}

/** Why notebooks cannot run here, or null. */
function missingJupyter(): string | null {
  if (!which("jupyter-nbconvert")) return "jupyter-nbconvert is not installed (apt-get install jupyter-nbconvert)";
  const home = Deno.env.get("JUPYTER_DATA_DIR") ?? `${Deno.env.get("HOME")}/.local/share/jupyter`;
  for (const dir of [home, "/usr/local/share/jupyter", "/usr/share/jupyter"]) {
    try {
      Deno.statSync(`${dir}/kernels/deno/kernel.json`);
      return null;
    } catch { /* next */ }
  }
  return "the Deno kernel is not installed (deno jupyter --install)";
}

const missing = missingJupyter();
if (missing && !required) console.error(`NOT RUN: notebook execution was not checked: ${missing}`);

/** Outputs expected of tagged cells. */
const EXPECTED: Record<string, string> = { chart: "application/vnd.vegalite.v5+json", table: "text/html" };

interface NbCell {
  cell_type: string;
  metadata: { tags?: string[] };
  outputs?: { output_type: string; ename?: string; evalue?: string; data?: Record<string, unknown> }[];
}

const work = Deno.makeTempDirSync({ prefix: "promptlab-nb-" });
for (const name of notebooks) {
  Deno.test({
    name: `notebook ${name} runs in the ci budget with its charts and tables`,
    ignore: missing !== null && !required,
    async fn() {
      if (missing) throw new Error(`notebooks must run here (CI): ${missing}`);
      const t0 = performance.now();
      const out = await new Deno.Command("jupyter-nbconvert", {
        args: ["--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=deno", "--ExecutePreprocessor.timeout=600",
          "--output-dir", work, `${root}/notebooks/${name}`],
        env: { PROMPTLAB_BUDGET: "ci", PROMPTLAB_RUNS: `${work}/runs`, PROMPTLAB_FIGURES: `${work}/figures`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, `nbconvert failed on ${name}:\n${log.slice(-4000)}`);
      const cells: NbCell[] = JSON.parse(await Deno.readTextFile(`${work}/${name}`)).cells;
      cells.forEach((cell, i) => {
        for (const o of cell.outputs ?? []) assert.notEqual(o.output_type, "error", `${name} cell ${i}: ${o.ename}: ${o.evalue}`);
        for (const tag of cell.metadata.tags ?? []) {
          const mime = EXPECTED[tag];
          if (mime) assert.ok(cell.outputs?.some((o) => o.data?.[mime]), `${name} cell ${i} (tagged ${tag}) has no ${mime} output`);
        }
      });
      console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(0)}s`);
    },
  });
}
