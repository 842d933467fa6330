#!/usr/bin/env python3
"""PyTorch reference for tl's EfficientNet-Lite0 import (run where PyTorch is installed).

Builds EfficientNet-Lite0 in plain PyTorch from the state dict of
data/efficientnet-lite0/efficientnet-lite0-57934424.pth (TensorFlow "SAME" padding, ReLU6,
BatchNorm eps 1e-3, no squeeze-excitation), runs a fixed input batch and writes the logits to
Tests/Fixtures/efficientnet-lite0-reference.json, which a Swift test compares with tl's forward
pass (max |Δlogit| ≤ 1e-3, same top-5) whenever the model has been fetched.

The input is reproducible with integer arithmetic only: image n, pixel (y, x), channel c
(RGB, 0-255) = noise mod 64 + 64 * ((x div b + y div b + c*n) mod 4), b = 8(n+1) (a coloured
checkerboard of a different scale per image, plus noise), where noise = (i * 2654435761
mod 2^32) >> 16 with i = ((n*224 + y)*224 + x)*3 + c; then (v - 127) / 128, exactly as tl's
recorded preprocessing does.

Usage: python3 Scripts/efficientnet-reference.py [--bench | --step FIRST] [--threads 2] [--batch 32]
  --bench: instead, time inference at 224x224 (channels-last, eval, no grad) and print images/s.
  --step FIRST: instead, time a fine-tuning step at 224x224 with tl blocks FIRST.. trainable
          (7 = last stage + head; frozen blocks run without gradients in eval mode; Adam).
"""
import argparse, json, math, os, sys, time
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PTH = os.path.join(ROOT, "data", "efficientnet-lite0", "efficientnet-lite0-57934424.pth")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "efficientnet-lite0-reference.json")
STAGES = [(3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
          (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1)]
EPS = 1e-3

def same_pad(x, k, s):
    h, w = x.shape[-2:]
    def total(n):
        out = (n + s - 1) // s
        return max((out - 1) * s + k - n, 0)
    th, tw = total(h), total(w)
    return F.pad(x, (tw // 2, tw - tw // 2, th // 2, th - th // 2))

def bn(x, sd, p):
    return F.batch_norm(x, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"], sd[p + ".bias"], False, 0.0, EPS)

def bn_train(x, sd, p):
    """BatchNorm with batch statistics (training mode), updating the running averages as tl does."""
    return F.batch_norm(x, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"], sd[p + ".bias"], True, 0.1, EPS)

# tl's blocks of the imported model (what --freeze counts): 0 stem, 1-7 the stages, 8 head
# convolution, 9 pooling, 10 classifier.
BLOCKS = 11

def block_of(key):
    """tl block index of a state-dict key."""
    if key.startswith(("_conv_stem", "_bn0")):
        return 0
    if key.startswith("_blocks."):
        n, first = int(key.split(".")[1]), 0
        for stage, (_, r, *_rest) in enumerate(STAGES):
            if n < first + r:
                return stage + 1
            first += r
    return 10 if key.startswith("_fc") else 8

def forward(sd, x, blocks=range(BLOCKS), train=False):
    """The network's blocks `blocks` (BatchNorm with batch statistics when `train`)."""
    norm = bn_train if train else bn
    if 0 in blocks:
        x = F.conv2d(same_pad(x, 3, 2), sd["_conv_stem.weight"], stride=2)
        x = F.relu6(norm(x, sd, "_bn0"))
    i = 0
    for stage, (k, r, cin, cout, e, s) in enumerate(STAGES):
        for j in range(r):
            stride, inp = (s if j == 0 else 1), (cin if j == 0 else cout)
            p = f"_blocks.{i}."
            i += 1
            if stage + 1 not in blocks:
                continue
            h = x
            if e != 1:
                h = F.relu6(norm(F.conv2d(h, sd[p + "_expand_conv.weight"]), sd, p + "_bn0"))
            h = F.conv2d(same_pad(h, k, stride), sd[p + "_depthwise_conv.weight"], stride=stride, groups=h.shape[1])
            h = F.relu6(norm(h, sd, p + "_bn1"))
            h = norm(F.conv2d(h, sd[p + "_project_conv.weight"]), sd, p + "_bn2")
            if stride == 1 and inp == cout:
                h = h + x
            x = h
    if 8 in blocks:
        x = F.relu6(norm(F.conv2d(x, sd["_conv_head.weight"]), sd, "_bn1"))
    if 9 in blocks:
        x = x.mean(dim=(2, 3))
    if 10 in blocks:
        x = F.linear(x, sd["_fc.weight"], sd["_fc.bias"])
    return x

def bench_step(sd, batch, first, repeats):
    """Seconds per fine-tuning step (times, sorted) with blocks `first`.. trainable: the frozen
    blocks run without gradients in eval mode, the rest in training mode (batch statistics),
    cross-entropy on 1000 classes, Adam (lr 1e-3), channels-last, as tl-bench's step row."""
    params = []
    for key, v in sd.items():
        if block_of(key) >= first and v.is_floating_point() and not key.endswith(("running_mean", "running_var")):
            v.requires_grad_(True)
            params.append(v)
    opt = torch.optim.Adam(params, lr=1e-3)
    g = torch.Generator().manual_seed(5)
    x = (torch.rand(batch, 3, 224, 224, generator=g) * 2 - 1).contiguous(memory_format=torch.channels_last)
    labels = torch.arange(batch) % 1000
    def step():
        with torch.no_grad():
            h = forward(sd, x, range(0, first))
        loss = F.cross_entropy(forward(sd, h, range(first, BLOCKS), train=True), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    return sorted(times)

def fixed_batch(n):
    i = torch.arange(n * 224 * 224 * 3, dtype=torch.int64)
    noise = ((i * 2654435761) % (1 << 32)) >> 16
    c = i % 3
    x = (i // 3) % 224
    y = (i // (3 * 224)) % 224
    img = i // (3 * 224 * 224)
    b = 8 * (img + 1)
    v = noise % 64 + 64 * ((x // b + y // b + c * img) % 4)
    v = v.float().reshape(n, 224, 224, 3)                 # NHWC, RGB, 0-255
    return ((v - 127) / 128).permute(0, 3, 1, 2).contiguous()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--step", type=int, default=None, metavar="FIRST",
                    help="time a fine-tuning step with tl blocks FIRST.. trainable (7: last stage + head)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    sd = torch.load(PTH, map_location="cpu", weights_only=True)
    if a.step is not None:
        sdc = {k: (v.contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v.clone()) for k, v in sd.items()}
        times = bench_step(sdc, a.batch, a.step, a.repeats)
        import resource
        print(json.dumps({"framework": f"pytorch {torch.__version__}", "threads": a.threads, "batch": a.batch,
                          "trainable_from_block": a.step, "best_seconds": times[0],
                          "images_per_second": a.batch / times[0], "median_images_per_second": a.batch / times[len(times) // 2],
                          "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))
        return
    if a.bench:
        x = torch.randn(a.batch, 3, 224, 224).contiguous(memory_format=torch.channels_last)
        sdc = {k: (v.contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v) for k, v in sd.items()}
        with torch.no_grad():
            forward(sdc, x)
            times = []
            for _ in range(a.repeats):
                t = time.perf_counter(); forward(sdc, x); times.append(time.perf_counter() - t)
        best = min(times)
        print(json.dumps({"framework": f"pytorch {torch.__version__}", "threads": a.threads, "batch": a.batch,
                          "best_seconds": best, "images_per_second": a.batch / best,
                          "median_images_per_second": a.batch / sorted(times)[len(times) // 2]}))
        return
    n = 4
    with torch.no_grad():
        logits = forward(sd, fixed_batch(n))
    top5 = logits.topk(5, dim=1).indices.tolist()
    json.dump({"source": "Scripts/efficientnet-reference.py", "torch": torch.__version__, "batch": n,
               "input": "v = noise mod 64 + 64*((x div b + y div b + c*n) mod 4), b = 8(n+1), noise = (i*2654435761 mod 2^32) >> 16, i = NHWC flat index; x = (v-127)/128",
               "top5": top5, "logits": [[round(float(v), 6) for v in row] for row in logits]},
              open(OUT, "w"), separators=(",", ":"))
    print(f"wrote {OUT}: top-5 {top5}")

if __name__ == "__main__":
    main()
