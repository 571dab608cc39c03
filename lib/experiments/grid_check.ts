/**
 * The checks of a grid that need the model and the data, run whole before its first cell trains: a local
 * dataset's files and columns, every cell's options through its method's factory (types and ranges, e.g. a
 * prefix too long for the model's positions, a verbalizer against the task's labels), FewCLUE split indices
 * against the dataset, and the largest K against the pool it is drawn from.
 * @module
 */
import { loadFewShot } from "../data/load.ts";
import { datasetTask } from "../data/dataset_spec.ts";
import type { SourceOptions } from "../data/sources.ts";
import { inputKind, type Task } from "../data/types.ts";
import { getMethod } from "../methods/registry.ts";
import type { AnyModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { canonicalJson, type Cell, describeCell, expandGrid, type Grid } from "./grid.ts";
import { optionsOnTask } from "./split_run.ts";

/** Options of {@link checkGrid}. */
export interface CheckOptions {
  model: AnyModelFolder;
  /** The grid's task ({@link gridTask}). */
  task: Task;
  source?: SourceOptions;
  /** The grid's file, named in errors. */
  file?: string;
}

/** The problem of an error without its location prefix (a new location replaces it). */
function problemOf(err: Error): string {
  if (!(err instanceof InputError)) return err.message;
  const prefix = new InputError("", err.location).message;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

/**
 * Where in the grid file option `field` of `cell` (of `grid.methods[i]`) was set; a field inside an option
 * (`verbalizer.Positive`) is located by its option.
 */
function optionPath(grid: Grid, i: number, cell: Cell, field: string | undefined): string {
  const m = grid.methods[i], at = `methods[${i}]`;
  if (field === undefined) return at;
  const name = field.split(".")[0], inner = field.slice(name.length);
  if (Object.hasOwn(cell.params, name)) {
    const value = canonicalJson(cell.params[name]);
    return `${at}.grid.${name}[${m.grid![name].findIndex((v) => canonicalJson(v) === value)}]${inner}`;
  }
  if (cell.zeroShot && m.zeroShot && Object.hasOwn(m.zeroShot, name)) return `${at}.zeroShot.${field}`;
  if (m.options && Object.hasOwn(m.options, name)) return `${at}.options.${field}`;
  return `${at} (default of option "${field}")`;
}

/**
 * The task of a grid's dataset: the registered one, or its local files read and checked.
 * @throws InputError naming `file` and the grid field: an unknown dataset name (`dataset`), or a local file
 *   that cannot be read or lacks a column (`dataset.train`, `.test`, `.text`, `.textB`, `.label`; the message names the
 *   data file, line and column).
 */
export async function gridTask(grid: Grid, file?: string): Promise<Task> {
  const spec = grid.dataset;
  try {
    return await datasetTask(spec);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    if (typeof spec === "string") throw new InputError(problemOf(err), { file, field: "dataset" });
    const { file: at, field } = err.location;
    const column = (["text", "textB", "label"] as const).find((c) => spec[c] !== undefined && field === spec[c]);
    const key = at === spec.test && at !== spec.train ? "test" : column ?? (at ? "train" : "labels");
    throw new InputError(err.message, { file, field: `dataset.${key}` });
  }
}

/**
 * Configure every cell's method on `o.model` without training, and check the protocol against the dataset.
 * @throws InputError naming the grid file and the JSON field path of the first problem.
 */
export async function checkGrid(grid: Grid, o: CheckOptions): Promise<void> {
  const bad = (field: string, problem: string) => new InputError(problem, { file: o.file, field });
  const task = o.task;
  for (const [i, m] of grid.methods.entries()) {
    const factory = getMethod(m.method);
    for (const cell of expandGrid({ ...grid, methods: [m] })) {
      try {
        factory.create(o.model, task.labels, optionsOnTask(factory.name, task, cell.options), inputKind(task));
      } catch (err) {
        // A method refusing the model (a backbone without what it needs) names the model's file: keep it.
        if (err instanceof InputError && err.location.file) throw err;
        const field = err instanceof InputError ? err.location.field : undefined;
        throw bad(optionPath(grid, i, cell, field), `${problemOf(err as Error)} (cell ${describeCell(cell)})`);
      }
    }
  }
  const p = grid.protocol;
  if (p.kind === "fewclue") {
    const count = task.official?.count ?? 0;
    const j = p.indices.findIndex((index) => index >= count);
    if (j >= 0) {
      throw bad(
        `protocol.indices[${j}]`,
        count
          ? `must be below ${count}: ${task.name} has FewCLUE splits 0..${count - 1}`
          : `${task.name} has no FewCLUE splits; use kind "sampled"`,
      );
    }
    return;
  }
  // Every class needs K train + K dev examples; the largest K needs the most, whatever the seed.
  const k = Math.max(...p.k);
  const problem = await poolProblem(task, k, p.seeds[0], o.source);
  if (problem) throw bad(`protocol.k[${p.k.indexOf(k)}]`, problem);
}

/**
 * Why `task`'s pool cannot give K = `k` examples per class (train and dev) under `seed`, naming the pool and
 * the binding class with its count; undefined when it can.
 * @throws the data's own InputError for a missing or broken data file.
 */
export async function poolProblem(task: Task, k: number, seed: number, source?: SourceOptions): Promise<string | undefined> {
  if (k < 1) return undefined;
  try {
    await loadFewShot(task, { kind: "sampled", k, seed }, source);
    return undefined;
  } catch (err) {
    if (!(err instanceof InputError) || err.location.file) throw err; // a missing or broken data file names itself
    return `K = ${k} is too large for ${task.name}'s pool (${task.pool.join(", ")}): ${problemOf(err)}`;
  }
}
