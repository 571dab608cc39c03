/**
 * Charts and tables in notebooks. Charts: a Vega-Lite output (drawn interactively by JupyterLab) with the SVG alongside, so
 * viewers without a Vega renderer (nbconvert HTML, GitHub) still show the figure.
 */
import { titleText } from "./caption.ts";
import { renderSvg } from "./render.ts";
import type { ChartSpec } from "./spec.ts";

/**
 * The Jupyter MIME type of a Vega-Lite spec, versioned as its `$schema` says (`.../vega-lite/v6.json` →
 * `application/vnd.vegalite.v6+json`): JupyterLab picks the renderer by this key, so it must match the spec.
 * @throws Error when the spec names no Vega-Lite schema version.
 */
export function vegaLiteMime(spec: ChartSpec): string {
  const major = /\/vega-lite\/v(\d+)(?:\.[\d.]+)?\.json$/.exec(spec.$schema ?? "")?.[1];
  if (!major) throw new Error(`chart spec has no Vega-Lite $schema version: ${JSON.stringify(spec.$schema)}`);
  return `application/vnd.vegalite.v${major}+json`;
}

/** The MIME bundle of a chart. */
export async function chartBundle(spec: ChartSpec): Promise<Record<string, unknown>> {
  return { [vegaLiteMime(spec)]: spec, "image/svg+xml": await renderSvg(spec) };
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

/**
 * Display Markdown (plain text beside it for viewers without Markdown) in a notebook, printed outside one. Used
 * instead of `console.log` for what a cell reports: the kernel dropped the last lines a cell printed to stdout
 * under nbconvert (seen with a list of 21 exported files, 5 of which arrived).
 */
export async function showText(markdown: string, plain = markdown): Promise<void> {
  if (!jupyter) return void console.log(plain);
  await display(jupyter, { "text/markdown": markdown, "text/plain": plain }, true);
}
