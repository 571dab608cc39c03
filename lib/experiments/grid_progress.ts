/**
 * Progress of a grid: cells done out of total with an ETA from the mean time per finished cell. On a terminal
 * one line redrawn in place; in a log (file, pipe, notebook) a plain line per finished cell, at most one per
 * interval, plus the last.
 */
import { statusLine, type StatusLineOptions } from "../util/status_line.ts";

/** Receives grid progress (see {@link gridProgress}). */
export interface GridProgress {
  /** A cell started (`label` names it); `done` cells of `total` are finished. */
  start(label: string, done: number, total: number): void;
  /** A cell finished after `seconds`. */
  finish(label: string, done: number, total: number, seconds: number): void;
  /** Close the line. */
  end(): void;
}

/** `3725` → `1h02m`, `65` → `1m05s`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** The status text: count, percentage, elapsed and ETA (unknown until a cell has finished). */
export function progressText(done: number, total: number, elapsed: number, measured: number, measuredSeconds: number): string {
  const eta = measured ? formatDuration((measuredSeconds / measured) * (total - done)) : "?";
  return `${done}/${total} cells (${total ? Math.floor((100 * done) / total) : 100}%) elapsed ${formatDuration(elapsed)} ETA ${eta}`;
}

/**
 * A reporter writing a {@link statusLine}: in place on a terminal, else a plain line per finished cell
 * throttled to one per `intervalMs` (the last cell always reported).
 */
export function gridProgress({ intervalMs = 30_000, ...rest }: StatusLineOptions = {}): GridProgress {
  const line = statusLine({ intervalMs, ...rest });
  const t0 = performance.now();
  let measured = 0, measuredSeconds = 0;
  const text = (done: number, total: number) => progressText(done, total, (performance.now() - t0) / 1000, measured, measuredSeconds);
  return {
    start(label, done, total) {
      if (line.terminal) line.show(`${text(done, total)} | ${label}`);
    },
    finish(label, done, total, seconds) {
      measured++;
      measuredSeconds += seconds;
      line.show(`${text(done, total)} | ${line.terminal ? "" : "last: "}${label} ${seconds.toFixed(1)}s`, done >= total);
    },
    end: () => line.end(),
  };
}
