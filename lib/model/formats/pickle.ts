/**
 * A restricted reader of Python pickles (protocols 2 to 4): it builds plain data (None, bools, ints, floats,
 * strings, tuples, lists, dicts) and lets through only the Python globals its caller names, each mapped to a
 * JavaScript stand-in. Any other global is refused with an error naming it; nothing in a pickle is ever executed.
 *
 * @example
 * ```ts
 * const { value } = unpickle(bytes, {
 *   globals: { "collections.OrderedDict": () => new Map() }, allowedWhat: "ordered dicts", file: "x.pkl",
 * });
 * ```
 * @module
 */
import { InputError } from "../../util/errors.ts";

/** What a pickle can hold here: Python tuples and lists are arrays, dicts are Maps, other objects come from globals. */
export type PickleValue = unknown;

/** A Python global the caller allows: a function REDUCE may call with the pickled arguments, or a plain marker. */
export type PickleGlobal = ((...args: PickleValue[]) => PickleValue) | { readonly [key: string]: unknown };

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Allowed globals by `module.name` (e.g. `collections.OrderedDict`); every other global is refused. */
  globals: Record<string, PickleGlobal>;
  /** Resolves a persistent id (PyTorch's storage references); without it, persistent ids are refused. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  /** What the allowed globals stand for, for the refusal message (e.g. "tensors in ordered dicts"). */
  allowedWhat: string;
  /** Named in errors. */
  file: string;
  /** Byte to start at (for files holding several pickles in a row); default 0. */
  offset?: number;
}

/** The unpickled value and the byte after its STOP opcode. */
export interface Unpickled {
  value: PickleValue;
  end: number;
}

const MARK = Symbol("mark");

/**
 * Read one pickle from `bytes` at `opts.offset`.
 * @throws InputError naming `opts.file`: a global that is not allowed (named), an opcode outside the data subset
 *   (named with its byte offset), a truncated or malformed pickle.
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): Unpickled {
  const { file } = opts;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (problem: string, at: number): never => {
    throw new InputError(`pickle byte ${at}: ${problem}`, { file });
  };
  let pos = opts.offset ?? 0;
  const need = (n: number, at: number) => {
    if (pos + n > bytes.length) fail("truncated pickle", at);
  };
  const u8 = (at: number) => (need(1, at), bytes[pos++]);
  const u16 = (at: number) => (need(2, at), pos += 2, view.getUint16(pos - 2, true));
  const u32 = (at: number) => (need(4, at), pos += 4, view.getUint32(pos - 4, true));
  const raw = (n: number, at: number) => (need(n, at), pos += n, bytes.subarray(pos - n, pos));
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const text = (n: number, at: number) => {
    try {
      return utf8.decode(raw(n, at));
    } catch {
      return fail("invalid UTF-8 in a string", at);
    }
  };
  const line = (at: number) => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) fail("truncated pickle", at);
    const s = new TextDecoder("latin1").decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };

  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const pop = (at: number) => (stack.length ? stack.pop() : fail("stack underflow", at));
  const top = (at: number) => (stack.length ? stack[stack.length - 1] : fail("stack underflow", at));
  const popMark = (at: number): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("no MARK on the stack", at);
    const items = stack.slice(i + 1);
    stack.length = i;
    return items;
  };
  const dictOf = (v: unknown, at: number) => (v instanceof Map ? v : fail("SETITEM on a non-dict", at));
  const listOf = (v: unknown, at: number) => (Array.isArray(v) ? v : fail("APPEND on a non-list", at));
  const setItems = (d: Map<unknown, unknown>, items: unknown[], at: number) => {
    if (items.length % 2) fail("odd number of dict items", at);
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const global = (name: string, at: number) => {
    if (!Object.hasOwn(opts.globals, name)) {
      fail(`refused Python global ${name}: only plain data and ${opts.allowedWhat} are read; nothing is executed`, at);
    }
    return opts.globals[name];
  };

  for (;;) {
    const at = pos;
    const op = u8(at);
    switch (op) {
      case 0x80: // PROTO
        if (u8(at) > 5) fail("pickle protocol above 5", at);
        break;
      case 0x95: // FRAME: a length prefix, no meaning for an in-memory read
        raw(8, at);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`, at);
        return { value: stack[0], end: pos };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop(at);
        break;
      case 0x31: // POP_MARK
        popMark(at);
        break;
      case 0x32: // DUP
        stack.push(top(at));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4, at);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8(at));
        break;
      case 0x4d: // BININT2
        stack.push(u16(at));
        break;
      case 0x8a: // LONG1
        stack.push(littleEndianInt(raw(u8(at), at)));
        break;
      case 0x8b: // LONG4
        stack.push(littleEndianInt(raw(u32(at), at)));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8, at);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32(at), at));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8(at), at));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        stack.push(new TextDecoder("latin1").decode(raw(u8(at), at)));
        break;
      case 0x54: // BINSTRING
        stack.push(new TextDecoder("latin1").decode(raw(u32(at), at)));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: { // TUPLE3
        const n = op - 0x84;
        if (stack.length < n) fail("stack underflow", at);
        stack.push(stack.splice(stack.length - n, n));
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark(at));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark(at));
        break;
      case 0x61: { // APPEND
        const v = pop(at);
        listOf(top(at), at).push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark(at);
        listOf(top(at), at).push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const d = new Map();
        setItems(d, popMark(at), at);
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(at);
        const k = pop(at);
        dictOf(top(at), at).set(k, v);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark(at);
        setItems(dictOf(top(at), at), items, at);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(at), top(at));
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(at), top(at));
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top(at));
        break;
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const key = op === 0x68 ? u8(at) : u32(at);
        if (!memo.has(key)) fail(`memo key ${key} not set`, at);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line(at);
        stack.push(global(`${module}.${line(at)}`, at));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(at);
        const module = pop(at);
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings", at);
        stack.push(global(`${module}.${name}`, at));
        break;
      }
      case 0x52: { // REDUCE: only allowed globals are callable
        const args = pop(at);
        const fn = pop(at);
        if (typeof fn !== "function" || !Array.isArray(args)) fail("REDUCE of something that is not an allowed callable", at);
        try {
          stack.push((fn as (...a: unknown[]) => unknown)(...(args as unknown[])));
        } catch (err) {
          fail((err as Error).message, at);
        }
        break;
      }
      case 0x62: { // BUILD: state of a dict (an OrderedDict's `_metadata`) carries nothing the weights need
        pop(at);
        if (!(top(at) instanceof Map)) fail("BUILD on an object other than a dict", at);
        break;
      }
      case 0x51: { // BINPERSID
        if (!opts.persistentLoad) fail("persistent id outside a PyTorch checkpoint", at);
        stack.push(opts.persistentLoad!(pop(at)));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, "0")} (only plain data and allowed globals are read)`, at);
    }
  }
}

/** Two's-complement little-endian integer (LONG1/LONG4) as a number when safe, else a bigint. */
function littleEndianInt(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
