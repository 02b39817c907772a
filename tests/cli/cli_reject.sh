#!/usr/bin/env bash
# cli_reject — packages and command lines that must be refused: each with its exit code, one
# precise line on stderr, the device byte-for-byte unchanged, and nothing left behind.
source "$(dirname "$0")/lib.sh"
cd "$T"
umask 022
NOW=$(date +%s)

need "$OTAPACK" keygen --out k
need "$OTAPACK" keygen --out stranger
head -c 3000 /dev/urandom >app.img
seq 1 300 >cfg.txt
# pkg OUT SV [options]: product acme, version v<SV>, created now unless SOURCE_DATE_EPOCH is set
pkg() {
    local out=$1 sv=$2
    shift 2
    SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$NOW} "$OTAPACK" build -o "$out" --product acme \
        --version "v$sv" --security-version "$sv" --image app=app.img --image cfg=cfg.txt "$@" \
        >/dev/null
}

pkg v5.ota 5 --key k.key
new_device dev k.pub
install_confirmed dev v5.ota
snapshot dev >base.snap

# rejected CODE SUBSTRING PKG: install PKG on dev, expect the refusal, then prove that the
# device is byte-identical and clean
rejected() {
    expect_exit "$1" "$2" "$OTAUPDATE" --root dev install "$3"
    snapshot dev >now.snap
    assert_unchanged base.snap now.snap "device after refusing $3"
    assert_clean dev
}

# ---- trust ----------------------------------------------------------------------------------
pkg unsigned.ota 6
rejected 1 "package is unsigned" unsigned.ota
pkg stranger.ota 6 --key stranger.key
rejected 1 "no signature by a trusted key" stranger.ota
rejected 1 "no signature by a trusted key" - <stranger.ota

# ---- policy ---------------------------------------------------------------------------------
SOURCE_DATE_EPOCH=$NOW "$OTAPACK" build -o other.ota --product other --version v6 \
    --security-version 6 --image app=app.img --key k.key >/dev/null
rejected 1 "package is for product 'other', this device is 'acme'" other.ota
SOURCE_DATE_EPOCH=$((NOW - 2 * 86400)) pkg expired.ota 6 --expires-in 1 --key k.key
rejected 1 "expired" expired.ota
pkg older.ota 4 --key k.key
rejected 1 "security version 4 is not newer than installed 5" older.ota
pkg zero.ota 0 --key k.key
rejected 1 "not newer" zero.ota
SOURCE_DATE_EPOCH=$NOW "$OTAPACK" build -o same-sv.ota --product acme --version v5-respin \
    --security-version 5 --image app=app.img --image cfg=cfg.txt --key k.key >/dev/null
rejected 1 "security version 5 is not newer than installed 5" same-sv.ota

# ---- a damaged copy of the running package is damaged input, not "already installed" ----
py -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) - 1024 - 700] ^= 1  # a byte of the last payload
open(sys.argv[2], "wb").write(b)' v5.ota v5-damaged.ota
rejected 1 "sha256 mismatch" v5-damaged.ota
head -c $(($(stat -c %s v5.ota) - 2000)) v5.ota >v5-cut.ota
rejected 1 "truncated" v5-cut.ota
{ cat v5.ota; printf 'garbage'; } >v5-trailing.ota
rejected 1 "trailing data after end-of-archive" v5-trailing.ota

