/**
 * Figure captions: what a figure shows, from which data, how many runs make each point, what its band is, and
 * anything degenerate. Chart functions keep the caption in the spec's `usermeta` (Vega-Lite's free-form
 * field, ignored by renderers), so a spec and its caption cannot drift apart; export writes it as Markdown.
 * @module
 */
import type { Caption, ChartSpec } from "./spec.ts";

export type { Caption };

/** The caption a chart function stored in `spec`; undefined for a spec without one. */
export function captionOf(spec: ChartSpec): Caption | undefined {
  return (spec as { usermeta?: { caption?: Caption } }).usermeta?.caption;
}

/** The title text of a spec (its `title`, or `title.text`). */
export function titleText(spec: ChartSpec): string {
  const t = (spec as { title?: string | { text?: string | string[] } }).title;
  return typeof t === "string" ? t : [t?.text ?? ""].flat().join(" ");
}

/**
 * `<name>.caption.md`: title, then the caption's parts as labelled paragraphs; `code` (which code made the rows
 * drawn, `codeText` of experiments/provenance.ts) as the last.
 */
export function captionMarkdown(spec: ChartSpec, code?: string): string {
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
  if (code) lines.push("", `**Code.** ${code}.`);
  return lines.join("\n") + "\n";
}
