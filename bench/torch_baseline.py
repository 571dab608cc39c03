#!/usr/bin/env python3
"""Eager PyTorch baseline for `deno task bench`: BERT training steps, pre-training, P-tuning v2 and inference.

A training step is forward, loss, backward, global-norm clipping (1.0) and an AdamW update (weight decay 0.01
except on biases and LayerNorm parameters), which is what the kit's own training step does. The model is written
here with torch.nn (no `transformers`), following Hugging Face's BertForMaskedLM / BertForSequenceClassification:
post-LN blocks, erf GELU, tied MLM decoder with its own bias; P-tuning v2's prefix enters as `past_key_values`
(keys and values prepended in every layer, attention mask extended by P ones, positions shifted by P).

Modes: `mlm` / `cls` (random tokens, fixed shape), `pretrain` (the kit's pre-training batches from `--plan`),
`ptuning` (prefix + head trained, backbone frozen), `infer` (zero-shot PET scoring of `--plan`'s batches
under no_grad). Prints one JSON line. Example:
    MALLOC_ARENA_MAX=2 python3 bench/torch_baseline.py \
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

    def forward(self, ids, type_ids, offset=0):
        pos = torch.arange(offset, offset + ids.shape[1], device=ids.device)
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

    def forward(self, x, additive_mask, past=None):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        if past is not None:  # [B, heads, P, d] keys and values before the tokens'
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + additive_mask
        ctx = self.attn_dropout(scores.softmax(-1)) @ v
        ctx = ctx.transpose(1, 2).reshape(x.shape)
        x = self.attn_LayerNorm(self.dropout(self.attn_out(ctx)) + x)
        h = self.dropout(self.output(F.gelu(self.intermediate(x))))
        return self.out_LayerNorm(h + x)


class Bert(nn.Module):
    """Encoder plus the head of `mode`: MLM (transform + tied decoder) or pooler + classifier."""

    def __init__(self, c, mode):
        """`mode`: the head, "mlm" or "cls"."""
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

    def encode(self, ids, type_ids, attention_mask, prefix=None):
        """Last hidden states [B, S, H]; `prefix` [2·layers, B, heads, P, d] as past keys and values."""
        P = 0 if prefix is None else prefix.shape[3]
        if P:
            attention_mask = torch.cat([attention_mask.new_ones(ids.shape[0], P), attention_mask], 1)
        additive = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.embeddings(ids, type_ids, P)
        for i, layer in enumerate(self.layers):
            x = layer(x, additive, None if prefix is None else (prefix[2 * i], prefix[2 * i + 1]))
        return x

    def mlm_logits(self, x, rows, vocab_ids=None):
        """MLM logits at flat rows b·S + s, optionally only for `vocab_ids` (as the kit's verbalizer does)."""
        h = self.transform_LayerNorm(F.gelu(self.transform(x.flatten(0, 1)[rows])))
        w, b = self.embeddings.word_embeddings.weight, self.decoder_bias
        if vocab_ids is not None:
            w, b = w[vocab_ids], b[vocab_ids]
        return h @ w.t() + b

    def forward(self, ids, type_ids, attention_mask, masked_pos, labels, weights=None, prefix=None):
        x = self.encode(ids, type_ids, attention_mask, prefix)
        if self.mode == "mlm":
            # Head only at the masked positions: HF runs it everywhere and ignores the rest in the loss, the
            # same loss at a fraction of the decoder's cost, so this is the stronger baseline.
            logits = self.mlm_logits(x, masked_pos)
        else:
            pooled = torch.tanh(self.pooler(x[:, 0]))
            logits = self.classifier(self.cls_dropout(pooled))
        if weights is None:
            return F.cross_entropy(logits, labels)
        return (F.cross_entropy(logits, labels, reduction="none") * weights).sum() / weights.sum()


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
    p.add_argument("--mode", choices=("mlm", "cls", "pretrain", "ptuning", "infer"), default="mlm")
    p.add_argument("--plan", help="pretrain / infer: the kit's batches, written by bench.ts")
    p.add_argument("--prefix", type=int, default=8, help="ptuning: prefix length P")
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
    if a.seq + (a.prefix if a.mode == "ptuning" else 0) > shape["positions"]:
        raise SystemExit(f"seq {a.seq} (plus any prefix) exceeds positions {shape['positions']}")
    return argparse.Namespace(**shape)


def no_decay_param(name):
    """The kit's `isNoDecayParam`: biases and layer norms (BERT's `LayerNorm`, T5's `layer_norm`)."""
    return name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name


def adamw(named, lr, betas=(0.9, 0.999)):
    """AdamW with weight decay 0.01 except on biases and layer norm parameters, as the kit's."""
    named = [(n, p) for n, p in named if p.requires_grad]
    decay = [p for n, p in named if not no_decay_param(n)]
    no_decay = [p for n, p in named if no_decay_param(n)]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=betas)


