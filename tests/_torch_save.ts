/**
 * Writes a state dict in `torch.save`'s zip layout (pickle protocol 2, one storage entry per tensor), for tests
 * that need checkpoints too large to commit. Its output is checked against files PyTorch wrote
 * (tests/fixtures/tiny-bert-as-shipped) in model_checkpoints.test.ts.
 */
import { zipSync } from "fflate";

/** One tensor to save: float32 values stored as float32 or float16. */
export interface SaveTensor {
  shape: number[];
  data: Float32Array;
  dtype?: "F32" | "F16";
}

/** The bytes of `torch.save(OrderedDict(tensors))`; tensors with the same `data` object share one storage. */
export function torchSave(tensors: Map<string, SaveTensor>): Uint8Array {
  const out: number[] = [0x80, 0x02];
  const enc = new TextEncoder();
  const op = (...bytes: number[]) => out.push(...bytes);
  const global = (module: string, name: string) => op(0x63, ...enc.encode(`${module}\n${name}\n`));
  const str = (s: string) => {
    const b = enc.encode(s);
    op(0x58, ...u32(b.length), ...b);
  };
  const int = (n: number) => op(0x4a, ...u32(n)); // BININT: fine below 2^31
  const tuple = (items: number[]) => (op(0x28), items.forEach(int), op(0x74));
  global("collections", "OrderedDict");
  op(0x29, 0x52); // EMPTY_TUPLE REDUCE
  const storages = new Map<Float32Array, { key: string; bytes: Uint8Array }>();
  for (const [name, t] of tensors) {
    let storage = storages.get(t.data);
    if (!storage) {
      storage = { key: String(storages.size), bytes: encode(t) };
      storages.set(t.data, storage);
    }
    str(name);
    global("torch._utils", "_rebuild_tensor_v2");
    op(0x28); // MARK of the argument tuple
    op(0x28), str("storage"), global("torch", t.dtype === "F16" ? "HalfStorage" : "FloatStorage");
    str(storage.key), str("cpu"), int(t.data.length), op(0x74, 0x51); // TUPLE BINPERSID
    int(0);
    tuple(t.shape);
    tuple(t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1)));
    op(0x89); // requires_grad False
    global("collections", "OrderedDict");
    op(0x29, 0x52, 0x74, 0x52, 0x73); // hooks OrderedDict(), TUPLE, REDUCE, SETITEM
  }
  op(0x2e);
  const files: Record<string, [Uint8Array, { level: 0 }]> = {
    "archive/data.pkl": [Uint8Array.from(out), { level: 0 }],
    "archive/version": [enc.encode("3\n"), { level: 0 }],
  };
  for (const s of storages.values()) files[`archive/data/${s.key}`] = [s.bytes, { level: 0 }];
  return zipSync(files);
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function encode(t: SaveTensor): Uint8Array {
  if (t.dtype !== "F16") return new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  const half = new Float16Array(t.data);
  return new Uint8Array(half.buffer);
}
