#!/usr/bin/env bash
# keyring_cli — keyrings end to end, through the two commands, on devices in folders:
#  * a device provisioned with keyring v1 takes one package carrying v2 and v3 (a chain:
#    rotated release key, then rotated root key and a 2-of-3 release threshold), installs it,
#    and after that refuses a package signed by the removed release key;
#  * refused, each a named case leaving the device byte-identical: a keyring signed only by
#    its own new root keys, one skipping a version, one of the device's version with other
#    contents, one older than the device's, a package signed by one of 2-of-3 keys, and one
#    signature listed twice;
#  * 2-of-3 accepts two distinct release keys;
#  * an expired keyring refuses every package except one that brings a newer valid keyring;
#  * a rotation that is rolled back (failed trial boot) takes the keyring back; one that is
#    confirmed does not come back with a later rollback;
#  * a device provisioned with --trust-key (the version-0 shortcut) rotates to a keyring;
#  * `keyring verify`, `keyring show --json`, `status --json`; `otapack verify --keyring`;
#  * no secret key byte appears in any output.
source "$(dirname "$0")/../cli/lib.sh"
cd "$T"
umask 022
NOW=$(date +%s)
DAY=86400

for k in root1 root2 root3 rel1 rel2 rel3 rel4 flat; do
    need "$OTAPACK" keygen --out "$k"
done
check "key files are 0600" [ "$(stat -c %a root1.key)" = 600 ]
head -c 4096 /dev/urandom >app.img

kr() { need "$OTAPACK" keyring "$@"; }
pkg() { # pkg OUT SV [build args...]
    local out=$1 sv=$2
    shift 2
    need "$OTAPACK" build -o "$out" --product acme --version "$sv.0" --security-version "$sv" \
        --image app=app.img "$@"
}

# ---- keyrings v1, v2, v3 ----------------------------------------------------------------
kr init -o v1.json --root-key root1.pub --release-key rel1.pub --expires-in 365
expect_exit 1 "0 valid signatures by the root keys of v1" "$OTAPACK" keyring verify v1.json
kr sign --key root1.key v1.json
expect_ok "$OTAPACK" keyring verify v1.json
out_has "keyring version 1"
# v2: the release key rel1 is replaced by rel2
kr init -o v2.json --from v1.json
kr add-key --role release rel2.pub v2.json
kr remove-key --role release rel1.pub v2.json
kr sign --key root1.key v2.json
expect_ok "$OTAPACK" keyring verify --previous v1.json v2.json
# v3: the root key root1 is replaced by root2; release keys rel2 rel3 rel4, threshold 2
kr init -o v3.json --from v2.json
kr add-key --role root root2.pub v3.json
kr remove-key --role root root1.pub v3.json
kr add-key --role release rel3.pub v3.json
kr add-key --role release rel4.pub --threshold 2 v3.json
kr sign --key root2.key v3.json
expect_exit 1 "0 valid signatures by the root keys of v2" \
    "$OTAPACK" keyring verify --previous v2.json v3.json
kr sign --key root1.key v3.json
expect_ok "$OTAPACK" keyring verify --previous v2.json v3.json
run "$OTAPACK" keyring show --json v3.json
eq "v3 version" "$(jget "$OUT" 'j["version"]')" 3
eq "v3 release threshold" "$(jget "$OUT" 'j["roles"]["release"]["threshold"]')" 2
eq "v3 release keys" "$(jget "$OUT" 'len(j["roles"]["release"]["keys"])')" 3
eq "v3 self-signed" "$(jget "$OUT" 'j["self_signed"]')" true
# TUF shape: the document holds the four roles and a canonical "signed" object
eq "root.json roles" "$(jget v3.json 'sorted(j["signed"]["roles"])')" \
    '["root", "snapshot", "targets", "timestamp"]'
eq "root.json _type" "$(jget v3.json 'j["signed"]["_type"]')" root

# ---- a device at v1; one package carries v2 and v3 ----------------------------------------
mkdir dev
need "$OTAUPDATE" --root dev init --product acme --keyring v1.json
pkg p1.ota 1 --key rel1.key
install_confirmed dev p1.ota
run "$OTAUPDATE" --root dev status --json
eq "status keyring version" "$(jget "$OUT" 'j["keyring"]["version"]')" 1

# the build refuses what every device would refuse
expect_exit 1 "not a release key of keyring v3" \
    "$OTAPACK" build -o bad.ota --product acme --version 2 --security-version 2 \
    --image app=app.img --keyring v2.json --keyring v3.json --key rel1.key
pkg p2.ota 2 --keyring v3.json --keyring v2.json --key rel2.key --key rel3.key
run "$OTAPACK" inspect --json p2.ota
eq "inspect shows the chain, oldest first" "$(jget "$OUT" '[k["version"] for k in j["keyrings"]]')" \
    '[2, 3]'
