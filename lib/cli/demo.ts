import type { Command } from "./command.ts";

/** The README's main job. Until the demo issue lands it says so instead of pretending. */
export const demo: Command = {
  summary: "run the four-method comparison on the embedded model and data (not yet available)",
  run() {
    console.error(
      "not yet: the demo needs the embedded model and the methods, which have not landed. " +
        "Available now: `deno task cli parity`, `deno task cli data`.",
    );
    return Promise.resolve(3);
  },
};
