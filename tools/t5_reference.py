#!/usr/bin/python3
"""An independent PyTorch T5, written from scratch, and the parity fixtures of tests/model_t5.test.ts.

No `transformers` here: the model below follows Hugging Face's `modeling_t5.py` formula by formula (each
function names the HF piece it mirrors), on random weights of a tiny shape, in two variants:

  tests/fixtures/tiny-t5-v1_1/  T5 v1.1 / mT5: gated-GELU (gelu_new) feed-forward, untied lm_head,
                                model.safetensors as save_pretrained writes it (no embed_tokens aliases)
  tests/fixtures/tiny-t5/       original T5: ReLU feed-forward, head tied to `shared` and scaled by d_model^-0.5,
                                pytorch_model.bin as torch.save writes the full state dict (the aliases
                                encoder/decoder.embed_tokens.weight and lm_head.weight share shared's storage)

Each folder gets config.json, tokenizer.json (a hand-built SentencePiece Unigram vocabulary with Chinese
pieces and 16 sentinels <extra_id_N>), tokenizer_config.json and expected.json: for fixed inputs, the
encoder's last states, the decoder logits, the teacher-forced loss (labels with -100 ignored), gradients of
a few weights, greedy generations and the log-likelihood of candidate targets; plus relative-position bucket
tables for both directions.

Run from the repository root with Debian's PyTorch: /usr/bin/python3 tools/t5_reference.py
"""
import json
import math
import os
import sys
from collections import OrderedDict

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
from make_fixtures import added_tokens, write_json, write_safetensors  # noqa: E402

FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SENTINELS = 16
CHINESE = "我你他的了是在不有这个人一大小好很太真还也都没买东西质量价格快递服务满意喜欢推荐失望差评用感觉吃味道效果包装发货速度便宜贵正品舒服客服问题一般不错可以但是因为手机电池书内容孩子老师新闻体育财经科技娱乐游戏旅游教育汽车房产"
WORDS = ["质量", "价格", "快递", "服务", "满意", "喜欢", "推荐", "失望", "不错", "可以", "但是", "因为", "手机", "孩子", "老师", "新闻", "体育", "财经", "科技", "娱乐", "游戏", "旅游", "教育", "汽车", "房产", "很好", "太差"]
ASCII = list("abcdefghijklmnopqrstuvwxyz0123456789") + ["the", "good", "bad", "ok"]
PUNCT = list("，。！？、：；,.!?:;()")


def vocabulary():
    """Pieces with Unigram log-probabilities: longer pieces score higher so that words stay whole."""
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -3.0)]
    seen = {p for p, _ in pieces}

    def add(piece, score):
        if piece not in seen:
            seen.add(piece)
            pieces.append((piece, score))

    for w in WORDS:
        add("\u2581" + w, -4.0)
        add(w, -5.0)
    for c in dict.fromkeys(CHINESE):
        add(c, -7.0)
        add("\u2581" + c, -7.5)
    for a in ASCII:
        add("\u2581" + a, -6.0 if len(a) == 1 else -5.0)
        add(a, -8.0 if len(a) == 1 else -7.0)
    for p in PUNCT:
        add(p, -6.0)
    # Sentinels take the last ids, <extra_id_0> the very last, as T5's SentencePiece conversion does.
    return pieces + [(f"<extra_id_{i}>", 0.0) for i in reversed(range(SENTINELS))]


def tokenizer_json(pieces):
    """tokenizer.json as transformers' T5Converter writes it (no Precompiled normalizer: the pieces need none)."""
    ids = {p: i for i, (p, _) in enumerate(pieces)}
    specials = ["<pad>", "</s>", "<unk>"] + [p for p, _ in pieces if p.startswith("<extra_id_")]
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    a, eos = {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens(ids, specials),
        "normalizer": {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [a, eos],
            "pair": [a, eos, {"Sequence": {"id": "B", "type_id": 0}}, eos],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [ids["</s>"]], "tokens": ["</s>"]}},
        },
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": ids["<unk>"], "vocab": [[p, s] for p, s in pieces], "byte_fallback": False},
    }


TOKENIZER_CONFIG = {
    "tokenizer_class": "T5Tokenizer",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "extra_ids": SENTINELS,
    "additional_special_tokens": [f"<extra_id_{i}>" for i in range(SENTINELS)],
    "model_max_length": 512,
}


