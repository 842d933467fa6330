#!/usr/bin/env python3
"""PyTorch twins of the `tl-bench --train` workloads (Sources/TLBench/TrainBenches.swift).

    python3 Scripts/torch_twins.py WORKLOAD [--threads N] [--seconds S]
    python3 Scripts/torch_twins.py minilm-embed --sentences FILE [--threads N]

Prints one JSON line like tl-bench --train --json. A timed step (as on the tl side): take one
of 16 pre-generated random in-memory batches, forward, cross-entropy, zero_grad, backward,
Adam step. Warm-up (>= 3 steps and >= 0.3 s) first, then steps are timed until >= S seconds.
Each architecture mirrors the tl spec named next to it; tl images are channels-last [N, H, W, C],
the twins take PyTorch's [N, C, H, W] (the same sizes and work).
"""
import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp():  # Models/mlp.json
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def lenet():  # Models/lenet.json: blocks conv1, conv2, fc1, fc2, head (indices 0-4)
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.ReLU()),
        nn.Sequential(nn.Linear(120, 84), nn.ReLU()),
        nn.Linear(84, 10))


class Residual(nn.Module):
    """Sources/TLNN/Layers/Residual.swift: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)),
    3x3 convolutions without bias, a 1x1 conv + BatchNorm shortcut when stride or width change."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.norm1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(cout)
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else None)

    def forward(self, x):
        main = self.norm2(self.conv2(F.relu(self.norm1(self.conv1(x)))))
        return F.relu(main + (self.shortcut(x) if self.shortcut is not None else x))


def resnet():  # Models/resnet.json
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        Residual(16, 16), Residual(16, 32, 2), Residual(32, 64, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


class Transformer(nn.Module):
    """Models/transformer-d128.json: token + position (+ one segment) embeddings, LayerNorm,
    dropout; two post-LN encoder layers (d 128, 4 heads, FFN 512, GELU, dropout 0.1); mean over
    the non-padding tokens (id 0 is padding); linear head."""

    def __init__(self, vocab=5000, d=128, tokens=64, classes=2):
        super().__init__()
        self.word, self.position, self.segment = nn.Embedding(vocab, d), nn.Embedding(tokens, d), nn.Embedding(1, d)
        self.norm, self.dropout = nn.LayerNorm(d, eps=1e-12), nn.Dropout(0.1)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(d, 4, 512, 0.1, activation="gelu", layer_norm_eps=1e-12, batch_first=True)
            for _ in range(2))
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        pad = ids == 0
        pos = torch.arange(ids.shape[1])
        h = self.dropout(self.norm(self.word(ids) + self.position(pos) + self.segment.weight[0]))
        for layer in self.layers:
            h = layer(h, src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(2).to(h.dtype)
        return self.head((h * keep).sum(1) / keep.sum(1).clamp(min=1))


class MiniLMTop(nn.Module):
    """The top of all-MiniLM-L6-v2 as `tl import` builds it: layers 4-5, masked mean pool, a
    linear head; trained on cached layer-3 outputs (the frozen prefix is computed once)."""

    def __init__(self, bert, classes=2):
        super().__init__()
        self.layers = nn.ModuleList(bert.encoder.layer[4:6])
        self.head = nn.Linear(bert.config.hidden_size, classes)

    def forward(self, inp):
        h, mask = inp
        additive = (1.0 - mask[:, None, None, :]) * torch.finfo(h.dtype).min
        for layer in self.layers:
            out = layer(h, attention_mask=additive)
            h = out[0] if isinstance(out, tuple) else out
        keep = mask.unsqueeze(2)
        return self.head((h * keep).sum(1) / keep.sum(1).clamp(min=1))


def load_bert(folder):
    from transformers import BertModel
    return BertModel.from_pretrained(folder, attn_implementation="eager").eval()


def workload(name, gen, folder):
    """(model, trainable module, 16 inputs, learning rate, batch, classes)."""
    images = lambda b: [torch.randn(b, 1, 28, 28, generator=gen) for _ in range(16)]
    if name == "mlp":
        m = mlp(); return m, m, images(64), 1e-3, 64, 10
    if name == "lenet":
        m = lenet(); return m, m, images(64), 1e-3, 64, 10
    if name == "resnet":
        m = resnet(); return m, m, images(64), 1e-3, 64, 10
    if name == "transformer":
        m = Transformer()
        ids = [torch.randint(1000, 5000, (32, 64), generator=gen) for _ in range(16)]
        for x in ids: x[:, 0] = 101
        return m, m, ids, 1e-3, 32, 2
    if name in ("lenet-head", "lenet-head-cache"):
        m = lenet()
        prefix = m[:4]
        for p in prefix.parameters(): p.requires_grad_(False)
        xs = images(64)
        if name == "lenet-head":
            prefix.eval()
            return m, m[4], xs, 1e-3, 64, 10
        with torch.no_grad():
            feats = [prefix(x) for x in xs]
        return m[4], m[4], feats, 1e-3, 64, 10
    if name == "minilm-top2":
        bert = load_bert(folder)
        ids = [torch.randint(1000, 29000, (32, 64), generator=gen) for _ in range(16)]
        for x in ids: x[:, 0] = 101
        cached = []
        with torch.no_grad():
            for x in ids:
                mask = torch.ones(32, 64)
                hs = bert(input_ids=x, attention_mask=mask.long(), output_hidden_states=True).hidden_states
                cached.append((hs[4], mask))  # hidden_states[4] = output of layer 3
        m = MiniLMTop(bert)
        return m, m, cached, 1e-4, 32, 2
    sys.exit(f"torch_twins.py: unknown workload '{name}'")


def train(args):
    gen = torch.Generator().manual_seed(42)
    model, trainable, inputs, lr, batch, classes = workload(args.workload, gen, args.model_folder)
    model.train()
    if args.workload == "lenet-head":
        model[:4].eval()  # the frozen prefix in inference mode, as the tl Trainer sets it
    labels = [torch.randint(0, classes, (batch,), generator=gen) for _ in range(16)]
    opt = torch.optim.Adam([p for p in trainable.parameters() if p.requires_grad], lr=lr)
    i = 0

    def step():
        nonlocal i
        x, y = inputs[i % 16], labels[i % 16]
        i += 1
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    t = time.perf_counter(); warm = 0
    while warm < 3 or time.perf_counter() - t < 0.3:
        step(); warm += 1
    cpu0, t0, steps = time.process_time(), time.perf_counter(), 0
    while steps < 3 or time.perf_counter() - t0 < args.seconds:
        step(); steps += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"side": "torch", "workload": args.workload, "batch": batch, "threads": torch.get_num_threads(),
                      "steps": steps, "seconds": wall, "samples_per_second": steps * batch / wall,
                      "cpu_seconds_per_step": cpu / steps,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def embed(args):
    """Sentence embeddings as sentence-transformers computes them for all-MiniLM-L6-v2: tokenize
    (truncated to --tokens), batch longest first, encode, mean over the attention mask,
    L2-normalise; batches of 32.
    Times the encoding only (the caller times the whole process)."""
    from transformers import AutoTokenizer
    sentences = [line.rstrip("\n") for line in open(args.sentences, encoding="utf-8") if line.strip()]
    tok = AutoTokenizer.from_pretrained(args.model_folder)
    bert = load_bert(args.model_folder)
    cpu0, t0 = time.process_time(), time.perf_counter()
    # Longest first, as sentence-transformers' encode batches (it sorts by characters; the token
    # count used here gives the same batches as `tl embed`), then back to the input order.
    lengths = [len(ids) for ids in tok(sentences, truncation=True, max_length=args.tokens)["input_ids"]]
    order = sorted(range(len(sentences)), key=lambda i: (-lengths[i], i))
    out = []
    with torch.inference_mode():
        for s in range(0, len(order), 32):
            enc = tok([sentences[i] for i in order[s:s + 32]], padding=True, truncation=True, max_length=args.tokens, return_tensors="pt")
            h = bert(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(2).to(h.dtype)
            out.append(F.normalize((h * m).sum(1) / m.sum(1), dim=1))
    sorted_emb = torch.cat(out)
    emb = torch.empty_like(sorted_emb)
    emb[torch.tensor(order)] = sorted_emb
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"side": "torch", "workload": "minilm-embed", "sentences": emb.shape[0], "threads": torch.get_num_threads(),
                      "encode_seconds": wall, "encode_cpu_seconds": cpu,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workload")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--model-folder", default="data/all-MiniLM-L6-v2")
    ap.add_argument("--sentences")
    ap.add_argument("--tokens", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.workload == "minilm-embed":
        if not args.sentences:
            sys.exit("torch_twins.py: minilm-embed needs --sentences FILE (one sentence a line)")
        embed(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
