/**
 * One method over the splits of a few-shot protocol (`../shared/docs/methods.md` §5): FewCLUE's official
 * train_i/dev_i splits, or K-per-class samples under several seeds; each split trains on its train set,
 * selects on its dev set, and is scored on the task's full test set through the one run path,
 * {@link runSplit}. The CLI's `run` command and the model card call {@link runProtocol}.
 */
import type { TaskRef } from "../data/load.ts";
import type { SourceOptions } from "../data/sources.ts";
import { inputKind, type Task } from "../data/types.ts";
import { summarizeValues } from "../eval/summary.ts";
import { getMethod } from "../methods/registry.ts";
import type { ProgressCallback } from "../methods/types.ts";
import type { AnyModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { optionsOnTask, runSplit, splitName, type SplitResult, type SplitSpec, taskOf } from "./split_run.ts";

/**
 * Which splits to run: FewCLUE's official ones (all, or the given indices), seeded K-shot samples, or the one
 * zero-shot split (the test set, no training rows, so no sample and no K).
 */
export type RunProtocol =
  | { kind: "fewclue"; indices?: number[] }
  | { kind: "sampled"; k: number; seeds: number[] }
  | { kind: "zero-shot" };

/** What {@link runProtocol} runs. */
export interface RunSpec {
  /** A registered method's name. */
  method: string;
  /** A registered dataset's name, or a task. */
  dataset: TaskRef;
  protocol: RunProtocol;
  model: AnyModelFolder;
  /** The method's options (validated by its factory); unset ones take its defaults. */
  options?: Record<string, unknown>;
  source?: SourceOptions;
  /** Save each split's trained predictor into `<saveDir>/<split name>`. */
  saveDir?: string;
}

/** Mean and spread over the splits of a run. */
export interface RunSummary {
  method: string;
  dataset: string;
  protocol: string;
  splits: number;
  accuracyMean: number;
  /** Sample standard deviation over splits (n − 1, as every table of the kit); 0 for one split. */
  accuracyStd: number;
  macroF1Mean: number;
  trainableParams: number;
  wallSeconds: number;
}

/** Per-call hooks of {@link runProtocol}. */
export interface RunHooks {
  /** Training progress, tagged with the split it belongs to. */
  onProgress?: (split: string, event: Parameters<ProgressCallback>[0]) => void;
  /** Called as each split finishes, so callers can print results as they come. */
  onSplit?: (result: SplitResult) => void;
}

/** The splits of `protocol` on `task`, each with the seed that also seeds the method (sampled only). */
function splitsOf(task: Task, protocol: RunProtocol): { split: SplitSpec; seed?: number }[] {
  if (protocol.kind === "zero-shot") return [{ split: protocol }];
  if (protocol.kind === "sampled") return protocol.seeds.map((seed) => ({ split: { kind: "sampled", k: protocol.k, seed }, seed }));
  if (!task.official) {
    throw new InputError(
      `dataset "${task.name}" has no official FewCLUE splits: give --dev FILE with --test FILE (split 0), or a folder in FewCLUE's layout, or use --protocol sampled`,
      { field: "protocol" },
    );
  }
  const indices = protocol.indices ?? Array.from({ length: task.official.count }, (_, i) => i);
  return indices.map((index) => ({ split: { kind: "official", index } }));
}

/**
 * Train and score `spec.method` on every split of the protocol, one after another. Every split's options are
 * validated before any data is loaded or training starts. With the sampled protocol each split's seed also
 * seeds the method, as LM-BFF does, unless `options.seed` is given.
 */
export async function runProtocol(spec: RunSpec, hooks: RunHooks = {}): Promise<{ splits: SplitResult[]; summary: RunSummary }> {
  const task = taskOf(spec.dataset);
  const factory = getMethod(spec.method);
  const options = spec.options ?? {};
  const runs = splitsOf(task, spec.protocol).map(({ split, seed }) => ({
    split,
    options: seed === undefined || "seed" in options ? options : { ...options, seed },
  }));
  for (const r of runs) factory.create(spec.model, task.labels, optionsOnTask(factory.name, task, r.options), inputKind(task));
  const results: SplitResult[] = [];
  for (const { split, options } of runs) {
    const name = splitName(split);
    const onProgress = hooks.onProgress && ((e: Parameters<ProgressCallback>[0]) => hooks.onProgress!(name, e));
    const saveTo = spec.saveDir === undefined ? undefined : `${spec.saveDir}/${name}`;
    const result = await runSplit({
      method: factory.name,
      options,
      dataset: task,
      split,
      model: spec.model,
      source: spec.source,
      onProgress,
      saveTo,
    });
    results.push(result);
    hooks.onSplit?.(result);
  }
  return { splits: results, summary: summarize(results, { method: factory.name, dataset: task.name, protocol: spec.protocol }) };
}

/** Mean and sample std of accuracy, mean macro-F1 and total cost of a run's splits. */
export function summarize(results: readonly SplitResult[], run: { method: string; dataset: string; protocol: RunProtocol }): RunSummary {
  if (!results.length) throw new Error("summarize: no splits");
  const acc = summarizeValues(results.map((r) => r.accuracy));
  return {
    method: run.method,
    dataset: run.dataset,
    protocol: run.protocol.kind === "sampled" ? `sampled k=${run.protocol.k}` : run.protocol.kind,
    splits: results.length,
    accuracyMean: acc.mean,
    accuracyStd: acc.std ?? 0,
    macroF1Mean: summarizeValues(results.map((r) => r.macroF1)).mean,
    trainableParams: results[0].trainableParams,
    wallSeconds: results.reduce((s, r) => s + r.wallSeconds, 0),
  };
}