def config(variant, vocab_size):
    base = {
        "model_type": "t5",
        "vocab_size": vocab_size,
        "d_model": 32,
        "d_kv": 8,
        "d_ff": 64,
        "num_layers": 2,
        "num_decoder_layers": 2,
        "num_heads": 4,
        "dropout_rate": 0.1,
        "layer_norm_epsilon": 1e-6,
        "initializer_factor": 1.0,
        "is_encoder_decoder": True,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "decoder_start_token_id": 0,
    }
    if variant == "v1_1":
        # Few buckets and a short max distance, so that the logarithmic buckets occur at these lengths.
        return {**base, "architectures": ["T5ForConditionalGeneration"], "feed_forward_proj": "gated-gelu",
                "tie_word_embeddings": False, "relative_attention_num_buckets": 8, "relative_attention_max_distance": 12}
    return {**base, "architectures": ["T5ForConditionalGeneration"], "feed_forward_proj": "relu",
            "tie_word_embeddings": True, "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128}


def relative_position_bucket(relative_position, bidirectional, num_buckets, max_distance):
    """HF `T5Attention._relative_position_bucket`, verbatim in substance: half the buckets per direction when
    bidirectional; exact buckets below max_exact = num_buckets // 2, logarithmic ones up to max_distance, the last
    bucket beyond. relative_position = key position - query position."""
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    if_large = max_exact + (
        torch.log(relative_position.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).to(torch.long)
    if_large = torch.min(if_large, torch.full_like(if_large, num_buckets - 1))
    return relative_buckets + torch.where(is_small, relative_position, if_large)


def position_bias(table, q_len, k_len, bidirectional, cfg):
    """HF `T5Attention.compute_bias`: buckets of (key - query), looked up in the stack's table, [1, heads, q, k]."""
    rel = torch.arange(k_len)[None, :] - torch.arange(q_len)[:, None]
    buckets = relative_position_bucket(rel, bidirectional, cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"])
    return table[buckets].permute(2, 0, 1).unsqueeze(0)


def rms_norm(x, weight, eps):
    """HF `T5LayerNorm`: no mean subtraction, no bias; variance in float32."""
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def gelu_new(x):
    """HF `NewGELUActivation` (the tanh approximation), what "gated-gelu" means."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def attention(p, name, x, kv, bias, cfg):
    """HF `T5Attention.forward` without cache: no 1/sqrt(d_kv) scaling (folded into the initialisation)."""
    B, Lq, _ = x.shape
    H, d = cfg["num_heads"], cfg["d_kv"]
    split = lambda t: t.view(B, -1, H, d).transpose(1, 2)
    q, k, v = (split(t @ p[f"{name}.{w}.weight"].T) for t, w in ((x, "q"), (kv, "k"), (kv, "v")))
    scores = q @ k.transpose(3, 2) + bias
    weights = torch.softmax(scores.float(), dim=-1)
    context = (weights @ v).transpose(1, 2).reshape(B, Lq, H * d)
    return context @ p[f"{name}.o.weight"].T


def feed_forward(p, name, x, cfg):
    """HF `T5DenseActDense` (relu) and `T5DenseGatedActDense` (gated-gelu)."""
    if cfg["feed_forward_proj"] == "relu":
        h = torch.relu(x @ p[f"{name}.wi.weight"].T)
    else:
        h = gelu_new(x @ p[f"{name}.wi_0.weight"].T) * (x @ p[f"{name}.wi_1.weight"].T)
    return h @ p[f"{name}.wo.weight"].T


def additive(mask):
    """HF's extended attention mask: 0 where attended, float32 min where not."""
    return (1.0 - mask) * torch.finfo(torch.float32).min


def encode(p, cfg, input_ids, attention_mask):
    """HF `T5Stack` as encoder: pre-norm residual blocks, the position bias computed once by block 0's table."""
    eps, L = cfg["layer_norm_epsilon"], input_ids.shape[1]
    h = p["shared.weight"][input_ids]
    bias = position_bias(p["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], L, L, True, cfg)
    bias = bias + additive(attention_mask[:, None, None, :])
    for i in range(cfg["num_layers"]):
        b = f"encoder.block.{i}"
        x = rms_norm(h, p[f"{b}.layer.0.layer_norm.weight"], eps)
        h = h + attention(p, f"{b}.layer.0.SelfAttention", x, x, bias, cfg)
        h = h + feed_forward(p, f"{b}.layer.1.DenseReluDense", rms_norm(h, p[f"{b}.layer.1.layer_norm.weight"], eps), cfg)
    return rms_norm(h, p["encoder.final_layer_norm.weight"], eps)


def decode(p, cfg, decoder_input_ids, encoder_states, attention_mask):
    """HF `T5Stack` as decoder: causal self-attention with its own bias table, cross-attention without position
    bias, then the LM head (tied: scaled by d_model^-0.5 and multiplied by `shared`; untied: `lm_head`)."""
    eps, T = cfg["layer_norm_epsilon"], decoder_input_ids.shape[1]
    h = p["shared.weight"][decoder_input_ids]
    causal = torch.tril(torch.ones(T, T))
    self_bias = position_bias(p["decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"], T, T, False, cfg)
    self_bias = self_bias + additive(causal[None, None])
    cross_bias = additive(attention_mask[:, None, None, :])
    for i in range(cfg["num_decoder_layers"]):
        b = f"decoder.block.{i}"
        x = rms_norm(h, p[f"{b}.layer.0.layer_norm.weight"], eps)
        h = h + attention(p, f"{b}.layer.0.SelfAttention", x, x, self_bias, cfg)
        x = rms_norm(h, p[f"{b}.layer.1.layer_norm.weight"], eps)
        h = h + attention(p, f"{b}.layer.1.EncDecAttention", x, encoder_states, cross_bias, cfg)
        h = h + feed_forward(p, f"{b}.layer.2.DenseReluDense", rms_norm(h, p[f"{b}.layer.2.layer_norm.weight"], eps), cfg)
    h = rms_norm(h, p["decoder.final_layer_norm.weight"], eps)
    if cfg["tie_word_embeddings"]:
        return (h * cfg["d_model"] ** -0.5) @ p["shared.weight"].T
    return h @ p["lm_head.weight"].T


def shift_right(labels, cfg):
    """HF `T5PreTrainedModel._shift_right`: decoder_start_token_id first, -100 replaced by pad."""
    out = torch.full_like(labels, cfg["pad_token_id"])
    out[:, 1:] = labels[:, :-1]
    out[:, 0] = cfg["decoder_start_token_id"]
    return out.masked_fill(out == -100, cfg["pad_token_id"])


def loss_of(logits, labels):
    """HF `T5ForConditionalGeneration`'s loss: CrossEntropyLoss(ignore_index=-100), mean over kept positions."""
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


def greedy(p, cfg, input_ids, attention_mask, steps):
    """Greedy decoding as HF `generate` does it (no cache): rows that produced </s> continue with <pad>."""
    states = encode(p, cfg, input_ids, attention_mask)
    out = torch.full((input_ids.shape[0], 1), cfg["decoder_start_token_id"])
    done = torch.zeros(input_ids.shape[0], dtype=torch.bool)
    for _ in range(steps):
        nxt = decode(p, cfg, out, states, attention_mask)[:, -1].argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, cfg["pad_token_id"]), nxt)
        out = torch.cat([out, nxt[:, None]], 1)
        done |= nxt == cfg["eos_token_id"]
        if done.all():
            break
    return out[:, 1:]


def target_log_likelihood(p, cfg, input_ids, attention_mask, target):
    """Sum of log p(target token) over a target (its </s> included): rank classification's score."""
    labels = torch.tensor([target] * input_ids.shape[0])
    logits = decode(p, cfg, shift_right(labels, cfg), encode(p, cfg, input_ids, attention_mask), attention_mask)
    return torch.log_softmax(logits, -1).gather(-1, labels[..., None])[..., 0].sum(-1)


def random_weights(cfg, seed):
    """HF `T5PreTrainedModel._init_weights` with initializer_factor: the shapes and scales a fresh model has."""
    g = torch.Generator().manual_seed(seed)
    D, dkv, H, F, V, f = cfg["d_model"], cfg["d_kv"], cfg["num_heads"], cfg["d_ff"], cfg["vocab_size"], cfg["initializer_factor"]
    p = OrderedDict()
    normal = lambda shape, std: torch.randn(*shape, generator=g) * std
    p["shared.weight"] = normal((V, D), f * 1.0)

    def attn(name, relative):
        p[f"{name}.q.weight"] = normal((H * dkv, D), f * (D * dkv) ** -0.5)
        p[f"{name}.k.weight"] = normal((H * dkv, D), f * D ** -0.5)
        p[f"{name}.v.weight"] = normal((H * dkv, D), f * D ** -0.5)
        p[f"{name}.o.weight"] = normal((D, H * dkv), f * (H * dkv) ** -0.5)
        if relative:
            p[f"{name}.relative_attention_bias.weight"] = normal((cfg["relative_attention_num_buckets"], H), f * D ** -0.5)

    def ff(name):
        wis = ["wi"] if cfg["feed_forward_proj"] == "relu" else ["wi_0", "wi_1"]
        for w in wis:
            p[f"{name}.DenseReluDense.{w}.weight"] = normal((F, D), f * D ** -0.5)
        p[f"{name}.DenseReluDense.wo.weight"] = normal((D, F), f * F ** -0.5)

    # Layer norms are 1 at init; 1 + noise here so that a wrong weight shows in the parity test.
    norm = lambda name: p.__setitem__(f"{name}.weight", 1.0 + normal((D,), 0.1))
    for i in range(cfg["num_layers"]):
        attn(f"encoder.block.{i}.layer.0.SelfAttention", i == 0)
        norm(f"encoder.block.{i}.layer.0.layer_norm")
        ff(f"encoder.block.{i}.layer.1")
        norm(f"encoder.block.{i}.layer.1.layer_norm")
    norm("encoder.final_layer_norm")
    for i in range(cfg["num_decoder_layers"]):
        attn(f"decoder.block.{i}.layer.0.SelfAttention", i == 0)
        norm(f"decoder.block.{i}.layer.0.layer_norm")
        attn(f"decoder.block.{i}.layer.1.EncDecAttention", False)
        norm(f"decoder.block.{i}.layer.1.layer_norm")
        ff(f"decoder.block.{i}.layer.2")
        norm(f"decoder.block.{i}.layer.2.layer_norm")
    norm("decoder.final_layer_norm")
    if not cfg["tie_word_embeddings"]:
        p["lm_head.weight"] = normal((V, D), f * 1.0)
    return p


def flat(t):
    return [float(f"{v:.7g}") for v in t.detach().reshape(-1).tolist()]


# Fixed inputs: two rows of different lengths (padding in the second), labels padded with -100.
INPUT_IDS = [[5, 17, 42, 99, 130, 7, 1, 0, 0], [23, 64, 200, 88, 3, 150, 71, 12, 1]]
ATTENTION_MASK = [[1, 1, 1, 1, 1, 1, 1, 0, 0], [1] * 9]
LABELS = [[33, 8, 120, 1, -100, -100], [77, 45, 9, 160, 61, 1]]
CANDIDATES = [[33, 8, 1], [77, 1], [120, 45, 9, 1]]
GRAD_NAMES = [
    "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
    "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
    "encoder.block.1.layer.0.SelfAttention.q.weight",
    "decoder.block.1.layer.1.EncDecAttention.k.weight",
    "decoder.block.0.layer.2.layer_norm.weight",
    "encoder.final_layer_norm.weight",
]
SHARED_GRAD_ROWS = 64  # the gradient of `shared` is compared on its first rows (the file stays small)


def expected(p, cfg):
    ids, mask, labels = torch.tensor(INPUT_IDS), torch.tensor(ATTENTION_MASK, dtype=torch.float32), torch.tensor(LABELS)
    for t in p.values():
        t.requires_grad_(True)
    states = encode(p, cfg, ids, mask)
    logits = decode(p, cfg, shift_right(labels, cfg), states, mask)
    loss = loss_of(logits, labels)
    loss.backward()
    grads = {n: flat(p[n].grad) for n in GRAD_NAMES}
    grads["shared.weight[:64]"] = flat(p["shared.weight"].grad[:SHARED_GRAD_ROWS])
    with torch.no_grad():
        generated = greedy(p, cfg, ids, mask, 6).tolist()
        scores = [flat(target_log_likelihood(p, cfg, ids, mask, c)) for c in CANDIDATES]
    rel = torch.arange(-40, 41)
    nb, md = cfg["relative_attention_num_buckets"], cfg["relative_attention_max_distance"]
    return {
        "input_ids": INPUT_IDS,
        "attention_mask": ATTENTION_MASK,
        "labels": LABELS,
        "decoder_input_ids": shift_right(labels, cfg).tolist(),
        "encoder_states": flat(states),
        "logits": flat(logits),
        "loss": float(loss),
        "grads": grads,
        "greedy": generated,
        "candidates": CANDIDATES,
        "candidate_log_likelihoods": scores,
        "relative_positions": rel.tolist(),
        "buckets_bidirectional": relative_position_bucket(rel, True, nb, md).tolist(),
        "buckets_causal": relative_position_bucket(rel, False, nb, md).tolist(),
    }


def write_folder(name, variant, pieces, seed):
    path = os.path.join(FIXTURES, name)
    os.makedirs(path, exist_ok=True)
    for old in os.listdir(path):
        os.remove(os.path.join(path, old))
    cfg = config(variant, len(pieces))
    p = random_weights(cfg, seed)
    write_json(os.path.join(path, "config.json"), cfg)
    write_json(os.path.join(path, "tokenizer_config.json"), TOKENIZER_CONFIG)
    with open(os.path.join(path, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(pieces), f, ensure_ascii=False, separators=(",", ":"))
    if variant == "v1_1":
        write_safetensors(os.path.join(path, "model.safetensors"), p)
    else:
        # torch.save of the whole state dict: the tied aliases are stored too, sharing shared's storage.
        full = OrderedDict(p)
        for alias in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "lm_head.weight"):
            full[alias] = p["shared.weight"]
        torch.save(full, os.path.join(path, "pytorch_model.bin"))
    write_json(os.path.join(path, "expected.json"), expected(p, cfg))


def main():
    torch.manual_seed(0)
    pieces = vocabulary()
    write_folder("tiny-t5-v1_1", "v1_1", pieces, seed=1)
    write_folder("tiny-t5", "original", pieces, seed=2)


if __name__ == "__main__":
    main()
