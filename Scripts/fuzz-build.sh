#!/usr/bin/env bash
# Builds the libFuzzer harness .build/fuzz/tl-fuzz (Fuzz/*.swift, one target per parser).
#
# The reader modules (TLIO, TLSafeTensors, TLNN, TLOptim, TLData, TLModels) are compiled again
# from their sources with `-sanitize=fuzzer,address` (coverage-guided, out-of-bounds checked);
# the kernel and tensor modules below them are linked from the release build unchanged, so run
# `swift build -c release -Xswiftc -enable-testing` first. Takes about two minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
REL=.build/release
OUT=.build/fuzz
SAN=${TL_FUZZ_SANITIZE:-fuzzer,address}
[ -d "$REL/Modules" ] && [ -f "$REL/TLTensor.build/Tensor.swift.o" ] || {
    echo "fuzz-build: build the release first: swift build -c release -Xswiftc -enable-testing" >&2; exit 2; }
mkdir -p "$OUT"
FLAGS=(-O -wmo -swift-version 6 -parse-as-library -enable-testing -sanitize="$SAN" -I "$OUT" -I "$REL/Modules")

module() {   # module NAME SOURCES...
    local name=$1; shift
    # Up to date when no module below was rebuilt and the object is newer than every source.
    if [ "$rebuilt" = 0 ] && [ -f "$OUT/$name.o" ] && [ -z "$(find "$@" "$REL/Modules/TLTensor.swiftmodule" -newer "$OUT/$name.o")" ]; then
        return 0
    fi
    rebuilt=1
    echo "fuzz-build: $name" >&2
    swiftc "${FLAGS[@]}" -module-name "$name" -emit-module -emit-module-path "$OUT/$name.swiftmodule" \
        -c "$@" -o "$OUT/$name.o"
}
rebuilt=${TL_FUZZ_REBUILD:-0}
sources() { find "Sources/$1" -name '*.swift' | sort; }

module TLIO $(sources TLIO)
module TLSafeTensors $(sources TLSafeTensors)
module TLNN $(sources TLNN)
module TLOptim $(sources TLOptim)
module TLData $(sources TLData) "$REL/TLData.build/DerivedSources/resource_bundle_accessor.swift"
module TLModels $(sources TLModels)

echo "fuzz-build: tl-fuzz" >&2
swiftc -O -swift-version 6 -parse-as-library -sanitize="$SAN" -I "$OUT" -I "$REL/Modules" \
    Fuzz/*.swift "$OUT"/TLIO.o "$OUT"/TLSafeTensors.o "$OUT"/TLNN.o "$OUT"/TLOptim.o "$OUT"/TLData.o "$OUT"/TLModels.o \
    "$REL"/TLTensor.build/*.o "$REL"/TLKernels.build/*.o "$REL"/TLKernelTable.build/*.o \
    "$REL"/TLKernelsAVX512.build/*.o "$REL"/TLKernelsAVX2.build/*.o "$REL"/TLKernelsPortable.build/*.o \
    -o "$OUT/tl-fuzz" 2> >(grep -v "Cannot export local symbol '__asan" >&2)
echo "fuzz-build: $OUT/tl-fuzz" >&2
