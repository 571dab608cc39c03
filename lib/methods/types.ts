/**
 * The one interface every method of the comparison implements (fine-tuning, PET, AutoPrompt, P-tuning v2),
 * so experiments can swap them: configure with a plain options object, `fit(train, dev)`, get a predictor
 * and a record of what was trained.
 */
import type { InputKind, Row, TaskPrompt } from "../data/types.ts";
import type { TextInput } from "../model/batch.ts";
import type { AnyModelFolder, ModelFolder } from "../model/folder.ts";
import type { ProgressCallback } from "../train/progress.ts";

/** The methods report progress with the training layer's types; re-exported as part of their API. */
export type { ProgressCallback, ProgressEvent } from "../train/progress.ts";

/** What a method trained and what it cost. */
export interface TrainRecord {
  method: string;
  /** Number of scalars updated by training (0 for zero-shot; AutoPrompt counts its discrete trigger slots). */
  trainableParams: number;
  steps: number;
  wallSeconds: number;
  /** Training loss per step. */
  losses: number[];
  /** Dev accuracy at each evaluation. */
  dev: { step: number; accuracy: number }[];
  /** Step of the kept (best-on-dev) state; 0 when nothing was trained. */
  bestStep: number;
  /** Things worth telling the user (e.g. "pooler initialised randomly: the checkpoint has none"). */
  notes: string[];
  /** AutoPrompt: search iterations that changed a trigger (absent for the other methods). */
  acceptedFlips?: number;
}

/** The record of a method that trained nothing (yet): no steps, no losses, `notes` to tell. */
export function untrainedRecord(method: string, notes: string[]): TrainRecord {
  return { method, trainableParams: 0, steps: 0, wallSeconds: 0, losses: [], dev: [], bestStep: 0, notes };
}

/**
 * The same trained model read another way, scored beside its predictor on the same test set: exactly what a
 * run with `options` would have predicted, at no extra training (PET's calibrated predictor without its
 * calibration: `{ calibrate: false }`).
 */
export interface VariantReading {
  /** Names the variant in results. */
  readonly name: string;
  /** The options under which a run gives these predictions. */
  readonly options: Readonly<Record<string, unknown>>;
  /** Its class probabilities of the inputs, one row per input. */
  readonly proba: number[][];
}

/** A predictor's class probabilities of some inputs and its variants' readings of the same pass. */
export interface Readings {
  proba: number[][];
  variants: VariantReading[];
}

/** Class probabilities for texts (or sentence pairs), and persistence. */
export interface Predictor {
  /** Class order of the probability rows. */
  readonly labels: readonly string[];
  /**
   * The kind of input it takes when it can tell: a prompt method's template has one input slot (`"text"`) or
   * two (`"pair"`); fine-tuning and P-tuning v2 take the kind of their training rows (saved with them).
   * Undefined for a fine-tuning or P-tuning v2 predictor saved before the kind was recorded, which encodes either.
   */
  readonly inputs?: InputKind;
  /** One row of class probabilities per input: a text, or a pair `{ text, textB }` (data rows are both). */
  predictProba(inputs: readonly TextInput[]): Promise<number[][]>;
  /**
   * These probabilities and the other readings of the same trained model (`VariantReading`), all from one pass
   * over `inputs`; absent when there are none. Nothing is kept between calls, so each call does its work.
   */
  predictReadings?(inputs: readonly TextInput[]): Promise<Readings>;
  /** Write the small artifacts this method trained (prefix and head, triggers and label words, ...). */
  save(dir: string): Promise<void>;
}

/** Per-call options of {@link Method.fit}. */
export interface FitOptions {
  onProgress?: ProgressCallback;
}

/** A configured method, ready to train. */
export interface Method {
  readonly name: string;
  fit(train: readonly Row[], dev: readonly Row[], opts?: FitOptions): Promise<{ predictor: Predictor; record: TrainRecord }>;
}

/** The transformers.js pipeline an export runs in. */
export type ExportPipeline = "text-classification" | "fill-mask" | "text2text-generation";

/** How a method's saved predictors (trained on a folder of kind `M`) export (`docs/export.md`). */
export interface MethodExporter<M extends AnyModelFolder = ModelFolder> {
  /** The transformers.js pipeline its folders load in. */
  readonly pipeline: ExportPipeline;
  /** Write the export of the predictor saved in `saved` to `out`; resolves to the kind of input it takes where known. */
  write(saved: string, model: M, out: string): Promise<InputKind | void>;
}

/**
 * Which stage of prompt learning a method stands for, as the article orders them: a discrete prompt of
 * vocabulary tokens (PET, AutoPrompt), a continuous prompt of trained vectors (P-tuning v2), or the full
 * model trained (fine-tuning).
 */
