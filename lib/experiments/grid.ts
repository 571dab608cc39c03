/**
 * Experiment grids: a dataset, a few-shot protocol, methods each with a parameter grid, K values and seeds,
 * given as a plain object or a JSON file, expanded into cells (one training run each) in a stable order.
 *
 * @example
 * ```ts
 * const grid = parseGrid({
 *   name: "ptv2-prefix", dataset: "demo",
 *   protocol: { kind: "sampled", k: [8], seeds: [1, 2] },
 *   methods: [{ method: "ptuning-v2", options: { steps: 50 }, grid: { prefixLength: [1, 4, 16] } }],
 * });
 * expandGrid(grid).length; // 6
 * ```
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import { datasetName, type DatasetSpec, isDataFile } from "../data/dataset_spec.ts";
import { methods } from "../methods/registry.ts";
import { InputError } from "../util/errors.ts";
import { splitName, type SplitSpec } from "./split_run.ts";

/** K-per-class samples under seeds (K = 0: zero-shot, for methods with `zeroShot`), or FewCLUE's splits. */
export type GridProtocol =
  | { kind: "sampled"; k: number[]; seeds: number[] }
  | { kind: "fewclue"; indices: number[] };

/** One method of a grid: fixed options, a parameter grid (every combination runs), zero-shot overrides. */
export interface GridMethod {
  /** A registered method name. */
  method: string;
  /** Options every cell of this method gets. */
  options?: Record<string, unknown>;
  /** Option name → values; the cells cover their cartesian product. */
  grid?: Record<string, unknown[]>;
  /** Options that make the method zero-shot (e.g. PET's `{ mode: "zero-shot" }`); absent: K = 0 is skipped. */
  zeroShot?: Record<string, unknown>;
  /** A label for charts and tables (default: the method name), e.g. "PET (zero-shot)". */
  label?: string;
}

/** A whole grid. */
export interface Grid {
  /** Names the results file and figures. */
  name: string;
  /**
   * A registered dataset's name, or local files (`{ train, test?, text, textB?, label, labels?, id?, name? }`, as
   * `LocalDataOptions`); in a grid file the paths are relative to it, once parsed to the working folder.
   */
  dataset: DatasetSpec;
  protocol: GridProtocol;
  methods: GridMethod[];
}

/** One training run of a grid. `key` identifies it across runs, shards and files. */
export interface Cell {
  key: string;
  method: string;
  label: string;
  /** The dataset's name: registered, or a local dataset's (`datasetName`). */
  dataset: string;
  /** The varied options of this cell (its point of the parameter grid). */
  params: Record<string, unknown>;
  /** Everything passed to the method: fixed options, params, zero-shot overrides, seed. */
  options: Record<string, unknown>;
  protocol: "sampled" | "fewclue";
  /** Examples per class (0: zero-shot); null for FewCLUE splits, whose size the data decides. */
  k: number | null;
  seed: number | null;
  /** FewCLUE split index; null for sampled cells. */
  index: number | null;
  zeroShot: boolean;
}

/** Keys each part of a grid file may have. */
const GRID_KEYS = ["name", "dataset", "protocol", "methods"];
const PROTOCOL_KEYS = { sampled: ["kind", "k", "seeds"], fewclue: ["kind", "indices"] };
const METHOD_KEYS = ["method", "options", "grid", "zeroShot", "label"];
const DATASET_KEYS = ["train", "test", "text", "label", "labels", "id", "name", "textB", "dev"];

/**
 * Check a grid (from an object or parsed JSON) whole, before anything runs: no unknown key anywhere (option
 * names are checked against the method's defaults), known methods, integer K values, seeds and indices with
 * none repeated, non-empty value lists without repeats, no option both fixed and varied, no cell twice. Option
 * values, K and local data files against the data are checked with the model (`grid_check.ts`). Paths of a
 * local dataset are taken relative to `file`'s folder.
 * @throws InputError naming the field (and `file` when given).
 */
