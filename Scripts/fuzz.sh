#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60), one after the other:
#   Scripts/fuzz.sh [SECONDS] [TARGET...]
# Builds .build/fuzz/tl-fuzz first when missing (Scripts/fuzz-build.sh; needs the release build).
# Seeds come from Fuzz/corpus/<target>/ (read only); new inputs go to .build/fuzz/corpus/<target>/,
# crashes to .build/fuzz/artifacts/<target>/, logs to .build/fuzz/logs/<target>.log.
# A crash (trap, ASan report), a run over -timeout seconds, an RSS over -rss_limit_mb or a single
# allocation over -malloc_limit_mb fails the target; the script exits 1 if any target failed.
# Prints one line per target: executions, coverage (cov = edges, ft = features), corpus size.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}; shift || true
BIN=${TL_FUZZ_BIN:-.build/fuzz/tl-fuzz}
[ -x "$BIN" ] || Scripts/fuzz-build.sh || exit 2
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(TL_FUZZ_TARGET=list "$BIN")
failed=()
for t in "${TARGETS[@]}"; do
    work=.build/fuzz/corpus/$t; art=.build/fuzz/artifacts/$t; log=.build/fuzz/logs/$t.log
    mkdir -p "$work" "$art" .build/fuzz/logs
    TL_FUZZ_TARGET=$t SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$BIN" \
        -max_total_time="$SECONDS_EACH" -timeout="${TL_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -max_len=16384 -print_final_stats=1 -artifact_prefix="$art/" "$work" "Fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "fuzz $t: ok, ${execs:-?} executions in ${SECONDS_EACH}s, ${cov:-no stats}"
    else
        failed+=("$t")
        echo "fuzz $t: FAILED (exit $rc) after ${execs:-?} executions, ${cov:-no stats}; see $log"
        grep -E 'ERROR|Fatal error|deadly signal|out-of-memory|timeout|SUMMARY' "$log" | head -5 | sed 's/^/    /'
        ls "$art" | head -3 | sed "s|^|    artifact: $art/|"
    fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: failed: ${failed[*]}"; exit 1; }
