/**
 * The kit's one command-line flag layer. Each command (`deno task cli <command>`, `grid`, `figures`, `bench`)
 * declares its flags once — type, range, default, help text — and gets typed values and a generated `--help`.
 * Anything else is an {@link InputError} naming the flag, one line, which the entry points print and turn
 * into exit code 2: an unknown flag, a flag given twice (unless declared repeatable), a value missing, a number that is not one (or out
 * of range), a list with a bad or repeated entry, one value where a list was given.
 *
 * Tokenising is `node:util` parseArgs; this module adds the types, the checks and the messages.
 *
 * @example
 * ```ts
 * const SPEC = {
 *   name: "cli demo",
 *   usage: "deno task demo [flags]",
 *   flags: {
 *     k: { type: "ints", min: 1, default: [4, 8], help: "examples per class" },
 *     json: { type: "boolean", help: "JSON output" },
 *   },
 * } as const satisfies CommandSpec;
 * const p = parseFlags(SPEC, ["--k", "4,16"]);
 * if (!p.help) p.values.k; // [4, 16]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { InputError } from "./errors.ts";

interface FlagCommon {
  /** One line for `--help`. */
  help: string;
  /** Placeholder of the value in `--help`, e.g. `DIR`; default from the type. */
  value?: string;
  /** Must be given (no default makes sense). */
  required?: boolean;
}

/** Free text, or one of `choices`. */
export interface StringFlag extends FlagCommon {
  type: "string";
  default?: string;
  choices?: readonly string[];
}

/** An integer in `[min, max]`. */
export interface IntFlag extends FlagCommon {
  type: "int";
  default?: number;
  min?: number;
  max?: number;
}

/** A finite number, at least `min` (or above `above`), at most `max` (or below `below`). */
export interface NumberFlag extends FlagCommon {
  type: "number";
  default?: number;
  min?: number;
  /** Exclusive lower bound, e.g. 0 for "positive". */
  above?: number;
  max?: number;
  /** Exclusive upper bound. */
  below?: number;
}

/** Comma-separated integers, each at least `min`, none repeated. */
export interface IntListFlag extends FlagCommon {
  type: "ints";
  default?: readonly number[];
  min?: number;
}

/** Comma-separated names, none empty or repeated, each one of `choices` when given. */
export interface StringListFlag extends FlagCommon {
  type: "strings";
  default?: readonly string[];
  choices?: readonly string[];
  /** An empty value (`--name ""`) means the empty list, e.g. "none of them". */
  allowEmpty?: boolean;
}

/** Free text given any number of times (`--text a --text b`), e.g. texts that may hold commas; default none. */
export interface RepeatedFlag extends FlagCommon {
  type: "repeated";
}

/** Present or not; takes no value. */
export interface BooleanFlag extends FlagCommon {
  type: "boolean";
}

/** One declared flag. */
export type Flag = StringFlag | IntFlag | NumberFlag | IntListFlag | StringListFlag | RepeatedFlag | BooleanFlag;

/** Flags by name as typed on the command line (kebab-case, without `--`). */
export type FlagSpecs = Readonly<Record<string, Flag>>;

/** A command's declaration: what `--help` prints and what {@link parseFlags} accepts. */
export interface CommandSpec<S extends FlagSpecs = FlagSpecs> {
  /** How the command is called after `deno task`, e.g. `cli pretrain`; names it in messages. */
  name: string;
  /** Usage line(s) printed first by `--help`. */
  usage: string;
  flags: S;
  /** Positional arguments: their name in messages and how many are allowed (default: none). */
  positionals?: { name: string; min?: number; max?: number };
  /** Collect undeclared `--name [value]` flags (e.g. `run`'s method options) instead of refusing them. */
  extraFlags?: boolean;
  /** Text printed after the flag list (modes, examples). */
  notes?: string;
}

type ValueOf<F> = F extends { type: "string" } ? string
  : F extends { type: "int" | "number" } ? number
  : F extends { type: "ints" } ? number[]
  : F extends { type: "strings" | "repeated" } ? string[]
  : boolean;

/** Typed values: defined where the flag has a default, is required or is a boolean. */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]: S[K] extends { type: "boolean" | "repeated" } | { default: unknown } | { required: true } ? ValueOf<S[K]>
    : ValueOf<S[K]> | undefined;
};

/** What {@link parseFlags} returns: `help` alone when `--help`/`-h` was asked for. */
export type ParsedFlags<S extends FlagSpecs> = { help: true } | {
  help: false;
  values: FlagValues<S>;
  positionals: string[];
  /** Undeclared flags by name (only with `extraFlags`): the raw value, or `true` for a bare flag. */
  extra: Map<string, string | true>;
};

/**
 * Parse `args` against `spec`.
 * @throws InputError naming the flag (field `--name`) on anything `spec` does not allow.
 */
