#!/bin/bash
# crash_sweep.sh — proves atomicity: for every durable step N of each operation, kill
# otaupdate just before step N (and, separately, make step N fail with ENOSPC), then let the
# next otaupdate call recover, and check the device is exactly in the old or the new state,
# with nothing left behind; `otaupdate boot` must then work.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${OTAPACK:?}" "${OTAUPDATE:?}" "${CRASHPOINT:?}"
export SOURCE_DATE_EPOCH=$(date +%s)
# ASan wants its runtime first; our shim goes first on purpose
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

# on tmpfs when there is one: fsync is what makes the sweep slow on a disk, and a killed
# process (what we simulate) loses nothing the page cache holds
if [ -d /dev/shm ] && [ -w /dev/shm ]; then W=$(mktemp -d -p /dev/shm); else W=$(mktemp -d); fi
trap 'rm -rf "$W"' EXIT
cd "$W"
mkkey k
head -c 150000 /dev/urandom > a.img
head -c 70000 /dev/urandom > b.img
head -c 100000 /dev/urandom > a2.img
head -c 40000 /dev/urandom > s1.img
head -c 50000 /dev/urandom > s2.img
build v1.ota 1.0 1 k.key --image a=a.img --image b=b.img
build v2.ota 2.0 2 k.key --image a=a2.img --image b=b.img --image c=a.img --compress zlib
build s1.ota 1.0 1 k.key --image a=a.img --image rootfs=s1.img
build s2.ota 2.0 2 k.key --image a=a2.img --image rootfs=s2.img

total_points=0

# Puts a fresh copy of the template in dev/; RESET_HOOK restores what lives outside it.
reset() {
    rm -rf dev && cp -a "$1" dev
    ${RESET_HOOK:-true}
}

# sweep NAME TEMPLATE_DIR ARGS...   (runs otaupdate --root dev ARGS...)
sweep() {
    local name=$1 tmpl=$2
    shift 2
    # the clean run gives the new state and the number of durable steps
    reset "$tmpl"
    local old new alt=
    old=$(snapshot dev)
    if [ -n "${ALT_DROP_PARENT:-}" ]; then
        # writing a raw slot first drops the generation that used the target half: after a
        # failure the device runs the old generation without that rollback target
        local p
        p=$(readlink -f dev/var/lib/otapack/current)/parent
        rm -rf "dev/var/lib/otapack/generations/$(cat "$p")"
        alt=$(snapshot dev)
        reset "$tmpl"
    fi
    OTA_CRASH_COUNT_FILE=$W/count LD_PRELOAD=$CRASHPOINT "$OTAUPDATE" --root dev "$@" \
        < "${STDIN_FILE:-/dev/null}" >/dev/null
    local steps
    steps=$(cat "$W/count")
    new=$(snapshot dev)
    [ "$old" != "$new" ] || die "$name: the operation changed nothing"
    local n mode rc got seen_old=0 seen_new=0
    for mode in crash fail; do
        for ((n = 1; n <= steps; n++)); do
            reset "$tmpl"
            set +e
            # in a subshell, so that the shell's "Killed" notice goes nowhere
            if [ $mode = crash ]; then
                (OTA_CRASH_AT=$n LD_PRELOAD=$CRASHPOINT "$OTAUPDATE" --root dev "$@" \
                    < "${STDIN_FILE:-/dev/null}" >/dev/null 2>&1; exit $?) 2>/dev/null
            else
                (OTA_FAIL_AT=$n LD_PRELOAD=$CRASHPOINT "$OTAUPDATE" --root dev "$@" \
                    < "${STDIN_FILE:-/dev/null}" >/dev/null 2>"$W/err"; exit $?) 2>/dev/null
            fi
            rc=$?
            set -e
            if [ $mode = crash ]; then
                [ $rc = 137 ] || die "$name: expected a kill at step $n of $steps, got exit $rc"
            else
                # a failed step is exit 3 with nothing changed, unless it came after the
                # commit point, where the operation has already happened (exit 0)
                [ $rc = 0 ] || [ $rc = 3 ] || die "$name: step $n failing gave exit $rc: $(cat "$W/err")"
                if [ $rc = 3 ] && [ "$(wc -l < "$W/err")" != 1 ]; then
                    die "$name: step $n failing printed more than one line"
                fi
            fi
            # recovery happens in the next call (status takes the lock and cleans up)
            got=$(snapshot dev)
            if [ "$got" = "$old" ] || { [ -n "$alt" ] && [ "$got" = "$alt" ]; }; then
                seen_old=$((seen_old + 1))
                [ $mode = crash ] || [ $rc = 3 ] || die "$name: step $n failed, exit 0 but old state"
            elif [ "$got" = "$new" ]; then
                seen_new=$((seen_new + 1))
                [ $mode = crash ] || [ $rc = 0 ] || die "$name: step $n failed, exit 3 but new state"
            else
                echo "--- old vs got" >&2; diff <(echo "$old") <(echo "$got") >&2 || true
                echo "--- new vs got" >&2; diff <(echo "$new") <(echo "$got") >&2 || true
                die "$name: $mode at step $n of $steps left a state that is neither old nor new"
            fi
            [ ! -e dev/var/lib/otapack/staging ] || die "$name: staging left after $mode at $n"
            "$OTAUPDATE" --root dev boot >/dev/null || die "$name: boot failed after $mode at $n"
        done
    done
    total_points=$((total_points + 2 * steps))
    echo "ok - $name: $steps durable steps, each crashed and failed: $seen_old old, $seen_new new"
}

