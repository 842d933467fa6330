#!/usr/bin/env bash
# JPEG decode + antialiased resize to 224x224 RGB on one thread: tl's pure-Swift decoder
# against PIL (libjpeg-turbo with SIMD) in the same run, on the JPEGs of the scikit-image wheel
# (Scripts/fetch-data.sh skimage), plus tl's per-image agreement with PIL's full decode.
# Not a timed test; the machine's load is printed with the figures.
#   Scripts/bench-jpeg.sh [DIR]     (default data/skimage)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/data/skimage}"
cd "$ROOT"
# Reuse a release build (the tests' build has it); build only when missing.
[[ -x .build/release/tl-bench ]] || swift build -c release --product tl-bench >/dev/null
echo "load: $(uptime)"
PIL_JSON="$(python3 Scripts/jpeg-reference.py bench "$DIR")"
echo "PIL: $PIL_JSON"
TL_OUT="$(TL_NUM_THREADS=1 .build/release/tl-bench --jpeg "$DIR" --reps 5)"
echo "$TL_OUT"
python3 - "$PIL_JSON" "$TL_OUT" <<'PY'
import json, re, sys
pil = json.loads(sys.argv[1])["images_per_s"]
tl = float(re.search(r"tl: ([0-9.]+) images/s", sys.argv[2]).group(1))
print(f"ratio tl/PIL: {tl / pil:.2f}x  ({tl:.1f} vs {pil:.1f} images/s)")
PY
echo "load: $(uptime)"
