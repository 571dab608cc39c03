/**
 * Training progress on stderr: a bar redrawn in place on a terminal, plain lines (every evaluation, the last
 * step, and at most one train line per interval) when stderr is a file or pipe, so logs stay readable.
 */
import type { ProgressEvent } from "../methods/types.ts";
import { statusLine, type StatusLineOptions } from "../util/status_line.ts";

const WIDTH = 24;

/** One progress line, without terminal control characters. */
export function progressLine(tag: string, e: ProgressEvent): string {
  const parts = [`[${tag}] ${e.phase} ${e.step}/${e.totalSteps}`];
  if (e.loss !== undefined) parts.push(`loss ${e.loss.toFixed(4)}`);
  if (e.devAccuracy !== undefined) parts.push(`dev ${e.devAccuracy.toFixed(4)}`);
  return parts.join(" ");
}

/** A text bar of `WIDTH` cells for `done` out of `total`. */
export function bar(done: number, total: number): string {
  const filled = total > 0 ? Math.round((WIDTH * Math.min(done, total)) / total) : WIDTH;
  return "█".repeat(filled) + "░".repeat(WIDTH - filled);
}

/** Reports progress events of tagged runs (e.g. one tag per split). */
export interface ProgressReporter {
  report(tag: string, e: ProgressEvent): void;
  /** End the current bar line (before printing results). */
  done(): void;
}

/**
 * A reporter writing a {@link statusLine}: a live bar on a terminal, else plain lines with train steps
 * throttled to one per `intervalMs` (evaluations and the last step always shown).
 */
export function progressReporter({ intervalMs = 10_000, ...rest }: StatusLineOptions = {}): ProgressReporter {
  const line = statusLine({ intervalMs, ...rest });
  let lastDev: number | undefined;
  return {
    report(tag, e) {
      if (e.devAccuracy !== undefined) lastDev = e.devAccuracy;
      if (!line.terminal) return line.show(progressLine(tag, e), e.phase !== "train" || e.step >= e.totalSteps);
      const dev = lastDev === undefined ? "" : ` dev ${lastDev.toFixed(4)}`;
      const loss = e.loss === undefined ? "" : ` loss ${e.loss.toFixed(4)}`;
      line.show(`[${tag}] ${bar(e.step, e.totalSteps)} ${e.step}/${e.totalSteps}${loss}${dev}`);
    },
    done() {
      line.end();
      lastDev = undefined;
    },
  };
}

/**
 * A long run's step line on stderr (`<tag> step 120/2500 loss 3.412`), at most one per `intervalMs`: pre-training
 * and multitask training report this way, their logs kept to a line a half-minute.
 */
export function stepLogger(tag: string, intervalMs = 30_000): (e: { step: number; totalSteps: number; loss?: number }) => void {
  let last = 0;
  return (e) => {
    if (performance.now() - last < intervalMs) return;
    last = performance.now();
    console.error(`${tag} step ${e.step}/${e.totalSteps || "?"} loss ${e.loss?.toFixed(3)}`);
  };
}
