/**
 * PyTorch checkpoints (`pytorch_model.bin`) read without Python: the zip layout `torch.save` writes since
 * PyTorch 1.6 (`<archive>/data.pkl` plus one `<archive>/data/<key>` entry per storage) and the older layout of
 * pickles in a row followed by raw storages (most Chinese BERT uploads of 2019-2020 are in it).
 *
 * The pickle is read by {@link unpickle} allowing only what state dicts use: `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2` (and `_rebuild_tensor`, `_rebuild_parameter`) and storage classes such as
 * `torch.FloatStorage` in persistent ids; anything else is refused by name.
 *
 * @example
 * ```ts
 * const tensors = await readTorchCheckpoint("bert-base-chinese/pytorch_model.bin");
 * tensors.get("bert.embeddings.word_embeddings.weight")!.shape; // [21128, 768]
 * ```
 * @module
 */
import { unzipSync } from "fflate";
import { InputError } from "../../util/errors.ts";
import { readRequiredFile } from "../../util/required_file.ts";
import { numel } from "../../util/tensor.ts";
import { type PickleGlobal, type PickleValue, unpickle } from "./pickle.ts";
import { decodeStored, type StoredDtype, type StoredTensor } from "./stored.ts";

/** A storage class named in a persistent id; `dtype` null for ones this reader does not decode. */
interface StorageType {
  readonly storageClass: string;
  readonly dtype: StoredDtype | null;
  readonly bytes: number;
}

/** A reference to stored bytes; `elementOffset` is non-zero only for views of the old layout. */
interface StorageRef {
  type: StorageType;
  key: string;
  numel: number;
  elementOffset: number;
}

/** A tensor as the pickle describes it: a strided window on a storage. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

const STORAGE_CLASSES: Record<string, [StoredDtype | null, number]> = {
  FloatStorage: ["F32", 4],
  HalfStorage: ["F16", 2],
  BFloat16Storage: ["BF16", 2],
  LongStorage: ["I64", 8],
  IntStorage: ["I32", 4],
  DoubleStorage: [null, 8],
  ShortStorage: [null, 2],
  CharStorage: [null, 1],
  ByteStorage: [null, 1],
  BoolStorage: [null, 1],
};

// PyTorch's legacy format starts with this number, then protocol 1001, then a dict of system facts.
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Read a `pytorch_model.bin` (either layout) into tensors by name; see {@link parseTorchCheckpoint}. */
export async function readTorchCheckpoint(path: string): Promise<Map<string, StoredTensor>> {
  const bytes = await readRequiredFile(path);
  return parseTorchCheckpoint(bytes, path);
}

/**
 * Decode a PyTorch state dict held in memory. Floats of any stored precision come back as float32, integer
 * tensors as integers; strided (non-contiguous) tensors are gathered. `file` names the source in errors.
 * @throws InputError naming `file`: not a PyTorch checkpoint, a refused Python global (named), a storage of an
 *   unsupported dtype or too short for its tensors, an entry that is not a tensor, big-endian data.
 */
export function parseTorchCheckpoint(bytes: Uint8Array, file = "<memory>"): Map<string, StoredTensor> {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return parseZip(bytes, file);
  if (bytes[0] === 0x80) return parseLegacy(bytes, file);
  throw new InputError("not a PyTorch checkpoint (neither a zip archive nor a pickle)", { file });
}

