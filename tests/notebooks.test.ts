/**
 * Notebooks as committed and as executed. Every committed notebook: cell ids, no absolute path, no warning or
 * error in its outputs, Vega-Lite outputs under the MIME key of their spec's version. Then each is executed
 * through the real Deno Jupyter kernel (Debian's jupyter-nbconvert) in the `ci` budget, with fresh results and
 * figure folders, and fails on the same faults, on a `MissingIDFieldWarning`, or on a cell tagged `chart` or
 * `table` that did not produce a Vega-Lite chart or an HTML table. Execution is required in CI; elsewhere,
 * without Jupyter, it says plainly that notebook execution was not checked. Also the helpers behind the
 * notebooks' tables and first cell.
 */
import assert from "node:assert/strict";
import { vegaLiteMime } from "../lib/charts/display.ts";
import type { ChartSpec } from "../lib/charts/spec.ts";
import { fewShotCurve } from "../lib/charts/fewshot_curve.ts";
import { loadResults } from "../lib/experiments/results.ts";
import {
  foundPromptRecords,
  STD_COLUMN,
  summaryRecords,
  templatePresetRecords,
  verbalizerPresetRecords,
} from "../lib/experiments/notebook_tables.ts";
import { autopromptGrid, comparisonGrid, discretePromptGrid } from "../lib/experiments/presets.ts";
import { notebookHeader, REFERENCE_MODEL, repoRelative } from "../lib/experiments/setup.ts";
import { TEMPLATE_PRESETS } from "../lib/methods/pet/template.ts";
import { requireShared } from "../lib/util/config.ts";
import { chartRows } from "./_chart_rows.ts";
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

/** The MIME key charts are shown under: the version of the kit's chart specs' `$schema`. */
const VEGA_LITE_MIME = vegaLiteMime(fewShotCurve(chartRows()));

/** Outputs expected of tagged cells. */
const EXPECTED: Record<string, string> = { chart: VEGA_LITE_MIME, table: "text/html" };

interface NbOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  data?: Record<string, unknown>;
}

interface NbCell {
  id?: string;
  cell_type: string;
  metadata: { tags?: string[] };
  outputs?: NbOutput[];
}

interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  cells: NbCell[];
}

/**
 * An absolute path on some machine: `/a/b...` not preceded by a word character, dot, colon or slash (so
 * `../lib/x`, `runs/ci/x`, `好/差` and `https://host/x` are not), a home-relative `~/...`, or a Windows drive.
 */
const ABSOLUTE_PATH = /(?<![\w.:/~-])\/(?:[\w.+@-]+\/)+[\w.+@-]*|(?<![\w])~\/[\w.]|\b[A-Za-z]:\\[\w]/;

/** Text of an output that a reader sees (images' base64 left out). */
function outputText(o: NbOutput): string {
  const join = (t: unknown) => (Array.isArray(t) ? t.join("") : typeof t === "string" ? t : JSON.stringify(t));
  if (o.text !== undefined) return join(o.text);
  return Object.entries(o.data ?? {}).filter(([mime]) => mime !== "image/png").map(([, v]) => join(v)).join("\n");
}

/** Faults of a notebook (committed or executed), one line each naming the cell. */
function notebookFaults(nb: Notebook): string[] {
  const faults: string[] = [];
  if (nb.nbformat < 4 || (nb.nbformat === 4 && nb.nbformat_minor < 5)) {
    faults.push(`nbformat ${nb.nbformat}.${nb.nbformat_minor}: cell ids need 4.5`);
  }
  const ids = new Set<string>();
  nb.cells.forEach((cell, i) => {
    const at = `cell ${i}${cell.id ? ` (${cell.id})` : ""}`;
    if (!cell.id || !/^[A-Za-z0-9_-]{1,64}$/.test(cell.id)) faults.push(`${at}: no valid cell id (MissingIDFieldWarning)`);
    else if (ids.has(cell.id)) faults.push(`${at}: duplicate cell id`);
    else ids.add(cell.id);
    for (const o of cell.outputs ?? []) {
      if (o.output_type === "error") faults.push(`${at}: ${o.ename}: ${o.evalue}`);
      const text = outputText(o);
      const path = ABSOLUTE_PATH.exec(text)?.[0];
      if (path) faults.push(`${at}: absolute path in output: ${path}`);
      // Search, then cut the context: a `[^\n]*` around the word is quadratic on a one-line chart spec.
      const w = text.search(/warning/i);
      if (w >= 0) faults.push(`${at}: warning in output: ${text.slice(Math.max(0, w - 80), w + 120).trim()}`);
      for (const [mime, spec] of Object.entries(o.data ?? {})) {
        if (!mime.startsWith("application/vnd.vegalite")) continue;
        let expected: string;
        try {
          expected = vegaLiteMime(spec as ChartSpec);
        } catch (err) {
          expected = (err as Error).message;
        }
        if (mime !== expected) faults.push(`${at}: chart under ${mime} but its spec says ${expected}`);
      }
    }
  });
  return faults;
}

