/**
 * The kit's one run path: a method, trained on one few-shot split (nothing for zero-shot), selected on its dev
 * set and scored on the task's full test set, giving one {@link SplitResult}. `run` (through
 * `fewclue_run.ts`), grids (`grid_run.ts`), notebooks, the demo and the model card all train through
 * {@link runSplit}; a grid's results row is a {@link SplitResult} plus the cell it ran.
 * @module
 */
import { loadFewShot, loadSplit, type TaskRef } from "../data/load.ts";
import { blankPair } from "../data/choice_rows.ts";
import { getTask } from "../data/registry.ts";
import type { SourceOptions } from "../data/sources.ts";
import { inputKind, type Row, type Task } from "../data/types.ts";
import { predictedCounts } from "../eval/collapse.ts";
import { type Metrics, metricsFromProba } from "../eval/metrics.ts";
import { readingsOf } from "../methods/predict.ts";
import { getMethod, methods } from "../methods/registry.ts";
import type { ProgressCallback } from "../methods/types.ts";
import type { AnyModelFolder } from "../model/folder.ts";
import { DivergedError } from "../train/loop.ts";
import { InputError } from "../util/errors.ts";
import { dataFingerprint } from "./fingerprint.ts";

/** Which split to run on: zero-shot (test set only), K per class sampled under a seed, or FewCLUE's i-th. */
export type SplitSpec =
  | { kind: "zero-shot" }
  | { kind: "sampled"; k: number; seed: number }
  | { kind: "official"; index: number };

/**
 * What one method on one split produced: its test-set {@link Metrics}, cost, and where the data came from. The
 * kit's one result type: `run` prints it, a grid's results row is it plus the cell.
 */
export interface SplitResult extends Metrics {
  /** `zero_shot`, `k8_seed1` or `fewclue_0` (see {@link splitName}). */
  split: string;
  trainSize: number;
  trainableParams: number;
  steps: number;
  bestStep: number;
  /** Training loss per step. */
  losses: number[];
  /** Dev accuracy at each evaluation. */
  dev: { step: number; accuracy: number }[];
  /**
   * How many test inputs it predicted as each class, by label (`confusion`'s column sums), so a run collapsing
   * onto one class shows (`eval/collapse.ts`). Absent on rows written before rows recorded it.
   */
  predicted?: Record<string, number>;
  /** Hash of the split's train, dev and test rows. */
  dataFingerprint: string;
  notes: string[];
  /** Data loading, training, selection and test prediction. */
  wallSeconds: number;
  /** The predictor's variants (`VariantReading`) by name: their options and test-set metrics. */
  variants?: Record<string, VariantResult>;
}

/** A predictor variant's scores on the test set, and the options a run would need to give them. */
export interface VariantResult extends Metrics {
  options: Record<string, unknown>;
}

/** A split's rows: training, dev (selection) and test. */
export interface SplitRows {
  train: Row[];
  dev: Row[];
  test: Row[];
}

/** What {@link runSplit} runs. */
export interface SplitRunSpec {
  /** A registered method's name. */
  method: string;
  /** The method's options (validated by its factory); unset ones take its defaults. */
  options?: Record<string, unknown>;
  /** A registered dataset's name, or a task. */
  dataset: TaskRef;
  split: SplitSpec;
  model: AnyModelFolder;
  source?: SourceOptions;
  onProgress?: ProgressCallback;
  /** Save the trained predictor into this folder (for `cli export` and `cli predict`). */
  saveTo?: string;
}

/** The split's name in results and output: `zero_shot`, `k8_seed1` or `fewclue_0`. */
export function splitName(split: SplitSpec): string {
  if (split.kind === "zero-shot") return "zero_shot";
  return split.kind === "official" ? `fewclue_${split.index}` : `k${split.k}_seed${split.seed}`;
}

/**
 * The options a method runs with on `task`: the task's own prompt (`Task.prompt`, through the method's
 * `presets.forTask`), or on a multiple-choice task the method's `presets.choices`, under the `options` given.
 * @throws InputError for a multiple-choice task (`Task.choices`) with a method that does not score one.
 */
