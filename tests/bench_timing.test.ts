/** The bench's sanity check of a timing, and the FLOP formulas it rests on. */
import assert from "node:assert/strict";
import { MAX_GFLOPS_PER_THREAD, MIN_STEP_SECONDS, timingProblem } from "../bench/measure.ts";
import { encoderForwardFlops, flopsPerStep } from "../bench/flops.ts";
import type { BertConfig } from "../lib/model/bert/config.ts";

Deno.test("timingProblem: a step of ~0 s or more GFLOP/s than the threads can do is refused; real timings pass", () => {
  // infer-base before the PET cache went: the timed pass answered from the cache (0 s after rounding).
  assert.match(timingProblem({ step_s_min: 0, gflops_per_s: 5e6 }, 2)!, /a timed step took 0 s \(under 0\.001 s\): nothing was computed/);
  assert.match(timingProblem({ step_s_min: MIN_STEP_SECONDS / 2 }, 1)!, /nothing was computed/);
  assert.match(timingProblem({}, 2)!, /took undefined s/, "a side that reports no step time is not trusted");
  assert.match(
    timingProblem({ step_s_min: 0.5, gflops_per_s: 2 * MAX_GFLOPS_PER_THREAD + 1 }, 2)!,
    /513 GFLOP\/s is more than 2 thread\(s\) can do \(at most 512\)/,
  );
  assert.match(timingProblem({ step_s_min: 0.5, gflops_per_s: NaN }, 2)!, /NaN GFLOP\/s/);
  // infer-base of 2026-11-29 (bench/README.md): 610 texts in 61 s at 2 threads.
  assert.equal(timingProblem({ step_s_min: 61.2, gflops_per_s: 150 }, 2), null);
  assert.equal(timingProblem({ step_s_min: MIN_STEP_SECONDS }, 16), null, "no FLOP count: only the step time is checked");
});

Deno.test("FLOP formulas: a training step is 3x the encoder's forward pass plus the MLM head, as bench/README.md writes it", () => {
  const c = { hidden_size: 8, num_hidden_layers: 2, intermediate_size: 32, vocab_size: 50 } as BertConfig;
  const [L, H, I, V, B, S, M] = [2, 8, 32, 50, 3, 5, 4];
  assert.equal(encoderForwardFlops(c, B, S), 2 * L * (4 * H * H + 2 * H * I) * B * S + 4 * L * B * S * S * H);
  assert.equal(flopsPerStep(c, B, S, M), 6 * L * (4 * H * H + 2 * H * I) * B * S + 6 * (H * H + H * V) * M + 12 * L * B * S * S * H);
});
