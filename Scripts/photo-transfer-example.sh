#!/usr/bin/env bash
# The image-transfer example of the README: EfficientNet-Lite0 (ImageNet) fine-tuned on 10
# Fashion-MNIST images per class, against LeNet trained from scratch on the same images,
# scored on the other 1,900 images of a 2,000-image Fashion-MNIST sample.
#
#   Scripts/photo-transfer-example.sh [SEEDS]      (default 3; needs numpy for the sample)
#
# Fetches what it needs (Scripts/fetch-data.sh fashion-mnist efficientnet-lite0), builds tl,
# writes data/fm2k-{x,y}.npy (200 images per class, seeded) and data/lite0.safetensors.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SEEDS=${1:-3}
Scripts/fetch-data.sh fashion-mnist efficientnet-lite0
swift build -c release --product tl >/dev/null
TL=.build/release/tl
python3 - <<'PY'
import gzip, numpy as np
def idx(p):
    b = gzip.open(p).read(); nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)
x = idx('data/fashion-mnist/train-images-idx3-ubyte.gz'); y = idx('data/fashion-mnist/train-labels-idx1-ubyte.gz')
rng = np.random.default_rng(0)
sel = np.concatenate([rng.choice(np.where(y == c)[0], 200, replace=False) for c in range(10)])
np.save('data/fm2k-x.npy', (x[sel].astype(np.float32) / 255.0).reshape(-1, 28, 28, 1))
np.save('data/fm2k-y.npy', y[sel].astype(np.int64))
PY
[ -f data/lite0.safetensors ] || $TL import data/efficientnet-lite0/efficientnet-lite0-57934424.pth --out data/lite0.safetensors
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
/usr/bin/time -f "fine-tuning (frozen body, cached): %e s, peak %M KB" \
  $TL finetune --from data/lite0.safetensors --data npy:data/fm2k-x.npy,data/fm2k-y.npy --per-class 10 \
      --freeze all-but-head --epochs 30 --lr 0.003 --val-split 0 --out "$W/fm-lite0.safetensors" --quiet
/usr/bin/time -f "eval with baselines: %e s, peak %M KB" \
  $TL eval --model "$W/fm-lite0.safetensors" --baseline scratch --scratch-model Models/lenet.json --seeds "$SEEDS"
