#!/usr/bin/env bash
# Data-parallel scaling on one machine (issue 19): 2 MPI ranks × 1 thread against 1 process ×
# 2 threads (and 1 × 1, for the compute time per sample), for the LeNet, ResNet and transformer
# specs at a global batch of 64. Each configuration runs REPS times, alternating, and the table
# gives medians. Needs Open MPI (apt-get install openmpi-bin) and a built .build/release/tl.
# Prints a Markdown table and the per-run figures; the model in docs/distributed.md uses them.
# Usage: Scripts/bench-distributed.sh [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
TL=${TL:-.build/release/tl}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK/text.csv" <<'PY'
import random, sys
random.seed(0)
words = ["good", "bad", "great", "awful", "film", "plot", "actor", "scene", "boring", "moving", "funny", "dull"]
with open(sys.argv[1], "w") as f:
    f.write("label,text\n")
    for i in range(2000):
        label = "fresh" if i % 2 else "rotten"
        f.write(label + "," + " ".join(random.choice(words) for _ in range(random.randint(20, 60))) + "\n")
PY
declare -A DATA=( [lenet]="--data mnist5k" [resnet]="--data mnist5k --per-class 60" [transformer]="--data text:$WORK/text.csv" )
COMMON=(--epochs 3 --batch-size 64 --val-split 0 --optimizer sgd --lr 0.01 --quiet --json)
echo "load before: $(uptime)"
for spec in lenet resnet transformer; do
  for rep in $(seq "$REPS"); do
    # shellcheck disable=SC2086
    mpirun --allow-run-as-root --oversubscribe -np 2 "$TL" pretrain --model Models/$spec.json ${DATA[$spec]} "${COMMON[@]}" \
        --threads 1 --out "$WORK/m.safetensors" > "$WORK/$spec-2x1-$rep.json"
    # shellcheck disable=SC2086
    "$TL" pretrain --model Models/$spec.json ${DATA[$spec]} "${COMMON[@]}" --threads 2 --out "$WORK/m.safetensors" > "$WORK/$spec-1x2-$rep.json"
    # shellcheck disable=SC2086
    "$TL" pretrain --model Models/$spec.json ${DATA[$spec]} "${COMMON[@]}" --threads 1 --out "$WORK/$spec.safetensors" > "$WORK/$spec-1x1-$rep.json"
  done
  echo "$spec: $("$TL" inspect "$WORK/$spec.safetensors" | grep -i 'total parameters')"
done
echo "load after: $(uptime)"
python3 - "$WORK" "$REPS" <<'PY'
import json, sys, statistics, subprocess
work, reps = sys.argv[1], int(sys.argv[2])
def run(spec, cfg, rep):
    j = json.load(open(f"{work}/{spec}-{cfg}-{rep}.json"))
    later = [e["samples_per_second"] for e in j["history"][1:]]
    rate = sum(later) / len(later)
    return rate, j.get("allreduce_seconds", 0.0) / j["steps"] * 1000, j["steps"]
params = {}
print("| net | params | 2 ranks × 1 thread (samples/s) | allreduce ms/step | 1 rank × 2 threads (samples/s) | 1 × 1 (samples/s) | 2×1 / 1×2 |")
print("|---|---|---|---|---|---|---|")
for spec in ["lenet", "resnet", "transformer"]:
    r21 = [run(spec, "2x1", r) for r in range(1, reps + 1)]
    r12 = [run(spec, "1x2", r) for r in range(1, reps + 1)]
    r11 = [run(spec, "1x1", r) for r in range(1, reps + 1)]
    a = statistics.median(x[0] for x in r21); ar = statistics.median(x[1] for x in r21)
    b = statistics.median(x[0] for x in r12); c = statistics.median(x[0] for x in r11)
    print(f"| {spec} | | {a:.0f} | {ar:.2f} | {b:.0f} | {c:.0f} | {a / b:.2f} |")
    print(f"  runs {spec}: 2x1 {[round(x[0]) for x in r21]} allreduce ms/step {[round(x[1], 2) for x in r21]}; 1x2 {[round(x[0]) for x in r12]}; 1x1 {[round(x[0]) for x in r11]}", file=sys.stderr)
PY