expect_ok "$OTAPACK" verify --keyring v1.json --quiet p2.ota
run "$OTAPACK" verify --keyring v1.json p2.ota
out_has "(keyring v3)"
# lint checks the carried keyrings: v3 expires in 365 days
expect_ok "$OTAPACK" lint --strict p2.ota
run "$OTAPACK" lint --strict --min-validity 400 p2.ota
eq "lint: keyring expiring within 400 days fails --strict" "$RC" 1
out_has "keyring v3"
out_has "ship its successor before then"
cp p2.ota unsigned-kr.ota
sigblock_edit unsigned-kr.ota 'blk["keyrings"][1]["signatures"] = []'
run "$OTAPACK" lint unsigned-kr.ota
eq "lint: an unsigned carried keyring is an error" "$RC" 1
out_has "not signed by a threshold of its own root keys"
snapshot dev >before
# -- refusals before the chain applies
pkg solo.ota 2 --keyring v3.json --key rel2.key --key rel3.key # skips v2
expect_exit 1 "keyring v3 does not follow v1" "$OTAUPDATE" --root dev install solo.ota
# v4 signed only by its own new root key (root3), not by a root key of v3
kr init -o v4self.json --from v3.json
kr add-key --role root root3.pub v4self.json
kr remove-key --role root root2.pub v4self.json
kr sign --key root3.key v4self.json
cp v4self.json v4bad.json
expect_exit 1 "0 valid signatures by the root keys of v3" \
    "$OTAPACK" keyring verify --previous v3.json v4self.json
pkg selfsigned.ota 2 --key rel2.key --key rel3.key
# attach the self-signed chain the way an attacker would: build checks the chain, so edit
# the signature block of a package built without it
sigblock_edit selfsigned.ota 'blk["keyrings"] = [json.load(open(p)) for p in args]' \
    v2.json v3.json v4self.json
expect_exit 1 "keyring v4: 0 valid signatures by the root keys of v3" \
    "$OTAUPDATE" --root dev install selfsigned.ota
snapshot dev >after
assert_unchanged before after "device after a self-signed keyring"

# -- the chain applies
expect_ok "$OTAUPDATE" --root dev install p2.ota
run "$OTAUPDATE" --root dev status --json
eq "keyring after the chain" "$(jget "$OUT" 'j["keyring"]["version"]')" 3
eq "keyring confirmed before confirm" "$(jget "$OUT" 'j["keyring"]["confirmed_version"]')" 1
eq "release threshold after the chain" "$(jget "$OUT" 'j["keyring"]["release_threshold"]')" 2
# a failed trial boot takes the rotation back with the images
need "$OTAUPDATE" --root dev rollback
run "$OTAUPDATE" --root dev status --json
eq "keyring after rollback of the pending rotation" "$(jget "$OUT" 'j["keyring"]["version"]')" 1
expect_ok "$OTAUPDATE" --root dev install p2.ota
need "$OTAUPDATE" --root dev confirm
run "$OTAUPDATE" --root dev status --json
eq "keyring confirmed" "$(jget "$OUT" 'j["keyring"]["confirmed_version"]')" 3
check "keys/root.json is v3" [ "$(jget dev/var/lib/otapack/keys/root.json 'j["signed"]["version"]')" = 3 ]
run "$OTAUPDATE" --root dev status
out_has "keyring:           version 3"
out_has "days)" # "expires ... (in 364 days)"

# ---- after the rotation -------------------------------------------------------------------
snapshot dev >before
pkg old-key.ota 3 --key rel1.key
expect_exit 1 "no signature by a trusted key" "$OTAUPDATE" --root dev install old-key.ota
pkg one-of-three.ota 3 --key rel2.key
expect_exit 1 "1 valid signature, 2 required" "$OTAUPDATE" --root dev install one-of-three.ota
# one signer twice: the signature block lists rel2's signature a second time
cp one-of-three.ota twice.ota
sigblock_edit twice.ota 'blk["signatures"] = blk["signatures"] * 2'
expect_exit 1 "listed twice" "$OTAUPDATE" --root dev install twice.ota
# a keyring of the device's version with other contents
kr init -o v3fork.json --from v2.json --expires-in 10
kr add-key --role release rel1.pub v3fork.json
kr sign --key root1.key v3fork.json
pkg fork.ota 3 --keyring v3fork.json --key rel1.key
expect_exit 1 "keyring v3 in the package is not the device's keyring v3" \
    "$OTAUPDATE" --root dev install fork.ota
# an older keyring only
pkg older.ota 3 --keyring v2.json --key rel2.key
expect_exit 1 "package carries keyring v2, older than the device's v3" \
    "$OTAUPDATE" --root dev install older.ota
