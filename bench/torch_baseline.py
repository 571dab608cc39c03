#!/usr/bin/env python3
"""Eager PyTorch baseline for `deno task bench`: time full BERT training steps on random token ids.

A step is forward, loss, backward, global-norm clipping (1.0) and an AdamW update (weight decay 0.01 except on
biases and LayerNorm parameters), which is what the kit's own training step does. The model is written here
with torch.nn (no `transformers`), following Hugging Face's BertForMaskedLM / BertForSequenceClassification:
post-LN blocks, erf GELU, tied MLM decoder with its own bias.

Prints one JSON line. Example:
    MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 python3 bench/torch_baseline.py \
        --model-dir ../shared/models/zh-review-bert-tiny --threads 2 --steps 10 --peak-gflops 226
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

MASK_RATE = 0.15
NUM_LABELS = 2


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab, c.hidden)
        self.position_embeddings = nn.Embedding(c.positions, c.hidden)
        self.token_type_embeddings = nn.Embedding(c.type_vocab, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=c.ln_eps)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, ids, type_ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None] + self.token_type_embeddings(type_ids)
        return self.dropout(self.LayerNorm(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.head_dim = c.heads, c.hidden // c.heads
        self.query = nn.Linear(c.hidden, c.hidden)
        self.key = nn.Linear(c.hidden, c.hidden)
        self.value = nn.Linear(c.hidden, c.hidden)
        self.attn_dropout = nn.Dropout(c.attn_dropout)
        self.attn_out = nn.Linear(c.hidden, c.hidden)
        self.attn_LayerNorm = nn.LayerNorm(c.hidden, eps=c.ln_eps)
        self.intermediate = nn.Linear(c.hidden, c.intermediate)
        self.output = nn.Linear(c.intermediate, c.hidden)
        self.out_LayerNorm = nn.LayerNorm(c.hidden, eps=c.ln_eps)
        self.dropout = nn.Dropout(c.dropout)

    def split(self, x):  # [B, S, H] -> [B, heads, S, d]
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + additive_mask
        ctx = self.attn_dropout(scores.softmax(-1)) @ v
        ctx = ctx.transpose(1, 2).reshape(x.shape)
        x = self.attn_LayerNorm(self.dropout(self.attn_out(ctx)) + x)
        h = self.dropout(self.output(F.gelu(self.intermediate(x))))
        return self.out_LayerNorm(h + x)


class Bert(nn.Module):
    """Encoder plus the head of `mode`: MLM (transform + tied decoder) or pooler + classifier."""

    def __init__(self, c, mode):
        super().__init__()
        self.mode = mode
        self.embeddings = Embeddings(c)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c.layers))
        if mode == "mlm":
            self.transform = nn.Linear(c.hidden, c.hidden)
            self.transform_LayerNorm = nn.LayerNorm(c.hidden, eps=c.ln_eps)
            self.decoder_bias = nn.Parameter(torch.zeros(c.vocab))
        else:
            self.pooler = nn.Linear(c.hidden, c.hidden)
            self.cls_dropout = nn.Dropout(c.dropout)
            self.classifier = nn.Linear(c.hidden, NUM_LABELS)
        self.apply(init_weights)

    def forward(self, ids, type_ids, attention_mask, masked_pos, labels):
        additive = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.embeddings(ids, type_ids)
        for layer in self.layers:
            x = layer(x, additive)
        if self.mode == "mlm":
            # Head only at the masked positions: HF runs it everywhere and ignores the rest in the loss, the
            # same loss at a fraction of the decoder's cost, so this is the stronger baseline.
            h = x.flatten(0, 1)[masked_pos]
            h = self.transform_LayerNorm(F.gelu(self.transform(h)))
            logits = h @ self.embeddings.word_embeddings.weight.t() + self.decoder_bias
        else:
            pooled = torch.tanh(self.pooler(x[:, 0]))
            logits = self.classifier(self.cls_dropout(pooled))
        return F.cross_entropy(logits, labels)


def init_weights(m):
    if isinstance(m, (nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    if isinstance(m, nn.Linear):
        nn.init.zeros_(m.bias)


def flops_per_step(c, mode, batch, seq, masked):
    """Training FLOPs of one step, counting matmuls only (forward 2 per multiply-add, backward twice that):

        6 * N_enc * B*S                        N_enc = L * (4 H^2 + 2 H I), the encoder's Linear weights
      + 6 * (H^2 + H V) * M                    MLM transform + tied decoder on the M masked positions
        (cls: 6 * (H^2 + H C) * B              pooler + classifier on the [CLS] rows)
      + 12 * L * B * S^2 * H                   attention QK^T and AV: 2 * 2 B S^2 H forward, x3 with backward
    """
    tokens = batch * seq
    encoder = c.layers * (4 * c.hidden**2 + 2 * c.hidden * c.intermediate)
    head = (c.hidden**2 + c.hidden * c.vocab) * masked if mode == "mlm" else (c.hidden**2 + c.hidden * NUM_LABELS) * batch
    return 6 * encoder * tokens + 6 * head + 12 * c.layers * batch * seq**2 * c.hidden


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model-dir", help="Hugging Face folder whose config.json gives the shape (flags override it)")
    p.add_argument("--model", help="name in the JSON output (default: the folder name or the shape)")
    for flag in ("layers", "hidden", "heads", "intermediate", "vocab", "positions"):
        p.add_argument(f"--{flag}", type=int)
    p.add_argument("--mode", choices=("mlm", "cls"), default="mlm")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--steps", type=int, default=10, help="timed steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--peak-gflops", type=float, help="measured matmul peak; gives mfu")
    return p.parse_args()


def resolve_shape(a):
    """Flags over config.json over bert-base-chinese's shape."""
    cfg = {}
    if a.model_dir:
        with open(os.path.join(a.model_dir, "config.json")) as f:
            cfg = json.load(f)
    keys = {"layers": "num_hidden_layers", "hidden": "hidden_size", "heads": "num_attention_heads",
            "intermediate": "intermediate_size", "vocab": "vocab_size", "positions": "max_position_embeddings"}
    base = {"layers": 12, "hidden": 768, "heads": 12, "intermediate": 3072, "vocab": 21128, "positions": 512}
    shape = {k: getattr(a, k) or cfg.get(hf, base[k]) for k, hf in keys.items()}
    shape.update(type_vocab=cfg.get("type_vocab_size", 2), ln_eps=cfg.get("layer_norm_eps", 1e-12),
                 dropout=cfg.get("hidden_dropout_prob", 0.1), attn_dropout=cfg.get("attention_probs_dropout_prob", 0.1))
    if shape["hidden"] % shape["heads"]:
        raise SystemExit(f"hidden {shape['hidden']} is not a multiple of heads {shape['heads']}")
    if a.seq > shape["positions"]:
        raise SystemExit(f"seq {a.seq} exceeds positions {shape['positions']}")
    return argparse.Namespace(**shape)


