#!/usr/bin/env bash
# The LoRA and forgetting tables of docs/lora.md, with the real `tl` binary (run under nice).
# Usage: Scripts/lora-experiments.sh [lora|forgetting|all] [SEEDS]
#   lora:       MiniLM-L6 on Rotten Tomatoes (needs Scripts/fetch-data.sh): LoRA rank 8 on the
#               attention projections vs the top two encoder layers; 800 training reviews
#               (--per-class 400, 10% of them for validation) drawn per seed from a pool, test =
#               a fixed set of 1,000 other reviews; 3 epochs, batch 32, cosine schedule, 10 warm-up steps.
#   forgetting: LeNet digits 0-4 (Models/lenet-digits0-4.safetensors) fine-tuned on mnist5k 5-9,
#               10 per class, freeze depths 0, 1, 2; tl eval --source-data mnist5k.
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:-all}
SEEDS=${2:-5}
[[ $WHAT == lora-one ]] && SEEDS=1
TL=${TL:-.build/release/tl}
W=${W:-$(mktemp -d)}
[[ $WHAT == lora-one ]] || { echo "work folder: $W"; uptime; }

if [[ $WHAT == lora || $WHAT == all ]]; then
  [[ -f $W/minilm64.safetensors ]] || $TL import data/all-MiniLM-L6-v2 --tokens 64 --out "$W/minilm64.safetensors" --quiet
  # A fixed test set of 1,000 reviews (seeded shuffle), disjoint from the pool the 800 training
  # reviews of each seed are drawn from.
  python3 - "$W" <<'PY'
import csv, random, sys
rows = list(csv.reader(open("data/rotten_tomatoes.csv", newline="", encoding="utf-8")))
header, body = rows[0], rows[1:]
random.Random(17).shuffle(body)
for name, part in (("rt-test.csv", body[:1000]), ("rt-pool.csv", body[1000:])):
    with open(f"{sys.argv[1]}/{name}", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header] + part)
PY
  # Every (method, seed) run is independent: JOBS of them run side by side, one thread each
  # (on a machine shared with other work, several niced processes get more of it than one).
  printf '%s\n' $(for seed in $(seq 0 $((SEEDS - 1))); do echo "lora:$seed top2:$seed"; done) \
    | xargs -P "${JOBS:-2}" -I{} "$0" lora-one {}
  python3 Scripts/lora_summary.py lora "$W" "$SEEDS"
fi

if [[ $WHAT == lora-one ]]; then   # one run: lora-one METHOD:SEED
  method=${2%%:*} seed=${2##*:}
  case $method in
    lora) extra="--lora 8 --lora-alpha 16 --lr 2e-3" ;;
    top2) extra="--freeze 0..4 --lr 2e-4" ;;
  esac
  out="$W/rt-$method-$seed.safetensors"
  /usr/bin/time -v $TL finetune --from "$W/minilm64.safetensors" --data "text:$W/rt-pool.csv" --per-class 400 --epochs 3 \
    --schedule cosine --warmup 10 --batch-size 32 --threads "${THREADS:-1}" $extra --seed "$seed" --out "$out" --json \
    > "$W/rt-$method-$seed.json" 2> "$W/rt-$method-$seed.log"
  $TL eval --model "$out" --test-data "text:$W/rt-test.csv" --json --quiet --threads "${THREADS:-1}" > "$W/rt-$method-$seed.eval.json"
  echo "$method seed $seed: $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['metrics']['accuracy'])" "$W/rt-$method-$seed.eval.json")"
  exit 0
fi

if [[ $WHAT == forgetting || $WHAT == all ]]; then
  FT="--data mnist5k --classes 5-9 --per-class 10 --val-split 0 --lr 0.003 --epochs 60 --quiet"
  for seed in $(seq 0 $((SEEDS - 1))); do
    for depth in 0 1 2; do
      case $depth in 0) freeze=none ;; 1) freeze=0 ;; 2) freeze=0..1 ;; esac
      out="$W/lenet-d$depth-$seed.safetensors"
      $TL finetune --from Models/lenet-digits0-4.safetensors $FT --freeze "$freeze" --seed "$seed" --out "$out"
      $TL eval --model "$out" --source-data mnist5k --json --quiet > "$W/lenet-d$depth-$seed.eval.json"
    done
  done
  python3 Scripts/lora_summary.py forgetting "$W" "$SEEDS"
fi
uptime
