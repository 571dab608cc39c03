import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { checkParity } from "../model/parity.ts";
import { InputError } from "../util/errors.ts";

/** `deno task cli parity --model <dir> --fixture <file>`: numerical parity with PyTorch reference outputs. */
export const parity: Command = {
  summary: "compare a model folder with PyTorch reference outputs; JSON errors, non-zero exit above tolerance",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { model: { type: "string" }, fixture: { type: "string" }, help: { type: "boolean" } },
    });
    if (values.help) {
      console.log("usage: deno task cli parity --model <model folder> --fixture <fixture.json>");
      return 0;
    }
    if (!values.model) throw new InputError("missing --model <model folder>", { field: "--model" });
    if (!values.fixture) throw new InputError("missing --fixture <fixture.json>", { field: "--fixture" });
    const report = await checkParity(values.model, values.fixture);
    const worst = (kind: "abs" | "gradRelNorm", key: "maxAbs" | "maxRel" | "relToNorm") =>
      Math.max(...Object.values(report.entries).filter((e) => e.criterion === kind).map((e) => e[key] ?? 0));
    console.log(JSON.stringify({
      model: report.model,
      fixture: report.fixture,
      passed: report.passed,
      values: { max_abs: worst("abs", "maxAbs"), max_rel: worst("abs", "maxRel") },
      gradients: { max_abs: worst("gradRelNorm", "maxAbs"), max_rel_to_norm: worst("gradRelNorm", "relToNorm") },
      failed: Object.entries(report.entries).filter(([, e]) => !e.passed).map(([name, e]) => ({ name, ...e })),
      entries: report.entries,
    }, null, 1));
    return report.passed ? 0 : 1;
  },
};
