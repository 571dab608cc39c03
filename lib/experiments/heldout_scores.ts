/**
 * Held-out masked LM of several models on one corpus's held-out texts (same texts, same masking seed), with the
 * corpus each model was pre-trained on: the family's sizes compared on text none of them trained on.
 */
import type { SourceOptions } from "../data/sources.ts";
import { loadModelFolder } from "../model/folder.ts";
import { baseParameterCount } from "../model/parameter_count.ts";
import { DEFAULT_CORPUS } from "../pretrain/corpora.ts";
import { pretrainingCorpus } from "../pretrain/corpus.ts";
import { heldoutMlm, type HeldoutResult } from "../pretrain/heldout.ts";
import { readJsonFile } from "../util/json_file.ts";
import { exists } from "../util/fs.ts";
import { modelBaseName } from "./results.ts";

/** One model's held-out score. */
export interface HeldoutScore {
  name: string;
  parameters: number;
  /** The corpus its `training_log.json` names (`reviews-v1` for a log from before corpora had names); unknown without a log. */
  trainedOn?: string;
  heldout: HeldoutResult;
  seconds: number;
}

/** The corpus a kit-pretrained model folder was trained on, from its training log's first stage. */
async function trainedOn(dir: string): Promise<string | undefined> {
  const file = `${dir}/training_log.json`;
  if (!(await exists(file))) return undefined;
  const log = await readJsonFile(file) as { corpus?: { name?: string }; stages?: { corpus?: { name?: string } }[] };
  const first = log.stages?.[0] ?? log;
  return first.corpus?.name ?? DEFAULT_CORPUS;
}

/** Score each model folder of `dirs` on the held-out texts of corpus `corpus`. */
export async function heldoutScores(
  dirs: readonly string[],
  corpus: string,
  source?: SourceOptions,
  onStatus?: (text: string) => void,
): Promise<HeldoutScore[]> {
  const { heldout } = await pretrainingCorpus({ ...source, name: corpus });
  const out: HeldoutScore[] = [];
  for (const dir of dirs) {
    const model = await loadModelFolder(dir);
    const name = modelBaseName(dir);
    onStatus?.(`${name}: held-out masked LM on ${heldout.length} texts of ${corpus}`);
    const began = performance.now();
    const score = await heldoutMlm(model, heldout);
    out.push({
      name,
      parameters: baseParameterCount(model.weights),
      trainedOn: await trainedOn(dir),
      heldout: score,
      seconds: (performance.now() - began) / 1000,
    });
  }
  return out;
}

/** The scores as a Markdown table. */
export function heldoutTable(rows: readonly HeldoutScore[], corpus: string): string {
  return [
    `Held-out masked LM on the held-out texts of \`${corpus}\` (fixed masks, seed 1234):`,
    "",
    "| model | parameters | pre-trained on | held-out loss | held-out accuracy | masked tokens | seconds |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.name} | ${r.parameters.toLocaleString("en")} | ${r.trainedOn ?? "?"} | ${r.heldout.loss.toFixed(3)} | ${
        r.heldout.accuracy.toFixed(3)
      } | ${r.heldout.masked} | ${r.seconds.toFixed(0)} |`
    ),
  ].join("\n");
}