# fixtures ------------------------------------------------------------------------------
mkdir -p t0 && "$OTAUPDATE" --root t0 init --product acme --trust-key k.pub >/dev/null
"$OTAUPDATE" --root t0 install v1.ota >/dev/null
"$OTAUPDATE" --root t0 boot >/dev/null
"$OTAUPDATE" --root t0 confirm >/dev/null          # t0: v1 confirmed
cp -a t0 t1 && "$OTAUPDATE" --root t1 install v2.ota >/dev/null   # t1: v2 pending
cp -a t1 t2 && for i in 1 2 3; do "$OTAUPDATE" --root t2 boot >/dev/null; done  # t2: trials used up

sweep "install" t0 install "$W/v2.ota"
STDIN_FILE=$W/v2.ota sweep "install from a pipe" t0 install -
sweep "boot (trial count)" t1 boot
sweep "boot (rollback after max trials)" t2 boot
sweep "confirm" t1 confirm
sweep "rollback on demand" t1 rollback --reason "sweep"

# a trust-only update: a device with a small trust store and a recorded server chain gets a
# package that adds a root and removes another, and carries no image
mkca() { # mkca NAME: a throwaway CA valid for a year
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
        -out "$1.pem" -days 365 -subj "/CN=$1" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
mkca RootA && mkca RootB && mkca RootC
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
    -subj "/CN=updates.example.com" 2>/dev/null
openssl x509 -req -in srv.csr -CA RootA.pem -CAkey RootA.key -CAcreateserial -out srv.pem \
    -days 30 2>/dev/null
cat RootA.pem RootB.pem > roots.pem
mkdir -p r0 && "$OTAUPDATE" --root r0 init --product acme --trust-key k.pub --truststore roots.pem \
    --server-chain srv.pem >/dev/null
"$OTAUPDATE" --root r0 install v1.ota >/dev/null && "$OTAUPDATE" --root r0 confirm >/dev/null
"$OTAPACK" build -o trust.ota --product acme --version 1.1 --security-version 5 --key k.key \
    --trust-add RootC.pem --trust-remove "$(openssl x509 -in RootB.pem -noout -fingerprint -sha256 | cut -d= -f2)" >/dev/null
sweep "trust-only update" r0 install "$W/trust.ota"

# raw A/B slots with a file boot environment: slot files and the environment live outside
# the device folder, so each point restores them too
head -c 65536 /dev/zero > "$W/slotA"
head -c 65536 /dev/zero > "$W/slotB"
mkdir -p s0 && "$OTAUPDATE" --root s0 init --product acme --trust-key k.pub \
    --slot rootfs="$W/slotA,$W/slotB" --bootenv "file:$W/bootenv" >/dev/null
"$OTAUPDATE" --root s0 install s1.ota >/dev/null
"$OTAUPDATE" --root s0 confirm >/dev/null
for f in slotA slotB bootenv; do cp "$W/$f" "$W/$f.t"; done
restore_outside() { for f in slotA slotB bootenv; do cp "$W/$f.t" "$W/$f"; done; }
SNAPSHOT_SLOTS=1 ALT_DROP_PARENT=1 RESET_HOOK=restore_outside BOOTENV="$W/bootenv" sweep "install into an A/B slot" s0 install "$W/s2.ota"

# a keyring rotation: a device provisioned with keyring v1 installs a package that carries v2
# (another release key), then confirms it, which makes v2 the device's own (keys/root.json)
mkkey root && mkkey rel1 && mkkey rel2
"$OTAPACK" keyring init -o kv1.json --root-key root.pub --release-key rel1.pub >/dev/null
"$OTAPACK" keyring sign --key root.key kv1.json >/dev/null
"$OTAPACK" keyring init -o kv2.json --from kv1.json >/dev/null
"$OTAPACK" keyring add-key --role release rel2.pub kv2.json >/dev/null
"$OTAPACK" keyring remove-key --role release rel1.pub kv2.json >/dev/null
"$OTAPACK" keyring sign --key root.key kv2.json >/dev/null
build kr1.ota 1.0 1 rel1.key --image a=a.img
build kr2.ota 2.0 2 rel2.key --image a=a2.img --keyring kv2.json
mkdir -p k0 && "$OTAUPDATE" --root k0 init --product acme --keyring kv1.json >/dev/null
"$OTAUPDATE" --root k0 install kr1.ota >/dev/null && "$OTAUPDATE" --root k0 confirm >/dev/null
cp -a k0 k1 && "$OTAUPDATE" --root k1 install kr2.ota >/dev/null # k1: the rotation pending
sweep "install with a keyring rotation" k0 install "$W/kr2.ota"
sweep "confirm a keyring rotation" k1 confirm
sweep "roll back a keyring rotation" k1 rollback --reason "sweep"

echo "crash sweep: $total_points fault points, all ended in the old or the new state"
