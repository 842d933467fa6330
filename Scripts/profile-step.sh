#!/usr/bin/env bash
# Where a training step's time goes, per net (issue 14): samples `tl-bench --train W` with perf
# (cpu-clock, call stacks) and prints CPU milliseconds per step by category (GEMM micro-kernels,
# packing, epilogues, convolution, attention, normalisation, optimizer, dropout RNG, malloc and
# copies, thread pool, runtime/autodiff, kernel), the top functions by self time, and with 2+
# threads the main thread's serial time per step and its largest functions. Only the timed steps count: samples are kept
# between the bench's start and end times (perf records CLOCK_MONOTONIC), so model building, the
# cached-prefix passes of lenet-head / minilm-top2 and the warm-up steps are left out. A profile, not a benchmark:
# sampling costs a few percent, and figures vary with the machine's load like any timing.
#
# Usage: Scripts/profile-step.sh [--threads N] [--seconds S] [--frequency HZ] [--top K] [workload ...]
#   workloads: those of `tl-bench --train` (default: mlp lenet resnet transformer lenet-head minilm-top2)
# Needs perf (Debian: apt-get install linux-perf) with permission to sample this user's processes
# (kernel.perf_event_paranoid ≤ 2), and python3. TL_BENCH=path uses that tl-bench instead of
# building one.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=1 SECONDS_PER_RUN=4 FREQUENCY=2000 TOP=12 WORKLOADS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) THREADS="$2"; shift ;;
    --seconds) SECONDS_PER_RUN="$2"; shift ;;
    --frequency) FREQUENCY="$2"; shift ;;
    --top) TOP="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "profile-step.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) WORKLOADS+=("$1") ;;
  esac
  shift
done
for pair in "threads:$THREADS" "frequency:$FREQUENCY" "top:$TOP"; do
  [[ "${pair#*:}" =~ ^[1-9][0-9]*$ ]] || { echo "profile-step.sh: --${pair%%:*}: expected a positive integer, got '${pair#*:}'" >&2; exit 2; }
done
[[ "$SECONDS_PER_RUN" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "profile-step.sh: --seconds: expected a number, got '$SECONDS_PER_RUN'" >&2; exit 2; }
[[ ${#WORKLOADS[@]} -gt 0 ]] || WORKLOADS=(mlp lenet resnet transformer lenet-head minilm-top2)
command -v perf >/dev/null || { echo "profile-step.sh: perf not found (Debian: apt-get install linux-perf)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "profile-step.sh: python3 not found" >&2; exit 2; }
if [[ -n "${TL_BENCH:-}" ]]; then
  BENCH="$TL_BENCH"
  [[ -x "$BENCH" ]] || { echo "profile-step.sh: TL_BENCH: '$BENCH' is not an executable" >&2; exit 2; }
else
  # The test command's flags, so this build and the tests' share .build/release.
  swift build -c release -Xswiftc -enable-testing --product tl-bench >&2
  BENCH="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/tl-bench"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for w in "${WORKLOADS[@]}"; do
  if ! perf record -q -e cpu-clock -F "$FREQUENCY" -g -k CLOCK_MONOTONIC -o "$WORK/perf.data" \
       "$BENCH" --train "$w" --threads "$THREADS" --seconds "$SECONDS_PER_RUN" --json > "$WORK/bench.json" 2> "$WORK/bench.err"; then
    echo "profile-step.sh: $w: tl-bench or perf failed:" >&2; cat "$WORK/bench.err" >&2; exit 1
  fi
  perf script -i "$WORK/perf.data" -F tid,time,ip,sym > "$WORK/perf.txt" 2>/dev/null
  python3 Scripts/profile_summary.py "$WORK/perf.txt" "$WORK/bench.json" "$FREQUENCY" "$TOP"
  echo
done