function parseZip(bytes: Uint8Array, file: string): Map<string, StoredTensor> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new InputError(`corrupt zip archive: ${(err as Error).message}`, { file });
  }
  const pkl = Object.keys(entries).find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new InputError("zip archive without <name>/data.pkl: not a torch.save checkpoint", { file });
  const prefix = pkl.slice(0, -"data.pkl".length);
  const byteorder = entries[`${prefix}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== "little") {
    throw new InputError("big-endian checkpoint: only little-endian data is read", { file });
  }
  const { value } = unpickle(entries[pkl], {
    globals: GLOBALS,
    allowedWhat: ALLOWED_WHAT,
    persistentLoad: (pid) => storageRef(pid, 5, file),
    file: `${file}:${pkl}`,
  });
  return materialize(value, (ref) => entries[`${prefix}data/${ref.key}`], file);
}

function parseLegacy(bytes: Uint8Array, file: string): Map<string, StoredTensor> {
  const read = (offset: number, persistentLoad?: (pid: PickleValue) => PickleValue) =>
    unpickle(bytes, { globals: GLOBALS, allowedWhat: ALLOWED_WHAT, persistentLoad, file, offset });
  const magic = read(0);
  if (typeof magic.value !== "bigint" || magic.value !== LEGACY_MAGIC) {
    throw new InputError("a pickle, but not a PyTorch checkpoint (no torch.save magic number)", { file });
  }
  const protocol = read(magic.end);
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new InputError(`unsupported torch.save protocol ${protocol.value} (expected ${LEGACY_PROTOCOL})`, { file });
  }
  const sysInfo = read(protocol.end);
  if (sysInfo.value instanceof Map && sysInfo.value.get("little_endian") === false) {
    throw new InputError("big-endian checkpoint: only little-endian data is read", { file });
  }
  const roots = new Map<string, StorageType>();
  const main = read(sysInfo.end, (pid) => {
    const ref = storageRef(pid, 6, file);
    roots.set(ref.key, ref.type);
    return ref;
  });
  const keys = read(main.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === "string")) {
    throw new InputError("legacy checkpoint: expected the list of storage keys after the state dict", { file });
  }
  // Then each storage in that order: its element count (int64) and its bytes.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Map<string, Uint8Array>();
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const type = roots.get(key);
    if (!type) throw new InputError(`legacy checkpoint: storage "${key}" is listed but never used`, { file });
    if (pos + 8 > bytes.length) throw new InputError(`truncated: storage "${key}" is missing`, { file });
    const n = Number(view.getBigInt64(pos, true));
    const end = pos + 8 + n * type.bytes;
    if (end > bytes.length) throw new InputError(`truncated: storage "${key}" ends past the end of the file`, { file });
    data.set(key, bytes.subarray(pos + 8, end));
    pos = end;
  }
  return materialize(main.value, (ref) => data.get(ref.key), file);
}

const ALLOWED_WHAT = "tensors in (ordered) dicts";

const GLOBALS: Record<string, PickleGlobal> = {
  "collections.OrderedDict": () => new Map(),
  "torch._utils._rebuild_tensor_v2": (storage, offset, size, stride) => tensorRef(storage, offset, size, stride),
  "torch._utils._rebuild_tensor": (storage, offset, size, stride) => tensorRef(storage, offset, size, stride),
  "torch._utils._rebuild_parameter": (data) => data,
  ...Object.fromEntries(
    Object.entries(STORAGE_CLASSES).map(([name, [dtype, bytes]]) => [`torch.${name}`, { storageClass: name, dtype, bytes }]),
  ),
};

function tensorRef(storage: unknown, offset: unknown, size: unknown, stride: unknown): TensorRef {
  const ints = (v: unknown): v is number[] => Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (!isStorageRef(storage) || !Number.isSafeInteger(offset) || !ints(size) || !ints(stride) || size.length !== stride.length) {
    throw new Error("malformed tensor (expected storage, offset, size, stride)");
  }
  return new TensorRef(storage, offset as number, size, stride);
}

function isStorageRef(v: unknown): v is StorageRef {
  return typeof v === "object" && v !== null && "key" in v && "type" in v;
}

/**
 * A persistent id `('storage', storage class, key, location, numel[, view])` as a reference; `arity` 5 in the
 * zip layout, 6 in the legacy one, whose last item is a view `(view key, offset, size)` or None.
 */
function storageRef(pid: PickleValue, arity: number, file: string): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length !== arity) {
    throw new InputError(`unexpected persistent id ${JSON.stringify(pid)} (expected a storage reference)`, { file });
  }
  const [, type, key, , n, viewMeta] = pid;
  if (typeof type !== "object" || type === null || !("storageClass" in type)) {
    throw new InputError("persistent id without a torch storage class", { file });
  }
  if (typeof key !== "string" || !Number.isSafeInteger(n)) throw new InputError("malformed storage reference", { file });
  let elementOffset = 0;
  if (viewMeta !== undefined && viewMeta !== null) {
    if (!Array.isArray(viewMeta) || !Number.isSafeInteger(viewMeta[1])) {
      throw new InputError("malformed storage view in a legacy checkpoint", { file });
    }
    elementOffset = viewMeta[1];
  }
  return { type: type as StorageType, key, numel: n as number, elementOffset };
}

/** Decode every tensor of the unpickled state dict, gathering strided ones from their storages. */
function materialize(
  root: PickleValue,
  bytesOf: (ref: StorageRef) => Uint8Array | undefined,
  file: string,
): Map<string, StoredTensor> {
  if (!(root instanceof Map)) throw new InputError("the checkpoint does not hold a dict of tensors", { file });
  const out = new Map<string, StoredTensor>();
  for (const [name, t] of root) {
    if (typeof name !== "string") throw new InputError(`non-string key ${String(name)} in the state dict`, { file });
    if (!(t instanceof TensorRef)) throw new InputError("entry is not a tensor", { file, field: name });
    const { type } = t.storage;
    if (!type.dtype) {
      throw new InputError(
        `torch.${type.storageClass} tensors are not read (supported: float32/16, bfloat16, int64, int32)`,
        { file, field: name },
      );
    }
    const bytes = bytesOf(t.storage);
    if (!bytes) throw new InputError(`storage "${t.storage.key}" is missing from the archive`, { file, field: name });
    const gathered = gather(bytes, type.bytes, t.storage.elementOffset + t.offset, t.shape, t.stride);
    if (!gathered) {
      throw new InputError(`tensor [${t.shape}] at offset ${t.offset} runs past its storage of ${bytes.length} bytes`, {
        file,
        field: name,
      });
    }
    out.set(name, decodeStored(gathered, type.dtype, t.shape));
  }
  return out;
}

/**
 * The row-major bytes of a strided window (offset and strides in elements) on `bytes`; a contiguous window is
 * a subarray, others are copied element by element. Undefined when the window runs past the storage.
 */
function gather(bytes: Uint8Array, size: number, offset: number, shape: number[], stride: number[]): Uint8Array | undefined {
  const n = numel(shape);
  if (n === 0) return new Uint8Array(0);
  const last = offset + shape.reduce((sum, d, i) => sum + (d - 1) * stride[i], 0);
  if ((last + 1) * size > bytes.length) return undefined;
  let expected = 1;
  let contiguous = true;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) contiguous = false;
    expected *= shape[i];
  }
  if (contiguous) return bytes.subarray(offset * size, (offset + n) * size);
  const out = new Uint8Array(n * size);
  const index = new Array(shape.length).fill(0);
  let src = offset;
  for (let i = 0; i < n; i++) {
    out.set(bytes.subarray(src * size, (src + 1) * size), i * size);
    // Advance the multi-index like an odometer, keeping `src` in step.
    for (let d = shape.length - 1; d >= 0; d--) {
      src += stride[d];
      if (++index[d] < shape[d]) break;
      src -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}