export function parseGrid(raw: unknown, file?: string): Grid {
  const base = file ? dirname(file) : ".";
  const bad = (field: string, problem: string) => new InputError(problem, { file, field });
  const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object" && !Array.isArray(x);
  const onlyKeys = (obj: Record<string, unknown>, allowed: readonly string[], at: string) => {
    const unknown = Object.keys(obj).find((k) => !allowed.includes(k));
    if (unknown !== undefined) throw bad(at ? `${at}.${unknown}` : unknown, `unknown key; allowed: ${allowed.join(", ")}`);
  };
  if (!isObject(raw)) throw bad("grid", "must be an object");
  onlyKeys(raw, GRID_KEYS, "");
  const g = raw as Partial<Grid>;
  if (typeof g.name !== "string" || !/^[\w.-]+$/.test(g.name)) throw bad("name", "must be a file-name-safe string");
  const p = g.protocol as GridProtocol | undefined;
  const ints = (xs: unknown, field: string, min: number) => {
    if (!Array.isArray(xs) || !xs.length || xs.some((x) => !Number.isInteger(x) || x < min)) {
      throw bad(field, `must be a non-empty list of integers ≥ ${min}`);
    }
    noRepeats(xs, field);
  };
  const noRepeats = (xs: unknown[], field: string) => {
    const seen = new Set<string>();
    xs.forEach((x, j) => {
      const id = canonicalJson(x);
      if (seen.has(id)) {
        throw bad(`${field}[${j}]`, `${id} is listed twice: each value gives its own cells, so a repeat would run them twice`);
      }
      seen.add(id);
    });
  };
  /** A local dataset's fields checked, its paths made relative to the working folder. */
  function localDataset(d: Record<string, unknown>): DatasetSpec {
    onlyKeys(d, DATASET_KEYS, "dataset");
    const text = (key: string, required: boolean, what: string) => {
      if (d[key] === undefined && !required) return undefined;
      if (typeof d[key] !== "string" || !d[key]) throw bad(`dataset.${key}`, `must be ${what}`);
      return d[key] as string;
    };
    const file = (key: string, required: boolean) => {
      const path = text(key, required, "a .csv or .jsonl file, relative to the grid file");
      if (path !== undefined && !isDataFile(path)) throw bad(`dataset.${key}`, `must be a .csv or .jsonl file, got "${path}"`);
      return path === undefined || isAbsolute(path) ? path : join(base, path);
    };
    const name = text("name", false, "a file-name-safe string");
    if (name !== undefined && !/^[\w.-]+$/.test(name)) throw bad("dataset.name", "must be a file-name-safe string");
    const labels = d.labels;
    if (labels !== undefined) {
      if (!Array.isArray(labels) || !labels.length || labels.some((l) => typeof l !== "string" || !l)) {
        throw bad("dataset.labels", "must be a non-empty list of label strings, in class order");
      }
      const j = labels.findIndex((l, i) => labels.indexOf(l) !== i);
      if (j >= 0) throw bad(`dataset.labels[${j}]`, `"${labels[j]}" is listed twice`);
    }
    return {
      train: file("train", true)!,
      test: file("test", false),
      ...(d.dev === undefined ? {} : { dev: file("dev", true) }),
      text: text("text", true, "the name of the text column")!,
      ...(d.textB === undefined ? {} : { textB: text("textB", true, "the name of the second text column (sentence pairs)") }),
      label: text("label", true, "the name of the label column")!,
      labels: labels as string[] | undefined,
      id: text("id", false, "the name of the id column"),
      name,
    };
  }
  if (typeof g.dataset !== "string" && !isObject(g.dataset)) {
    throw bad("dataset", "must be a dataset name, or an object {train, text, label, ...} naming local files");
  }
  const dataset = isObject(g.dataset) ? localDataset(g.dataset) : g.dataset;
  if (!isObject(p)) throw bad("protocol", "must be an object");
  if (p.kind === "sampled") {
    onlyKeys(p, PROTOCOL_KEYS.sampled, "protocol");
    ints(p.k, "protocol.k", 0);
    ints(p.seeds, "protocol.seeds", 0);
  } else if (p.kind === "fewclue") {
    onlyKeys(p, PROTOCOL_KEYS.fewclue, "protocol");
    ints(p.indices, "protocol.indices", 0);
  } else throw bad("protocol.kind", `must be "sampled" or "fewclue"`);
  if (!Array.isArray(g.methods) || !g.methods.length) throw bad("methods", "must be a non-empty list");
  g.methods.forEach((m: unknown, i) => {
    const at = `methods[${i}]`;
    if (!isObject(m)) throw bad(at, "must be an object");
    onlyKeys(m, METHOD_KEYS, at);
    const factory = methods.get(m.method as string);
    if (!factory) throw bad(`${at}.method`, `unknown method "${m.method}"; known: ${[...methods.keys()].join(", ")}`);
    if (m.label !== undefined && typeof m.label !== "string") throw bad(`${at}.label`, "must be a string");
    const names = Object.keys(factory.defaults);
    for (const part of ["options", "grid", "zeroShot"] as const) {
      if (m[part] === undefined) continue;
      if (!isObject(m[part])) throw bad(`${at}.${part}`, "must be an object");
      onlyKeys(m[part], names, `${at}.${part}`);
    }
    for (const [name, values] of Object.entries((m.grid ?? {}) as Record<string, unknown>)) {
      if (!Array.isArray(values) || !values.length) throw bad(`${at}.grid.${name}`, "must be a non-empty list");
      noRepeats(values, `${at}.grid.${name}`);
      if (m.options && Object.hasOwn(m.options, name)) {
        throw bad(`${at}.options.${name}`, `is also varied in ${at}.grid.${name}: give it in one place`);
      }
    }
  });
  const grid = { ...g, dataset } as Grid;
  const first = new Map<string, number>();
  for (const [i, m] of grid.methods.entries()) {
    for (const cell of expandGrid({ ...grid, methods: [m] })) {
      const earlier = first.get(cell.key);
      if (earlier !== undefined && earlier !== i) {
        throw bad(`methods[${i}]`, `repeats cells of methods[${earlier}] (same method, options and label)`);
      }
      first.set(cell.key, i);
    }
  }
  return grid;
}

