/**
 * The mixture definition file of multitask prompted training (`docs/zeroprompt.md`): the tasks, several PET
 * templates per task and their label words, the examples per task, the sampling temperature, the held-out task
 * with the wordings it is scored with zero-shot, and the training options. Everything a file can get wrong is an
 * `InputError` naming the file and the field, before any data or model is read.
 */
import { getTask } from "../data/registry.ts";
import { inputKind, type Task } from "../data/types.ts";
import { checkTemplateInputs } from "../methods/prompt_inputs.ts";
import { parseTemplate } from "../methods/pet/template.ts";
import { InputError } from "../util/errors.ts";

/** Label words per class, as a verbalizer takes them. */
export type LabelWords = Readonly<Record<string, readonly string[]>>;

/** One task of the mixture: its rows are rendered with one of `templates`, read at [MASK] with `words`. */
export interface MixtureTask {
  task: Task;
  templates: readonly string[];
  words: LabelWords;
}

/** A template and label words of the held-out task: one wording of its zero-shot prompt. */
export interface Wording {
  template: string;
  words: LabelWords;
}

/** The options of a run, each with a default ({@link MIXTURE_DEFAULTS}). */
export interface MixtureOptions {
  /** Most training rows taken per task (a seeded sample of the larger ones). */
  examplesPerTask: number;
  /** Task i is drawn with probability ∝ n_i^(1/T) (T0, ZeroPrompt): 1 follows the sizes, larger flattens them. */
  temperature: number;
  seed: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  /** Longest prompt in tokens, [CLS], [SEP] and masks included. */
  maxLength: number;
}

/** A checked mixture file. */
export interface Mixture extends MixtureOptions {
  /** The file it was read from, for messages and the model card. */
  file: string;
  name: string;
  tasks: readonly MixtureTask[];
  heldout: { task: Task; wordings: readonly Wording[] };
}

/** Defaults of the options a file leaves out. */
export const MIXTURE_DEFAULTS: MixtureOptions = {
  examplesPerTask: 1000,
  temperature: 2,
  seed: 42,
  steps: 1000,
  batchSize: 16,
  lr: 2e-5,
  warmupSteps: 50,
  maxLength: 128,
};

/** Numeric fields: integer or not, and the bound they must pass. */
const NUMERIC: Record<keyof MixtureOptions, { int: boolean; min?: number; above?: number }> = {
  examplesPerTask: { int: true, min: 1 },
  temperature: { int: false, above: 0 },
  seed: { int: true },
  steps: { int: true, min: 1 },
  batchSize: { int: true, min: 1 },
  lr: { int: false, above: 0 },
  warmupSteps: { int: true, min: 0 },
  maxLength: { int: true, min: 8 },
};

const TOP_LEVEL = ["name", "description", "tasks", "heldout", ...Object.keys(NUMERIC)];

