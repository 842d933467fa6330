#!/usr/bin/env bash
# tl against PyTorch, side by side in one window (issue 14). A benchmark, not a test.
#
# Training steps (samples/s): each workload's tl side (`tl-bench --train W`, Sources/TLBench/
# TrainBenches.swift) and its PyTorch twin (Scripts/torch_twins.py W) run ALTERNATELY, R rounds
# (the side that goes first alternates by round), same batch, Adam, same thread count. Both sides
# time steady-state steps (after >= 3 warm-up steps and 0.3 s) on 16 random in-memory batches:
# forward, cross-entropy, zero-grad, backward, Adam step. Neither side loads or shuffles data.
#   mlp, lenet, resnet       Models/{mlp,lenet,resnet}.json, batch 64, 28x28x1
#   transformer              Models/transformer-d128.json (2 post-LN layers, d 128, 4 heads,
#                            FFN 512, GELU), 64 tokens, batch 32 (PyTorch: nn.TransformerEncoderLayer)
#   lenet-head               LeNet with blocks 0-3 frozen, the frozen prefix run every step
#   lenet-head-cache         the same, head trained on precomputed fc2 features (the feature cache)
#   minilm-top2              MiniLM-L6 layers 4-5 + mean pool + head on cached layer-3 outputs,
#                            batch 32 x 64 tokens (PyTorch: Hugging Face transformers' BertLayer)
# The ratio column is tl/PyTorch per round (median, min-max over rounds); peak RSS is each
# process's maximum resident set (the PyTorch figure includes the Python interpreter and torch).
# A second view with 1 thread compares process CPU time per step (torch/tl; immune to other load).
# Then: MiniLM sentence embeddings of 1,024 sentences (data/rotten_tomatoes.csv), the whole
# `tl embed` process against transformers (whole process, and encoding alone), and
# Scripts/bench-efficientnet.sh if present.
#
# Usage: Scripts/bench-vs-torch.sh [--rounds R] [--threads N] [--seconds S] [--only w1,w2]
#                                  [--no-build] [--no-single] [--no-embed] [--no-efficientnet] [--omp-passive]
# --omp-passive runs PyTorch with OMP_WAIT_POLICY=PASSIVE. On a loaded machine (load average above
# the CPU count) PyTorch's default OpenMP spin-waiting collapses with 2 threads (measured: MLP
# 130 samples/s instead of 4,400), which would flatter tl absurdly; use it there, and say so.
# PyTorch: PYTHON=/path/to/python (default python3) with torch (see README, "Against
# PyTorch") and, for the MiniLM rows, transformers (pip install transformers).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3 THREADS=2 SECONDS_PER_RUN=2 ONLY="" BUILD=1 SINGLE=1 EMBED=1 EFFNET=1 PASSIVE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --seconds) SECONDS_PER_RUN="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --no-single) SINGLE=0 ;;
    --no-embed) EMBED=0 ;;
    --no-efficientnet) EFFNET=0 ;;
    --omp-passive) PASSIVE=1 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "bench-vs-torch.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-vs-torch.sh: --rounds: expected a positive integer, got '$ROUNDS'" >&2; exit 2; }
