#!/usr/bin/env python3
"""Check a P-tuning v2 export's PEFT adapter as PEFT loads it: base model + adapter -> the kit's labels.

No `peft` or `transformers` is needed: PEFT's loading semantics are re-implemented from its code
(huggingface/peft, src/peft/utils/save_and_load.py, utils/other.py, peft_model.py):

- The base is `BertForSequenceClassification` from the base folder's `model.safetensors`; a module the folder
  does not store (a pooler, a classifier head) is initialised N(0, initializer_range) as transformers does.
- `PeftModelForSequenceClassification` wraps every module whose name ends with an entry of the adapter's
  `modules_to_save` (`_set_trainable`, `key.endswith(target_key)`); `set_peft_model_state_dict` loads a saved key
  `base_model.<module>.<param>` into the wrapper's copy of that module, loads any other key that names a
  parameter of the model as it is (`load_state_dict(strict=False)`), and ignores the rest without a word: this
  script fails on such a key instead, and on a key outside `modules_to_save` (loaded, but PEFT's
  `save_pretrained` would drop it).
- `prompt_embeddings` [P, layers*2*hidden] goes to the prefix encoder; `get_prompt` views it as
  [B, P, layers*2, heads, head_dim] and permutes it to [layers*2, B, heads, P, head_dim]: layer i's keys at 2i,
  values at 2i+1, prepended in every layer (transformers' BERT then shifts positions by P), the attention mask
  extended by P ones.

The encoder is bench/torch_baseline.py's (the same BERT written with torch.nn). Inputs come from the kit
(`--inputs` JSON: `{"rows": [{"input_ids": [...], "token_type_ids": [...]}], "probabilities": [[...]]}`, one row
per text, unpadded) so no tokenizer is needed. Prints one JSON line; exits 1 when a label differs from the kit's,
a probability by more than --tol, or an adapter key would be ignored. Example:
    python3 tools/peft_check.py --base models/my-base --export exports/pt --inputs kit.json
"""
import argparse
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from torch_baseline import Bert  # noqa: E402


