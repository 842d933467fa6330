#!/usr/bin/env bash
# Issue 15 experiments: do transferability scores rank sources the way fine-tuning does, and
# do --freeze auto and --lr auto land where a sweep of fixed choices is best?
#
#   Scripts/rank-experiments.sh [SECTION...]     sections: sources image image30 bench freeze lr text (default: all)
#   SEEDS=5 (seeds per fine-tuned configuration), TEXT_SEEDS=3, OUT=/tmp/tl-rank (kept between runs)
#   ONLY="name ..." fine-tunes only these image candidates (all are still ranked), to add one to earlier results
#
# Needs Scripts/fetch-data.sh (Fashion-MNIST, Rotten Tomatoes, MiniLM). Every fine-tuned
# figure is the mean test accuracy over seeds 0..SEEDS-1 (each seed draws its own few-shot
# sample); the test set is every target image the run did not train on (image target) or a
# fixed held-out split of 1,000 reviews (text target). Results go to $OUT/results.tsv and the
# summary (markdown tables, Kendall tau) is printed at the end.
#
# EfficientNet-Lite0 (issue 12): once `tl import` reads it, set EFFICIENTNET=path/to/it.safetensors
# and the image section ranks and fine-tunes it as a sixth candidate.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-5}
TEXT_SEEDS=${TEXT_SEEDS:-3}
OUT=${OUT:-/tmp/tl-rank}
TL=.build/release/tl
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
SECTIONS=${*:-sources image image30 bench freeze lr text}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$RESULTS"; }   # section, name, value

IMAGE_TARGET="--data mnist5k --classes 5-9 --per-class 10"
accuracy() { $TL eval --model "$1" ${2:+--test-data "$2"} --json --quiet | python3 -c 'import json,sys; print(json.load(sys.stdin)["metrics"]["accuracy"])'; }

# finetune_seeds SECTION NAME SEEDS FROM TEST DATA-ARGS... -- FINETUNE-ARGS...: one accuracy per seed, recorded.
finetune_seeds() {
  local section="$1" name="$2" seeds="$3" from="$4" test="$5"; shift 5
  local s
  for s in $(seq 0 $((seeds - 1))); do
    $TL finetune --from "$from" "$@" --val-split 0 --seed "$s" --out "$OUT/ft.safetensors" --quiet
    record "$section" "$name" "$(accuracy "$OUT/ft.safetensors" "$test")"
  done
}

IMAGE_CANDIDATES=(lenet-digits lenet-shuffled lenet-fashion resnet-digits lenet-untrained)
path_of() { case "$1" in lenet-digits) echo Models/lenet-digits0-4.safetensors ;; *) echo "$OUT/$1.safetensors" ;; esac; }

if want sources; then
  say "sources"
  [[ -f $OUT/lenet-shuffled.safetensors ]] || $TL pretrain --model Models/lenet.json --data mnist5k --classes 0-4 --epochs 20 --augment --shuffle-labels --out "$OUT/lenet-shuffled.safetensors" --quiet
  [[ -f $OUT/lenet-fashion.safetensors ]] || $TL pretrain --model Models/lenet.json --data idx:data/fashion-mnist --epochs ${FASHION_EPOCHS:-5} --out "$OUT/lenet-fashion.safetensors" --quiet
  [[ -f $OUT/resnet-digits.safetensors ]] || $TL pretrain --model Models/resnet.json --data mnist5k --classes 0-4 --epochs 6 --out "$OUT/resnet-digits.safetensors" --quiet
  # Untrained: one epoch at a rate so small every update rounds away (the weights stay at initialisation).
  [[ -f $OUT/lenet-untrained.safetensors ]] || $TL pretrain --model Models/lenet.json --data mnist5k --classes 0-4 --epochs 1 --lr 1e-30 --val-split 0 --out "$OUT/lenet-untrained.safetensors" --quiet
fi