export function parseFlags<S extends FlagSpecs>(spec: CommandSpec<S>, args: readonly string[]): ParsedFlags<S> {
  const { declared, extra } = spec.extraFlags ? splitExtra(spec, args) : { declared: [...args], extra: new Map() };
  const options = Object.fromEntries(
    Object.entries(spec.flags).map(([name, f]) => [name, { type: f.type === "boolean" ? "boolean" as const : "string" as const }]),
  );
  const { tokens } = parseArgs({
    args: declared,
    options: { ...options, help: { type: "boolean", short: "h" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const raw = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") positionals.push(t.value);
    if (t.kind !== "option") continue;
    if (t.name === "help") return { help: true };
    const f = declaredFlag(spec, t.name);
    if (!f || t.rawName !== `--${t.name}`) throw unknownFlag(spec, t.rawName);
    if (raw.has(t.name)) throw new InputError("given twice", { field: t.rawName });
    if (f.type === "boolean") {
      if (t.value !== undefined) throw new InputError(`takes no value, got "${t.value}"`, { field: t.rawName });
      raw.set(t.name, true);
    } else {
      // parseArgs takes any next argument as the value; another flag there means the value was left out.
      if (t.value === undefined || (!t.inlineValue && t.value.startsWith("--"))) {
        throw new InputError(`needs a value (${placeholder(f)})`, { field: t.rawName });
      }
      if (f.type === "repeated") repeated.set(t.name, [...repeated.get(t.name) ?? [], t.value]);
      else raw.set(t.name, t.value);
    }
  }
  checkPositionals(spec, positionals);
  const values: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    const given = f.type === "repeated" ? repeated.get(name) : raw.get(name);
    if (given === undefined && f.required) {
      const want = f.type === "string" && f.choices
        ? `must be ${oneOf(f.choices)}, got nothing`
        : `required: give --${name} ${placeholder(f)}`;
      throw new InputError(want, { field: `--${name}` });
    }
    values[name] = given === undefined ? defaultOf(f) : Array.isArray(given) ? given : convert(f, given, `--${name}`);
  }
  return { help: false, values: values as FlagValues<S>, positionals, extra };
}

/**
 * {@link parseFlags} at a command's entry: on `--help` it prints {@link helpText} to stdout and returns null,
 * and the command exits 0.
 */
export function commandFlags<S extends FlagSpecs>(
  spec: CommandSpec<S>,
  args: readonly string[],
): Exclude<ParsedFlags<S>, { help: true }> | null {
  const p = parseFlags(spec, args);
  if (!p.help) return p;
  console.log(helpText(spec));
  return null;
}

/** The `--help` text of `spec`: usage, every flag with its value, default and help, then the notes. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const left = `--${name}${f.type === "boolean" ? "" : ` ${placeholder(f)}`}`;
    const d = defaultOf(f);
    const shown = d === undefined || d === false || (Array.isArray(d) && d.length === 0)
      ? ""
      : ` (default ${Array.isArray(d) ? d.join(",") : d})`;
    return [left, `${f.help}${shown}${f.required ? " (required)" : ""}${f.type === "repeated" ? " (repeatable)" : ""}`];
  });
  rows.push(["--help, -h", "this text"]);
  const width = Math.min(28, Math.max(...rows.map(([l]) => l.length)) + 2);
  const lines = rows.map(([l, r]) => `  ${l.padEnd(width)}${l.length >= width ? `\n  ${" ".repeat(width)}` : ""}${r}`);
  const usage = spec.usage.includes("\n") ? `usage:\n  ${spec.usage}` : `usage: ${spec.usage}`;
  return `${usage}\n\nflags:\n${lines.join("\n")}${spec.notes ? `\n\n${spec.notes}` : ""}`;
}

/** An `int`/`number` flag's value from `raw`, checked against its range. */
function numberOf(f: IntFlag | NumberFlag, raw: string, field: string): number {
  const n = raw.trim() === "" ? NaN : Number(raw);
  if (f.type === "int" && raw.includes(",")) throw new InputError(`takes one integer, got the list "${raw}"`, { field });
  if (!Number.isFinite(n)) throw new InputError(`must be ${f.type === "int" ? "an integer" : "a number"}, got "${raw}"`, { field });
  if (f.type === "int" && !Number.isSafeInteger(n)) throw new InputError(`must be an integer, got "${raw}"`, { field });
  checkRange(n, f, field);
  return n;
}

function checkRange(n: number, f: { min?: number; above?: number; max?: number; below?: number }, field: string, inList = ""): void {
  const bad = f.min !== undefined && n < f.min
    ? `at least ${f.min}`
    : f.above !== undefined && n <= f.above
    ? `greater than ${f.above}`
    : f.max !== undefined && n > f.max
    ? `at most ${f.max}`
    : f.below !== undefined && n >= f.below
    ? `less than ${f.below}`
    : "";
  if (bad) throw new InputError(`must be ${bad}, got ${n}${inList}`, { field });
}

function convert(f: Flag, raw: string | true, field: string): unknown {
  if (raw === true) return true; // only booleans are stored bare
  switch (f.type) {
    case "string":
      if (f.choices && !f.choices.includes(raw)) throw new InputError(`must be ${oneOf(f.choices)}, got "${raw}"`, { field });
      return raw;
    case "int":
    case "number":
      return numberOf(f, raw, field);
    case "ints":
    case "strings": {
      if (f.type === "strings" && f.allowEmpty && raw.trim() === "") return [];
      const items = listItems(raw, field);
      if (f.type === "strings") {
        const bad = f.choices && items.find((s) => !f.choices!.includes(s));
        if (bad) throw new InputError(`each must be ${oneOf(f.choices!)}, got "${bad}"`, { field });
        return items;
      }
      return items.map((s) => {
        const n = Number(s);
        if (!/^[+-]?\d+$/.test(s) || !Number.isSafeInteger(n)) {
          throw new InputError(`must be integers separated by commas, like 1,2,3, got "${raw}"`, { field });
        }
        checkRange(n, f, field, ` in "${raw}"`);
        return n;
      });
    }
    default:
      throw new InputError(`takes no value`, { field });
  }
}

/** The entries of a comma-separated list; empty or repeated entries are errors. */
function listItems(raw: string, field: string): string[] {
  const items = raw.split(",").map((s) => s.trim());
  if (items.some((s) => s === "")) throw new InputError(`has an empty entry: "${raw}"`, { field });
  const seen = new Set<string>();
  for (const s of items) {
    // 1 and 01 are the same number: compare numbers as numbers.
    const key = /^[+-]?\d+$/.test(s) ? String(Number(s)) : s;
    if (seen.has(key)) throw new InputError(`lists ${s} twice in "${raw}"`, { field });
    seen.add(key);
  }
  return items;
}

/** The declaration of flag `name`; never an inherited property such as `constructor`. */
function declaredFlag(spec: CommandSpec, name: string): Flag | undefined {
  return Object.hasOwn(spec.flags, name) ? spec.flags[name] : undefined;
}

/** "a or b", or "one of a, b, c". */
function oneOf(choices: readonly string[]): string {
  return choices.length === 2 ? choices.join(" or ") : `one of ${choices.join(", ")}`;
}

function defaultOf(f: Flag): unknown {
  if (f.type === "boolean") return false;
  if (f.type === "repeated") return [];
  return Array.isArray(f.default) ? [...f.default] : f.default;
}

function placeholder(f: Flag): string {
  if (f.value) return f.value;
  if (f.type === "string" && f.choices) return f.choices.join("|");
  return { string: "TEXT", int: "N", number: "X", ints: "N,N,...", strings: "A,B,...", repeated: "TEXT", boolean: "" }[f.type];
}

function checkPositionals(spec: CommandSpec, positionals: string[]): void {
  const p = spec.positionals;
  const max = p ? p.max ?? Infinity : 0, min = p?.min ?? 0;
  if (positionals.length > max) {
    const extra = positionals[max];
    throw new InputError(
      extra.startsWith("-")
        ? `unexpected argument "${extra}"; flags are --name value`
        : max === 0
        ? `unexpected argument "${extra}": deno task ${spec.name} takes only flags`
        : `unexpected argument "${extra}": deno task ${spec.name} takes at most ${max} ${p!.name}`,
    );
  }
  if (positionals.length < min) throw new InputError(`missing ${p!.name}; usage: ${spec.usage.split("\n")[0]}`);
}

/** `prefix-length` → `prefixLength`: a flag's name as an option key. */
export function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `prefixLength` → `prefix-length`: an option key as a flag's name. */
export function kebabCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** An unknown flag, with the nearest declared one when it looks like a typo. */
function unknownFlag(spec: CommandSpec, rawName: string): InputError {
  const name = rawName.replace(/^-+/, "");
  const near = Object.keys(spec.flags).map((n) => [n, editDistance(n, name)] as const).sort((a, b) => a[1] - b[1])[0];
  const hint = near && near[1] <= Math.max(1, Math.floor(name.length / 3)) ? ` (did you mean --${near[0]}?)` : "";
  return new InputError(`unknown flag${hint}; \`deno task ${spec.name} --help\` lists the flags`, { field: rawName });
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/**
 * Take undeclared `--name`, `--name=value` and `--name value` out of `args` (a value is the next argument
 * unless that starts with `--`, so `--lr -1e-3` works); declared flags and their values stay.
 */
function splitExtra(spec: CommandSpec, args: readonly string[]): { declared: string[]; extra: Map<string, string | true> } {
  const declared: string[] = [], extra = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") ? arg.slice(2, eq > 0 ? eq : undefined) : "";
    const known = declaredFlag(spec, name);
    if (!name || name === "help" || known) {
      declared.push(arg);
      // A declared flag's value goes with it, even one that starts with "-".
      if (known && known.type !== "boolean" && eq < 0 && i + 1 < args.length && !args[i + 1].startsWith("--")) declared.push(args[++i]);
      continue;
    }
    if (extra.has(name)) throw new InputError("given twice", { field: `--${name}` });
    extra.set(name, eq > 0 ? arg.slice(eq + 1) : i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : true);
  }
  return { declared, extra };
}
