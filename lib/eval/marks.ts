/**
 * The marks a table cell carries for the degenerate runs among those it averages: ⚠n for n runs whose
 * predictions collapsed onto one class (`collapse.ts`), ≈n for n runs at chance that did not collapse
 * (`chance.ts`). A table or caption showing a mark also carries its legend in words.
 * @module
 */
import { CHANCE_LEVEL, chanceOf } from "./chance.ts";
import { COLLAPSE_SHARE, collapseOf, type ScoredRun } from "./collapse.ts";
import { percent } from "../util/format.ts";

/** The mark of runs collapsed onto one class. */
export const COLLAPSE_MARK = "⚠";

/** The mark of runs at chance (no better than the majority class) whose predictions did not collapse. */
export const CHANCE_MARK = "≈";

/** The legend of {@link COLLAPSE_MARK}, for the note under a table or a caption. */
export const COLLAPSE_LEGEND = `${COLLAPSE_MARK}n: n runs predicted one class for more than ${percent(COLLAPSE_SHARE, 0)} % of ` +
  "the test set, or scored a macro-F1 no better than always answering one class: their accuracy is that class's share, " +
  "not a method working.";

/** The legend of {@link CHANCE_MARK}, for the note under a table or a caption. */
export const CHANCE_LEGEND = `${CHANCE_MARK}n: n runs no better than the majority class: their accuracy is not significantly above ` +
  `that of always answering the test set's most frequent class (one-sided exact binomial test, p ≥ ${CHANCE_LEVEL}), ` +
  "so it is no result, though their predictions did not collapse onto one class.";

/** How many of a cell's runs collapsed and how many (others) sit at chance. */
export interface DegenerateCounts {
  collapsed: number;
  atChance: number;
}

/** {@link DegenerateCounts} of some runs: each run counts once, a collapse before chance. */
export function degenerateCounts(runs: readonly ScoredRun[]): DegenerateCounts {
  return { collapsed: runs.filter((r) => collapseOf(r)).length, atChance: runs.filter((r) => chanceOf(r)).length };
}

/** The marks after a cell's number: " ⚠2 ≈1", " ≈3", or "" when no run is degenerate. */
export function marksText({ collapsed, atChance }: DegenerateCounts): string {
  return (collapsed ? ` ${COLLAPSE_MARK}${collapsed}` : "") + (atChance ? ` ${CHANCE_MARK}${atChance}` : "");
}

/** The legends of the marks some cells carry ({@link COLLAPSE_LEGEND}, {@link CHANCE_LEGEND}), in that order. */
export function marksLegends(cells: readonly DegenerateCounts[]): string[] {
  return [
    ...(cells.some((c) => c.collapsed) ? [COLLAPSE_LEGEND] : []),
    ...(cells.some((c) => c.atChance) ? [CHANCE_LEGEND] : []),
  ];
}
