#!/usr/bin/env bash
# Compares tl's sgemm with numpy (OpenBLAS) on the tl-bench GEMM shapes.
#
#   Scripts/bench-gemm.sh [ROUNDS] [THREADS]      (defaults: 5 rounds, 2 threads)
#
# Builds tl-bench in release, then runs ROUNDS rounds; each round runs every GEMM shape in
# tl-bench and then in numpy (alternating, so both see the same machine load). Each side
# reports a median of 3 samples (each ≥ 20 ms) per shape per round; the line per shape
# prints the median over rounds, in GFLOPS:
#   numpy … OpenBLAS core: …   then   SHAPE tl=… numpy=… ratio=…   and finally   min ratio R
# With CPU_TIME=1 (and THREADS=1) both sides time with the calling thread's CPU clock
# (tl-bench --cpu-time, Python time.thread_time): immune to time-slicing on a busy machine.
#
# The numpy command runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (some machines set
# them globally, which holds OpenBLAS to its AVX2 kernel and flatters any ratio against it);
# the OpenBLAS core that actually ran (e.g. SkylakeX = AVX-512) is printed first.
# TL_BENCH=path/to/tl-bench uses that binary instead of building one (e.g. a binary built
# with -enable-testing, so the script does not rebuild every module without it).
# TL_BASE=path/to/older/tl-bench adds a before/after comparison in the same run: each round
# also runs that binary (between tl and numpy), and every line gains base=… and its ratio to
# numpy (shapes the older binary lacks print base=-).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-5}"
THREADS="${2:-2}"
case "$ROUNDS$THREADS" in *[!0-9]*|"") echo "bench-gemm.sh: ROUNDS and THREADS must be positive integers" >&2; exit 2;; esac
CPU_TIME="${CPU_TIME:-0}"
TL_CLOCK=()
if [ "$CPU_TIME" = 1 ]; then
    [ "$THREADS" = 1 ] || { echo "bench-gemm.sh: CPU_TIME=1 needs THREADS=1" >&2; exit 2; }
    TL_CLOCK=(--cpu-time)
fi

if [ -n "${TL_BENCH:-}" ]; then
    BIN="$TL_BENCH"
    [ -x "$BIN" ] || { echo "bench-gemm.sh: TL_BENCH: '$BIN' is not an executable" >&2; exit 2; }
else
    # The test command's flags, so this build and the tests' share .build/release.
    swift build -c release -Xswiftc -enable-testing --product tl-bench >&2
    BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/tl-bench"
fi
if [ -n "${TL_BASE:-}" ]; then
    [ -x "$TL_BASE" ] || { echo "bench-gemm.sh: TL_BASE: '$TL_BASE' is not an executable" >&2; exit 2; }
fi
SHAPES="$("$BIN" --gemm-only --list | paste -sd, -)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

NUMPY_BENCH='
import os, sys, time, json
import numpy as np
clock = time.thread_time if os.environ.get("CPU_TIME") == "1" else time.perf_counter
def median(x):
    x = sorted(x); return x[len(x) // 2]
def measure(f):
    f()
    inner = 1
    while True:
        t0 = clock()
        for _ in range(inner): f()
        dt = clock() - t0
        if dt >= 0.02 or inner >= 1 << 20: break
        inner = max(inner * 2, int(inner * 0.025 / max(dt, 1e-9)))
    s = []
    for _ in range(3):
        t0 = clock()
        for _ in range(inner): f()
        s.append((clock() - t0) / inner)
    return median(s)
def openblas_core():
    # The runtime core of a DYNAMIC_ARCH OpenBLAS (numpy wheels: scipy_openblas*_get_corename*).
    import ctypes, glob
    libdir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    for lib in glob.glob(os.path.join(libdir, "*openblas*.so*")):
        l = ctypes.CDLL(lib)
        for sym in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_",
                    "openblas_get_corename"):
            f = getattr(l, sym, None)
            if f is not None:
                f.restype = ctypes.c_char_p
                return f().decode()
    return "unknown (no openblas_get_corename in numpy.libs)"
