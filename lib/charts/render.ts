/**
 * Headless rendering of chart specs: Vega-Lite → Vega → SVG (Vega's own SVG renderer), SVG → PNG with resvg
 * (native, so `--allow-ffi`) and SVG → PDF with pdfkit and svg-to-pdfkit (vector, text kept as text), each fed
 * the CJK font file when one is installed so Chinese labels have glyphs.
 * @module
 */
import { Resvg } from "@resvg/resvg-js";
import PDFDocument from "pdfkit";
import SVGtoPDF from "svg-to-pdfkit";
import * as vega from "vega";
import * as vl from "vega-lite";
import type { ChartSpec } from "./spec.ts";
import { measureTextWith } from "./text_metrics.ts";

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

/**
 * Font files with Chinese glyphs that the renderers are given explicitly (system font discovery varies), with
 * the PostScript name of the face to use from each collection (PDF embedding needs one face).
 */
const CJK_FONTS = [
  { file: "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", face: "WenQuanYiMicroHei" },
  { file: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", face: "NotoSansCJKsc-Regular" },
];

/** The font files of {@link CJK_FONTS}. */
export const CJK_FONT_FILES = CJK_FONTS.map((f) => f.file);

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

// Lay text out with the installed CJK font's widths, the font every renderer below draws with.
const measuredFont = CJK_FONTS.find((f) => existing([f.file]).length);
if (measuredFont) measureTextWith(measuredFont.file, measuredFont.face);

/** Rasterise an SVG document to PNG bytes at `scale` × its own size. */
export function svgToPng(svg: string, { scale = 2 } = {}): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { fontFiles: existing(CJK_FONT_FILES), loadSystemFonts: true, defaultFontFamily: "WenQuanYi Micro Hei" },
  });
  return resvg.render().asPng();
}

/** CSS pixels per PDF point: SVG sizes are in px (1/96 in), PDF pages in pt (1/72 in). */
const PT_PER_PX = 72 / 96;

/**
 * `svg` without dash arrays that hold a zero length, such as Vega's solid "1,0": they draw a solid line, but
 * pdfkit rejects them.
 */
function solidDashes(svg: string): string {
  return svg.replace(
    /\sstroke-dasharray="([^"]*)"/g,
    (attr, dashes: string) => (dashes.split(/[\s,]+/).some((d) => Number(d) === 0) ? "" : attr),
  );
}

/**
 * An SVG document as a one-page vector PDF of the same physical size. Every text is set in the first installed
 * CJK font (which also covers Latin), embedded as a subset; without one, in Helvetica (Chinese is then lost).
 * The creation date is fixed so the same figure gives the same bytes.
 */
export async function svgToPdf(svg: string): Promise<Uint8Array> {
  const { width, height } = svgSize(svg);
  const doc = new PDFDocument({ size: [width * PT_PER_PX, height * PT_PER_PX], margin: 0, info: { CreationDate: new Date(0) } });
  const chunks: Uint8Array[] = [];
  doc.on("data", (chunk: Uint8Array) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on("end", () => resolve());
    doc.on("error", reject);
  });
  const cjk = CJK_FONTS.find((f) => existing([f.file]).length);
  if (cjk) doc.registerFont("cjk", cjk.file, cjk.face);
  SVGtoPDF(doc, solidDashes(svg), 0, 0, { fontCallback: () => (cjk ? "cjk" : "Helvetica") });
  doc.end();
  await ended;
  const pdf = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((offset, c) => (pdf.set(c, offset), offset + c.length), 0);
  return pdf;
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