/** Read and check a grid JSON file. */
export async function loadGrid(path: string): Promise<Grid> {
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new InputError(err instanceof SyntaxError ? `not valid JSON: ${err.message}` : (err as Error).message, { file: path });
  }
  return parseGrid(raw, path);
}

/** Every combination of the parameter grid, keys in insertion order. */
function combinations(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(grid).reduce<Record<string, unknown>[]>(
    (acc, [name, values]) => acc.flatMap((c) => values.map((v) => ({ ...c, [name]: v }))),
    [{}],
  );
}

/** JSON with object keys sorted, so equal cells get equal keys whatever the option order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) =>
      v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/**
 * The cells of a grid, in a stable order (method, parameter point, K, seed). Zero-shot cells run once (under
 * the first seed): nothing is sampled or trained, so seeds would repeat the same number.
 */
export function expandGrid(grid: Grid): Cell[] {
  const cells: Cell[] = [];
  for (const m of grid.methods) {
    const label = m.label ?? m.method;
    for (const params of combinations(m.grid ?? {})) {
      const base = { ...m.options, ...params };
      const add = (c: Omit<Cell, "key" | "method" | "label" | "dataset" | "params">) => {
        const id = {
          dataset: datasetName(grid.dataset),
          method: m.method,
          label,
          params,
          options: c.options,
          k: c.k,
          seed: c.seed,
          index: c.index,
        };
        cells.push({ key: canonicalJson(id), method: m.method, label, dataset: id.dataset, params, ...c });
      };
      if (grid.protocol.kind === "fewclue") {
        // Zero-shot trains nothing, so it is one cell scored on the test set, not one per split.
        if (m.zeroShot) add({ options: { ...base, ...m.zeroShot }, protocol: "fewclue", k: null, seed: null, index: null, zeroShot: true });
        for (const index of grid.protocol.indices) add({ options: base, protocol: "fewclue", k: null, seed: null, index, zeroShot: false });
        continue;
      }
      for (const k of grid.protocol.k) {
        if (k === 0 && !m.zeroShot) continue;
        const seeds = k === 0 ? grid.protocol.seeds.slice(0, 1) : grid.protocol.seeds;
        for (const seed of seeds) {
          const options = k === 0 ? { ...base, ...m.zeroShot, seed } : { ...base, seed };
          add({ options, protocol: "sampled", k, seed, index: null, zeroShot: k === 0 });
        }
      }
    }
  }
  return cells;
}

/** The split a cell runs on. */
export function cellSplit(cell: Cell): SplitSpec {
  if (cell.zeroShot) return { kind: "zero-shot" };
  return cell.protocol === "fewclue" ? { kind: "official", index: cell.index! } : { kind: "sampled", k: cell.k!, seed: cell.seed! };
}

/** A cell in a few words for progress and status lines: its label, split and varied parameters. */
export function describeCell(cell: Cell): string {
  const params = Object.entries(cell.params).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return [cell.label, splitName(cellSplit(cell)), ...params].join(" ");
}

/** A shard `i/n` (0-based `i`), as a cluster array job gives it. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Parse `--shard i/n` (0 ≤ i < n); SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX can be passed as `i`.
 * @throws InputError on anything else.
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new InputError(`must be i/n with 0 ≤ i < n, got "${text}"`, { field: "--shard" });
  return { index, count };
}

/** The cells shard `s` runs: every `count`-th cell from `index`, so shards get similar mixes of methods. */
export function shardCells(cells: readonly Cell[], s?: Shard): Cell[] {
  return s ? cells.filter((_, i) => i % s.count === s.index) : [...cells];
}