CANDIDATE_PATHS=(); for c in "${IMAGE_CANDIDATES[@]}"; do CANDIDATE_PATHS+=("$(path_of "$c")"); done
# The summary matches fine-tuned results to ranked candidates by file name, hence the link.
if [[ -n "${EFFICIENTNET:-}" ]]; then
  ln -sf "$(realpath "$EFFICIENTNET")" "$OUT/efficientnet-lite0.safetensors"
  IMAGE_CANDIDATES+=(efficientnet-lite0); CANDIDATE_PATHS+=("$OUT/efficientnet-lite0.safetensors")
fi
path_of_candidate() { local i; for i in "${!IMAGE_CANDIDATES[@]}"; do [[ ${IMAGE_CANDIDATES[$i]} == "$1" ]] && echo "${CANDIDATE_PATHS[$i]}"; done; }

if want image; then
  say "image: rank (seed 0's few-shot sample) and fine-tune every candidate with the same budget"
  $TL rank $IMAGE_TARGET --seed 0 "${CANDIDATE_PATHS[@]}" --json --quiet > "$OUT/rank-image.json"
  $TL rank $IMAGE_TARGET --seed 0 "${CANDIDATE_PATHS[@]}" --quiet
  for c in "${IMAGE_CANDIDATES[@]}"; do
    [[ -z "${ONLY:-}" || " $ONLY " == *" $c "* ]] || continue
    finetune_seeds image "$c" "$SEEDS" "$(path_of_candidate "$c")" "" $IMAGE_TARGET --freeze 0..1 --lr 0.003 --epochs 40
  done
fi

if want image30; then
  say "image30: the same candidates at 30 target images per class (more samples than feature dimensions)"
  T30="--data mnist5k --classes 5-9 --per-class 30"
  $TL rank $T30 --seed 0 "${CANDIDATE_PATHS[@]}" --json --quiet > "$OUT/rank-image30.json"
  for c in "${IMAGE_CANDIDATES[@]}"; do
    finetune_seeds image30 "$c" "$SEEDS" "$(path_of_candidate "$c")" "" $T30 --freeze 0..1 --lr 0.003 --epochs 40
  done
fi

if want bench; then
  say "bench: time to rank vs time to fine-tune (one seed each)"
  t0=$(date +%s.%N); $TL rank $IMAGE_TARGET "${CANDIDATE_PATHS[@]}" --quiet > /dev/null; t1=$(date +%s.%N)
  record bench rank-seconds "$(python3 -c "print($t1 - $t0)")"
  t0=$(date +%s.%N)
  for p in "${CANDIDATE_PATHS[@]}"; do $TL finetune --from "$p" $IMAGE_TARGET --freeze 0..1 --lr 0.003 --epochs 40 --val-split 0 --out "$OUT/b.safetensors" --quiet; done
  t1=$(date +%s.%N)
  record bench finetune-seconds "$(python3 -c "print($t1 - $t0)")"
fi

if want freeze; then
  say "freeze: fixed depths vs --freeze auto, LeNet digits 0-4 -> 5-9 (the demo's budget)"
  for depth in ${FREEZE_GRID:-none 0 0..1 0..2 0..3 auto}; do
    finetune_seeds freeze-lenet "$depth" "$SEEDS" Models/lenet-digits0-4.safetensors "" $IMAGE_TARGET --freeze "$depth" --lr 0.003 --epochs 60
  done
  $TL finetune --from Models/lenet-digits0-4.safetensors $IMAGE_TARGET --freeze auto --lr 0.003 --epochs 60 --val-split 0 --dry-run | grep -A7 "freeze auto"
fi

