#!/usr/bin/env bash
# EfficientNet-Lite0 inference and fine-tuning-step speed, tl against PyTorch in the same run,
# alternating (a benchmark, not a test).
#
#   tl:      tl-bench --efficientnet  (224×224, batch 32: inference, eval, no gradients; a
#            fine-tuning step with the last stage + head trainable ("step 7..") and with stages
#            2-7 trainable ("step 2..", as --freeze 0..1), Adam; STREAM copy/triad and the depthwise
#            kernels' GB/s as a fraction of them; peak resident memory)
#   PyTorch: Scripts/efficientnet-reference.py --bench / --step FIRST (the same network from the
#            same state dict, channels-last; inference under torch.no_grad; the step with the
#            frozen blocks under no_grad in eval mode, the rest in training mode, Adam; best of N)
# Prints the load average first: the machine is shared, and figures under load are not comparable
# to a quiet machine's. Needs a release build and, for PyTorch, `pip install torch` and the model
# (Scripts/fetch-data.sh efficientnet-lite0).
# Usage: Scripts/bench-efficientnet.sh [threads=2] [repeats=5] [rounds=2]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${1:-2}"
REPS="${2:-5}"
ROUNDS="${3:-2}"
cd "$ROOT"
[[ -x .build/release/tl-bench ]] || swift build -c release --product tl-bench
HAVE_TORCH=0
python3 -c "import torch" 2>/dev/null && HAVE_TORCH=1
[[ $HAVE_TORCH == 1 ]] || echo "PyTorch not installed: skipped the PyTorch side (pip install torch)"
NET="efficientnet-lite0 224 b32"
for round in $(seq "$ROUNDS"); do
  echo "== round $round, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  .build/release/tl-bench --efficientnet --threads "$THREADS" --reps "$REPS" --shapes "$NET inference,$NET step 7..,$NET step 2.."
  if [[ $HAVE_TORCH == 1 ]]; then
    python3 Scripts/efficientnet-reference.py --bench --threads "$THREADS" --batch 32 --repeats "$REPS"
    python3 Scripts/efficientnet-reference.py --step 7 --threads "$THREADS" --batch 32 --repeats "$REPS"
    python3 Scripts/efficientnet-reference.py --step 2 --threads "$THREADS" --batch 32 --repeats "$REPS"
  fi
done
echo "== kernels, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
SHAPES="stream copy 2×128 MB,stream triad 3×128 MB"
for pass in fwd dx dw; do SHAPES="$SHAPES,depthwise stage1 112² C32 k3 s1 $pass,depthwise stage2 112² C96 k3 s2 $pass"; done
.build/release/tl-bench --efficientnet --threads "$THREADS" --reps "$REPS" --shapes "$SHAPES"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
