#!/usr/bin/env bash
# cli_hostile — the hostile-input corpus (tests/hostile/gen.py, see its README) against the
# installer, the verifier and the inspector. Each case, on a fresh copy of a device that
# runs a confirmed v1: install (from the file and from a pipe) exits as expected.tsv says with one line naming the trick,
# within 10 seconds (5 for the decompression bombs), and the device is byte-identical after.
# `otapack verify` and `otapack inspect` must refuse or accept it without crashing.
source "$(dirname "$0")/lib.sh"
cd "$T"
NOW=$(date +%s)
need "$OTAPACK" keygen --out k
head -c 2000 /dev/urandom >app.img
seq 1 100 >cfg.txt
SOURCE_DATE_EPOCH=$NOW need "$OTAPACK" build -o v1.ota --product acme --version v1 \
    --security-version 1 --image app=app.img --image cfg=cfg.txt --key k.key
new_device tpl k.pub
install_confirmed tpl v1.ota
snapshot tpl >base.snap

need py "$OTA_SRC/tests/hostile/gen.py" "$OTAPACK" k corpus
cat "$OUT"

# the generator's framing, applied to honest content, installs: so each refusal below is
# caused by its trick, not by the way the generator lays out a package
for c in control control_resigned control_zlib; do
    rm -rf dev && cp -a tpl dev
    expect_ok "$OTAPACK" verify --quiet --pub k.pub "corpus/$c.ota"
    expect_ok "$OTAUPDATE" --root dev install "corpus/$c.ota"
    out_has "installed acme 2.0 (security version 10)"
done

n=0 slowest=0 slowest_case=
while IFS=$'\t' read -r file code msg verify; do
    case $file in '#'* | '') continue ;; esac
    n=$((n + 1))
    rm -rf dev && cp -a tpl dev
    t0=${EPOCHREALTIME/[.,]/}
    expect_exit "$code" "$msg" timeout 10 "$OTAUPDATE" --root dev install "corpus/$file"
    ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
    if [ "$ms" -gt "$slowest" ]; then slowest=$ms slowest_case=$file; fi
    case $file in
    zlib_bomb*) check "$file refused in under 5 s (took $ms ms)" test "$ms" -lt 5000 ;;
    *) check "$file refused in under 10 s (took $ms ms)" test "$ms" -lt 10000 ;;
    esac
    snapshot dev >now.snap
    assert_unchanged base.snap now.snap "device after $file"
    assert_clean dev
    # the same bytes through a pipe (install -): other read sizes, no file to stat
    expect_exit "$code" "$msg" timeout 10 "$OTAUPDATE" --root dev install - < <(cat "corpus/$file")
    snapshot dev >now.snap
    assert_unchanged base.snap now.snap "device after $file from a pipe"

    # the host-side reader: refuses (or, for device policy, accepts) and never crashes
    run timeout 10 "$OTAPACK" verify --pub k.pub "corpus/$file"
    CHECKS=$((CHECKS + 1))
    if [ "$verify" = accept ]; then
        [ "$RC" = 0 ] || { fail "verify $file: expected 0 (device policy only)"; show_last; }
    elif [ "$RC" != 1 ] && [ "$RC" != 2 ]; then
        fail "verify $file: exit $RC, expected 1 or 2"
        show_last
    elif ! one_line_stderr; then
        fail "verify $file: stderr is not exactly one line"
        show_last
    fi
    run timeout 10 "$OTAPACK" inspect --json "corpus/$file"
    CHECKS=$((CHECKS + 1))
    if [ "$RC" != 0 ] && [ "$RC" != 1 ]; then
        fail "inspect $file: exit $RC, expected 0 or 1"
        show_last
    fi
done <corpus/expected.tsv

echo "hostile corpus: $n cases; slowest install refusal $slowest ms ($slowest_case)"
check "at least 40 hostile cases" test "$n" -ge 40
finish