for (const name of notebooks) {
  Deno.test(`committed notebook ${name}: cell ids, no absolute path, no warning, Vega-Lite MIME of the spec's version`, async () => {
    const nb: Notebook = JSON.parse(await Deno.readTextFile(`${root}/notebooks/${name}`));
    assert.deepEqual(notebookFaults(nb), []);
  });
}

Deno.test("notebookFaults finds a missing id, an absolute path, a warning and a Vega-Lite MIME of the wrong version", () => {
  const spec = fewShotCurve(chartRows());
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    cells: [
      { cell_type: "code", metadata: {}, outputs: [{ output_type: "stream", name: "stdout", text: ["model: /work/main/models/x\n"] }] },
      { id: "a", cell_type: "code", metadata: {}, outputs: [{ output_type: "stream", name: "stderr", text: "MissingIDFieldWarning: x" }] },
      {
        id: "b",
        cell_type: "code",
        metadata: {},
        outputs: [{ output_type: "display_data", data: { "application/vnd.vegalite.v5+json": spec } }],
      },
      {
        id: "c",
        cell_type: "code",
        metadata: {},
        outputs: [{
          output_type: "display_data",
          data: {
            [VEGA_LITE_MIME]: spec,
            "text/markdown": "- `runs/ci/a.jsonl`, ../lib/x.ts, 好/差, https://vega.github.io/schema/vega-lite/v6.json",
          },
        }],
      },
    ],
  };
  const faults = notebookFaults(nb);
  assert.equal(faults.length, 4, faults.join("\n"));
  assert.match(faults[0], /cell 0: no valid cell id/);
  assert.match(faults[1], /cell 0: absolute path in output: \/work\/main\/models\/x/);
  assert.match(faults[2], /cell 1 \(a\): warning in output: MissingIDFieldWarning/);
  assert.match(
    faults[3],
    /cell 2 \(b\): chart under application\/vnd\.vegalite\.v5\+json but its spec says application\/vnd\.vegalite\.v6\+json/,
  );
});

Deno.test("vegaLiteMime follows the spec's $schema version, and refuses a spec without one", () => {
  assert.equal(VEGA_LITE_MIME, "application/vnd.vegalite.v6+json");
  assert.equal(
    vegaLiteMime({ $schema: "https://vega.github.io/schema/vega-lite/v5.json" } as ChartSpec),
    "application/vnd.vegalite.v5+json",
  );
  assert.equal(
    vegaLiteMime({ $schema: "https://vega.github.io/schema/vega-lite/v6.1.0.json" } as ChartSpec),
    "application/vnd.vegalite.v6+json",
  );
  assert.throws(() => vegaLiteMime({} as ChartSpec), /no Vega-Lite \$schema version/);
});

Deno.test("summaryRecords: percentages with one decimal, n shown, the sample std blank for a single run", () => {
  const rows = chartRows();
  const records = summaryRecords(rows);
  const ft4 = rows.filter((r) => r.method === "finetune" && r.k === 4).map((r) => r.accuracy);
  const mean = (ft4[0] + ft4[1]) / 2, std = Math.abs(ft4[0] - ft4[1]) / Math.SQRT2; // n − 1 = 1
  const line = records.find((r) => r.method === "finetune" && r.K === "4")!;
  assert.deepEqual([line.n, line["accuracy %"], line[STD_COLUMN]], [2, (100 * mean).toFixed(1), (100 * std).toFixed(1)]);
  assert.match(STD_COLUMN, /sample std, n−1/);
  const zeroShot = records.filter((r) => r.K === "0 (zero-shot)");
  assert.ok(zeroShot.length > 0 && zeroShot.every((r) => r.n === 1 && r[STD_COLUMN] === ""), "zero-shot: one run (no seed), std blank");
  const single = summaryRecords(rows.filter((r) => r.seed === 1));
  assert.ok(single.every((r) => r.n === 1 && r[STD_COLUMN] === ""), "one run: n = 1, std blank");
  for (const r of records) assert.match(String(r["accuracy %"]), /^\d{1,3}\.\d$/);
  assert.ok(records.every((r) => typeof r.parameters === "string"), "the parameter column is kept when some method varies one");
  assert.ok(summaryRecords(rows.filter((r) => r.method === "finetune")).every((r) => !("parameters" in r)), "and left out otherwise");
});

