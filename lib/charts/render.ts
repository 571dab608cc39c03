/**
 * Headless rendering of chart specs: Vega-Lite → Vega → SVG (Vega's own SVG renderer), SVG → PNG with resvg
 * (native, so `--allow-ffi`), fed the CJK font file when one is installed so Chinese labels have glyphs.
 * @module
 */
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vl from "vega-lite";
import type { ChartSpec } from "./spec.ts";

/** Compile a Vega-Lite spec to Vega (throws on an invalid spec). */
export function compileChart(spec: ChartSpec): vega.Spec {
  return vl.compile(spec).spec as vega.Spec;
}

/** The chart as an SVG document. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const view = new vega.View(vega.parse(compileChart(spec)), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Font files with Chinese glyphs that resvg is given explicitly (system font discovery varies). */
export const CJK_FONT_FILES = [
  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

function existing(paths: readonly string[]): string[] {
  return paths.filter((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
}

/** True when a CJK font file is installed (without one, Chinese renders as empty boxes in PNGs). */
export function hasCjkFont(): boolean {
  return existing(CJK_FONT_FILES).length > 0;
}

/** Rasterise an SVG document to PNG bytes at `scale` × its own size. */
export function svgToPng(svg: string, { scale = 2 } = {}): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { fontFiles: existing(CJK_FONT_FILES), loadSystemFonts: true, defaultFontFamily: "WenQuanYi Micro Hei" },
  });
  return resvg.render().asPng();
}

/** Width and height of a PNG, read from its IHDR chunk; throws when the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((b, i) => png[i] !== b) || new TextDecoder().decode(png.subarray(12, 16)) !== "IHDR") {
    throw new Error("not a PNG image");
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Width and height the SVG declares. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error("SVG without width and height");
  return { width: Number(m[1]), height: Number(m[2]) };
}