def main():
    a = parse_args()
    # Debian's torch does its matmuls in OpenBLAS, which reads its thread count once at load time and which
    # torch.set_num_threads does not reach: restart with it set so that --threads bounds every thread pool.
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(a.threads):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "OPENBLAS_NUM_THREADS": str(a.threads)})
    c = resolve_shape(a)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = Bert(c, a.mode).train()
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr)

    # Fixed shapes every step (a fixed number of masked positions per sequence) so that timings measure compute,
    # not allocator churn.
    per_seq = max(1, round(MASK_RATE * a.seq))
    masked = a.batch * per_seq
    ids = torch.randint(0, c.vocab, (a.batch, a.seq))
    type_ids = torch.zeros_like(ids)
    attention_mask = torch.ones_like(ids)

    def batch_inputs():
        pos = torch.stack([torch.randperm(a.seq)[:per_seq] + b * a.seq for b in range(a.batch)]).flatten()
        labels = torch.randint(0, c.vocab, (masked,)) if a.mode == "mlm" else torch.randint(0, NUM_LABELS, (a.batch,))
        return pos, labels

    times = []
    for step in range(a.warmup + a.steps):
        pos, labels = batch_inputs()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(ids, type_ids, attention_mask, pos, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)

    median = statistics.median(times)
    flops = flops_per_step(c, a.mode, a.batch, a.seq, masked)
    name = a.model or (os.path.basename(os.path.normpath(a.model_dir)) if a.model_dir else
                       f"bert-L{c.layers}-H{c.hidden}-A{c.heads}-I{c.intermediate}-V{c.vocab}")
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "model": name, "mode": a.mode,
        "layers": c.layers, "hidden": c.hidden, "heads": c.heads, "intermediate": c.intermediate, "vocab": c.vocab,
        "batch": a.batch, "seq": a.seq, "masked": masked if a.mode == "mlm" else 0,
        "threads": a.threads, "steps": a.steps,
        "tokens_per_s": round(a.batch * a.seq / median, 1),
        "step_s_median": round(median, 4),
        "step_s_min": round(min(times), 4),
        "flops_per_step": flops,
        "gflops_per_s": round(flops / median / 1e9, 2),
        "mfu": round(flops / median / (a.peak_gflops * 1e9), 4) if a.peak_gflops else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "final_loss": round(loss.item(), 4),
    }))


if __name__ == "__main__":
    main()