Deno.test("PET presets as tables: the grid's templates with their patterns, verbalizers with a column per label", () => {
  const grid = discretePromptGrid("ci");
  assert.deepEqual(templatePresetRecords(grid), [
    { template: "fewclue", pattern: TEMPLATE_PRESETS.fewclue },
    { template: "article", pattern: TEMPLATE_PRESETS.article },
  ]);
  assert.deepEqual(verbalizerPresetRecords(grid), [
    { verbalizer: "fewclue", Positive: "很", Negative: "不" },
    { verbalizer: "good-bad", Positive: "好", Negative: "差" },
  ]);
  assert.equal(verbalizerPresetRecords(discretePromptGrid("full")).find((r) => r.verbalizer === "multi-char")?.Positive, "好 / 棒 / 赞");
  assert.equal(templatePresetRecords(autopromptGrid("ci")).length, Object.keys(TEMPLATE_PRESETS).length, "no PET entry: every preset");
});

Deno.test("foundPromptRecords shows each AutoPrompt run's prompt and label words, from the rows the trainer wrote", async () => {
  const rows = await loadResults(`${root}/results/grids/${comparisonGrid("full").name}-zh-review-bert-tiny.jsonl`);
  const autoprompt = rows.filter((r) => r.method === "autoprompt");
  assert.ok(autoprompt.length > 0);
  const records = foundPromptRecords(rows);
  assert.equal(records.length, autoprompt.length);
  for (const r of records) {
    assert.equal(r.model, "zh-review-bert-tiny");
    assert.match(String(r.prompt), /\{sentence\}.*\[MASK\]/);
    assert.match(String(r["label words"]), /^Positive=\S+, Negative=\S+$/);
    assert.match(String(r["accuracy %"]), /^\d{1,3}\.\d$/);
  }
});

Deno.test("a notebook's first cell names budget, training and model without a path; paths print repo-relative", async () => {
  const saved = Deno.env.toObject(); // restored below: these settings are the process's
  const model = { dir: `${root}/models/promptlab-bert-zh-L4-H256` };
  try {
    Deno.env.set("PROMPTLAB_BUDGET", "ci");
    Deno.env.delete("PROMPTLAB_TRAIN");
    const ci = await notebookHeader(model);
    assert.match(ci, /\*\*Budget `ci`\*\*.*near chance/);
    assert.match(ci, /missing from the results file are trained/);
    assert.match(ci, /`promptlab-bert-zh-L4-H256` \(fingerprint `[0-9a-f]{16}`\)/);
    assert.doesNotMatch(ci, ABSOLUTE_PATH);
    assert.doesNotMatch(await notebookHeader(model, { grid: false }), /Training/);
    Deno.env.set("PROMPTLAB_BUDGET", "full");
    Deno.env.set("PROMPTLAB_TRAIN", "no");
    const full = await notebookHeader(model);
    assert.match(full, /\*\*Budget `full`\*\*.*the article's protocol/);
    assert.match(full, /nothing is trained/);
  } finally {
    for (const name of ["PROMPTLAB_BUDGET", "PROMPTLAB_TRAIN"]) {
      if (saved[name] === undefined) Deno.env.delete(name);
      else Deno.env.set(name, saved[name]);
    }
  }
  assert.equal(repoRelative(`${root}/figures/x/a.svg`), "figures/x/a.svg");
  assert.equal(repoRelative(REFERENCE_MODEL), "../shared/models/zh-review-bert-tiny");
});

const work = Deno.makeTempDirSync({ prefix: "promptlab-nb-" });
for (const name of notebooks) {
  Deno.test({
    name: `notebook ${name} runs in the ci budget with its charts and tables`,
    ignore: missing !== null && !required,
    async fn() {
      if (missing) throw new Error(`notebooks must run here (CI): ${missing}`);
      const t0 = performance.now();
      const out = await new Deno.Command("jupyter-nbconvert", {
        args: [
          "--to",
          "notebook",
          "--execute",
          "--ExecutePreprocessor.kernel_name=deno",
          "--ExecutePreprocessor.timeout=600",
          "--output-dir",
          work,
          `${root}/notebooks/${name}`,
        ],
        env: { PROMPTLAB_BUDGET: "ci", PROMPTLAB_RUNS: `${work}/runs`, PROMPTLAB_FIGURES: `${work}/figures`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, `nbconvert failed on ${name}:\n${log.slice(-4000)}`);
      assert.doesNotMatch(log, /MissingIDFieldWarning/, `${name}: nbconvert warned about cell ids`);
      const nb: Notebook = JSON.parse(await Deno.readTextFile(`${work}/${name}`));
      assert.deepEqual(notebookFaults(nb), [], `${name} as executed`);
      nb.cells.forEach((cell, i) => {
        for (const tag of cell.metadata.tags ?? []) {
          const mime = EXPECTED[tag];
          if (mime) assert.ok(cell.outputs?.some((o) => o.data?.[mime]), `${name} cell ${i} (tagged ${tag}) has no ${mime} output`);
        }
      });
      console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(0)}s`);
    },
  });
}
