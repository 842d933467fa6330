#!/usr/bin/env bash
# EfficientNet-Lite0 inference speed, tl against PyTorch in the same run (a benchmark, not a test).
#
#   tl:      tl-bench --efficientnet  (224×224, batch 32, eval, no gradients; depthwise kernel GB/s
#            on the network's stage-1/2/3 shapes; peak resident memory after the network)
#   PyTorch: Scripts/efficientnet-reference.py --bench (the same network from the same state dict,
#            channels-last, torch.no_grad, best of N)
# Prints the load average first: the machine is shared, and figures under load are not comparable
# to a quiet machine's. Needs a release build and, for PyTorch, `pip install torch` and the model
# (Scripts/fetch-data.sh efficientnet-lite0).
# Usage: Scripts/bench-efficientnet.sh [threads=2] [repeats=5]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${1:-2}"
REPS="${2:-5}"
cd "$ROOT"
[[ -x .build/release/tl-bench ]] || swift build -c release --product tl-bench
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
.build/release/tl-bench --efficientnet --threads "$THREADS" --reps "$REPS"
if python3 -c "import torch" 2>/dev/null; then
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 Scripts/efficientnet-reference.py --bench --threads "$THREADS" --batch 32 --repeats "$REPS"
else
  echo "PyTorch not installed: skipped the PyTorch side (pip install torch)"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