export function optionsOnTask(method: string, task: Task, options: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  if (task.choices) {
    const preset = getMethod(method).presets.choices;
    if (!preset) {
      const scoring = [...methods.values()].filter((m) => m.presets.choices).map((m) => m.name);
      throw new InputError(
        `dataset "${task.name}" is a multiple-choice task (${task.choices} candidates per row), which method "${method}" ` +
          `does not score; methods that do: ${scoring.join(", ")}`,
        { field: "method" },
      );
    }
    return { ...preset, ...options };
  }
  const forTask = task.prompt && getMethod(method).presets.forTask;
  return { ...(forTask ? forTask(task.prompt!) : {}), ...options };
}

/** The task a dataset reference names. */
export function taskOf(dataset: TaskRef): Task {
  return typeof dataset === "string" ? getTask(dataset) : dataset;
}

/** A run whose training or predictions left finite numbers: reported, never scored as if it had worked. */
export class DivergedRunError extends Error {
  /** @param split the split's name ({@link splitName}). */
  constructor(readonly split: string, problem: string) {
    super(problem);
    this.name = "DivergedRunError";
  }
}

/**
 * The rows a split trains, selects and is scored on (no training rows for zero-shot); a multiple-choice task's
 * rows as the pairs methods read (`blankPair`).
 */
export async function splitData(task: Task, split: SplitSpec, source?: SourceOptions): Promise<SplitRows> {
  const rows: SplitRows = split.kind === "zero-shot"
    ? { train: [], dev: [], test: await loadSplit(task, task.test, source) }
    : await loadFewShot(task, split.kind === "official" ? split : { kind: "sampled", k: split.k, seed: split.seed }, source);
  if (!task.choices) return rows;
  return { train: rows.train.map(blankPair), dev: rows.dev.map(blankPair), test: rows.test.map(blankPair) };
}

/**
 * Train `spec.method` on one split and score it on the test set. The method is configured (options validated)
 * before any data is read. A non-finite training loss or predicted probability is a {@link DivergedRunError}
 * (e.g. a learning rate far too high), not a chance-level score.
 */
export async function runSplit(spec: SplitRunSpec): Promise<SplitResult> {
  const start = performance.now();
  const task = taskOf(spec.dataset);
  const method = getMethod(spec.method).create(spec.model, task.labels, optionsOnTask(spec.method, task, spec.options), inputKind(task));
  const { split } = spec;
  const data = await splitData(task, split, spec.source);
  const name = splitName(split);
  const { predictor, record } = await method.fit(data.train, data.dev, { onProgress: spec.onProgress }).catch((err) => {
    throw err instanceof DivergedError ? new DivergedRunError(name, err.message) : err;
  });
  // Methods without the training loop's check (AutoPrompt's search) are checked here.
  const bad = record.losses.findIndex((l) => !Number.isFinite(l));
  if (bad >= 0) throw new DivergedRunError(name, `training diverged: loss ${record.losses[bad]} at step ${bad + 1}`);
  const { proba, variants: readings } = await readingsOf(predictor, data.test);
  if (proba.some((p) => p.some((x) => !Number.isFinite(x)))) {
    throw new DivergedRunError(name, "diverged: non-finite predicted probabilities");
  }
  if (spec.saveTo !== undefined) await predictor.save(spec.saveTo);
  const gold = data.test.map((r) => r.label);
  const variants: Record<string, VariantResult> = {};
  for (const v of readings) variants[v.name] = { options: { ...v.options }, ...metricsFromProba(gold, v.proba, predictor.labels) };
  const metrics = metricsFromProba(gold, proba, predictor.labels);
  return {
    split: name,
    ...metrics,
    predicted: predictedCounts(metrics),
    trainSize: data.train.length,
    trainableParams: record.trainableParams,
    steps: record.steps,
    bestStep: record.bestStep,
    losses: record.losses,
    dev: record.dev,
    dataFingerprint: await dataFingerprint(data),
    notes: record.notes,
    wallSeconds: (performance.now() - start) / 1000,
    ...(Object.keys(variants).length ? { variants } : {}),
  };
}
