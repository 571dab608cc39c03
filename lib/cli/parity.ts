import { type Command, flagCommand } from "./command.ts";
import { checkParity } from "../model/bert/parity.ts";
import { type CommandSpec } from "../util/flags.ts";

const SPEC = {
  name: "cli parity",
  usage: "deno task cli parity --model DIR --fixture FILE",
  flags: {
    model: { type: "string", value: "DIR", required: true, help: "model folder" },
    fixture: { type: "string", value: "FILE", required: true, help: "PyTorch reference outputs (fixture JSON)" },
  },
} as const satisfies CommandSpec;

/** `deno task cli parity --model <dir> --fixture <file>`: numerical parity with PyTorch reference outputs. */
export const parity: Command = flagCommand(
  "compare a model folder with PyTorch reference outputs; JSON errors, non-zero exit above tolerance",
  SPEC,
  async (p) => {
    const report = await checkParity(p.values.model, p.values.fixture);
    const worst = (kind: "abs" | "gradRelNorm", key: "maxAbs" | "maxRel" | "relToNorm") =>
      Math.max(...Object.values(report.entries).filter((e) => e.criterion === kind).map((e) => e[key] ?? 0));
    console.log(JSON.stringify(
      {
        model: report.model,
        fixture: report.fixture,
        passed: report.passed,
        values: { max_abs: worst("abs", "maxAbs"), max_rel: worst("abs", "maxRel") },
        gradients: { max_abs: worst("gradRelNorm", "maxAbs"), max_rel_to_norm: worst("gradRelNorm", "relToNorm") },
        failed: Object.entries(report.entries).filter(([, e]) => !e.passed).map(([name, e]) => ({ name, ...e })),
        entries: report.entries,
      },
      null,
      1,
    ));
    return report.passed ? 0 : 1;
  },
);