def train_step(model, opt, params, *inputs, **kw):
    opt.zero_grad(set_to_none=True)
    loss = model(*inputs, **kw)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss


def timed(warmup, steps, step):
    """Seconds of each of `steps` calls of step(i) after `warmup` untimed ones, and the last result."""
    times, out = [], None
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        out = step(i)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times, out


def run_fixed(a, c):
    """mlm / cls / ptuning: training steps on random tokens of one fixed shape."""
    head = "cls" if a.mode == "ptuning" else a.mode
    model = Bert(c, head).train()
    ids = torch.randint(0, c.vocab, (a.batch, a.seq))
    type_ids, attention_mask = torch.zeros_like(ids), torch.ones_like(ids)
    per_seq = max(1, round(MASK_RATE * a.seq))
    masked = a.batch * per_seq if head == "mlm" else 0
    prefix = None
    if a.mode == "ptuning":
        # P-tuning v2: the backbone (pooler included) frozen; a [P, layers·2·H] table and the head train.
        for n, p in model.named_parameters():
            p.requires_grad = n.startswith("classifier.")
        prefix = nn.Parameter(torch.randn(a.prefix, c.layers * 2 * c.hidden) * 0.02)
        model.register_parameter("prefix_table", prefix)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = adamw(model.named_parameters(), a.lr)

    def past_key_values():
        kv = prefix.view(1, a.prefix, 2 * c.layers, c.heads, c.hidden // c.heads).expand(a.batch, -1, -1, -1, -1)
        return F.dropout(kv, c.dropout, True).permute(2, 0, 3, 1, 4)

    def step(_):
        if head == "mlm":
            pos = torch.stack([torch.randperm(a.seq)[:per_seq] + b * a.seq for b in range(a.batch)]).flatten()
            labels = torch.randint(0, c.vocab, (masked,))
        else:
            pos, labels = None, torch.randint(0, NUM_LABELS, (a.batch,))
        kw = {"prefix": past_key_values()} if prefix is not None else {}
        return train_step(model, opt, params, ids, type_ids, attention_mask, pos, labels, **kw)

    times, loss = timed(a.warmup, a.steps, step)
    median = statistics.median(times)
    out = {"batch": a.batch, "seq": a.seq, "masked": masked, "steps": a.steps,
           "tokens_per_s": round(a.batch * a.seq / median, 1),
           "step_s_median": round(median, 4), "step_s_min": round(min(times), 4), "final_loss": round(loss.item(), 4)}
    if a.mode == "ptuning":
        out["prefix"] = a.prefix
    else:
        flops = flops_per_step(c, head, a.batch, a.seq, masked)
        out.update(flops_per_step=flops, gflops_per_s=round(flops / median / 1e9, 2),
                   mfu=round(flops / median / (a.peak_gflops * 1e9), 4) if a.peak_gflops else None)
    return out


def run_pretrain(a, c, plan):
    """The kit's pre-training loop on its batches: random tokens of each row's real length, 15% of them masked
    (capacity-padded, weighted loss), AdamW (lr 1e-3, betas 0.9/0.98) with 10 warmup steps and linear decay."""
    model = Bert(c, "mlm").train()
    params = list(model.parameters())
    opt = adamw(model.named_parameters(), 1e-3, (0.9, 0.98))
    steps = plan["steps"]
    warmup = min(10, len(steps) - 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (len(steps) - s) / (len(steps) - warmup)))
    seen, tokens, seconds, loss = set(), 0, 0.0, None
    for b in steps:
        rows, length, cap = b["rows"], b["length"], b["capacity"]
        ids = torch.zeros(rows, length, dtype=torch.long)
        mask = torch.zeros(rows, length, dtype=torch.long)
        for r, n in enumerate(b["lengths"]):
            ids[r, :n] = torch.randint(5, c.vocab, (n,))
            mask[r, :n] = 1
        real = mask.flatten().nonzero().flatten()
        count = min(cap, max(1, round(MASK_RATE * len(real))))
        pos = torch.zeros(cap, dtype=torch.long)
        pos[:count] = real[torch.randperm(len(real))[:count]]
        weights = torch.zeros(cap)
        weights[:count] = 1
        labels = ids.flatten()[pos]
        t0 = time.perf_counter()
        loss = train_step(model, opt, params, ids, torch.zeros_like(ids), mask, pos, labels, weights)
        sched.step()
        key = (rows, length)
        if key in seen:  # the first step of each shape is not timed, as in the kit's measurement
            tokens += sum(b["lengths"])
            seconds += time.perf_counter() - t0
        seen.add(key)
    return {"steps": len(steps), "shapes": [f"{r}:{l}" for r, l in sorted(seen)],
            "tokens_per_s": round(tokens / seconds, 1), "final_loss": round(loss.item(), 4)}