def read_safetensors(path):
    """Float32 tensors of a safetensors file by name."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {entry['dtype']}, expected F32")
        start, end = entry["data_offsets"]
        data = bytearray(raw[8 + n + start:8 + n + end])
        out[name] = torch.frombuffer(data, dtype=torch.float32).reshape(entry["shape"]) if data else torch.zeros(entry["shape"])
    return out


def hf_to_module(name):
    """transformers' BertForSequenceClassification parameter name -> bench Bert's, or None for other heads."""
    parts = name.split(".")
    if name.startswith("bert.embeddings."):
        return "embeddings." + ".".join(parts[2:])
    if name.startswith("bert.encoder.layer."):
        i, rest = parts[3], ".".join(parts[4:])
        table = {
            "attention.self.query": "query", "attention.self.key": "key", "attention.self.value": "value",
            "attention.output.dense": "attn_out", "attention.output.LayerNorm": "attn_LayerNorm",
            "intermediate.dense": "intermediate", "output.dense": "output", "output.LayerNorm": "out_LayerNorm",
        }
        module, param = rest.rsplit(".", 1)
        return f"layers.{i}.{table[module]}.{param}"
    if name.startswith("bert.pooler.dense."):
        return "pooler." + parts[-1]
    if name.startswith("classifier."):
        return name
    return None


def module_names(param_names):
    """Every module name of the PeftModel (prefixes of its parameter names, under `base_model.`)."""
    names = set()
    for p in param_names:
        parts = f"base_model.{p}".split(".")[:-1]
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return names


def load_peft(base_dir, export_dir, use_keys=lambda key: True):
    """The model PEFT assembles from the base folder and the export's adapter; the adapter keys it would ignore."""
    with open(os.path.join(base_dir, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(export_dir, "adapter_config.json")) as f:
        adapter_cfg = json.load(f)
    adapter = {k: v for k, v in read_safetensors(os.path.join(export_dir, "adapter_model.safetensors")).items() if use_keys(k)}
    labels = adapter["base_model.classifier.weight"].shape[0] if "base_model.classifier.weight" in adapter else 2
    c = argparse.Namespace(
        vocab=cfg["vocab_size"], hidden=cfg["hidden_size"], heads=cfg["num_attention_heads"], layers=cfg["num_hidden_layers"],
        intermediate=cfg["intermediate_size"], positions=cfg["max_position_embeddings"], type_vocab=cfg.get("type_vocab_size", 2),
        ln_eps=cfg.get("layer_norm_eps", 1e-12), dropout=0.0, attn_dropout=0.0)
    model = Bert(c, "cls")
    model.classifier = torch.nn.Linear(c.hidden, labels)
    std = cfg.get("initializer_range", 0.02)
    for p in model.parameters():  # transformers' _init_weights for whatever the base does not store
        torch.nn.init.normal_(p, 0.0, std) if p.dim() > 1 else torch.nn.init.zeros_(p)
    for m in model.modules():
        if isinstance(m, torch.nn.LayerNorm):
            torch.nn.init.ones_(m.weight)
    state = model.state_dict()
    base = read_safetensors(os.path.join(base_dir, "model.safetensors"))
    to_module = {h: hf_to_module(h) for h in _hf_names(c)}
    for hf, name in to_module.items():
        stored = base.get(hf, base.get(hf.removeprefix("bert.")))
        if stored is not None:
            state[name] = stored
    wrapped = [m for m in module_names(to_module) if any(m.endswith(t) for t in adapter_cfg.get("modules_to_save") or [])]
    ignored, unsaved = [], []
    for key, value in adapter.items():
        if key == "prompt_embeddings":
            continue
        hf = key.removeprefix("base_model.")
        if not key.startswith("base_model.") or hf not in to_module:
            ignored.append(key)
            continue
        # Into the wrapper's copy, or the parameter itself (strict=False); only a wrapped module is saved again
        # by PEFT's save_pretrained.
        state[to_module[hf]] = value
        if not any(key.startswith(w + ".") for w in wrapped):
            unsaved.append(key)
    model.load_state_dict(state)
    model.eval()
    table = adapter["prompt_embeddings"]
    P = adapter_cfg["num_virtual_tokens"]
    prefix = table.view(1, P, adapter_cfg["num_layers"] * 2, adapter_cfg["num_attention_heads"],
                        adapter_cfg["token_dim"] // adapter_cfg["num_attention_heads"]).permute(2, 0, 3, 1, 4)
    return model, prefix, ignored + unsaved, wrapped


def _hf_names(c):
    names = [f"bert.embeddings.{e}.weight" for e in ("word_embeddings", "position_embeddings", "token_type_embeddings")]
    names += ["bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias"]
    for i in range(c.layers):
        for m in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                  "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"):
            names += [f"bert.encoder.layer.{i}.{m}.weight", f"bert.encoder.layer.{i}.{m}.bias"]
    return names + ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"]


def probabilities(model, prefix, rows):
    out = []
    with torch.no_grad():
        for row in rows:
            ids = torch.tensor([row["input_ids"]])
            types = torch.tensor([row["token_type_ids"]])
            x = model.encode(ids, types, torch.ones_like(ids), prefix)
            logits = model.classifier(torch.tanh(model.pooler(x[:, 0])))
            out.append(logits.softmax(-1)[0].tolist())
    return out


def agreement(got, want):
    labels = sum(max(range(len(g)), key=g.__getitem__) == max(range(len(w)), key=w.__getitem__) for g, w in zip(got, want))
    diff = max(abs(a - b) for g, w in zip(got, want) for a, b in zip(g, w))
    return labels, diff


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", required=True, help="the base model folder (config.json, model.safetensors)")
    p.add_argument("--export", required=True, help="the P-tuning v2 export (adapter_config.json, adapter_model.safetensors)")
    p.add_argument("--inputs", required=True, help="the kit's token ids and probabilities (JSON)")
    p.add_argument("--tol", type=float, default=1e-4)
    a = p.parse_args()
    with open(a.inputs) as f:
        kit = json.load(f)
    torch.manual_seed(0)
    model, prefix, ignored, wrapped = load_peft(a.base, a.export)
    labels, diff = agreement(probabilities(model, prefix, kit["rows"]), kit["probabilities"])
    # What a PEFT user got before the adapter carried the pooler: the base's (random where it has none).
    torch.manual_seed(1)
    old, old_prefix, _, _ = load_peft(a.base, a.export, lambda k: "pooler" not in k)
    old_labels, _ = agreement(probabilities(old, old_prefix, kit["rows"]), kit["probabilities"])
    n = len(kit["rows"])
    ok = labels == n and diff <= a.tol and not ignored
    print(json.dumps({"texts": n, "labels_agree": labels, "max_abs_diff": diff, "wrapped_modules": sorted(wrapped),
                      "keys_ignored_or_not_saved": ignored, "labels_agree_without_adapter_pooler": old_labels, "ok": ok}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