# ---- truncation ------------------------------------------------------------------------------
pkg v6.ota 6 --key k.key
SIZE=$(stat -c %s v6.ota)
# entry offsets, from the headers themselves
read -r SIG_HDR APP_HDR CFG_HDR END_OFF < <(py -c '
import sys
b, off, at = open(sys.argv[1], "rb").read(), 0, {}
while b[off:off + 512] != bytes(512):
    name = b[off:off + 100].split(b"\0")[0].decode()
    size = int(b[off + 124:off + 136].strip(b" \0"), 8)
    at[name] = off
    off += 512 + (size + 511) // 512 * 512
print(at["signatures.json"], at["app"], at["cfg"], off)' v6.ota)
eq "end-of-archive marker is the last 1024 bytes" "$((SIZE - END_OFF))" 1024
for cut in 100 512 700 $((APP_HDR - 300)) $((APP_HDR + 200)) $((APP_HDR + 512 + 1500)) \
    $((CFG_HDR + 512 + 10)) $((END_OFF + 100)) $((END_OFF + 512)) $((END_OFF + 1000)) \
    $((SIZE - 1)); do
    head -c "$cut" v6.ota >cut.ota
    rejected 1 "truncated" cut.ota
done
# cut exactly where an entry ends: the stream stops at a header boundary, still truncated
for cut in "$SIG_HDR" "$APP_HDR" "$CFG_HDR" "$END_OFF"; do
    head -c "$cut" v6.ota >cut-at-boundary.ota
    rejected 1 "truncated" cut-at-boundary.ota
done
: >empty.ota
rejected 1 "package is empty" empty.ota
rejected 1 "truncated" - < <(head -c $((APP_HDR + 4000)) v6.ota)

# ---- trailing bytes ------------------------------------------------------------------------------
{ cat v6.ota; printf 'garbage'; } >trailing.ota
rejected 1 "trailing data after end-of-archive" trailing.ota
{ cat v6.ota; head -c 512 /dev/zero; printf 'x'; } >trailing-late.ota
rejected 1 "trailing data after end-of-archive" trailing-late.ota
{ cat v6.ota; head -c 100 /dev/zero; } >trailing-zeros.ota
rejected 1 "not a multiple of 512" trailing-zeros.ota
{ cat v6.ota; head -c 70000 /dev/zero; } >trailing-many.ota
rejected 1 "too many bytes after end-of-archive" trailing-many.ota
# zero record padding (tar pads to 10 KiB records) is legal: install it on a copy
cp -a dev dev-copy
{ cat v6.ota; head -c 9216 /dev/zero; } >padded.ota
expect_ok "$OTAUPDATE" --root dev-copy install padded.ota
out_has "installed acme v6"

# ---- endless data (TUF): a stream that never ends is refused within bounds ---------------------
rejected 1 "missing manifest.json" - < <(timeout 20 cat /dev/zero)
rejected 1 "too many bytes after end-of-archive" - < <(timeout 20 cat v6.ota /dev/zero)
rejected 1 "checksum" - < <(timeout 20 yes)

# ---- what the path names ---------------------------------------------------------------------------
ln -s v6.ota link.ota
rejected 1 "link.ota: is a symbolic link" link.ota
rejected 1 "no such file" missing.ota
out=$(cat "$ERR")
check "the missing file is named in '$out'" grep -qF "missing.ota" "$ERR"
mkdir folder.ota
rejected 1 "folder.ota: not a regular file" folder.ota
rejected 1 "not a regular file" /dev/null
mkfifo fifo.ota  # must be refused, not opened: opening a FIFO blocks until a writer comes
expect_exit 1 "fifo.ota: not a regular file" timeout 2 "$OTAUPDATE" --root dev install fifo.ota
expect_exit 1 "fifo.ota: not a regular file" timeout 2 "$OTAPACK" verify --pub k.pub fifo.ota
expect_exit 1 "fifo.ota: not a regular file" timeout 2 "$OTAPACK" inspect fifo.ota
snapshot dev >now.snap
assert_unchanged base.snap now.snap "device after refusing a FIFO"
mkdir empty-root
expect_exit 1 "device not initialised" "$OTAUPDATE" --root empty-root install v6.ota
check "install on an uninitialised root created nothing" test -z "$(ls -A empty-root)"
expect_exit 1 "no such folder" "$OTAUPDATE" --root no-such-root install v6.ota
check "install on a missing root created nothing" test ! -e no-such-root

# ---- a busy device -----------------------------------------------------------------------------------
exec 9<>dev/var/lib/otapack/lock  # this shell holds the device lock
flock -x 9
rejected 3 "another otaupdate is running" v6.ota
exec 9>&-

# ---- usage errors: exit 2, one line, nothing changed -------------------------------------------------
usage_err() {  # usage_err SUBSTRING CMD...
    expect_exit 2 "$1" "${@:2}"
    snapshot dev >now.snap
    assert_unchanged base.snap now.snap "device after a usage error"
}
mkdir fresh
usage_err "--product and either --keyring or --trust-key are required" \
    "$OTAUPDATE" --root fresh init --trust-key k.pub
check "init with a usage error created nothing" test -z "$(ls -A fresh)"
usage_err "--threshold" "$OTAUPDATE" --root fresh init --product acme --trust-key k.pub --threshold 0
usage_err "unknown verb 'frobnicate'" "$OTAUPDATE" --root dev frobnicate
usage_err "unknown verb 'frobnicate'" "$OTAPACK" frobnicate
usage_err "unknown option" "$OTAUPDATE" --root dev install --bogus v6.ota
usage_err "expected one package" "$OTAUPDATE" --root dev install
usage_err "expected one package" "$OTAUPDATE" --root dev install v6.ota v6.ota
usage_err "--root: empty path" "$OTAUPDATE" --root "" status
usage_err "" "$OTAUPDATE" --root
usage_err "" "$OTAUPDATE"
usage_err "" "$OTAPACK"
for bad in abc -1 "" 1.5 0x10 9223372036854775808 18446744073709551616 " 7"; do
    usage_err "--security-version" "$OTAPACK" build -o never.ota --product acme --version 1 \
        --security-version "$bad" --image app=app.img
done
usage_err "required" "$OTAPACK" build -o never.ota --version 1 --security-version 1
usage_err "required" "$OTAPACK" build -o never.ota --product acme --security-version 1
usage_err "--compress" "$OTAPACK" build -o never.ota --product acme --version 1 \
    --security-version 1 --compress gzip
usage_err "--expires-in" "$OTAPACK" build -o never.ota --product acme --version 1 \
    --security-version 1 --expires-in 0
usage_err "--image" "$OTAPACK" build -o never.ota --product acme --version 1 \
    --security-version 1 --image app.img
usage_err "--image '../x'" "$OTAPACK" build -o never.ota --product acme --version 1 \
    --security-version 1 --image ../x=app.img
usage_err "--image 'manifest.json'" "$OTAPACK" build -o never.ota --product acme --version 1 \
    --security-version 1 --image manifest.json=app.img
usage_err "given twice" "$OTAPACK" build -o never.ota --product acme --version 1 \
    --security-version 1 --image a=app.img --image a=cfg.txt
usage_err "--product" "$OTAPACK" build -o never.ota --product "a b" --version 1 \
    --security-version 1
usage_err "expected --pub" "$OTAPACK" verify v6.ota
usage_err "expected --key" "$OTAPACK" sign v6.ota
check "no package written by a refused build" test ! -e never.ota

# ---- host side: a refused build or sign writes nothing ---------------------------------------------
expect_exit 1 "no-such-image.bin: no such file" "$OTAPACK" build -o never.ota --product acme \
    --version 1 --security-version 1 --image app=no-such-image.bin
ln -s app.img app-link.img
expect_exit 1 "is a symbolic link" "$OTAPACK" build -o never.ota --product acme \
    --version 1 --security-version 1 --image app=app-link.img
py -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[2]) + 512 + 100] ^= 1  # one bit of the app payload
open(sys.argv[3], "wb").write(b)' v6.ota "$APP_HDR" tampered.ota
cp tampered.ota tampered-orig.ota
expect_exit 1 "payload 'app': sha256 mismatch" "$OTAPACK" sign --key k.key tampered.ota -o never.ota
expect_exit 1 "payload 'app': sha256 mismatch" "$OTAPACK" sign --key k.key tampered.ota
check "sign in place left the refused package untouched" cmp -s tampered.ota tampered-orig.ota
expect_exit 1 "payload 'app': sha256 mismatch" "$OTAPACK" verify --pub k.pub tampered.ota
rejected 1 "payload 'app': sha256 mismatch" tampered.ota

