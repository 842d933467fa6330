#!/usr/bin/env python3
"""Summarises Scripts/rank-experiments.sh output (results.tsv, rank-*.json) as markdown tables:
mean fine-tuned accuracy with a 95% Student-t interval per configuration, each score next to it,
and Kendall's tau-b between every score and the mean accuracy. Standard library only."""
import json
import math
import os
import sys
from collections import OrderedDict

T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]


def interval(values):
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, float("nan")
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, (T975[n - 2] if n - 2 < len(T975) else 1.96) * sd / math.sqrt(n)


def kendall(a, b):
    """tau-b; pairs tied in both are skipped."""
    c = d = ta = tb = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            x, y = a[i] - a[j], b[i] - b[j]
            if x == 0 and y == 0:
                continue
            if x == 0:
                ta += 1
            elif y == 0:
                tb += 1
            elif (x > 0) == (y > 0):
                c += 1
            else:
                d += 1
    den = math.sqrt((c + d + ta) * (c + d + tb))
    return (c - d) / den if den else float("nan")


def load(out):
    results = OrderedDict()
    with open(os.path.join(out, "results.tsv")) as f:
        for line in f:
            section, name, value = line.rstrip("\n").split("\t")
            results.setdefault(section, OrderedDict()).setdefault(name, []).append(float(value))
    return results


def pct(x):
    return f"{100 * x:.1f}%"


def ranking_table(out, results, section, rank_file):
    path = os.path.join(out, rank_file)
    if section not in results or not os.path.exists(path):
        return
    ranked = json.load(open(path))["candidates"]
    by_name = {os.path.basename(c["checkpoint"]).replace(".safetensors", ""): c for c in ranked}
    names = [n for n in results[section] if n in by_name or n == "lenet-digits" and "lenet-digits0-4" in by_name]
    rows, accs, scores = [], [], {k: [] for k in ("logme", "leep", "nce", "hscore")}
    print(f"\n### {section}: scores (seed 0's few-shot sample) and fine-tuned accuracy\n")
    print("| candidate | LogME | LEEP | NCE | H-score | fine-tuned accuracy, mean [95% CI] | seeds |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        c = by_name.get(name) or by_name["lenet-digits0-4"]
        mean, half = interval(results[section][name])
        accs.append(mean)
        cells = []
        for k in scores:
            v = c.get(k)
            scores[k].append(v)
            cells.append("n/a" if v is None else f"{v:.4f}")
        print(f"| {name} | " + " | ".join(cells) + f" | {pct(mean)} [{pct(mean - half)}, {pct(mean + half)}] | {len(results[section][name])} |")
    print()
    for k, label in (("logme", "LogME"), ("leep", "LEEP"), ("nce", "NCE"), ("hscore", "H-score")):
        pairs = [(s, a) for s, a in zip(scores[k], accs) if s is not None]
        if len(pairs) < 2:
            print(f"- Kendall τ, {label} vs mean accuracy: n/a ({len(pairs)} candidate(s) with the score)")
            continue
        # Scores equal to 6 significant digits are ties (a saturated H-score differs only by rounding).
        tau = kendall([float(f"{p[0]:.6g}") for p in pairs], [p[1] for p in pairs])
        text = "undefined (every candidate has the same score)" if math.isnan(tau) else f"{tau:+.2f}"
        print(f"- Kendall τ, {label} vs mean accuracy: {text} over {len(pairs)} candidates")


def sweep_table(results, section, label):
    if section not in results:
        return
    print(f"\n### {section}\n")
    print(f"| {label} | accuracy, mean [95% CI] | seeds |")
    print("|---|---|---|")
    stats = OrderedDict((n, interval(v)) for n, v in results[section].items())
    for name, (mean, half) in stats.items():
        print(f"| {name} | {pct(mean)} [{pct(mean - half)}, {pct(mean + half)}] | {len(results[section][name])} |")
    fixed = {n: s for n, s in stats.items() if n != "auto"}
    if "auto" in stats and fixed:
        best = max(fixed, key=lambda n: fixed[n][0])
        m, h = fixed[best]
        a = stats["auto"][0]
        inside = m - h <= a <= m + h
        print(f"\nbest fixed: {best} ({pct(m)} [{pct(m - h)}, {pct(m + h)}]); auto {pct(a)}: "
              f"{'within' if inside else 'OUTSIDE'} the best's interval")


def main(out):
    results = load(out)
    ranking_table(out, results, "image", "rank-image.json")
    ranking_table(out, results, "image30", "rank-image30.json")
    ranking_table(out, results, "text", "rank-text.json")
    sweep_table(results, "freeze-lenet", "--freeze")
    sweep_table(results, "lr-lenet", "--lr")
    sweep_table(results, "freeze-minilm", "--freeze")
    sweep_table(results, "lr-minilm", "--lr")
    if "bench" in results and "finetune-seconds" in results["bench"]:
        b = results["bench"]
        print(f"\nbenchmark: rank {b['rank-seconds'][-1]:.2f} s; fine-tune every candidate once {b['finetune-seconds'][-1]:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tl-rank")
