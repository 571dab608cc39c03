/**
 * Every method of the comparison by name; experiments, the CLI and notebooks look them up here.
 *
 * The registry holds each method with its options type erased: options reach it as parsed JSON or flags, and
 * the method's own `create` validates them before any training.
 */
import type { InputKind } from "../data/types.ts";
import type { ModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { autoprompt } from "./autoprompt/autoprompt.ts";
import { finetune } from "./classifier/finetune.ts";
import { ptuningV2 } from "./classifier/ptuning_v2.ts";
import { pet } from "./pet/pet.ts";
import type { Method, MethodFactory, Predictor } from "./types.ts";

/** Options as callers pass them: a plain object the method validates. */
export type MethodOptions = Readonly<Record<string, unknown>>;

/** A registered method. */
export interface RegisteredMethod {
  readonly name: string;
  /** One-line description for listings. */
  readonly summary: string;
  /** Every option the method takes, with its default. */
  readonly defaults: MethodOptions;
  /**
   * Validate `options` (an input error naming the option otherwise) and configure the method for `labels` and
   * the task's `inputs` (default single texts).
   */
  create(model: ModelFolder, labels: readonly string[], options?: MethodOptions, inputs?: InputKind): Method;
  /** Load a saved predictor onto `model`. */
  load(dir: string, model: ModelFolder): Promise<Predictor>;
}

/** Lower-case words joined by hyphens, as on the command line (`ptuning-v2`). */
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Methods by name; {@link MethodRegistry.register} refuses malformed entries and duplicate names. */
export class MethodRegistry {
  readonly #methods = new Map<string, RegisteredMethod>();

  /**
   * Add `factory` under its name.
   * @throws Error when the name is malformed or taken, the summary empty, or the defaults not a plain object.
   */
  register<O extends object>(factory: MethodFactory<O>): RegisteredMethod {
    const { name, summary, defaults } = factory;
    if (!NAME.test(name)) throw new Error(`method name "${name}" must be lower-case words joined by hyphens`);
    if (this.#methods.has(name)) throw new Error(`method "${name}" is already registered`);
    if (!summary.trim()) throw new Error(`method "${name}" has no summary`);
    if (Object.getPrototypeOf(defaults) !== Object.prototype) throw new Error(`method "${name}": defaults must be a plain object`);
    const entry: RegisteredMethod = {
      name,
      summary,
      defaults: Object.freeze(Object.fromEntries(Object.entries(defaults))),
      // The method checks every option it reads (types and ranges) before configuring anything.
      create: (model, labels, options = {}, inputs) => factory.create(model, labels, options as Partial<O>, inputs),
      load: (dir, model) => factory.load(dir, model),
    };
    this.#methods.set(name, entry);
    return entry;
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
for (const f of [finetune, pet, ptuningV2, autoprompt]) registry.register<object>(f);

/** Registered methods by name. */
export const methods: ReadonlyMap<string, RegisteredMethod> = registry.all;

/** The method called `name`; an input error listing the known ones otherwise. */
export function getMethod(name: string): RegisteredMethod {
  return registry.get(name);
}

/** Register another method (a notebook's or a plugin's); refuses a name already taken. */
export function registerMethod<O extends object>(factory: MethodFactory<O>): RegisteredMethod {
  return registry.register(factory);
}
