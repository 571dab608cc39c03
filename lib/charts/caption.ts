/**
 * Figure captions: what a figure shows, from which data, how many runs make each point, what its band is, and
 * anything degenerate. Chart functions keep the caption in the spec's `usermeta` (Vega-Lite's free-form
 * field, ignored by renderers), so a spec and its caption cannot drift apart; export writes it as Markdown.
 * @module
 */
import type { ChartSpec } from "./spec.ts";

/** A figure's caption. */
export interface Caption {
  /** What is drawn, in a sentence or two. */
  what: string;
  /** Dataset, test split and size, models, seeds. */
  data: string;
  /** Runs behind each point (e.g. "5 seeds; each scored on 610 test rows"). */
  perPoint: string;
  /** What a band or error bar is; null when the figure has none. */
  band: string | null;
  /** Degenerate or suspicious cells, one line each. */
  flags: string[];
}

/** The caption a chart function stored in `spec`; undefined for a spec without one. */
export function captionOf(spec: ChartSpec): Caption | undefined {
  return (spec as { usermeta?: { caption?: Caption } }).usermeta?.caption;
}

/** The title text of a spec (its `title`, or `title.text`). */
export function titleText(spec: ChartSpec): string {
  const t = (spec as { title?: string | { text?: string | string[] } }).title;
  return typeof t === "string" ? t : [t?.text ?? ""].flat().join(" ");
}

/** `<name>.caption.md`: title, then the caption's parts as labelled paragraphs. */
export function captionMarkdown(spec: ChartSpec): string {
  const c = captionOf(spec);
  if (!c) return `# ${titleText(spec)}\n`;
  const lines = [
    `# ${titleText(spec)}`,
    "",
    `**What.** ${c.what}`,
    "",
    `**Data.** ${c.data}`,
    "",
    `**n per point.** ${c.perPoint}`,
    "",
    `**Band.** ${c.band ?? "none: single runs or means only, as stated above."}`,
  ];
  if (c.flags.length) lines.push("", "**Flagged.**", "", ...c.flags.map((f) => `- ${f}`));
  return lines.join("\n") + "\n";
}
