/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON header
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}`), then raw little-endian data,
 * offsets relative to the end of the header. Floats of any stored precision come back as float32; integer
 * buffers (e.g. `position_ids`) come back as integers.
 *
 * @example
 * ```ts
 * const { tensors } = await readSafetensors("model/model.safetensors");
 * await writeSafetensors("out/model.safetensors", new Map([["w", { shape: [2], data: new Float32Array(2) }]]));
 * ```
 * @module
 */
import { InputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { numel, type TensorMap } from "../util/tensor.ts";

/** Storage types this reader understands. */
export type SafetensorsDtype = "F32" | "F16" | "BF16" | "I64" | "I32";

/** One tensor as stored: floats decoded to float32, integers kept as integers. */
export type StoredTensor =
  | { dtype: "F32" | "F16" | "BF16"; shape: number[]; data: Float32Array }
  | { dtype: "I64"; shape: number[]; data: BigInt64Array }
  | { dtype: "I32"; shape: number[]; data: Int32Array };

/** A decoded file: tensors in header order, plus the optional string metadata. */
export interface SafetensorsContents {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

// Float32 data is copied in bulk, which is only the file's little-endian layout on a little-endian host.
if (new Uint8Array(new Float32Array([1]).buffer)[3] !== 0x3f) {
  throw new Error("safetensors.ts assumes a little-endian host");
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Decode a safetensors file held in memory. `file` only names the source in errors.
 * @throws InputError naming `file` for a short file, a bad header, an unknown dtype, offsets that disagree
 *   with dtype×shape ("header lies about sizes"), overlapping tensors, or truncated data.
 */
export function parseSafetensors(bytes: Uint8Array, file = "<memory>"): SafetensorsContents {
  if (bytes.length < 8) {
    throw new InputError(`not a safetensors file: ${bytes.length} bytes, shorter than the 8-byte header length`, {
      file,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) {
    throw new InputError(
      `header length ${headerLen} is beyond the file size (${bytes.length} bytes): truncated or not safetensors`,
      { file },
    );
  }
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + headerLen), file);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  checkLayout(entries, dataLen, file);
  const tensors = new Map<string, StoredTensor>();
  for (const e of entries) tensors.set(e.name, decode(view, dataStart + e.begin, e));
  return { tensors, metadata };
}

/** Read and decode a safetensors file; see {@link parseSafetensors}. A missing file is an InputError too. */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new InputError("missing file", { file: path });
    throw err;
  }
  return parseSafetensors(bytes, path);
}

/**
 * Encode float32 tensors as safetensors, in the map's order, with `__metadata__` `{"format": "pt"}` as PyTorch
 * writes it and the header padded with spaces so the data starts 8-byte aligned (as the HF writer does).
 */
export function encodeSafetensors(tensors: TensorMap, metadata: Record<string, string> = { format: "pt" }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== numel(t.shape)) {
      throw new Error(`encodeSafetensors: ${name} has ${t.data.length} values for shape [${t.shape}]`);
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20); // space padding, as HF pads
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Write float32 tensors to `path` atomically (readers never see half a file). */
export async function writeSafetensors(
  path: string,
  tensors: TensorMap,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

function parseHeader(raw: Uint8Array, file: string): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch (err) {
    throw new InputError(`invalid JSON header: ${(err as Error).message}`, { file });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new InputError("invalid header: expected a JSON object of tensors", { file });
  }
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in BYTES)) {
      throw new InputError(`unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES).join(", ")})`, {
        file,
        field: name,
      });
    }
    if (!isIntArray(shape) || !isIntArray(offsets) || offsets.length !== 2) {
      throw new InputError("invalid header entry: shape and data_offsets must be non-negative integers", {
        file,
        field: name,
      });
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape, begin: offsets[0], end: offsets[1] });
  }
  return { entries, metadata };
}

function isIntArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => Number.isSafeInteger(v) && v >= 0);
}

/** Sizes must match dtype×shape, tensors must lie inside the data section and must not overlap. */
function checkLayout(entries: HeaderEntry[], dataLen: number, file: string): void {
  for (const e of entries) {
    const expected = numel(e.shape) * BYTES[e.dtype];
    if (e.end < e.begin || e.end - e.begin !== expected) {
      throw new InputError(
        `header lies about sizes: data_offsets [${e.begin}, ${e.end}] span ${e.end - e.begin} bytes but ` +
          `${e.dtype}[${e.shape}] needs ${expected}`,
        { file, field: e.name },
      );
    }
    if (e.end > dataLen) {
      throw new InputError(
        `truncated data: tensor ends at data byte ${e.end} but the file holds only ${dataLen} data bytes`,
        { file, field: e.name },
      );
    }
  }
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new InputError(`header lies about sizes: tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`, {
        file,
        field: sorted[i].name,
      });
    }
  }
}

function decode(view: DataView, start: number, e: HeaderEntry): StoredTensor {
  const n = numel(e.shape);
  const shape = e.shape;
  switch (e.dtype) {
    case "I64": {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getBigInt64(start + 8 * i, true);
      return { dtype: e.dtype, shape, data };
    }
    case "I32": {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt32(start + 4 * i, true);
      return { dtype: e.dtype, shape, data };
    }
    case "F32": {
      // A copy (not a view): keeps alignment and lets the file's buffer be freed.
      const data = new Float32Array(view.buffer.slice(view.byteOffset + start, view.byteOffset + start + 4 * n));
      return { dtype: e.dtype, shape, data };
    }
    default: {
      const data = new Float32Array(n);
      const read = e.dtype === "F16" ? halfToFloat : bf16ToFloat;
      for (let i = 0; i < n; i++) data[i] = read(view.getUint16(start + 2 * i, true));
      return { dtype: e.dtype, shape, data };
    }
  }
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 is the top half of a float32. */
function bf16ToFloat(bits: number): number {
  bf16Scratch.setUint32(0, bits << 16);
  return bf16Scratch.getFloat32(0);
}

/** IEEE 754 binary16 to a number (subnormals, infinities and NaN included). */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
