/** Matmul FLOPs of the bench's BERT work: the formula of bench/README.md and torch_baseline.py's `flops_per_step`. */
import type { BertConfig } from "../lib/model/bert/config.ts";

/** Matmul FLOPs of the encoder's forward pass over `batch` rows of `seq` positions (2 per multiply-add). */
export function encoderForwardFlops(c: BertConfig, batch: number, seq: number): number {
  const H = c.hidden_size, L = c.num_hidden_layers;
  return 2 * L * (4 * H * H + 2 * H * c.intermediate_size) * batch * seq + 4 * L * batch * seq * seq * H;
}

/** Matmul FLOPs of one masked-LM training step: forward and backward (3x the forward), the head at `masked` rows. */
export function flopsPerStep(c: BertConfig, batch: number, seq: number, masked: number): number {
  const H = c.hidden_size;
  return 3 * encoderForwardFlops(c, batch, seq) + 6 * (H * H + H * c.vocab_size) * masked;
}
