#!/usr/bin/env bash
# Reproduces the transfer-verdict table of the README with the real `tl` binary.
# Usage: Scripts/transfer-experiments.sh [SEEDS]   (Fashion-MNIST rows need Scripts/fetch-data.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-5}
swift build -c release --product tl >/dev/null
TL=.build/release/tl
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
verdict() { $TL eval --model "$1" --baseline scratch --seeds "$2" 2>/dev/null | grep -E '^mean|gain ' | tr '\n' ' '; echo; }
FT="--data mnist5k --classes 5-9 --per-class 10 --val-split 0 --quiet"

echo "== LeNet, mnist5k digits 0-4 -> 5-9, 10 per class"
$TL pretrain --model Models/lenet.json --data mnist5k --classes 0-4 --epochs 20 --augment --out "$W/src.safetensors" --quiet
$TL finetune --from "$W/src.safetensors" $FT --freeze 0..1 --lr 0.003 --epochs 60 --out "$W/t.safetensors"
echo "freeze 0..1: $(verdict "$W/t.safetensors" "$SEEDS")"

echo "== control: the same source trained on shuffled labels"
$TL pretrain --model Models/lenet.json --data mnist5k --classes 0-4 --epochs 20 --augment --shuffle-labels --out "$W/shuf.safetensors" --quiet
$TL finetune --from "$W/shuf.safetensors" $FT --freeze 0..1 --lr 0.003 --epochs 60 --out "$W/ts.safetensors"
echo "shuffled source, freeze 0..1: $(verdict "$W/ts.safetensors" "$SEEDS")"

echo "== ResNet (BatchNorm), mnist5k digits 0-4 -> 5-9, 10 per class"
$TL pretrain --model Models/resnet.json --data mnist5k --classes 0-4 --epochs 6 --out "$W/rsrc.safetensors" --quiet
$TL finetune --from "$W/rsrc.safetensors" $FT --freeze 0..2 --lr 0.003 --epochs 40 --out "$W/rt.safetensors"
echo "resnet freeze 0..2: $(verdict "$W/rt.safetensors" 3)"

if [[ -d data/fashion-mnist ]]; then
  echo "== LeNet, Fashion-MNIST -> mnist5k digits 0-9, 10 per class"
  $TL pretrain --model Models/lenet.json --data idx:data/fashion-mnist --epochs 5 --out "$W/fashion.safetensors" --quiet
  $TL eval --model "$W/fashion.safetensors" --test-data idx:data/fashion-mnist@test 2>/dev/null | sed -n 1,5p
  $TL finetune --from "$W/fashion.safetensors" --data mnist5k --per-class 10 --val-split 0 --quiet --freeze 0..1 --lr 0.003 --epochs 60 --out "$W/f.safetensors"
  echo "fashion freeze 0..1: $(verdict "$W/f.safetensors" "$SEEDS")"
  set +e
  $TL eval --model "$W/f.safetensors" --baseline scratch --seeds 3 --fail-on-negative >/dev/null 2>&1
  echo "tl eval --fail-on-negative exit status: $?"
  set -e
fi
