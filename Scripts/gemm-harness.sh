#!/usr/bin/env bash
# Builds and runs the standalone GEMM harness (Scripts/gemm-harness/main.swift) on this CPU's
# backend (AVX-512 when /proc/cpuinfo has avx512f, else AVX2): the backend's folder compiled as
# one module with its flags (-Ounchecked, -target-cpu skylake-avx512 or haswell). ~25 s to build,
# so a blocking constant (Sources/TLKernelsAVX512/Config.swift, or for AVX2
# Sources/KernelsShared/Config6x16.swift) can be tried without a package build.
#
#   Scripts/gemm-harness.sh peak                 single-core FMA peak (register-only FMA loop)
#   Scripts/gemm-harness.sh micro                the micro-kernels alone on L1-resident panels (their ceiling)
#   Scripts/gemm-harness.sh inner                the packed driver's inner loops alone (no packing), a few mc × nc
#   Scripts/gemm-harness.sh [substr,...]         GFLOPS per tl-bench GEMM shape (1 thread, CPU clock)
#
# SRC=dir uses another copy of the backend's folder (e.g. one with edited constants; copy with
# `cp -rL` so the AVX2 folder's links to Sources/KernelsShared become files).
# Needs an AVX-512 or AVX2 CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -qw avx512f /proc/cpuinfo; then BACKEND=TLKernelsAVX512 CPU=skylake-avx512
elif grep -qw avx2 /proc/cpuinfo; then BACKEND=TLKernelsAVX2 CPU=haswell
else echo "gemm-harness.sh: this CPU has neither avx512f nor avx2" >&2; exit 2; fi
SRC="${SRC:-Sources/$BACKEND}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
# TLKernelTable (the constants every backend shares, e.g. gemmSmallProductLimit) as its own module.
swiftc -O -wmo -parse-as-library -module-name TLKernelTable -emit-module -emit-module-path "$OUT/TLKernelTable.swiftmodule" \
    -emit-object Sources/TLKernelTable/*.swift -o "$OUT/TLKernelTable.o"
swiftc -Ounchecked -wmo -target-cpu "$CPU" -module-name GemmHarness -I "$OUT" "$OUT/TLKernelTable.o" \
    $(ls "$SRC"/*.swift | grep -v KernelTableExport) \
    Scripts/gemm-harness/main.swift -o "$OUT/h"
"$OUT/h" "$@"
