import assert from "node:assert/strict";
import { statusLine } from "../lib/util/status_line.ts";

function sink() {
  const chunks: string[] = [];
  return { chunks, out: { writeSync: (p: Uint8Array) => (chunks.push(new TextDecoder().decode(p)), p.length) } };
}

Deno.test("status line: a log gets throttled plain lines, forced ones always; a terminal redraws in place", () => {
  const log = sink();
  const l = statusLine({ out: log.out, terminal: false, intervalMs: 60_000 });
  l.show("a");
  l.show("b");
  l.show("c", true);
  l.end();
  assert.deepEqual(log.chunks, ["a\n", "c\n"]);
  const tty = sink();
  const t = statusLine({ out: tty.out, terminal: true });
  t.show("a");
  t.show("b");
  t.end();
  assert.deepEqual(tty.chunks, ["\r\x1b[2Ka", "\r\x1b[2Kb", "\n"]);
});