export type MethodKind = "discrete" | "continuous" | "full";

/** How figures and tables show a method. */
export interface MethodDisplay {
  /** Its name in figures and tables ("P-tuning v2", not `ptuning-v2`). */
  readonly name: string;
  /** Its fixed colour in every figure (`#rrggbb`). */
  readonly colour: string;
  /** The colour of its zero-shot series, for a method that also predicts untrained (`presets.zeroShot`). */
  readonly zeroShotColour?: string;
  /** What its training curve plots, when that is not a training loss (AutoPrompt's search). */
  readonly loss?: string;
}

/**
 * A numeric option whose sweep gets a figure of its own (`figures/<grid>/<figure>.svg`): accuracy against
 * the option's values.
 */
export interface SweepFigure {
  readonly param: string;
  /** The figure's file name. */
  readonly figure: string;
  readonly title: string;
  readonly axisTitle: string;
  /** Log-2 x axis (default true). */
  readonly log?: boolean;
}

/**
 * A method's options at the kit's budgets, beside its `defaults` (the article's settings): what grids,
 * notebooks, the demo and the tests give it. Options are merged in order `ci`/`test`, then `compare`, then
 * `pairs`, then `zeroShot`.
 */
export interface MethodPresets {
  /** Fixed options at the notebooks' `ci` budget: a handful of steps on short inputs. */
  readonly ci: Readonly<Record<string, unknown>>;
  /** Options that keep one conformance test case within seconds on the embedded model. */
  readonly test: Readonly<Record<string, unknown>>;
  /**
   * Options of `deno task demo` (the whole demo near ten minutes on two cores); absent for a method the demo's
   * BERT model cannot run (text-to-text), which the demo leaves out.
   */
  readonly demo?: Readonly<Record<string, unknown>>;
  /** Options grids comparing every method fix at each budget (P-tuning v2's prefix length). */
  readonly compare?: Readonly<Record<"ci" | "full", Readonly<Record<string, unknown>>>>;
  /** Options on a sentence-pair task where the defaults suit single texts only (a two-slot template, 是/不). */
  readonly pairs?: Readonly<Record<string, unknown>>;
  /**
   * Its options on a task with a prompt of its own (`Task.prompt`: a template and label words), which runs
   * give it under the options they are given.
   */
  readonly forTask?: (prompt: TaskPrompt) => Readonly<Record<string, unknown>>;
  /**
   * Its options on a multiple-choice task (`Task.choices`: rows read as pairs around the blank, each with its
   * candidates); absent: the method does not score multiple choice, and runs refuse such a task with it.
   */
  readonly choices?: Readonly<Record<string, unknown>>;
  /** Options of its zero-shot cells, for a method that also predicts untrained (PET). */
  readonly zeroShot?: Readonly<Record<string, unknown>>;
  /**
   * Whether every-method grids (the comparison on each dataset, the model-size axis) include it; default true.
   * False keeps a new method out of them until their committed grid files and results gain its cells, and a
   * method whose backbone is not their BERT models' (text-to-text on T5).
   */
  readonly inComparisons?: boolean;
}

/**
 * A method's entry in the registry: its defaults, a constructor validating options before any training, a
 * loader for what `save` wrote, and the facts the rest of the kit shows and runs it by. Adding a method is a
 * folder with one of these and a line in `registry.ts`.
 */
export interface MethodFactory<O extends object = Record<string, unknown>, M extends AnyModelFolder = ModelFolder> {
  name: string;
  /** One-line description for listings. */
  summary: string;
  kind: MethodKind;
  /**
   * What training changes: `weights` (its `trainableParams` counts scalars), or `tokens` of a discrete
   * prompt picked by search (AutoPrompt: `trainableParams` counts token slots, not weights).
   */
  trains: "weights" | "tokens";
  display: MethodDisplay;
  presets: MethodPresets;
  /** Numeric options whose sweeps get a figure. */
  sweeps?: readonly SweepFigure[];
  defaults: O;
  /**
   * Validate options (clear errors before training starts) and configure the method for `labels` and the
   * task's `inputs` (default single texts): a prompt written for single texts on a pair task, or the reverse,
   * is an input error here. A method takes the folders of the backbones it is written for (`M`), and refuses
   * any other with `requireCapabilities` before it reads anything of the model but its backbone.
   */
  create(model: M, labels: readonly string[], options?: Partial<O>, inputs?: InputKind): Method;
  /** Load a saved predictor onto `model` (refusing, as `create` does, a backbone lacking a capability). */
  load(dir: string, model: M): Promise<Predictor>;
}
