#!/bin/bash
# slots.sh — raw A/B slots: the inactive half is written, read back and verified; the active
# half's bytes never change; the boot environment (file backend, and U-Boot's through
# libubootenv's fw_setenv on a file-backed environment) names the halves to boot.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${OTAPACK:?}" "${OTAUPDATE:?}"
export SOURCE_DATE_EPOCH=$(date +%s)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
mkkey k
head -c 300000 /dev/urandom > rootfs1
head -c 200000 /dev/urandom > rootfs2
head -c 1000 /dev/urandom > app
build r1.ota 1.0 1 k.key --image rootfs=rootfs1 --image app=app
build r2.ota 2.0 2 k.key --image rootfs=rootfs2 --image app=app --compress zlib
U() { "$OTAUPDATE" --root dev "$@"; }
field() { U status --json | python3 -c "import json,sys; v=json.load(sys.stdin)$1; print(v)"; }

# slot halves as image files, A holding what the factory flashed
head -c 400000 /dev/urandom > A
head -c 400000 /dev/zero > B
a0=$(sha256sum < A)
mkdir dev
U init --product acme --trust-key k.pub --slot "rootfs=$W/A,$W/B" --bootenv "file:$W/env" >/dev/null
[ "$(field '["slots"][0]["active"]')" = a ] || die "a new device runs slot A"

U install r1.ota >/dev/null
[ "$(sha256sum < A)" = "$a0" ] || die "install wrote into the active half A"
cmp rootfs1 B || die "slot B does not hold the new image (exactly: an image file is cut to size)"
[ "$(field '["slots"][0]["active"]')" = b ] || die "status does not show B active"
grep -qx "otapack_slot_rootfs=b" env || die "boot environment does not select B: $(cat env)"
grep -qx "otapack_trial=1" env || die "boot environment does not mark the trial"
[ ! -e dev/var/lib/otapack/current/images/rootfs ] || die "a slot image was also written as a file"
cmp app dev/var/lib/otapack/current/images/app
U confirm >/dev/null
grep -qx "otapack_trial=0" env || die "confirm did not end the trial in the environment"
echo "ok - the inactive half is written and verified; the active half is untouched"

b1=$(sha256sum < B)
U install r2.ota >/dev/null
[ "$(sha256sum < B)" = "$b1" ] || die "second install wrote into the active half B"
cmp rootfs2 A || die "slot A does not hold the second image"
grep -qx "otapack_slot_rootfs=a" env || die "boot environment does not select A"
echo "ok - the next install alternates back to A, B untouched"

# a rollback switches the boot environment back with the generation
U rollback --reason test >/dev/null
grep -qx "otapack_slot_rootfs=b" env || die "rollback did not select B again"
[ "$(field '["slots"][0]["active"]')" = b ]
echo "ok - rollback returns to the other half"

# U-Boot's environment through fw_setenv (libubootenv-tool) on a file-backed environment
command -v fw_setenv >/dev/null || die "fw_setenv missing: scripts/install-deps installs libubootenv-tool"
head -c 16384 /dev/zero > uboot.env
echo "$W/uboot.env 0x0000 0x4000" > fw_env.config
printf 'bootdelay=3\n' > defenv
printf 'bootcmd=run otapack_boot\n' > init.txt
fw_setenv -c fw_env.config -f defenv -s init.txt 2>/dev/null  # a valid environment, as on a board
fw_setenv -c fw_env.config -s init.txt
head -c 400000 /dev/zero > UA; head -c 400000 /dev/zero > UB
mkdir udev
"$OTAUPDATE" --root udev init --product acme --trust-key k.pub --slot "rootfs=$W/UA,$W/UB" \
    --bootenv "uboot:$W/fw_env.config" >/dev/null
"$OTAUPDATE" --root udev install r1.ota >/dev/null
env_of() { fw_printenv -c fw_env.config "$1" 2>/dev/null; }
[ "$(env_of otapack_slot_rootfs)" = "otapack_slot_rootfs=b" ] || die "U-Boot env: $(fw_printenv -c fw_env.config)"
[ "$(env_of otapack_trial)" = "otapack_trial=1" ] || die "U-Boot env lacks the trial flag"
[ "$(env_of bootcmd)" = "bootcmd=run otapack_boot" ] || die "U-Boot env lost other variables"
cmp rootfs1 UB
echo "ok - U-Boot environment written through fw_setenv"
echo "slots: 4 checks passed"