/** Read and check a mixture file. @throws InputError naming the file (and field) on any problem. */
export async function readMixture(file: string): Promise<Mixture> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new InputError(`cannot read the mixture file (${(e as Error).message})`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not JSON: ${(e as Error).message}`, { file });
  }
  return parseMixture(json, file);
}

/**
 * `mixture` with its peak learning rate replaced by `lr` (a command's `--lr`; unchanged when undefined). The
 * rate is part of the run's record, so the card states it and a resume with another rate is refused.
 */
export function withLr(mixture: Mixture, lr: number | undefined): Mixture {
  return lr === undefined ? mixture : { ...mixture, lr };
}

/** Check a parsed mixture; `file` names it in errors. */
export function parseMixture(json: unknown, file: string): Mixture {
  const bad = (field: string, problem: string) => new InputError(problem, { file, field });
  const o = object(json, "", bad);
  const unknown = Object.keys(o).find((k) => !TOP_LEVEL.includes(k));
  if (unknown) throw bad(unknown, `unknown field; known: ${TOP_LEVEL.join(", ")}`);
  const options = { ...MIXTURE_DEFAULTS };
  for (const [key, rule] of Object.entries(NUMERIC) as [keyof MixtureOptions, (typeof NUMERIC)[keyof MixtureOptions]][]) {
    if (o[key] === undefined) continue;
    const v = o[key];
    const fits = typeof v === "number" && Number.isFinite(v) && (!rule.int || Number.isInteger(v)) &&
      (rule.min === undefined || v >= rule.min) && (rule.above === undefined || v > rule.above);
    if (!fits) {
      const bound = rule.min !== undefined ? ` ≥ ${rule.min}` : rule.above !== undefined ? ` > ${rule.above}` : "";
      throw bad(key, `must be ${rule.int ? "an integer" : "a number"}${bound}, got ${JSON.stringify(v)}`);
    }
    options[key] = v as number;
  }
  const tasksJson = object(o.tasks, "tasks", bad);
  if (Object.keys(tasksJson).length === 0) throw bad("tasks", "names no task");
  const heldoutJson = object(o.heldout, "heldout", bad);
  const heldoutTask = registered(heldoutJson.task, "heldout.task", bad);
  const tasks = Object.entries(tasksJson).map(([name, spec]) => {
    const field = `tasks.${name}`;
    const task = registered(name, field, bad);
    if (task.name === heldoutTask.name) {
      throw bad(field, `"${name}" is the held-out task: it cannot be in the mixture it is held out of`);
    }
    const s = object(spec, field, bad);
    if (!Array.isArray(s.templates) || s.templates.length === 0) {
      throw bad(`${field}.templates`, "no template: give a list of at least one PET template with [MASK]");
    }
    const templates = s.templates.map((t, i) => template(t, task, `${field}.templates[${i}]`, bad));
    return { task, templates, words: labelWords(s.words ?? task.prompt?.words, task, `${field}.words`, bad) };
  });
  if (!Array.isArray(heldoutJson.wordings) || heldoutJson.wordings.length === 0) {
    throw bad("heldout.wordings", "no wording: give a list of {template, words} to score the held-out task with");
  }
  const used = new Set(tasks.flatMap((t) => t.templates));
  const wordings = heldoutJson.wordings.map((w, i) => {
    const field = `heldout.wordings[${i}]`;
    const spec = object(w, field, bad);
    const t = template(spec.template, heldoutTask, `${field}.template`, bad);
    if (used.has(t)) throw bad(`${field}.template`, `"${t}" is a template of the mixture: held-out wordings must be unseen`);
    return { template: t, words: labelWords(spec.words, heldoutTask, `${field}.words`, bad) };
  });
  const name = o.name === undefined ? file.replace(/^.*\//, "").replace(/\.json$/, "") : o.name;
  if (typeof name !== "string" || !name) throw bad("name", `must be a non-empty string, got ${JSON.stringify(o.name)}`);
  return { ...options, file, name, tasks, heldout: { task: heldoutTask, wordings } };
}

type Bad = (field: string, problem: string) => InputError;

function object(v: unknown, field: string, bad: Bad): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw bad(field || "(top level)", `must be an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

/** A registered single-label task (multiple choice has no verbalizer). */
function registered(name: unknown, field: string, bad: Bad): Task {
  if (typeof name !== "string") throw bad(field, `must be a registered dataset name, got ${JSON.stringify(name)}`);
  let task: Task;
  try {
    task = getTask(name);
  } catch (e) {
    if (e instanceof InputError) throw bad(field, e.problem);
    throw e;
  }
  if (task.choices) throw bad(field, `"${name}" is multiple choice: a PET template and verbalizer cannot score it`);
  return task;
}

/** A PET template string for `task`'s kind of input. */
function template(t: unknown, task: Task, field: string, bad: Bad): string {
  if (typeof t !== "string") throw bad(field, `must be a template string, got ${JSON.stringify(t)}`);
  try {
    checkTemplateInputs(parseTemplate(t), inputKind(task), "{text_b}");
  } catch (e) {
    if (e instanceof InputError) throw bad(field, e.problem);
    throw e;
  }
  return t;
}

/** Words for every label of `task` and for no other; the tokenizer's check comes with the model. */
function labelWords(v: unknown, task: Task, field: string, bad: Bad): LabelWords {
  if (v === undefined) throw bad(field, `no label words, and "${task.name}" registers none: give words per class`);
  const spec = object(v, field, bad);
  const extra = Object.keys(spec).find((k) => !task.labels.includes(k));
  if (extra) throw bad(`${field}.${extra}`, `"${extra}" is not a label of "${task.name}" (${task.labels.join(", ")})`);
  const missing = task.labels.find((l) => spec[l] === undefined);
  if (missing) throw bad(`${field}.${missing}`, `label "${missing}" of "${task.name}" has no words`);
  for (const l of task.labels) {
    const words = spec[l];
    if (!Array.isArray(words) || words.length === 0 || !words.every((w) => typeof w === "string" && w)) {
      throw bad(`${field}.${l}`, `must be a non-empty list of words, got ${JSON.stringify(words)}`);
    }
  }
  return spec as LabelWords;
}

/** Run `fn`, an `InputError` of which is bad input of `mixture` at `field` (a check against a model's tokenizer). */
export function inMixture<T>(mixture: Pick<Mixture, "file">, field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.problem, { file: mixture.file, field });
    throw e;
  }
}
