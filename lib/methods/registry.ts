/**
 * Every method of the comparison by name; experiments, the CLI and notebooks look them up here.
 *
 * The registry holds each method with its options type erased: options reach it as parsed JSON or flags, and
 * the method's own `create` validates them before any training.
 */
import type { InputKind } from "../data/types.ts";
import type { AnyModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { autoprompt } from "./autoprompt/autoprompt.ts";
import { exportFinetune, exportPtuningV2 } from "./classifier/export.ts";
import { finetune } from "./classifier/finetune.ts";
import { ptuningV2 } from "./classifier/ptuning_v2.ts";
import { exportPet } from "./pet/export.ts";
import { pet } from "./pet/pet.ts";
import { exportSoftPrompt } from "./soft_prompt/export.ts";
import { softPrompt } from "./soft_prompt/soft_prompt.ts";
import { exportText2Text } from "./text2text/export.ts";
import { text2text } from "./text2text/text2text.ts";
import type { Method, MethodDisplay, MethodExporter, MethodFactory, MethodKind, MethodPresets, Predictor, SweepFigure } from "./types.ts";

/** Options as callers pass them: a plain object the method validates. */
export type MethodOptions = Readonly<Record<string, unknown>>;

/** A registered method. */
export interface RegisteredMethod {
  readonly name: string;
  /** One-line description for listings. */
  readonly summary: string;
  /** The article's stage it stands for. */
  readonly kind: MethodKind;
  /** What training changes: weights, or the tokens of a discrete prompt. */
  readonly trains: "weights" | "tokens";
  /** Its name and colours in figures. */
  readonly display: MethodDisplay;
  /** Its options at the kit's budgets (ci, tests, the demo, comparisons, pairs, zero-shot). */
  readonly presets: MethodPresets;
  /** Numeric options whose sweeps get a figure. */
  readonly sweeps: readonly SweepFigure[];
  /** How its saved predictors export; absent for a method without an export. */
  readonly exporter?: MethodExporter<AnyModelFolder>;
  /** Every option the method takes, with its default. */
  readonly defaults: MethodOptions;
  /**
   * Validate `options` (an input error naming the option otherwise) and configure the method for `labels` and
   * the task's `inputs` (default single texts).
   */
  create(model: AnyModelFolder, labels: readonly string[], options?: MethodOptions, inputs?: InputKind): Method;
  /** Load a saved predictor onto `model`. */
  load(dir: string, model: AnyModelFolder): Promise<Predictor>;
}

/** Lower-case words joined by hyphens, as on the command line (`ptuning-v2`). */
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const COLOUR = /^#[0-9a-f]{6}$/;
const KINDS: readonly MethodKind[] = ["discrete", "continuous", "full"];

/** Methods by name; {@link MethodRegistry.register} refuses malformed entries and duplicate names. */
export class MethodRegistry {
  readonly #methods = new Map<string, RegisteredMethod>();

  /**
   * Add `factory` under its name, with `exporter` when its predictors export.
   * @throws Error when the name is malformed or taken, the summary empty, the defaults not a plain object, the
   *   kind unknown, or the display name or a colour empty, malformed or another method's.
   */
  register<O extends object, M extends AnyModelFolder>(factory: MethodFactory<O, M>, exporter?: MethodExporter<M>): RegisteredMethod {
    const { name, summary, defaults, kind, trains, display, presets, sweeps = [] } = factory;
    if (!NAME.test(name)) throw new Error(`method name "${name}" must be lower-case words joined by hyphens`);
    if (this.#methods.has(name)) throw new Error(`method "${name}" is already registered`);
    if (!summary.trim()) throw new Error(`method "${name}" has no summary`);
    if (Object.getPrototypeOf(defaults) !== Object.prototype) throw new Error(`method "${name}": defaults must be a plain object`);
    if (!KINDS.includes(kind)) throw new Error(`method "${name}": kind must be one of ${KINDS.join(", ")}, got "${kind}"`);
    this.#checkDisplay(name, display);
    const entry: RegisteredMethod = {
      name,
      summary,
      kind,
      trains,
      display,
      presets,
      sweeps,
      // A saved predictor loads only onto its base model (fingerprint checked), so `model` is of kind `M`.
      ...(exporter ? { exporter: exporter as MethodExporter<AnyModelFolder> } : {}),
      defaults: Object.freeze(Object.fromEntries(Object.entries(defaults))),
      // The method checks every option it reads (types and ranges) before configuring anything, and its
      // backbone's capabilities before reading anything of a folder of another kind than `M`.
      create: (model, labels, options = {}, inputs) => factory.create(model as M, labels, options as Partial<O>, inputs),
      load: (dir, model) => factory.load(dir, model as M),
    };
    this.#methods.set(name, entry);
    return entry;
  }

  /** Figures tell methods apart by display name and colour: each must be well-formed and the method's own. */
  #checkDisplay(name: string, display: MethodDisplay): void {
    if (!display.name.trim()) throw new Error(`method "${name}" has no display name`);
    const colours = [display.colour, ...(display.zeroShotColour ? [display.zeroShotColour] : [])];
    for (const c of colours) if (!COLOUR.test(c)) throw new Error(`method "${name}": colour "${c}" must be #rrggbb (lower-case hex)`);
    for (const other of this.#methods.values()) {
      if (other.display.name === display.name) {
        throw new Error(`method "${name}": display name "${display.name}" is already method "${other.name}"'s`);
      }
      const taken = [other.display.colour, other.display.zeroShotColour].find((c) => c && colours.includes(c));
      if (taken) throw new Error(`method "${name}": colour ${taken} is already method "${other.name}"'s`);
    }
  }

  /** The registered methods by name, in registration order. */
  get all(): ReadonlyMap<string, RegisteredMethod> {
    return this.#methods;
  }

  /** The method called `name`; an input error listing the known ones otherwise. */
  get(name: string): RegisteredMethod {
    const m = this.#methods.get(name);
    if (!m) throw new InputError(`unknown method "${name}"; known: ${[...this.#methods.keys()].join(", ")}`, { field: "method" });
    return m;
  }
}

const registry = new MethodRegistry();
// One line per method, in the order figures, listings and every-method grids show them.
registry.register(finetune, { pipeline: "text-classification", write: exportFinetune });
registry.register(pet, { pipeline: "fill-mask", write: exportPet });
registry.register(autoprompt);
registry.register(ptuningV2, { pipeline: "text-classification", write: exportPtuningV2 });
registry.register(softPrompt, { pipeline: "fill-mask", write: exportSoftPrompt });
registry.register(text2text, { pipeline: "text2text-generation", write: exportText2Text });

/** Registered methods by name. */
export const methods: ReadonlyMap<string, RegisteredMethod> = registry.all;

/** The method called `name`; an input error listing the known ones otherwise. */
export function getMethod(name: string): RegisteredMethod {
  return registry.get(name);
}

/** Register another method (a notebook's or a plugin's); refuses a name, display name or colour already taken. */
export function registerMethod<O extends object, M extends AnyModelFolder>(
  factory: MethodFactory<O, M>,
  exporter?: MethodExporter<M>,
): RegisteredMethod {
  return registry.register(factory, exporter);
}
