#!/usr/bin/env bash
# run.sh — coverage-guided fuzzing with libFuzzer (`make fuzz`).
#
# Builds the fuzzers with clang in build-fuzz/ (-DOTA_FUZZ=ON), then runs each one, one at a
# time in a single process, for FUZZ_SECONDS seconds on a scratch copy of its corpus
# (build-fuzz/fuzz-work/<name>/corpus). Prints per fuzzer the executions, the final cov: and
# ft: numbers and the outcome; exits 1 if any fuzzer found a crash, a leak, a timeout or ran
# out of memory (the input is in build-fuzz/fuzz-work/<name>/artifacts/, the log beside it).
#
# Environment:
#   FUZZ_SECONDS=60      seconds per fuzzer
#   FUZZERS="package manifest sigblock keys codec x509 certops keyring"   which ones, in order
#   FUZZ_MERGE=1         afterwards, minimise tests/fuzz/corpus/<name> (-merge=1): keeps the
#                        seed-* files, replaces the other files by the smallest set of new
#                        inputs that keeps the coverage of the scratch corpus
#   FUZZ_ARGS="..."      extra libFuzzer flags (e.g. -jobs=1 -workers=1, -only_ascii=1)
#   BUILD_FUZZ=build-fuzz   build folder;  CC=clang  the compiler;  JOBS  build parallelism
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
secs=${FUZZ_SECONDS:-60}
fuzzers=${FUZZERS:-package manifest sigblock keys codec x509 certops keyring}
build=${BUILD_FUZZ:-build-fuzz}
cc=${CC:-clang}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
case $secs in '' | *[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a number" >&2; exit 2 ;; esac

max_len() {
    case $1 in
    package) echo 65536 ;;
    manifest | sigblock | x509 | keyring) echo 16384 ;;
    keys) echo 256 ;;
    codec) echo 512 ;;
    *) echo 4096 ;;
    esac
}
dict() {
    case $1 in
    package | manifest | sigblock | keyring) echo "-dict=$here/json.dict" ;;
    x509) echo "-dict=$here/x509.dict" ;;
    esac
}

# ---- toolchain ---------------------------------------------------------------------------
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "run.sh: $cc not found; install clang (scripts/install-deps does)" >&2
    exit 3
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
    > "$probe/p.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
    major=$("$cc" -dumpversion 2>/dev/null | cut -d. -f1)
    echo "run.sh: $cc cannot link -fsanitize=fuzzer: the libFuzzer runtime is missing." >&2
    echo "run.sh: on Debian install it with: apt-get install libclang-rt-${major:-14}-dev" >&2
    sed 's/^/  /' "$probe/err" | head -5 >&2
    exit 3
fi

# ---- build -------------------------------------------------------------------------------
echo "run.sh: building the fuzzers in $build/ with $cc"
cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DOTA_TESTS=ON -DOTA_FUZZ=ON -DOTA_WERROR=OFF >"$probe/cmake.log" 2>&1 || {
    cat "$probe/cmake.log" >&2
    exit 3
}
cmake --build "$build" --target fuzzers -j"$jobs" >"$probe/build.log" 2>&1 || {
    tail -40 "$probe/build.log" >&2
    exit 3
}

# ---- fuzz --------------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
summary=$(printf '%-10s %8s %12s %8s %8s  %s' fuzzer seconds executions cov ft result)
for name in $fuzzers; do
    bin=$build/bin/fuzz_$name
    if [ ! -x "$bin" ] || [ ! -d "$here/corpus/$name" ]; then
        echo "run.sh: unknown fuzzer '$name'" >&2
        exit 2
    fi
    work=$build/fuzz-work/$name
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$here/corpus/$name"/* "$work/corpus/" 2>/dev/null || true
    log=$work/fuzz.log
    echo "run.sh: fuzz_$name for ${secs}s (log: $log)"
    start=$(date +%s)
    rc=0
    # shellcheck disable=SC2046,SC2086
    "$bin" "$work/corpus" -max_total_time="$secs" -max_len="$(max_len "$name")" \
        -rss_limit_mb=2048 -timeout=10 -len_control=100 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" $(dict "$name") ${FUZZ_ARGS:-} \
        >"$log" 2>&1 || rc=$?
    took=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    stats=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$stats")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
    if [ -z "$execs" ]; then
        execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$stats")
    fi
    result=ok
    if [ "$rc" != 0 ]; then
        failed=1
        if grep -q 'ERROR: libFuzzer: timeout' "$log"; then result=TIMEOUT
        elif grep -q 'ERROR: LeakSanitizer' "$log"; then result=LEAK
        elif grep -qE 'out-of-memory|malloc\(.*\) exceeds' "$log"; then result=OOM
        elif grep -q 'runtime error:' "$log"; then result=UB
        else result=CRASH
        fi
        artifact=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -1)
        result="$result (exit $rc; input: ${artifact:-see log}; log: $log)"
        grep -m1 -E 'ERROR:|runtime error:' "$log" | sed 's/^/  /' || true
    fi
    line=$(printf '%-10s %8s %12s %8s %8s  %s' "$name" "$took" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "$result")
    echo "$line"
    summary+=$'\n'"$line"

    if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$rc" = 0 ]; then
        dest=$here/corpus/$name
        min=$work/merged
        mkdir -p "$min"
        cp "$dest"/seed-* "$min/" 2>/dev/null || true
        "$bin" -merge=1 -max_len="$(max_len "$name")" -rss_limit_mb=2048 -timeout=10 \
            "$min" "$dest" "$work/corpus" >"$work/merge.log" 2>&1 || {
            echo "run.sh: merge of $name failed (log: $work/merge.log)" >&2
            failed=1
            continue
        }
        find "$dest" -maxdepth 1 -type f ! -name 'seed-*' -delete
        find "$min" -maxdepth 1 -type f ! -name 'seed-*' -exec cp {} "$dest/" \;
        echo "run.sh: corpus/$name now holds $(find "$dest" -type f | wc -l) inputs," \
            "$(du -sk --apparent-size "$dest" | cut -f1) KiB"
    fi
done

echo
echo "$summary"
if [ "$failed" != 0 ]; then
    echo "run.sh: FAILED: see the logs above" >&2
    exit 1
fi
echo "run.sh: no crash, leak or timeout"
