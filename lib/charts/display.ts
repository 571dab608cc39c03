/**
 * Charts and tables in notebooks. Charts: a Vega-Lite output (drawn interactively by JupyterLab) with the SVG alongside, so
 * viewers without a Vega renderer (nbconvert HTML, GitHub) still show the figure.
 */
import { titleText } from "./caption.ts";
import { renderSvg } from "./render.ts";
import type { ChartSpec } from "./spec.ts";

/** The MIME bundle of a chart. */
export async function chartBundle(spec: ChartSpec): Promise<Record<string, unknown>> {
  return { "application/vnd.vegalite.v5+json": spec, "image/svg+xml": await renderSvg(spec) };
}

type Jupyter = { display(value: unknown, o?: { raw: boolean }): Promise<void> };

/** The Deno kernel's display API; undefined outside a notebook (where reading `Deno.jupyter` throws). */
const jupyter: Jupyter | undefined = (() => {
  try {
    return (Deno as unknown as { jupyter: Jupyter }).jupyter;
  } catch {
    return undefined;
  }
})();

/**
 * Send a display message and give the kernel a moment to flush it before the cell ends: under nbconvert a
 * display sent just before the cell's reply was sometimes dropped (seen in CI on a loaded machine).
 */
async function display(j: Jupyter, value: unknown, raw: boolean): Promise<void> {
  await j.display(value, { raw });
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Display a chart in the Deno Jupyter kernel; outside a notebook, print where it would have gone. */
export async function showChart(spec: ChartSpec): Promise<void> {
  if (!jupyter) return void console.log(`(chart "${titleText(spec)}": run in a notebook, or export it with deno task figures)`);
  await display(jupyter, await chartBundle(spec), true);
}

/**
 * Display a value (a polars DataFrame shows as an HTML table) and wait until the kernel has sent it: a cell's
 * trailing expression was sometimes lost after a long training cell under nbconvert. Printed outside a notebook.
 */
export async function show(value: { toString(): string }): Promise<void> {
  if (!jupyter) return void console.log(value.toString());
  await display(jupyter, value, false);
}
