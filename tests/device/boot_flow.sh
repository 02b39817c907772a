#!/bin/bash
# boot_flow.sh — trial boot, confirm and rollback as a device maker would check them:
# a generation never confirmed is rolled back after max-trials boots, images and all; a
# confirmed one stays; rollback on demand restores the previous generation; the floor
# stops a rollback below a confirmed security version.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${OTAPACK:?}" "${OTAUPDATE:?}"
export SOURCE_DATE_EPOCH=$(date +%s)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
mkkey k
head -c 5000 /dev/urandom > app1
head -c 7000 /dev/urandom > app2
head -c 9000 /dev/urandom > app3
build v1.ota 1.0 1 k.key --image app=app1
build v2.ota 2.0 2 k.key --image app=app2
build v3.ota 3.0 3 k.key --image app=app3
U() { "$OTAUPDATE" --root dev "$@"; }
field() { U status --json | python3 -c "import json,sys; v=json.load(sys.stdin)$1; print(v if v is not None else 'null')"; }
APP=dev/var/lib/otapack/current/images/app

mkdir dev
U init --product acme --trust-key k.pub --max-trials 2 >/dev/null
U install v1.ota >/dev/null
[ "$(field '["state"]')" = pending ] || die "a fresh install must be pending"
[ "$(field '["trials_left"]')" = 2 ] || die "trials_left should be 2 before the first boot"
U confirm | grep -q "confirmed" || die "confirm did not say confirmed"
[ "$(field '["state"]')" = confirmed ] || die "confirm did not stick"
for i in 1 2 3 4 5; do
    U boot | grep -q "generation 1 is confirmed" || die "a confirmed generation must stay"
done
cmp app1 "$APP" || die "confirmed generation's image changed"
echo "ok - a confirmed generation stays through boots"

# v2 is never confirmed: two trial boots, then the third boot rolls back
U install v2.ota >/dev/null
cmp app2 "$APP"
out=$(U boot); echo "$out" | grep -q "trial boot 1 of 2" || die "boot 1: $out"
[ "$(field '["trials_left"]')" = 1 ] || die "trials_left should be 1"
out=$(U boot); echo "$out" | grep -q "trial boot 2 of 2" || die "boot 2: $out"
out=$(U boot); echo "$out" | grep -q "rolled back from generation 2 to 1" || die "boot 3: $out"
cmp app1 "$APP" || die "rollback did not restore the image"
[ "$(field '["version"]')" = 1.0 ] || die "rollback did not restore the version"
field '["last_rollback"]["reason"]' | grep -q "not confirmed after 2 trial boots" ||
    die "status does not give the rollback reason"
[ "$(field '["security_version"]')" = 1 ] || die "floor moved by an unconfirmed generation"
echo "ok - a generation never confirmed is rolled back after max-trials boots"

# the fixed release installs (2 > floor 1) and can be rolled back on demand while pending
U install v2.ota >/dev/null
expect() { # expect CODE SUBSTRING CMD...
    local code=$1 sub=$2; shift 2
    set +e; "$@" >/dev/null 2>"$W/err"; local rc=$?; set -e
    [ "$rc" = "$code" ] || die "expected exit $code, got $rc: $(cat "$W/err")"
    grep -q -- "$sub" "$W/err" || die "expected '$sub' in: $(cat "$W/err")"
    [ "$(wc -l < "$W/err")" = 1 ] || die "expected one line of stderr: $(cat "$W/err")"
}
before=$(snapshot dev)
expect 1 "still on trial" U install v3.ota
[ "$(snapshot dev)" = "$before" ] || die "a refused install changed the device"
U rollback --reason "health check failed" | grep -q "rolled back from generation 3 to 1" ||
    die "rollback on demand"
cmp app1 "$APP"
[ "$(field '["last_rollback"]["reason"]')" = "health check failed" ] || die "reason not kept"
echo "ok - rollback on demand restores the previous generation and records why"

# once v3 is confirmed, going back below its security version is refused
U install v3.ota >/dev/null && U confirm >/dev/null
before=$(snapshot dev)
expect 1 "below the floor" U rollback
[ "$(snapshot dev)" = "$before" ] || die "a refused rollback changed the device"
expect 1 "not newer" U install v2.ota
echo "ok - a confirmed security version is a floor for rollback and install"

# with nothing to go back to
rm -rf dev2 && mkdir dev2
"$OTAUPDATE" --root dev2 init --product acme --trust-key k.pub >/dev/null
expect 1 "no previous generation" "$OTAUPDATE" --root dev2 rollback
echo "ok - rollback without a previous generation is refused"
echo "boot flow: 5 checks passed"