if want lr; then
  say "lr: fixed grid vs --lr auto, the demo's fine-tuning (LeNet, --freeze 0..1, 60 epochs)"
  for lr in ${LR_GRID:-0.0003 0.001 0.003 0.01 0.03 auto}; do
    finetune_seeds lr-lenet "$lr" "$SEEDS" Models/lenet-digits0-4.safetensors "" $IMAGE_TARGET --freeze 0..1 --lr "$lr" --epochs 60
  done
  $TL finetune --from Models/lenet-digits0-4.safetensors $IMAGE_TARGET --freeze 0..1 --epochs 60 --val-split 0 --lr find
fi

if want text && [[ -f data/rotten_tomatoes.csv && -d data/all-MiniLM-L6-v2 ]]; then
  say "text: Rotten Tomatoes split into source (2,000), target pool (1,866) and test (1,000) reviews"
  python3 - "$OUT" <<'PY'
import csv, random, sys
rows = list(csv.reader(open("data/rotten_tomatoes.csv", newline="")))
header, body = rows[0], rows[1:]
random.Random(15).shuffle(body)
for name, part in [("rt-source", body[:2000]), ("rt-pool", body[2000:3866]), ("rt-test", body[3866:])]:
    with open(f"{sys.argv[1]}/{name}.csv", "w", newline="") as f:
        w = csv.writer(f); w.writerow(header); w.writerows(part)
PY
  [[ -f $OUT/minilm.safetensors ]] || $TL import data/all-MiniLM-L6-v2 --tokens 64 --out "$OUT/minilm.safetensors" --quiet
  [[ -f $OUT/transformer-rt.safetensors ]] || $TL pretrain --model Models/transformer.json --data "text:$OUT/rt-source.csv" --epochs 10 --lr 0.001 --out "$OUT/transformer-rt.safetensors" --quiet
  [[ -f $OUT/transformer-untrained.safetensors ]] || $TL pretrain --model Models/transformer.json --data "text:$OUT/rt-source.csv" --epochs 1 --lr 1e-30 --val-split 0 --out "$OUT/transformer-untrained.safetensors" --quiet
  TEXT_TARGET="--data text:$OUT/rt-pool.csv --per-class ${TEXT_PER_CLASS:-50}"
  TEXT_CANDIDATES=(minilm transformer-rt transformer-untrained)
  $TL rank $TEXT_TARGET --seed 0 $(for c in "${TEXT_CANDIDATES[@]}"; do echo "$OUT/$c.safetensors"; done) --json --quiet > "$OUT/rank-text.json"
  $TL rank $TEXT_TARGET --seed 0 $(for c in "${TEXT_CANDIDATES[@]}"; do echo "$OUT/$c.safetensors"; done) --quiet
  [[ " ${TEXT_EXTRA:-rank freeze lr} " == *" rank "* ]] && for c in "${TEXT_CANDIDATES[@]}"; do
    finetune_seeds text "$c" "$TEXT_SEEDS" "$OUT/$c.safetensors" "text:$OUT/rt-test.csv" $TEXT_TARGET --freeze all-but-head --lr 0.003 --epochs 30
  done
  if [[ " ${TEXT_EXTRA:-rank freeze lr} " == *" freeze "* ]]; then
    for depth in ${TEXT_FREEZE_GRID:-0..6 0..5 0..4 auto}; do
      finetune_seeds freeze-minilm "$depth" "$TEXT_SEEDS" "$OUT/minilm.safetensors" "text:$OUT/rt-test.csv" $TEXT_TARGET --freeze "$depth" --lr 0.0003 --epochs 10
    done
  fi
  if [[ " ${TEXT_EXTRA:-rank freeze lr} " == *" lr "* ]]; then
    for lr in ${TEXT_LR_GRID:-0.001 0.003 0.01 0.03 auto}; do
      finetune_seeds lr-minilm "$lr" "$TEXT_SEEDS" "$OUT/minilm.safetensors" "text:$OUT/rt-test.csv" $TEXT_TARGET --freeze all-but-head --lr "$lr" --epochs 30
    done
  fi
fi

say "summary"
python3 Scripts/rank_summary.py "$OUT"
