/**
 * One method over the splits of a few-shot protocol (`../shared/docs/methods.md` §5): FewCLUE's official
 * train_i/dev_i splits, or K-per-class samples under several seeds; each split trains on its train set,
 * selects on its dev set, and is scored on the task's full test set. The CLI's `run` command and notebooks
 * call {@link runProtocol}.
 */
import { loadFewShot } from "../data/load.ts";
import { getTask } from "../data/registry.ts";
import type { SourceOptions } from "../data/sources.ts";
import type { Task } from "../data/types.ts";
import { metricsFromProba } from "../eval/metrics.ts";
import { getMethod } from "../methods/registry.ts";
import type { ProgressCallback } from "../methods/types.ts";
import type { ModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";

/** Which splits to run: FewCLUE's official ones (all, or the given indices), or seeded K-shot samples. */
export type RunProtocol =
  | { kind: "fewclue"; indices?: number[] }
  | { kind: "sampled"; k: number; seeds: number[] };

/** What {@link runProtocol} runs. */
export interface RunSpec {
  /** A registered method's name. */
  method: string;
  /** A registered dataset's name, or a task. */
  dataset: string | Task;
  protocol: RunProtocol;
  model: ModelFolder;
  /** The method's options (validated by its factory); unset ones take its defaults. */
  options?: Record<string, unknown>;
  source?: SourceOptions;
}

/** Scores and cost of one split. */
export interface SplitResult {
  method: string;
  dataset: string;
  /** `fewclue_<i>` or `seed_<s>`. */
  split: string;
  accuracy: number;
  macroF1: number;
  /** confusion[gold][predicted], in `labels` order. */
  confusion: number[][];
  labels: string[];
  /** Test rows scored. */
  n: number;
  trainableParams: number;
  steps: number;
  bestStep: number;
  /** Training, selection and test prediction. */
  wallSeconds: number;
  notes: string[];
}

/** Mean and spread over the splits of a run. */
export interface RunSummary {
  method: string;
  dataset: string;
  protocol: string;
  splits: number;
  accuracyMean: number;
  /** Population standard deviation over splits (numpy's default, as LM-BFF reports). */
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

/** The splits of `protocol` on `task`: a name and the few-shot protocol that loads it, plus a seed override. */
function splitsOf(task: Task, protocol: RunProtocol) {
  if (protocol.kind === "sampled") {
    return protocol.seeds.map((seed) => ({ name: `seed_${seed}`, data: { kind: "sampled" as const, k: protocol.k, seed }, seed }));
  }
  if (!task.official) throw new InputError(`dataset "${task.name}" has no official FewCLUE splits; use --protocol sampled`, { field: "protocol" });
  const indices = protocol.indices ?? Array.from({ length: task.official.count }, (_, i) => i);
  return indices.map((index) => ({ name: `fewclue_${index}`, data: { kind: "official" as const, index }, seed: undefined }));
}

/**
 * Train and score `spec.method` on every split of the protocol, one after another. The method is configured
 * (and its options validated) before any data is loaded or training starts. With the sampled protocol each
 * split's seed also seeds the method, as LM-BFF does, unless `options.seed` is given.
 */
export async function runProtocol(spec: RunSpec, hooks: RunHooks = {}): Promise<{ splits: SplitResult[]; summary: RunSummary }> {
  const task = typeof spec.dataset === "string" ? getTask(spec.dataset) : spec.dataset;
  const factory = getMethod(spec.method);
  const options = spec.options ?? {};
  const splits = splitsOf(task, spec.protocol);
  const methods = splits.map((s) => factory.create(spec.model, task.labels, s.seed === undefined || "seed" in options ? options : { ...options, seed: s.seed }));
  const results: SplitResult[] = [];
  for (const [i, split] of splits.entries()) {
    const start = performance.now();
    const data = await loadFewShot(task, split.data, spec.source);
    const { predictor, record } = await methods[i].fit(data.train, data.dev, {
      onProgress: hooks.onProgress && ((e) => hooks.onProgress!(split.name, e)),
    });
    const proba = await predictor.predictProba(data.test.map((r) => r.text));
    const m = metricsFromProba(data.test.map((r) => r.label), proba, predictor.labels);
    const result: SplitResult = {
      method: factory.name,
      dataset: task.name,
      split: split.name,
      accuracy: m.accuracy,
      macroF1: m.macroF1,
      confusion: m.confusion,
      labels: m.labels,
      n: m.n,
      trainableParams: record.trainableParams,
      steps: record.steps,
      bestStep: record.bestStep,
      wallSeconds: (performance.now() - start) / 1000,
      notes: record.notes,
    };
    results.push(result);
    hooks.onSplit?.(result);
  }
  return { splits: results, summary: summarize(results, spec.protocol) };
}

/** Mean/std accuracy, mean macro-F1 and total cost of a run's splits. */
export function summarize(results: readonly SplitResult[], protocol: RunProtocol): RunSummary {
  if (!results.length) throw new Error("summarize: no splits");
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const acc = results.map((r) => r.accuracy), mu = mean(acc);
  return {
    method: results[0].method,
    dataset: results[0].dataset,
    protocol: protocol.kind === "fewclue" ? "fewclue" : `sampled k=${protocol.k}`,
    splits: results.length,
    accuracyMean: mu,
    accuracyStd: Math.sqrt(mean(acc.map((a) => (a - mu) ** 2))),
    macroF1Mean: mean(results.map((r) => r.macroF1)),
    trainableParams: results[0].trainableParams,
    wallSeconds: results.reduce((s, r) => s + r.wallSeconds, 0),
  };
}
