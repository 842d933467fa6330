#!/usr/bin/env python3
"""Where a training step's time goes: summarises `perf script -F tid,time,ip,sym` output of a
`tl-bench --train W --json` run recorded with `perf record -k CLOCK_MONOTONIC -g` (see
Scripts/profile-step.sh). Only samples between the bench's monotonic_start and monotonic_end
(its timed steps, every thread) count; the model build, any cached-prefix forward passes and
the warm-up steps (first-touch page faults) do not.

Each sample is charged to the function it was in (self time), grouped into categories by symbol
name; CPU ms per step = samples / frequency / steps, summed over threads. With 2+ threads the
main thread's samples outside any parallel region (no WorkerPool frame on the stack, not
yielding) are its serial time per step: while it runs, the other cores wait.

Usage: profile_summary.py PERF_SCRIPT_TXT BENCH_JSON FREQUENCY_HZ [TOP]
"""
import collections
import json
import re
import subprocess
import sys

# (category, regular expression on the mangled or plain symbol), first match wins.
CATEGORIES = [
    ("thread pool (spin, yield, wake)", r"sched_yield|WorkerPool|claimAndRun|waitUntilFinished|workerLoop|futex|parallelFor|clock_gettime"),
    ("convolution micro-kernels", r"conv\w*Micro|Conv\w*Micro"),
    ("GEMM micro-kernels (incl. weight-gradient tiles)", r"microKernel|MicroKernel"),
    ("GEMM GELU epilogue", r"[Gg]eluTile"),
    ("GEMM drivers (loops, inlined A packing), bias", r"gemmDriver|gemmCore|gemmBias|[0-9]gemm[0-9]|writeEdgeTile|addBiasTile|smallGemm|scaleBlock"),
    ("GEMM operand packing (packer calls)", r"Packer|packTransposed|packRowsOuter|transpose8x8"),
    ("convolution (gathers, tiles, small-channel kernels)", r"[Cc]onv|im2col|col2im|[Dd]epthwise|Gather|pairTile|Narrow"),
    ("attention blocks and softmax", r"attention|Attention|softmax|Softmax"),
    ("normalisation (LayerNorm, BatchNorm)", r"[Ll]ayerNorm|[Bb]atchNorm|ChannelAffine|channelAffine"),
    ("pooling", r"Pool2D|[Pp]ool2d|maxPool|MaxPool|avgPool|MeanPool|meanPool"),
    ("activations, bias gradients, elementwise", r"gelu|Gelu|relu|Relu|binary|unary|Elementwise|linearBiasBackward|sumRows|rowBroadcast|copyRows|kernelTable"),
    ("optimizer (Adam)", r"adam|Adam"),
    ("dropout masks (RNG)", r"[Dd]ropout|SeededGenerator|Xoshiro"),
    ("cross-entropy loss", r"crossEntropy|CrossEntropy|logSoftmax"),
    ("embedding lookup and gradient", r"indexSelect|indexAdd|[Ee]mbedding"),
    ("malloc, free, copy, zero-fill", r"malloc|free|memmove|memcpy|memset|_int_|unlink_chunk|consolidate|tcache"),
    ("Swift runtime and autodiff bookkeeping", r"^swift_|^\$ss|TLTensor|TLNN|TLOptim|TLModels|Foundation|objc|_swift"),
    ("kernel (page faults, scheduler)", r"\[k\]|^page|clear_page|exc_page|_raw_spin|folio|do_anonymous|handle_mm|schedule|irq|tick"),
]