[[ "$THREADS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-vs-torch.sh: --threads: expected a positive integer, got '$THREADS'" >&2; exit 2; }
PY="${PYTHON:-python3}"
"$PY" -c "import torch" 2>/dev/null || { echo "bench-vs-torch.sh: $PY has no torch (see README: pip install 'torch==2.13.0+cpu')" >&2; exit 2; }
if [[ $BUILD == 1 ]]; then swift build -c release -Xswiftc -enable-testing --product tl-bench >/dev/null; swift build -c release -Xswiftc -enable-testing --product tl >/dev/null; fi
BENCH=.build/release/tl-bench TL=.build/release/tl
WORKLOADS=(mlp lenet resnet transformer lenet-head lenet-head-cache minilm-top2)
if [[ -n "$ONLY" ]]; then IFS=, read -r -a WORKLOADS <<< "$ONLY"; fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
RESULTS="$WORK/results.jsonl"
OMP_ENV=(); [[ $PASSIVE == 1 ]] && OMP_ENV=(OMP_WAIT_POLICY=PASSIVE)
: > "$RESULTS"

# One run of one side; its JSON line is tagged with the round and the view (threads).
run_side() {  # side workload round threads
  local line
  if [[ $1 == tl ]]; then
    line=$("$BENCH" --train "$2" --threads "$4" --seconds "$SECONDS_PER_RUN" --json)
  else
    line=$(env ${OMP_ENV[@]+"${OMP_ENV[@]}"} "$PY" Scripts/torch_twins.py "$2" --threads "$4" --seconds "$SECONDS_PER_RUN" 2>/dev/null)
  fi
  echo "$line" | "$PY" -c 'import json,sys; d=json.loads(sys.stdin.read()); d["round"]=int(sys.argv[1]); d["view"]=int(sys.argv[2]); print(json.dumps(d))' "$3" "$4" >> "$RESULTS"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs; torch $("$PY" -c 'import torch; print(torch.__version__)')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); PyTorch OpenMP wait policy: ${OMP_ENV[*]:-default (active)}"
views=("$THREADS"); [[ $SINGLE == 1 && $THREADS != 1 ]] && views+=(1)
for view in "${views[@]}"; do
  for ((r = 1; r <= ROUNDS; r++)); do
    for w in "${WORKLOADS[@]}"; do
      if (( r % 2 )); then run_side tl "$w" "$r" "$view"; run_side torch "$w" "$r" "$view"
      else run_side torch "$w" "$r" "$view"; run_side tl "$w" "$r" "$view"; fi
    done
    echo "  round $r/$ROUNDS ($view thread(s)) done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$RESULTS" "$THREADS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
threads = int(sys.argv[2])
def med(v): return f"{statistics.median(v):,.0f} ({min(v):,.0f}-{max(v):,.0f})"
def ratio(v): return f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"
names = list(dict.fromkeys(r["workload"] for r in rows))
print(f"\n== training steps, {threads} thread(s): samples/s median (min-max) of {max(r['round'] for r in rows)} rounds")
print("| workload | tl samples/s | PyTorch samples/s | tl/PyTorch | peak RSS tl / PyTorch (MB) |")
print("|---|---|---|---|---|")
for n in names:
    tl = {r["round"]: r for r in rows if r["workload"] == n and r["side"] == "tl" and r["view"] == threads}
    pt = {r["round"]: r for r in rows if r["workload"] == n and r["side"] == "torch" and r["view"] == threads}
    rounds = sorted(set(tl) & set(pt))
    if not rounds: continue
    print(f"| {n} | {med([tl[k]['samples_per_second'] for k in rounds])} | {med([pt[k]['samples_per_second'] for k in rounds])} | "
          f"{ratio([tl[k]['samples_per_second'] / pt[k]['samples_per_second'] for k in rounds])} | "
          f"{max(tl[k]['peak_rss_mb'] for k in rounds):.0f} / {max(pt[k]['peak_rss_mb'] for k in rounds):.0f} |")
single = [r for r in rows if r["view"] == 1]
if single and threads != 1:
    print("\n== 1 thread: process CPU ms per step, median (min-max); ratio = PyTorch CPU / tl CPU (> 1: tl ahead)")
    print("| workload | tl ms/step | PyTorch ms/step | PyTorch/tl CPU |")
    print("|---|---|---|---|")
    for n in names:
        tl = {r["round"]: r for r in single if r["workload"] == n and r["side"] == "tl"}
        pt = {r["round"]: r for r in single if r["workload"] == n and r["side"] == "torch"}
        rounds = sorted(set(tl) & set(pt))
        if not rounds: continue
        ms = lambda d: [d[k]["cpu_seconds_per_step"] * 1e3 for k in rounds]
        f2 = lambda v: f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"
        print(f"| {n} | {f2(ms(tl))} | {f2(ms(pt))} | {ratio([pt[k]['cpu_seconds_per_step'] / tl[k]['cpu_seconds_per_step'] for k in rounds])} |")
PY

if [[ $EMBED == 1 && -d data/all-MiniLM-L6-v2 && -f data/rotten_tomatoes.csv ]] && "$PY" -c "import transformers" 2>/dev/null; then
  echo
  echo "== MiniLM sentence embeddings, 1,024 sentences of data/rotten_tomatoes.csv, 64 tokens, batch 32, $THREADS thread(s)"
  "$PY" - data/rotten_tomatoes.csv "$WORK/sentences.txt" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for r in rows[:1024]: f.write(" ".join(r["text"].split()) + "\n")
PY
  "$TL" import data/all-MiniLM-L6-v2 --tokens 64 --out "$WORK/minilm.safetensors" --quiet
  for ((r = 1; r <= ROUNDS; r++)); do
    /usr/bin/time -f "%e %M" -o "$WORK/tl.time" "$TL" embed --model "$WORK/minilm.safetensors" --file "$WORK/sentences.txt" \
        --batch-size 32 --threads "$THREADS" --out "$WORK/emb.csv" --quiet
    /usr/bin/time -f "%e %M" -o "$WORK/pt.time" env ${OMP_ENV[@]+"${OMP_ENV[@]}"} "$PY" Scripts/torch_twins.py minilm-embed --sentences "$WORK/sentences.txt" \
        --threads "$THREADS" > "$WORK/pt.json" 2>/dev/null
    read -r tls tlk < "$WORK/tl.time"; read -r pts ptk < "$WORK/pt.time"
    enc=$("$PY" -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["encode_seconds"])' "$WORK/pt.json")
    echo "round $r: tl embed whole process ${tls} s (peak RSS $((tlk / 1024)) MB) | transformers whole process ${pts} s, encoding alone ${enc} s (peak RSS $((ptk / 1024)) MB) | encoding alone / tl whole: $("$PY" -c "print(f'{$enc/$tls:.2f}')")"
  done
fi

if [[ $EFFNET == 1 && -x Scripts/bench-efficientnet.sh ]]; then
  echo
  echo "== EfficientNet-Lite0 (Scripts/bench-efficientnet.sh $THREADS)"
  Scripts/bench-efficientnet.sh "$THREADS"
fi
