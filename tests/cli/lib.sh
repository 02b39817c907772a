# lib.sh — shared helpers for the otapack CLI integration tests (sourced by tests/cli/*.sh).
#
# Environment (set by ctest, see CMakeLists.txt): OTAPACK and OTAUPDATE, the two binaries;
# OTA_SRC, the source tree; PYTHON3 (optional), the Python interpreter (standard library
# only). Every test runs in its own temporary folder $T, removed on exit.
#
# Checks are "soft": a failed check prints a diagnostic and is counted, the test goes on, and
# `finish` exits 1 if any check failed. So one product bug shows as one precise FAIL line
# instead of hiding every check after it. `need` is the hard form for set-up steps.
set -euo pipefail

: "${OTAPACK:?set OTAPACK to the otapack binary}"
: "${OTAUPDATE:?set OTAUPDATE to the otaupdate binary}"
: "${OTA_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
PY=${PYTHON3:-python3}
command -v "$PY" >/dev/null || { echo "FAIL: $PY not found (python3 is needed)" >&2; exit 1; }
# the interpreter itself, not a wrapper script (version-manager shims cost ~0.3 s a call),
# and run without the site module (another ~0.1 s): the tests need the standard library only
PY=$("$PY" -c 'import sys; print(sys.executable)')
py() {
    "$PY" -S "$@"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/otapack-cli.XXXXXX")
# A command outside the checks that fails stops the test (set -e); say so, and where.
set -E
ERR_AT=
trap 'ERR_AT="line $LINENO: $BASH_COMMAND"' ERR
on_exit() {
    local rc=$?
    if [ -z "${FINISHED:-}" ]; then
        printf 'FAIL: %s stopped early (status %d) at %s\n' "$(basename "$0")" "$rc" \
            "${ERR_AT:-an unknown place}" >&2
    fi
    rm -rf "$T"
}
trap on_exit EXIT
LOG=$T/log            # every captured stdout/stderr, for the secret-leak scan
mkdir -p "$LOG"
NRUN=0 CHECKS=0 FAILS=0 RC=0 OUT= ERR=
START_US=${EPOCHREALTIME/[.,]/}

fail() {
    FAILS=$((FAILS + 1))
    printf 'FAIL: %s\n' "$*" >&2
}

# check COND-DESCRIPTION CMD...: a soft assertion that CMD succeeds.
check() {
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    if ! "$@"; then
        fail "$what"
        return 0
    fi
}

# not CMD...: inverts CMD's status, for `check "..." not cmp -s a b`.
not() {
    ! "$@"
}

# Shows the last command and what it printed (for diagnostics).
show_last() {
    printf '    command: %s\n' "$(cat "$LOG/$NRUN.cmd")" >&2
    printf '    exit:    %s\n' "$RC" >&2
    printf '    stdout:  %s\n' "$(head -c 600 "$OUT" | cat -v)" >&2
    printf '    stderr:  %s\n' "$(head -c 600 "$ERR" | cat -v)" >&2
}

# run CMD...: runs CMD, capturing stdout/stderr into $OUT/$ERR (files) and the exit code
# into $RC. Never fails. Redirect stdin on the call (`run cmd < file`) when CMD reads it.
run() {
    NRUN=$((NRUN + 1))
    OUT=$LOG/$NRUN.out ERR=$LOG/$NRUN.err
    printf '%q ' "$@" >"$LOG/$NRUN.cmd"
    local t0=${EPOCHREALTIME/[.,]/}
    set +e
    "$@" >"$OUT" 2>"$ERR"
    RC=$?
    set -e
    if [ -n "${OTA_TEST_TIMING:-}" ]; then  # profiling aid: slow commands on stderr
        local ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
        [ "$ms" -lt "$OTA_TEST_TIMING" ] || printf '[%d ms] %s\n' "$ms" "$(cat "$LOG/$NRUN.cmd")" >&2
    fi
}

# True if $ERR holds exactly one non-empty line, ending in a newline, that names the
# command it comes from ("otapack: ...", "otaupdate install: ..."), and is not a bare
# "error". Shell builtins only: this runs for every expectation.
one_line_stderr() {
    local text=
    IFS= read -r -d '' text <"$ERR" || true
    [[ $text == *$'\n' ]] || return 1
    text=${text%$'\n'}
    [[ -n $text && $text != *$'\n'* ]] || return 1
    [[ $text =~ ^(otapack|otaupdate)[\ :] ]] || return 1
    ! [[ ${text,,} =~ ^(otapack|otaupdate)(:\ |\ [a-z]+:\ )error$ ]]
}

# expect_exit CODE SUBSTRING CMD...: CMD exits CODE and prints exactly one line to stderr,
# containing SUBSTRING (a fixed string; "" accepts any message).
expect_exit() {
    local code=$1 sub=$2 text=
    shift 2
    run "$@"
    CHECKS=$((CHECKS + 1))
    local why=
    [ "$RC" = "$code" ] || why="exit $RC, expected $code"
    one_line_stderr || why="${why:+$why; }stderr is not exactly one line naming the command"
    IFS= read -r -d '' text <"$ERR" || true
    if [[ $text != *"$sub"* ]]; then
        why="${why:+$why; }stderr lacks '$sub'"
    fi
    if [ -n "$why" ]; then
        fail "$why"
        show_last
        return 0
    fi
}

# expect_ok CMD...: CMD exits 0 and prints nothing to stderr.
expect_ok() {
    run "$@"
    CHECKS=$((CHECKS + 1))
    if [ "$RC" != 0 ] || [ -s "$ERR" ]; then
        fail "expected success with a quiet stderr"
        show_last
    fi
}

# need CMD...: a set-up step that must succeed; stops the test otherwise.
need() {
    run "$@"
    if [ "$RC" != 0 ]; then
        fail "set-up step failed; stopping"
        show_last
        finish
    fi
}

# out_has SUBSTRING: the last command's stdout contains SUBSTRING.
out_has() {
    CHECKS=$((CHECKS + 1))
    if ! grep -qF -- "$1" "$OUT"; then
        fail "stdout lacks '$1'"
        show_last
    fi
}

# snapshot DIR: every path under DIR with its type, permission bits and symlink target,
# then the SHA-256 of every regular file. Two snapshots are equal iff the trees are
# byte-identical (modification times deliberately left out).
snapshot() {
    (
        cd "$1"
        find . -printf '%p\t%y\t%m\t%l\n' | LC_ALL=C sort
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
    )
}

# assert_unchanged BEFORE AFTER [WHAT]: two snapshot files are identical.
assert_unchanged() {
    CHECKS=$((CHECKS + 1))
    if ! cmp -s "$1" "$2"; then
        fail "${3:-device} changed"
        diff -u "$1" "$2" | head -30 >&2 || true
    fi
}

# assert_clean DIR: no staging folder and no temporary file left anywhere under DIR.
assert_clean() {
    CHECKS=$((CHECKS + 1))
    local junk
    junk=$(find "$1" \( -name staging -o -name '*.tmp.*' -o -name '.otapack*' \) -print)
    if [ -n "$junk" ]; then
        fail "leftovers under $1: $junk"
    fi
}

# sha256 FILE: the lowercase hex digest.
sha256() {
    sha256sum "$1" | cut -d' ' -f1
}

# jget FILE EXPR: evaluates a Python expression over the JSON document in FILE (bound to j);
# prints strings raw and everything else as JSON.
jget() {
    py -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# eq WHAT GOT WANT: a soft equality check with a readable diagnostic.
eq() {
    CHECKS=$((CHECKS + 1))
    if [ "$2" != "$3" ]; then
        fail "$1: got '$2', expected '$3'"
    fi
}

# new_device DIR PUBKEY...: an initialised device for product acme trusting the given keys.
new_device() {
    local dir=$1
    shift
    mkdir -p "$dir"
    local args=()
    for k in "$@"; do args+=(--trust-key "$k"); done
    need "$OTAUPDATE" --root "$dir" init --product acme "${args[@]}"
}

# install_confirmed DIR PKG: installs PKG and confirms it (the device then takes the next
# package), as a set-up step.
install_confirmed() {
    need "$OTAUPDATE" --root "$1" install "$2"
    need "$OTAUPDATE" --root "$1" confirm
}

# sigblock_edit PKG PYTHON [ARGS...]: rewrites the signature block of PKG (bound to blk, with
# the extra arguments in args) the way an attacker would, leaving the rest of the tar as is
sigblock_edit() {
    py - "$@" <<'EOF'
import io, json, sys, tarfile
path, code, args = sys.argv[1], sys.argv[2], sys.argv[3:]
t = tarfile.open(fileobj=io.BytesIO(open(path, "rb").read()))
members = [(m, t.extractfile(m).read()) for m in t.getmembers()]
out = io.BytesIO()
w = tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT)
for m, data in members:
    if m.name == "signatures.json":
        blk = json.loads(data)
        exec(code)
        data = json.dumps(blk, sort_keys=True, indent=2).encode() + b"\n"
        m.size = len(data)
    w.addfile(m, io.BytesIO(data))
w.close()
open(path, "wb").write(out.getvalue())
EOF
}

elapsed_ms() {
    echo $(((${EPOCHREALTIME/[.,]/} - START_US) / 1000))
}

# finish: prints the tally and exits 0 only if every check passed.
finish() {
    FINISHED=1
    printf '%s: %d checks, %d failed, %d commands run, %d ms\n' "$(basename "$0" .sh)" \
        "$CHECKS" "$FAILS" "$NRUN" "$(elapsed_ms)"
    [ "$FAILS" -eq 0 ] || exit 1
    exit 0
}
