/**
 * One status line on stderr: redrawn in place on a terminal; in a log (file, pipe, notebook), plain lines
 * throttled to one per interval unless forced, so logs stay readable.
 */

/** Where and how a status line writes. */
export interface StatusLineOptions {
  out?: { writeSync(p: Uint8Array): number };
  /** Redraw in place (default: whether stderr is a terminal). */
  terminal?: boolean;
  /** Least time between two unforced log lines. */
  intervalMs?: number;
}

/** A status line; see {@link statusLine}. */
export interface StatusLine {
  /** Whether lines are redrawn in place. */
  readonly terminal: boolean;
  /** Show `text`: always on a terminal; in a log when `force` or the interval has passed. */
  show(text: string, force?: boolean): void;
  /** Close a line left open on the terminal. */
  end(): void;
}

/** A status line writing to `out` (default stderr). */
export function statusLine(
  { out = Deno.stderr, terminal = Deno.stderr.isTerminal(), intervalMs = 10_000 }: StatusLineOptions = {},
): StatusLine {
  const enc = new TextEncoder();
  const write = (s: string) => out.writeSync(enc.encode(s));
  let open = false, last = -Infinity;
  return {
    terminal,
    show(text, force = false) {
      if (terminal) {
        write(`\r\x1b[2K${text}`);
        open = true;
        return;
      }
      const now = performance.now();
      if (!force && now - last < intervalMs) return;
      last = now;
      write(`${text}\n`);
    },
    end() {
      if (open) write("\n");
      open = false;
    },
  };
}