# ---- a device with a raw A/B slot: a refused package leaves the running generation and its
# (active) half untouched. The documented exception (otaupdate install --help, README): the
# inactive half is scratch space, and the older generation that used it stops being a
# rollback target before it is written -- as in RAUC and Mender.
truncate -s 64K slot-a.img slot-b.img
mkdir sdev
need "$OTAUPDATE" --root sdev init --product acme --trust-key k.pub --slot "app=$T/slot-a.img,$T/slot-b.img"
install_confirmed sdev v5.ota
{ "$OTAUPDATE" --root sdev status --json | py -c 'import json,sys; s=json.load(sys.stdin); s.pop("previous_generation"); print(json.dumps(s, sort_keys=True))'
  find "$(readlink -f sdev/var/lib/otapack/current)" -type f -exec sha256sum {} + | sort; sha256sum slot-b.img; } >slots-base.snap
expect_exit 1 "payload 'app': sha256 mismatch" "$OTAUPDATE" --root sdev install tampered.ota
{ "$OTAUPDATE" --root sdev status --json | py -c 'import json,sys; s=json.load(sys.stdin); s.pop("previous_generation"); print(json.dumps(s, sort_keys=True))'
  find "$(readlink -f sdev/var/lib/otapack/current)" -type f -exec sha256sum {} + | sort; sha256sum slot-b.img; } >slots-now.snap
assert_unchanged slots-base.snap slots-now.snap "A/B device (running generation and active half B)"
assert_clean sdev
expect_exit 1 "truncated" "$OTAUPDATE" --root sdev install - < <(head -c $((APP_HDR + 2000)) v6.ota)
check "no package written by a refused build or sign" test ! -e never.ota
check "no temporary files next to the packages" \
    test -z "$(find . -maxdepth 1 \( -name '.*tmp*' -o -name '.otapack*' \))"

# ---- a generation that never got confirmed leaves the policy floors as they were ------------
# A signed package whose creation time is in the future (a build host's wrong clock) is
# installed on trial and rolled back; the device must then still take a normal package.
cp -a dev dev-time
SOURCE_DATE_EPOCH=$((NOW + 400 * 86400)) pkg future.ota 7 --key k.key
need "$OTAUPDATE" --root dev-time install future.ota
need "$OTAUPDATE" --root dev-time rollback --reason "bad build clock"
expect_ok "$OTAUPDATE" --root dev-time install v6.ota
out_has "installed acme v6"

# the device still runs v5 and takes v6
expect_ok "$OTAUPDATE" --root dev install v6.ota
out_has "installed acme v6"
finish