def run_infer(a, c, plan):
    """Zero-shot PET scoring of the kit's packed batches: class score = mean of its words' MLM logits at the
    mask (one mask), softmax over classes; one untimed pass, then a timed one."""
    model = Bert(c, "mlm").eval()
    if plan["mask_count"] != 1:
        raise SystemExit("infer: only single-mask verbalizers are scored here")
    words = plan["words"]
    vocab_ids = torch.tensor(sorted({w[0] for ws in words for w in ws}))
    select = torch.zeros(len(vocab_ids), len(words))
    for k, ws in enumerate(words):
        for w in ws:
            select[(vocab_ids == w[0]).nonzero()[0, 0], k] += 1 / len(ws)
    batches = [(torch.tensor(b["ids"]).view(plan["batch"], b["seq"]), torch.tensor(b["mask"]).view(plan["batch"], b["seq"]),
                torch.tensor(b["rows"]), b["real"]) for b in plan["batches"]]

    def score():
        out = []
        with torch.no_grad():
            for ids, mask, rows, real in batches:
                x = model.encode(ids, torch.zeros_like(ids), mask)
                out.append((model.mlm_logits(x, rows, vocab_ids) @ select).softmax(-1)[:real])
        return torch.cat(out)

    score()
    t0 = time.perf_counter()
    proba = score()
    seconds = time.perf_counter() - t0
    return {"texts": len(proba), "batches": len(batches), "seconds": round(seconds, 2),
            "texts_per_s": round(len(proba) / seconds, 3)}


def pin_blas_threads(threads):
    """Debian's torch does its matmuls in OpenBLAS, which reads its thread count once at load time and which
    torch.set_num_threads does not reach: restart with it set so that `threads` bounds every thread pool."""
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(threads):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "OPENBLAS_NUM_THREADS": str(threads)})


def main():
    a = parse_args()
    pin_blas_threads(a.threads)
    plan = None
    if a.mode in ("pretrain", "infer"):
        if not a.plan:
            raise SystemExit(f"--mode {a.mode} needs --plan (written by bench.ts)")
        with open(a.plan) as f:
            plan = json.load(f)
        a.vocab = a.vocab or plan.get("vocab_size")
    c = resolve_shape(a)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.mode == "pretrain":
        out = run_pretrain(a, c, plan)
    elif a.mode == "infer":
        out = run_infer(a, c, plan)
    else:
        out = run_fixed(a, c)
    name = a.model or (os.path.basename(os.path.normpath(a.model_dir)) if a.model_dir else
                       f"bert-L{c.layers}-H{c.hidden}-A{c.heads}-I{c.intermediate}-V{c.vocab}")
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "model": name, "mode": a.mode,
        "layers": c.layers, "hidden": c.hidden, "heads": c.heads, "intermediate": c.intermediate, "vocab": c.vocab,
        "threads": a.threads, **out,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
