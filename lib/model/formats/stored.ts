/**
 * Tensors as checkpoint files store them (safetensors, PyTorch `.bin`): little-endian bytes of a dtype, decoded
 * with floats of any precision widened to float32 and integers kept as integers.
 * @module
 */
import { numel } from "../../util/tensor.ts";

/** Storage types the readers understand. */
export type StoredDtype = "F32" | "F16" | "BF16" | "I64" | "I32";

/** One tensor as stored: floats decoded to float32, integers kept as integers. */
export type StoredTensor =
  | { dtype: "F32" | "F16" | "BF16"; shape: number[]; data: Float32Array }
  | { dtype: "I64"; shape: number[]; data: BigInt64Array }
  | { dtype: "I32"; shape: number[]; data: Int32Array };

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<StoredDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };

// Float32 data is copied in bulk, which is only the files' little-endian layout on a little-endian host.
if (new Uint8Array(new Float32Array([1]).buffer)[3] !== 0x3f) {
  throw new Error("stored.ts assumes a little-endian host");
}

/** Decode `numel(shape)` contiguous little-endian elements of `dtype` starting at `bytes[0]`. */
export function decodeStored(bytes: Uint8Array, dtype: StoredDtype, shape: number[]): StoredTensor {
  const n = numel(shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "I64": {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getBigInt64(8 * i, true);
      return { dtype, shape, data };
    }
    case "I32": {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt32(4 * i, true);
      return { dtype, shape, data };
    }
    case "F32": {
      // A copy (not a view): keeps alignment and lets the file's buffer be freed.
      const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 4 * n));
      return { dtype, shape, data };
    }
    default: {
      const data = new Float32Array(n);
      const read = dtype === "F16" ? halfToFloat : bf16ToFloat;
      for (let i = 0; i < n; i++) data[i] = read(view.getUint16(2 * i, true));
      return { dtype, shape, data };
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
