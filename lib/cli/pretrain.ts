import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { pretrain, PRETRAIN_DEFAULTS } from "../pretrain/pretrain.ts";
import { InputError } from "../util/errors.ts";

const NUMERIC = [
  "layers", "hidden", "heads", "intermediate", "maxLength", "minFreq", "tokensPerBatch", "lr", "beta2", "weightDecay",
  "warmupSteps", "steps", "minutes", "evalEvery", "heldout", "checkpointMinutes", "seed", "stopAt",
] as const;
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `deno task cli pretrain --out <dir> --minutes 60`: masked-LM pre-training with checkpoints and resume. */
export const pretrainCommand: Command = {
  summary: "masked-LM pre-training from scratch or from --from <model>; resumes from <out>/checkpoint",
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        out: { type: "string" },
        from: { type: "string" },
        mirror: { type: "string" },
        help: { type: "boolean" },
        ...Object.fromEntries(NUMERIC.map((k) => [kebab(k), { type: "string" as const }])),
      },
    });
    if (values.help) {
      const flags = NUMERIC.map((k) => `--${kebab(k)} <n>${k in PRETRAIN_DEFAULTS ? ` (${PRETRAIN_DEFAULTS[k as keyof typeof PRETRAIN_DEFAULTS]})` : ""}`);
      console.log(`usage: deno task cli pretrain --out <dir> (--steps <n> | --minutes <m>) [--from <model>] [--mirror <dir>]\n  ${flags.join("\n  ")}`);
      return 0;
    }
    if (!values.out) throw new InputError("missing --out <model folder>", { field: "--out" });
    const numbers: Record<string, number> = {};
    for (const k of NUMERIC) {
      const raw = (values as Record<string, string | undefined>)[kebab(k)];
      if (raw === undefined) continue;
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new InputError(`not a number: "${raw}"`, { field: `--${kebab(k)}` });
      numbers[k] = n;
    }
    let last = 0;
    const result = await pretrain({
      ...numbers,
      out: values.out,
      from: values.from,
      source: values.mirror ? { mirror: values.mirror } : undefined,
      onLog: (entry) => console.log(JSON.stringify(entry)),
      onProgress: (e) => {
        if (performance.now() - last < 30_000) return;
        last = performance.now();
        console.error(`pretrain step ${e.step}/${e.totalSteps || "?"} loss ${e.loss?.toFixed(3)}`);
      },
    });
    console.log(JSON.stringify({
      done: !result.stopped,
      dir: result.dir,
      steps: result.steps,
      tokens: result.tokensSeen,
      seconds: Math.round(result.seconds),
      heldout_loss: result.heldout.loss,
      heldout_acc: result.heldout.accuracy,
    }));
    return 0;
  },
};
