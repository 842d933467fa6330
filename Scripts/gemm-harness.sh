#!/usr/bin/env bash
# Builds and runs the standalone GEMM harness (Scripts/gemm-harness/main.swift) on the AVX-512
# backend's GEMM sources: the driver, packers, config and micro-kernels compiled as one module
# with the backend's flags (-Ounchecked, -target-cpu skylake-avx512). ~10 s to build, so a
# blocking constant (Sources/TLKernelsAVX512/Config.swift) can be tried without a package build.
#
#   Scripts/gemm-harness.sh peak                 single-core FMA peak (register-only FMA loop)
#   Scripts/gemm-harness.sh micro                the micro-kernels alone on L1-resident panels (their ceiling)
#   Scripts/gemm-harness.sh inner                the packed driver's inner loops alone (no packing), a few mc × nc
#   Scripts/gemm-harness.sh [substr,...]         GFLOPS per tl-bench GEMM shape (1 thread, CPU clock)
#
# SRC=dir uses another copy of Sources/TLKernelsAVX512 (e.g. one with edited constants).
# Needs an AVX-512 CPU (avx512f in /proc/cpuinfo).
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qw avx512f /proc/cpuinfo || { echo "gemm-harness.sh: this CPU has no avx512f" >&2; exit 2; }
SRC="${SRC:-Sources/TLKernelsAVX512}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
# TLKernelTable (the constants every backend shares, e.g. gemmSmallProductLimit) as its own module.
swiftc -O -wmo -parse-as-library -module-name TLKernelTable -emit-module -emit-module-path "$OUT/TLKernelTable.swiftmodule" \
    -emit-object Sources/TLKernelTable/*.swift -o "$OUT/TLKernelTable.o"
swiftc -Ounchecked -wmo -target-cpu skylake-avx512 -module-name GemmHarness -I "$OUT" "$OUT/TLKernelTable.o" \
    "$SRC"/Gemm*.swift "$SRC"/RowKernels.swift "$SRC"/VectorMath.swift "$SRC"/Config.swift "$SRC"/Micro*.swift "$SRC"/WGradMicro*.swift "$SRC"/ConvMicro*.swift \
    Scripts/gemm-harness/main.swift -o "$OUT/h"
"$OUT/h" "$@"
