"""Tables for docs/lora.md from the files Scripts/lora-experiments.sh writes."""
import json, math, os, re, sys

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def interval(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, m, m
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    h = T975.get(n - 1, 1.96) * sd / math.sqrt(n)
    return m, m - h, m + h


def fmt(xs, scale=100):
    m, lo, hi = interval([x * scale for x in xs])
    return f"{m:.1f} [{lo:.1f}, {hi:.1f}]"


def finished(w, method, s):
    try:
        return json.load(open(f"{w}/rt-{method}-{s}.eval.json"))["metrics"]["accuracy"] is not None
    except (OSError, ValueError, KeyError):
        return False


def lora(w, seeds):
    # Each method over the seeds it finished (printed); the difference over the seeds both finished.
    rows = {}
    for method in ("lora", "top2"):
        done = [s for s in range(seeds) if finished(w, method, s)]
        print(f"{method}: seeds finished {done} of {seeds}")
        acc, sps, wall, rss, size, trainable, total = [], [], [], [], [], [], None
        for s in done:
            acc.append(json.load(open(f"{w}/rt-{method}-{s}.eval.json"))["metrics"]["accuracy"])
            run = json.load(open(f"{w}/rt-{method}-{s}.json"))
            sps.append(run["wall_seconds"] / run["steps"])   # seconds per optimizer step, all included
            wall.append(run["wall_seconds"])
            log = open(f"{w}/rt-{method}-{s}.log").read()
            rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", log).group(1)))
            size.append(os.path.getsize(f"{w}/rt-{method}-{s}.safetensors"))
            m = re.search(r"([\d,]+) of ([\d,]+) parameters frozen", log)
            frozen, total = (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", "")))
            trainable.append(total - frozen)
        rows[method] = dict(acc=acc, sps=sps, wall=wall, rss=rss, size=size, trainable=trainable[0], total=total, seeds=done)
    print()
    print("| method | test accuracy, mean [95% CI over seeds] | per seed | trainable parameters | checkpoint file | "
          "time per step (batch 32)* | training wall time* | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for method, label in (("lora", "LoRA r=8, α=16 on attention q/k/v/o, + head"), ("top2", "top two layers + head (`--freeze 0..4`)")):
        r = rows[method]
        step_ms = sum(r["sps"]) / len(r["sps"]) * 1000
        print(f"| {label} | {fmt(r['acc'])}% | {' / '.join(f'{a * 100:.1f}' for a in r['acc'])} | "
              f"{r['trainable']:,} ({r['trainable'] / r['total'] * 100:.2f}% of {r['total']:,}) | {max(r['size']) / 1e6:.2f} MB | "
              f"{step_ms:,.0f} ms | {sum(r['wall']) / len(r['wall']):,.0f} s | {max(r['rss']) / 1024:.0f} MiB |")
    both = [s for s in rows["lora"]["seeds"] if s in rows["top2"]["seeds"]]
    acc = {m: dict(zip(rows[m]["seeds"], rows[m]["acc"])) for m in rows}
    diffs = [acc["lora"][s] - acc["top2"][s] for s in both]
    print(f"\nLoRA − top-2, paired by seed over seeds {both}: {fmt(diffs)} pts")


def forgetting(w, seeds):
    print("| freeze depth | `--freeze` | target accuracy* | source head: source → fine-tuned body | forgotten, pts [95% CI over seeds] | "
          "linear probe: before → after | probe forgotten, pts [95% CI] |")
    print("|---|---|---|---|---|---|---|")
    for depth, freeze in ((0, "none"), (1, "0"), (2, "0..1")):
        runs = [json.load(open(f"{w}/lenet-d{depth}-{s}.eval.json")) for s in range(seeds)]
        head = [r["forgetting"]["source_head"] for r in runs]
        probe = [r["forgetting"]["linear_probe"] for r in runs]
        target = [r["metrics"]["accuracy"] for r in runs]
        mean = lambda xs: sum(xs) / len(xs) * 100
        print(f"| {depth} | `{freeze}` | {fmt(target)}% | {mean([h['before'] for h in head]):.1f}% → {mean([h['after'] for h in head]):.1f}% | "
              f"{fmt([h['forgotten_points'] for h in head], 1)} | {mean([p['before'] for p in probe]):.1f}% → {mean([p['after'] for p in probe]):.1f}% | "
              f"{fmt([p['forgotten_points'] for p in probe], 1)} |")
    print(f"\n(* on the target digits 5-9 the run did not train on; {head[0]['samples']} held-out source samples, "
          f"probe scored on {probe[0]['samples']})")
    lost = {d: [json.load(open(f"{w}/lenet-d{d}-{s}.eval.json"))["forgetting"]["source_head"]["forgotten_points"] for s in range(seeds)]
            for d in (0, 1, 2)}
    for d in (0, 1, 2):
        print(f"depth {d}, forgotten per seed (source head): " + " / ".join(f"{x:.1f}" for x in lost[d]))
    for a, b in ((0, 1), (0, 2), (1, 2)):
        print(f"depth {a} − depth {b}, paired by seed: {fmt([x - y for x, y in zip(lost[a], lost[b])], 1)} pts")


if __name__ == "__main__":
    {"lora": lora, "forgetting": forgetting}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
