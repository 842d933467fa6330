#!/usr/bin/env bash
# Training throughput benchmarks of the real `tl` binary (issue 7):
#   - samples/s at batch 64 for the MLP, LeNet and transformer specs,
#   - full fine-tuning vs fine-tuning with --freeze and frozen-prefix caching (epochs after the first),
#   - `tl --help` start-up time,
#   - peak memory (max RSS) of pretraining LeNet on Fashion-MNIST (when Scripts/fetch-data.sh has run).
# Usage: Scripts/bench-training.sh [--threads N]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=()
if [[ "${1:-}" == "--threads" ]]; then THREADS=(--threads "$2"); fi
swift build -c release --product tl >/dev/null
TL=.build/release/tl
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Mean samples/s over epochs 2.. of a --json summary (epoch 1 includes warm-up / cache filling).
rate() { python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["history"]
later = [e["samples_per_second"] for e in h[1:]] or [h[0]["samples_per_second"]]
print(f"{sum(later) / len(later):.0f}")' "$1"; }

echo "== training throughput, batch 64 (samples/s, mean of epochs 2+)"
for spec in mlp lenet resnet; do
  $TL pretrain --model Models/$spec.json --data mnist5k --epochs 3 --batch-size 64 --val-split 0 "${THREADS[@]}" \
      --out "$WORK/$spec.safetensors" --quiet --json > "$WORK/$spec.json"
  printf "%-12s %8s samples/s\n" "$spec" "$(rate "$WORK/$spec.json")"
done

TEXT="$WORK/text.csv"
if [[ -f data/rotten_tomatoes.csv ]]; then cp data/rotten_tomatoes.csv "$TEXT"; else
  python3 - "$TEXT" <<'PY'
import random, sys
random.seed(0)
words = ["good", "bad", "great", "awful", "film", "plot", "actor", "scene", "boring", "moving", "funny", "dull"]
with open(sys.argv[1], "w") as f:
    f.write("label,text\n")
    for i in range(2000):
        label = "fresh" if i % 2 else "rotten"
        f.write(f"{label},{' '.join(random.choice(words) for _ in range(random.randint(8, 30)))}\n")
PY
fi
$TL pretrain --model Models/transformer.json --data "text:$TEXT" --epochs 2 --batch-size 64 --val-split 0 "${THREADS[@]}" \
    --out "$WORK/tx.safetensors" --quiet --json > "$WORK/tx.json"
printf "%-12s %8s samples/s (64 tokens)\n" "transformer" "$(rate "$WORK/tx.json")"

echo "== fine-tuning LeNet on digits 5-9 (500 per class), samples/s of epochs 2+"
$TL pretrain --model Models/lenet.json --data mnist5k --classes 0-4 --epochs 2 "${THREADS[@]}" --out "$WORK/src.safetensors" --quiet
for mode in "none" "0..3" "0..3 --no-cache"; do
  # shellcheck disable=SC2086
  $TL finetune --from "$WORK/src.safetensors" --data mnist5k --classes 5-9 --freeze $mode --epochs 4 --val-split 0 \
      "${THREADS[@]}" --out "$WORK/ft.safetensors" --quiet --json > "$WORK/ft.json"
  printf "freeze %-16s %8s samples/s\n" "$mode" "$(rate "$WORK/ft.json")"
done

echo "== tl --help start-up (median of 20 runs)"
python3 - "$TL" <<'PY'
import subprocess, sys, time
times = []
for _ in range(20):
    t = time.perf_counter(); subprocess.run([sys.argv[1], "--help"], stdout=subprocess.DEVNULL, check=True); times.append(time.perf_counter() - t)
times.sort(); print(f"tl --help: {times[len(times)//2]*1000:.1f} ms")
PY

if [[ -d data/fashion-mnist ]]; then
  echo "== peak memory: pretraining LeNet on Fashion-MNIST (60,000 images, 1 epoch)"
  /usr/bin/time -f "max RSS %M KB, %e s" $TL pretrain --model Models/lenet.json --data idx:data/fashion-mnist --epochs 1 \
      "${THREADS[@]}" --out "$WORK/fashion.safetensors" --quiet
else
  echo "== peak memory: skipped (run Scripts/fetch-data.sh for Fashion-MNIST)"
fi
