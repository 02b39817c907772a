#!/bin/bash
# diskfull.sh — a device whose file system is full: install refuses early with the numbers
# (exit 3), and a file system that fills up during staging (out of inodes here, so the
# early check passes) is exit 3 too; both leave the device byte-identical. Uses a small
# tmpfs, mounted by the test (needs root, as CI and `make check` run).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${OTAPACK:?}" "${OTAUPDATE:?}"
export SOURCE_DATE_EPOCH=$(date +%s)
W=$(mktemp -d)
M=$W/mnt
cleanup() { umount "$M" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
cd "$W"
mkkey k
head -c 200000 /dev/urandom > small
head -c 3000000 /dev/urandom > big
build v1.ota 1.0 1 k.key --image app=small
build v2.ota 2.0 2 k.key --image app=big
args=()
for i in $(seq 1 40); do head -c 100 /dev/urandom > f$i; args+=(--image "f$i=f$i"); done
build many.ota 3.0 3 k.key "${args[@]}"

mkdir -p "$M"
mount -t tmpfs -o size=2m,nr_inodes=60 tmpfs "$M" || die "cannot mount a tmpfs (this test needs root)"
mkdir "$M/dev"
"$OTAUPDATE" --root "$M/dev" init --product acme --trust-key k.pub >/dev/null
"$OTAUPDATE" --root "$M/dev" install v1.ota >/dev/null
"$OTAUPDATE" --root "$M/dev" confirm >/dev/null
before=$(snapshot "$M/dev")

set +e; "$OTAUPDATE" --root "$M/dev" install v2.ota 2>err; rc=$?; set -e
[ $rc = 3 ] || die "expected exit 3 for a package that cannot fit, got $rc: $(cat err)"
grep -q "not enough space" err && grep -Eq "needs [0-9]+ bytes, [0-9]+ available" err ||
    die "message lacks the numbers: $(cat err)"
[ "$(snapshot "$M/dev")" = "$before" ] || die "a refused install changed the device"
echo "ok - early refusal with the numbers: $(cat err)"

set +e; "$OTAUPDATE" --root "$M/dev" install many.ota 2>err; rc=$?; set -e
[ $rc = 3 ] || die "expected exit 3 when the file system fills up while staging, got $rc: $(cat err)"
grep -q "No space left on device" err || die "message does not say the disk is full: $(cat err)"
[ "$(wc -l < err)" = 1 ] || die "more than one line: $(cat err)"
[ "$(snapshot "$M/dev")" = "$before" ] || die "a failed install changed the device"
[ ! -e "$M/dev/var/lib/otapack/staging" ] || die "staging left behind"
echo "ok - disk full while staging: $(cat err)"
echo "diskfull: 2 checks passed"