def demangle(symbols):
    try:
        out = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(symbols), capture_output=True,
                             text=True, timeout=60).stdout.splitlines()
        if len(out) == len(symbols):
            return out
    except (OSError, subprocess.SubprocessError):
        pass
    return symbols


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, bench_path, frequency = sys.argv[1], sys.argv[2], float(sys.argv[3])
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 12
    bench = None
    for line in open(bench_path):
        line = line.strip()
        if line.startswith("{"):
            bench = json.loads(line)
    if bench is None:
        sys.exit(f"profile_summary.py: no JSON result line in {bench_path}")
    start, end = bench["monotonic_start"], bench["monotonic_end"]
    steps = bench["steps"]

    samples = []      # (tid, leaf symbol, stack frames)
    current = None
    header = re.compile(r"^\s*(\S+)\s+(\d+\.\d+):")
    for line in open(path, errors="replace"):
        if not line.strip():
            if current:
                samples.append(current)
            current = None
            continue
        if not line.startswith("\t"):
            m = header.match(line)
            if not m:
                current = None
                continue
            tid, t = m.group(1), float(m.group(2))
            current = (tid, []) if start <= t <= end else None
        elif current is not None:
            parts = line.strip().split(" ", 1)
            frame = parts[1] if len(parts) > 1 else "?"
            if frame.endswith("([kernel.kallsyms])") or "[kernel" in frame:
                frame = "[k] " + frame.split(" (")[0]
            else:
                frame = frame.split(" (")[0]
            current[1].append(frame)
    if current:
        samples.append(current)
    if not samples:
        sys.exit("profile_summary.py: no samples between the steps' start and end (was perf recorded with -k CLOCK_MONOTONIC?)")

    per_sample_ms = 1000.0 / frequency / steps
    threads = collections.Counter(tid for tid, _ in samples)
    main_tid = min(threads, key=lambda t: int(t.split("/")[-1]))
    by_category, by_symbol = collections.Counter(), collections.Counter()
    serial = 0
    serial_by_symbol = collections.Counter()
    for tid, frames in samples:
        leaf = frames[0] if frames else "?"
        by_symbol[leaf] += 1
        for name, pattern in CATEGORIES:
            if re.search(pattern, leaf):
                by_category[name] += 1
                break
        else:
            by_category["other"] += 1
        if tid == main_tid and not any("WorkerPool" in f or "sched_yield" in f for f in frames):
            serial += 1
            serial_by_symbol[leaf] += 1

    total = sum(by_category.values())
    wall_ms = bench["seconds"] / bench["steps"] * 1000
    print(f"{bench['workload']}: {bench['threads']} thread(s), {steps} steps profiled, "
          f"{wall_ms:.2f} ms wall per timed step, {total * per_sample_ms:.2f} ms CPU per step in samples "
          f"({bench['cpu_seconds_per_step'] * 1000:.2f} by the process clock)")
    print(f"  {'category':<50} {'CPU ms/step':>11} {'share':>6}")
    for name, count in by_category.most_common():
        print(f"  {name:<50} {count * per_sample_ms:>11.2f} {100.0 * count / total:>5.1f}%")
    if len(threads) > 1:
        print(f"  main thread outside parallel regions (serial): {serial * per_sample_ms:.2f} ms per step")
        serial_leaves = [s for s, _ in serial_by_symbol.most_common(5)]
        if serial_leaves:
            print("  largest serial: " + "; ".join(f"{n[:60]} {serial_by_symbol[s] * per_sample_ms:.2f} ms"
                                                  for s, n in zip(serial_leaves, demangle(serial_leaves))))
    other = [s for s, _ in by_symbol.most_common() if not any(re.search(p, s) for _, p in CATEGORIES)][:5]
    if other:
        print("  largest in 'other': " + "; ".join(f"{n[:60]} {by_symbol[s] * per_sample_ms:.2f} ms" for s, n in zip(other, demangle(other))))
    leaves = [s for s, _ in by_symbol.most_common(top)]
    names = demangle(leaves)
    print(f"  top {top} functions (self time):")
    for symbol, name in zip(leaves, names):
        count = by_symbol[symbol]
        print(f"    {count * per_sample_ms:7.2f} ms {100.0 * count / total:5.1f}%  {name[:110]}")


if __name__ == "__main__":
    main()
