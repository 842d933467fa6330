#!/usr/bin/env bash
# Issue 17 (items 1–2) experiments: does AdaBN / CORAL repair a constructed domain shift, and do
# class weights help an imbalanced few-shot target? Run under `nice -n 10` on a shared machine.
#
#   Scripts/domain-adaptation-experiments.sh [SECTION...]   sections: shift weights (default: both)
#   SEEDS=5, EPOCHS=15 (fine-tuning), METHODS="plain adabn coral" (add adabn+coral), OUT=/tmp/tl-da (kept between runs), SOURCE=path (a pretrained
#   Models/resnet.json on mnist5k; default: trained here, all ten digits, 6 epochs, --augment),
#   UNLABELED=source (default mnist5k,invert=yes; e.g. an npz of 1,000 inverted images to save time)
#
# shift:   source = Models/resnet.json pretrained on mnist5k, all digits 0–9. Target = the same
#          digits inverted (mnist5k,invert=yes: v → 1 − v, i.e. 255 − x), 10 labelled images per
#          class (seed s draws them), the unlabeled data = all 5,000 inverted images (labels
#          ignored). Test = the 4,900 inverted images not drawn (tl eval's held-out set).
#          Methods: plain fine-tuning, --adapt-bn, --coral 1 (at the pool block), optionally both.
# weights: source = Models/lenet-digits0-4.safetensors; target = digits 5–9 with 50,50,5,5,5
#          labelled images (imbalanced), test = every other image of 5–9; plain vs --class-weights balanced.
# Per seed, methods share the labelled draw, head initialisation and order (paired); gains are
# means of the per-seed differences with a Student-t 95% interval (the formula of TransferGain,
# tl eval's paired interval). Results: $OUT/results.tsv, tables printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-5}
EPOCHS=${EPOCHS:-15}
OUT=${OUT:-/tmp/tl-da}
TL=${TL:-.build/release/tl}
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
SECTIONS=${*:-shift weights}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
metrics() { $TL eval --model "$1" --json --quiet | python3 -c "import json,sys; m=json.load(sys.stdin)['metrics']; print(m['accuracy'], m['macro_f1'])"; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$RESULTS"; }   # section, method, seed, accuracy, macro-F1

if want shift; then
  SOURCE=${SOURCE:-$OUT/resnet-mnist5k.safetensors}
  if [[ ! -f $SOURCE ]]; then
    say "pretraining Models/resnet.json on mnist5k (all digits)"
    $TL pretrain --model Models/resnet.json --data mnist5k --epochs 6 --augment --out "$SOURCE" --quiet
  fi
  say "source model on the inverted test images, no fine-tuning: $($TL eval --model "$SOURCE" --test-data mnist5k,invert=yes --json --quiet | python3 -c 'import json,sys; print(json.load(sys.stdin)["metrics"]["accuracy"])')"
  TARGET=(--data mnist5k,invert=yes --per-class 10 --val-split 0 --epochs "$EPOCHS" --lr 0.003)
  UNL=(--unlabeled "${UNLABELED:-mnist5k,invert=yes}")
  for s in $(seq 0 $((SEEDS - 1))); do
    for method in ${METHODS:-plain adabn coral}; do
      case $method in
        plain) extra=() ;;
        adabn) extra=("${UNL[@]}" --adapt-bn) ;;
        coral) extra=("${UNL[@]}" --coral 1) ;;
        adabn+coral) extra=("${UNL[@]}" --adapt-bn --coral 1) ;;
      esac
      f="$OUT/shift-$method-$s.safetensors"
      $TL finetune --from "$SOURCE" "${TARGET[@]}" "${extra[@]}" --seed "$s" --out "$f" --quiet
      read -r acc f1 < <(metrics "$f"); record shift "$method" "$s" "$acc" "$f1"
      say "shift $method seed $s done"
    done
  done
fi

if want weights; then
  WT=(--data mnist5k --classes 5-9 --per-class 50,50,5,5,5 --val-split 0 --freeze 0..1 --epochs "$EPOCHS" --lr 0.003)
  for s in $(seq 0 $((SEEDS - 1))); do
    for method in unweighted balanced; do
      extra=(); [[ $method == balanced ]] && extra=(--class-weights balanced)
      f="$OUT/weights-$method-$s.safetensors"
      $TL finetune --from Models/lenet-digits0-4.safetensors "${WT[@]}" "${extra[@]}" --seed "$s" --out "$f" --quiet
      read -r acc f1 < <(metrics "$f"); record weights "$method" "$s" "$acc" "$f1"
      say "weights $method seed $s done"
    done
  done
fi

python3 - "$RESULTS" <<'PY'
import sys, collections, statistics, math
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]
rows = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    section, method, seed, acc, f1 = line.rstrip("\n").split("\t")
    rows[(section, method)][int(seed)] = (float(acc), float(f1))
def interval(diffs):
    m = statistics.mean(diffs)
    if len(diffs) < 2: return m, float("nan"), float("nan")
    h = T975[len(diffs) - 2] * statistics.stdev(diffs) / math.sqrt(len(diffs))
    return m, m - h, m + h
for section, base in (("shift", "plain"), ("weights", "unweighted")):
    methods = [m for (s, m) in rows if s == section]
    if not methods: continue
    seeds = sorted(set.intersection(*(set(rows[(section, m)]) for m in methods)))
    print(f"\n### {section} ({len(seeds)} paired seeds)\n")
    print("| method | accuracy (mean) | macro-F1 (mean) | accuracy gain vs %s [95%% CI] | macro-F1 gain [95%% CI] |" % base)
    print("|---|---|---|---|---|")
    for m in methods:
        acc = [rows[(section, m)][s][0] for s in seeds]; f1 = [rows[(section, m)][s][1] for s in seeds]
        if m == base:
            print(f"| {m} | {100*statistics.mean(acc):.1f}% | {statistics.mean(f1):.3f} | — | — |"); continue
        ga = interval([100*(rows[(section, m)][s][0] - rows[(section, base)][s][0]) for s in seeds])
        gf = interval([rows[(section, m)][s][1] - rows[(section, base)][s][1] for s in seeds])
        print(f"| {m} | {100*statistics.mean(acc):.1f}% | {statistics.mean(f1):.3f} | {ga[0]:+.1f} pts [{ga[1]:+.1f}, {ga[2]:+.1f}] | {gf[0]:+.3f} [{gf[1]:+.3f}, {gf[2]:+.3f}] |")
    print("\nper seed (accuracy): " + "; ".join(f"{m}: " + ", ".join(f"{100*rows[(section, m)][s][0]:.1f}" for s in seeds) for m in methods))
PY