snapshot dev >after
assert_unchanged before after "device after the refusals"
# two distinct release keys of three; the chain v2, v3 is history now and is skipped
pkg two-of-three.ota 3 --keyring v2.json --keyring v3.json --key rel3.key --key rel4.key
expect_ok "$OTAUPDATE" --root dev install two-of-three.ota
# rolling back a later generation does not take back a confirmed rotation
need "$OTAUPDATE" --root dev rollback
run "$OTAUPDATE" --root dev status --json
eq "keyring after a rollback to the rotated generation" "$(jget "$OUT" 'j["keyring"]["version"]')" 3
need "$OTAUPDATE" --root dev install two-of-three.ota
need "$OTAUPDATE" --root dev confirm

# ---- expiry -------------------------------------------------------------------------------
# v4 (root2 stays) expires late; the device's v3 expires in 365 days. A package created 400
# days from now: the device takes its creation time as the trusted time, and v3 has expired.
kr init -o v4.json --from v3.json --expires-in 900
kr sign --key root2.key v4.json
LATE=$((NOW + 400 * DAY))
SOURCE_DATE_EPOCH=$LATE pkg late.ota 4 --key rel3.key --key rel4.key
snapshot dev >before
expect_exit 1 "keyring v3 expired at" "$OTAUPDATE" --root dev install late.ota
snapshot dev >after
assert_unchanged before after "device after an expired keyring"
SOURCE_DATE_EPOCH=$LATE pkg late-rotated.ota 4 --keyring v4.json --key rel3.key --key rel4.key
expect_ok "$OTAUPDATE" --root dev install late-rotated.ota
run "$OTAUPDATE" --root dev status --json
eq "keyring after the rescue" "$(jget "$OUT" 'j["keyring"]["version"]')" 4
# the build refuses to carry a keyring already expired at the package's creation
OTAPACK_NOW=$((NOW - 2 * DAY)) kr init -o v5short.json --from v4.json --expires-in 1
kr sign --key root2.key v5short.json
expect_exit 1 "keyring v5 expired at" "$OTAPACK" build -o x.ota --product acme --version 5 \
    --security-version 5 --image app=app.img --keyring v4.json --keyring v5short.json
expect_exit 1 "expired" "$OTAPACK" keyring verify v5short.json
# init refuses an unsigned or expired keyring
kr init -o unsigned.json --root-key root1.pub --release-key rel1.pub
mkdir dev2
expect_exit 1 "--keyring" "$OTAUPDATE" --root dev2 init --product acme --keyring unsigned.json
expect_exit 2 "no --trust-key" "$OTAUPDATE" --root dev2 init --product acme \
    --keyring v1.json --trust-key rel1.pub
check "a refused init leaves nothing" [ ! -e dev2/var/lib/otapack ]

# ---- the --trust-key shortcut rotates to a keyring ----------------------------------------
new_device flatdev flat.pub
kr init -o f1.json --root-key root1.pub --release-key rel1.pub
kr sign --key root1.key f1.json
kr sign --key flat.key f1.json # the old root: the device's trusted key
pkg fp.ota 1 --keyring f1.json --key rel1.key
expect_ok "$OTAUPDATE" --root flatdev install fp.ota
run "$OTAUPDATE" --root flatdev status --json
eq "flat device rotated" "$(jget "$OUT" 'j["keyring"]["version"]')" 1
kr init -o f1only.json --root-key root1.pub --release-key rel1.pub
kr sign --key root1.key f1only.json
pkg fp2.ota 1 --keyring f1only.json --key rel1.key
new_device flatdev2 flat.pub
expect_exit 1 "keyring v1: 0 valid signatures by the root keys of v0" \
    "$OTAUPDATE" --root flatdev2 install fp2.ota

# ---- usage --------------------------------------------------------------------------------
expect_exit 2 "expected init, add-key" "$OTAPACK" keyring
expect_exit 1 "missing.pub: no such file" "$OTAPACK" keyring init -o x.json \
    --root-key missing.pub --release-key rel1.pub
check "a refused keyring init writes nothing" test ! -e x.json
expect_exit 2 "--role" "$OTAPACK" keyring add-key --role admin rel1.pub v1.json
expect_exit 2 "passphrase" "$OTAPACK" keyring sign --key root1.key --passphrase x v1.json
expect_exit 2 "leaves the root role 0 keys" "$OTAPACK" keyring remove-key --role root \
    root1.pub v1.json -o x.json
expect_exit 1 "invalid JSON" "$OTAPACK" keyring show app.img

# ---- no secret key byte in any output ------------------------------------------------------
for k in root1 root2 root3 rel1 rel2 rel3 rel4 flat; do
    sk=$(cut -d' ' -f3 "$k.key")
    check "secret of $k never printed" not grep -rqF "${sk:0:32}" "$LOG"
done
finish
