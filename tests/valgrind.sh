#!/bin/bash
# valgrind.sh BUILD_DIR — the CLI integration tests again, with every otapack and otaupdate
# run under valgrind (memcheck): any memory error or definite/indirect leak makes that run
# exit 99, which the test's exit-code checks then report. `make check-valgrind` runs this.
set -euo pipefail
B=$(cd "${1:?usage: valgrind.sh BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind missing (scripts/install-deps)" >&2; exit 3; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for prog in otapack otaupdate; do
    cat > "$W/$prog" <<EOS
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full \\
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \\
    --log-file=$W/vg.%p.log "$B/bin/$prog" "\$@"
EOS
    chmod +x "$W/$prog"
done
export OTAPACK=$W/otapack OTAUPDATE=$W/otaupdate OTA_SRC=$SRC PYTHON3=$(command -v python3)
fail=0
# (cli_help inspects the binaries themselves, and cli_hostile's 700 runs would take an hour)
tests="cli/cli_roundtrip cli/cli_reject cli/cli_flipbits keyring/keyring_cli keyring/keyring_signers"
for path in $tests; do
    t=${path#*/}
    start=$SECONDS
    if bash "$SRC/tests/$path.sh" > "$W/$t.out" 2>&1; then
        echo "ok - $t under valgrind ($((SECONDS - start)) s)"
    else
        echo "not ok - $t under valgrind"; tail -20 "$W/$t.out"; fail=$((fail + 1))
    fi
done
# a report with errors, even from a run whose exit code a test did not look at
bad=$(grep -l "ERROR SUMMARY: [1-9]\|definitely lost: [1-9]\|indirectly lost: [1-9]" "$W"/vg.*.log 2>/dev/null || true)
if [ -n "$bad" ]; then
    echo "not ok - valgrind reports:"; for f in $bad; do head -40 "$f"; done; fail=$((fail + 1))
fi
runs=$(ls "$W"/vg.*.log 2>/dev/null | wc -l)
echo "valgrind: $runs program runs checked"
n=$(echo $tests | wc -w)
echo "$((n - (fail > n ? n : fail))) passed, $fail failed"
[ "$fail" = 0 ]
