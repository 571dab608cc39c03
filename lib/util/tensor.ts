/** A dense float32 tensor held in JavaScript memory, row-major. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Named tensors, e.g. model weights under their Hugging Face names or their gradients. */
export type TensorMap = Map<string, HostTensor>;

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
