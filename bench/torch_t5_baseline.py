#!/usr/bin/env python3
"""Eager PyTorch baseline of `train-t5-tiny` for `deno task bench`: teacher-forced T5 training steps.

The model is the independent PyTorch T5 of tools/t5_reference.py (the one the kit's T5 parity test is checked
against), on the config and shapes that bench.ts writes to `--plan`: random weights as HF initialises them, random
input and label ids, every input attended, no dropout. A step is forward, loss (mean cross-entropy over the
labels), backward, global-norm clipping (1.0) and AdamW (lr 1e-5, weight decay 0.01 except on layer norms), as
the kit's step. Prints one JSON line. Example:
    MALLOC_ARENA_MAX=2 /usr/bin/python3 bench/torch_t5_baseline.py --plan plan.json --threads 2 --steps 5
"""
import argparse
import json
import os
import resource
import statistics
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))
from t5_reference import decode, encode, loss_of, random_weights, shift_right  # noqa: E402
from torch_baseline import adamw, pin_blas_threads, timed, train_step  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--plan", required=True, help="config and shapes, written by bench.ts")
    p.add_argument("--steps", type=int, default=5, help="timed steps")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    pin_blas_threads(a.threads)
    with open(a.plan) as f:
        plan = json.load(f)
    cfg, B, src, tgt = plan["config"], plan["batch"], plan["src"], plan["tgt"]
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    weights = random_weights(cfg, a.seed)
    for t in weights.values():
        t.requires_grad_(True)
    V = cfg["vocab_size"]
    ids, mask = torch.randint(0, V, (B, src)), torch.ones(B, src)
    labels = torch.randint(0, V, (B, tgt))
    decoder_ids = shift_right(labels, cfg)

    def t5_loss(*_):
        return loss_of(decode(weights, cfg, decoder_ids, encode(weights, cfg, ids, mask), mask), labels)

    opt = adamw(weights.items(), 1e-5)
    params = list(weights.values())
    times, loss = timed(a.warmup, a.steps, lambda _: train_step(t5_loss, opt, params))
    median = statistics.median(times)
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "model": "t5_reference", "mode": "t5",
        "d_model": cfg["d_model"], "layers": cfg["num_layers"], "vocab": V, "threads": a.threads,
        "batch": B, "seq": plan["seq"], "src_len": src, "tgt_len": tgt, "steps": a.steps,
        "tokens_per_s": round(B * plan["seq"] / median, 1),
        "step_s_median": round(median, 4), "step_s_min": round(min(times), 4), "final_loss": round(loss.item(), 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