if os.environ.get("REPORT_CORE"):
    with open(os.environ["REPORT_CORE"], "w") as f: print("numpy " + np.__version__ + " OpenBLAS core: " + openblas_core()
          + " (OPENBLAS_CORETYPE=" + os.environ.get("OPENBLAS_CORETYPE", "unset")
          + ", OPENBLAS_L2_SIZE=" + os.environ.get("OPENBLAS_L2_SIZE", "unset") + ")", file=f)
rng = np.random.default_rng(0)
def mat(r, c): return rng.uniform(-1, 1, (r, c)).astype(np.float32)
out = {}
for name in sys.argv[1].split(","):
    parts = name.split("-")            # gemm-S or gemm-MxKxN-V
    if len(parts) == 2:
        m = k = n = int(parts[1]); v = "AB"
    else:
        m, k, n = map(int, parts[1].split("x")); v = parts[2]
    a, b, dc = mat(m, k), mat(k, n), mat(m, n)
    if v == "AB":
        c = np.empty((m, n), np.float32); f = lambda: np.matmul(a, b, out=c)
    elif v == "ABt":
        c = np.empty((m, k), np.float32); f = lambda: np.matmul(dc, b.T, out=c)
    else:
        c = np.empty((k, n), np.float32); f = lambda: np.matmul(a.T, dc, out=c)
    out[name] = 2.0 * m * k * n / measure(f) / 1e9
print(json.dumps(out))
'

echo "# before: $(uptime); tl backend threads=$THREADS" >&2
for r in $(seq 1 "$ROUNDS"); do
    "$BIN" --gemm-only --json --reps 3 --threads "$THREADS" ${TL_CLOCK[@]+"${TL_CLOCK[@]}"} > "$TMP/tl.$r.json"
    if [ -n "${TL_BASE:-}" ]; then
        "$TL_BASE" --gemm-only --json --reps 3 --threads "$THREADS" ${TL_CLOCK[@]+"${TL_CLOCK[@]}"} > "$TMP/base.$r.json"
    fi
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE REPORT_CORE="$([ "$r" = 1 ] && echo "$TMP/core")" \
        CPU_TIME="$CPU_TIME" OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" \
        python3 -c "$NUMPY_BENCH" "$SHAPES" > "$TMP/np.$r.json"
    echo "round $r/$ROUNDS done" >&2
done
echo "# after:  $(uptime)" >&2

python3 -c '
import json, sys, glob
tmp, shapes = sys.argv[1], sys.argv[2].split(",")
def median(x):
    x = sorted(x); n = len(x)
    return x[n // 2] if n % 2 else 0.5 * (x[n // 2 - 1] + x[n // 2])
tl, np_, base = {}, {}, {}
for f in sorted(glob.glob(tmp + "/tl.*.json")):
    for r in json.load(open(f))["results"]: tl.setdefault(r["name"], []).append(r["rate"])
for f in sorted(glob.glob(tmp + "/base.*.json")):
    for r in json.load(open(f))["results"]: base.setdefault(r["name"], []).append(r["rate"])
for f in sorted(glob.glob(tmp + "/np.*.json")):
    for k, v in json.load(open(f)).items(): np_.setdefault(k, []).append(v)
print(open(tmp + "/core").read().strip())
worst = None
for s in shapes:
    t, n = median(tl[s]), median(np_[s])
    ratio = t / n
    worst = ratio if worst is None else min(worst, ratio)
    extra = ""
    if glob.glob(tmp + "/base.*.json"):
        extra = f" base={median(base[s]):.1f} base_ratio={median(base[s]) / n:.2f}" if s in base else " base=-"
    print(f"{s} tl={t:.1f} numpy={n:.1f} ratio={ratio:.2f}{extra}")
    # Supplementary (stderr): best round of each side, less sensitive to other load.
    print(f"# {s} best: tl={max(tl[s]):.1f} numpy={max(np_[s]):.1f} ratio={max(tl[s]) / max(np_[s]):.2f}", file=sys.stderr)
print(f"min ratio {worst:.2f}")
' "$TMP" "$SHAPES"
