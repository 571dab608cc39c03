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
import { InputError } from "../../util/errors.ts";
import { readRequiredFile } from "../../util/required_file.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { numel, type TensorMap } from "../../util/tensor.ts";
import { decodeStored, DTYPE_BYTES, type StoredDtype, type StoredTensor } from "./stored.ts";

// Re-exported: callers reading safetensors get the tensor type from here.
export type { StoredTensor };

/** A decoded file: tensors in header order, plus the optional string metadata. */
export interface SafetensorsContents {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

interface HeaderEntry {
  name: string;
  dtype: StoredDtype;
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
  for (const e of entries) tensors.set(e.name, decodeStored(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, e.shape));
  return { tensors, metadata };
}

/** Read and decode a safetensors file; see {@link parseSafetensors}. A missing file is an InputError too. */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  const bytes = await readRequiredFile(path);
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
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
      throw new InputError(`unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(", ")})`, {
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
    entries.push({ name, dtype: dtype as StoredDtype, shape, begin: offsets[0], end: offsets[1] });
  }
  return { entries, metadata };
}

function isIntArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => Number.isSafeInteger(v) && v >= 0);
}

/** Sizes must match dtype×shape, tensors must lie inside the data section and must not overlap. */
function checkLayout(entries: HeaderEntry[], dataLen: number, file: string): void {
  for (const e of entries) {
    const expected = numel(e.shape) * DTYPE_BYTES[e.dtype];
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
