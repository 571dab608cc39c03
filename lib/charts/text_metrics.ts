/**
 * Text widths for Vega's layout, measured with the font the renderers draw with. Without a canvas Vega
 * estimates every character at 0.8 × the font size, about 1.6 times the width of Latin text, so titles,
 * legends and axis labels reserve space they never fill (a single-panel chart came out a third wider than
 * what it drew). Vega lets a headless renderer supply its own measure (`textMetrics.width`, as vl-convert
 * does); this one lays the text out with fontkit in the same font file resvg and pdfkit are given.
 * @module
 */
import * as fontkit from "fontkit";
import * as vega from "vega";

interface Measured {
  fontSize?: number;
  limit?: number;
}

/** Vega's text-measure hook (exported by vega-scenegraph at runtime; absent from vega's type declarations). */
const { textMetrics } = vega as unknown as { textMetrics: { width: (item: Measured, line: unknown) => number } };

/**
 * Make Vega measure text with the face `face` of `file` (a .ttf, or a collection with the PostScript name).
 * Widths are cached per text; a text over an item's `limit` counts as the limit, as Vega truncates it there.
 */
export function measureTextWith(file: string, face: string): void {
  const opened = fontkit.openSync(file, face) as fontkit.Font;
  const perEm = new Map<string, number>();
  const emWidth = (text: string) => {
    let w = perEm.get(text);
    if (w === undefined) perEm.set(text, w = opened.layout(text).advanceWidth / opened.unitsPerEm);
    return w;
  };
  textMetrics.width = (item, line) => {
    const text = line == null ? "" : String(line).trim();
    const size = item.fontSize != null ? +item.fontSize || 0 : 11; // Vega's default size
    if (!text || size <= 0) return 0;
    const width = emWidth(text) * size;
    return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
}
