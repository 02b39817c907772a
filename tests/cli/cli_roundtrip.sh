#!/usr/bin/env bash
# cli_roundtrip — the happy path end to end: keygen, build (plain and zlib), the container
# seen by plain tar, verify, init, install (file, pipe, trickling pipe), status --json,
# idempotent reinstall, build -> sign -> verify, reproducible builds, idempotent signing,
# and that the secret key never shows up in any output.
source "$(dirname "$0")/lib.sh"
cd "$T"
umask 022
NOW=$(date +%s)

# ---- keygen ------------------------------------------------------------------------------
expect_ok "$OTAPACK" keygen --out k
out_has "key id "
eq "k.key mode" "$(stat -c %a k.key)" 600
eq "k.pub mode" "$(stat -c %a k.pub)" 644
SECRET_HEX=$(cut -d' ' -f3 k.key)
eq "secret key line" "$(cut -d' ' -f1-2 k.key) ${#SECRET_HEX}" "otapack-seckey-v1 ed25519 64"
eq "public key line" "$(cut -d' ' -f1-2 k.pub)" "otapack-pubkey-v1 ed25519"
KEYID=$(grep -o 'key id [0-9a-f]*' "$OUT" | cut -d' ' -f3)
eq "key id length" "${#KEYID}" 64
before=$(sha256sum k.key k.pub)
expect_exit 1 "already exists" "$OTAPACK" keygen --out k
eq "keygen refused to overwrite" "$(sha256sum k.key k.pub)" "$before"
cp k.pub half.pub
expect_exit 1 "already exists" "$OTAPACK" keygen --out half
check "keygen with only PREFIX.pub present wrote no PREFIX.key" test ! -e half.key
ln -s nowhere dangling.key
expect_exit 1 "already exists" "$OTAPACK" keygen --out dangling
check "keygen left a dangling PREFIX.key symlink alone" test -L dangling.key
for m in 000 077; do  # the modes do not depend on the umask
    (umask $m && "$OTAPACK" keygen --out "u$m" >/dev/null)
    eq "u$m.key mode under umask $m" "$(stat -c %a "u$m.key")" 600
    eq "u$m.pub mode under umask $m" "$(stat -c %a "u$m.pub")" 644
done
need "$OTAPACK" keygen --out other

# ---- inputs and builds -----------------------------------------------------------------
head -c 1048576 /dev/urandom >app.img
head -c 777 /dev/urandom | od -An -tx1 >cfg.txt  # small, not a multiple of 512
build() {  # build OUT SV [more build options]: product acme, created now
    local out=$1 sv=$2
    shift 2
    SOURCE_DATE_EPOCH=$NOW "$OTAPACK" build -o "$out" --product acme --version "v$sv" \
        --security-version "$sv" --image app=app.img --image cfg=cfg.txt "$@"
}
expect_ok build v1.ota 1 --key k.key
out_has "wrote v1.ota: 2 images, signed"
expect_ok build v2.ota 2 --compress zlib --key k.key
expect_ok build v2-none.ota 2 --key k.key  # same as v2, uncompressed
check "zlib made the text image smaller" test "$(stat -c %s v2.ota)" -lt "$(stat -c %s v2-none.ota)"

# what plain tar sees: the fixed entry order, regular files only, payloads as stored
for p in v1.ota v2.ota; do
    expect_ok tar tf "$p"
    eq "$p: tar entries" "$(tr '\n' ' ' <"$OUT")" "manifest.json signatures.json app cfg "
    expect_ok tar tvf "$p"
    eq "$p: every entry is a regular file" "$(cut -c1 "$OUT" | sort -u | tr -d '\n')" "-"
    mkdir -p "x-${p%.ota}"
    expect_ok tar xf "$p" -C "x-${p%.ota}"
    expect_ok py -c 'import json, sys; [json.load(open(f)) for f in sys.argv[1:]]' \
        "x-${p%.ota}/manifest.json" "x-${p%.ota}/signatures.json"
done
check "v1 entry 'app' is the image" cmp -s x-v1/app app.img
check "v1 entry 'cfg' is the file" cmp -s x-v1/cfg cfg.txt
expect_ok py -c 'import sys, zlib
for stored, raw in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    assert zlib.decompress(open(stored, "rb").read()) == open(raw, "rb").read(), stored' \
    x-v2/app app.img x-v2/cfg cfg.txt

# verify and inspect
expect_ok "$OTAPACK" verify --pub k.pub v1.ota
out_has "v1.ota: OK: acme v1 (security version 1), 2 payloads, signed by ${KEYID:0:16}"
expect_ok "$OTAPACK" verify --pub k.pub v2.ota
expect_ok "$OTAPACK" verify --quiet --pub other.pub --pub k.pub - <v2.ota
check "verify --quiet prints nothing" test ! -s "$OUT"
expect_ok "$OTAPACK" inspect --json v2.ota
cp "$OUT" inspect.json
eq "inspect: product" "$(jget inspect.json 'j["product"]')" acme
eq "inspect: signature key id" "$(jget inspect.json 'j["signatures"][0]["keyid"]')" "$KEYID"
eq "inspect: payload names" "$(jget inspect.json '" ".join(p["name"] for p in j["payloads"])')" "app cfg"
eq "inspect: app uncompressed sha256" \
    "$(jget inspect.json 'j["payloads"][0]["uncompressed_sha256"]')" "$(sha256 app.img)"
eq "inspect: cfg compression" "$(jget inspect.json 'j["payloads"][1]["compression"]')" zlib
eq "inspect: cfg stored sha256" "$(jget inspect.json 'j["payloads"][1]["sha256"]')" \
    "$(sha256 x-v2/cfg)"
eq "inspect: manifest_sha256" "$(jget inspect.json 'j["manifest_sha256"]')" \
    "$(sha256 x-v2/manifest.json)"

# ---- device: init, install, status ------------------------------------------------------
mkdir dev
expect_ok "$OTAUPDATE" --root dev init --product acme --trust-key k.pub
expect_ok "$OTAUPDATE" --root dev status --json
cp "$OUT" st0.json
eq "fresh device: version" "$(jget st0.json 'j["version"]')" null
eq "fresh device: images" "$(jget st0.json 'j["images"]')" "[]"

# check_status VERSION SV GEN: status --json against the inputs (relative --root on purpose)
check_status() {
    expect_ok "$OTAUPDATE" --root dev status --json
    cp "$OUT" st.json
    eq "status: product version security_version generation" \
        "$(jget st.json '" ".join(str(j[k]) for k in ("product", "version", "security_version", "generation"))')" \
        "acme $1 $2 $3"
    eq "status: images (name size sha256)" \
        "$(jget st.json '" ".join("%s %s %s" % (i["name"], i["size"], i["sha256"]) for i in j["images"])')" \
        "app $(stat -c %s app.img) $(sha256 app.img) cfg $(stat -c %s cfg.txt) $(sha256 cfg.txt)"
    local name path file
    while read -r name path; do
        file=app.img
        [ "$name" = cfg ] && file=cfg.txt
        check "status: $name path '$path' is absolute" test "${path:0:1}" = /
        check "status: $name path exists" test -f "$path"
        check "installed $name is byte-identical to its input" cmp -s "$path" "$file"
    done < <(jget st.json '"\n".join(i["name"] + " " + i["path"] for i in j["images"])')
}

expect_ok "$OTAUPDATE" --root dev install v1.ota
out_has "installed acme v1 (security version 1) as generation 1"
need "$OTAUPDATE" --root dev confirm
check_status v1 1 1
snapshot dev >before.snap
expect_ok "$OTAUPDATE" --root dev install v1.ota
out_has "already installed"
snapshot dev >after.snap
assert_unchanged before.snap after.snap "device (reinstalling the running package)"
expect_ok "$OTAUPDATE" --root dev install - <v1.ota
out_has "already installed"
snapshot dev >after.snap
assert_unchanged before.snap after.snap "device (reinstalling the running package from stdin)"

# install from a pipe (not a file: no seeking, no size)
expect_ok "$OTAUPDATE" --root dev install - < <(cat v2.ota)
out_has "installed acme v2 (security version 2) as generation 2"
need "$OTAUPDATE" --root dev confirm
check_status v2 2 2
eq "status: previous_generation" "$(jget st.json 'j["previous_generation"]')" 1
assert_clean dev

# a trickling pipe: the reader must handle any split of headers, data and padding
expect_ok build v3.ota 3 --compress zlib --key k.key
expect_ok "$OTAUPDATE" --root dev install - < <(py -c '
import os, random, sys, time
data = open(sys.argv[1], "rb").read()
rnd, i, n = random.Random(7), 0, 0
while i < len(data):
    k = rnd.choice((1, 2, 7, 100, 511, 512, 513, 1000, 4096, 70000))
    os.write(1, data[i:i + k])
    i, n = i + k, n + 1
    if n % 50 == 0:
        time.sleep(0.001)
' v3.ota)
out_has "installed acme v3"
need "$OTAUPDATE" --root dev confirm
check_status v3 3 3

# ---- build -> sign -> verify ----------------------------------------------------------------
expect_ok build u.ota 4
out_has "unsigned"
expect_exit 1 "unsigned" "$OTAPACK" verify --pub k.pub u.ota
expect_ok "$OTAPACK" sign --key k.key u.ota -o s.ota
out_has "signed s.ota with key ${KEYID:0:16}"
expect_ok "$OTAPACK" verify --pub k.pub s.ota
expect_ok build built-signed.ota 4 --key k.key
check "sign after build gives the bytes of build --key" cmp -s s.ota built-signed.ota
mkdir -p x-u x-s
tar xf u.ota -C x-u && tar xf s.ota -C x-s
check "signing left manifest.json byte-identical" cmp -s x-u/manifest.json x-s/manifest.json
check "signing left payload app byte-identical" cmp -s x-u/app x-s/app
check "signing left payload cfg byte-identical" cmp -s x-u/cfg x-s/cfg
expect_ok "$OTAPACK" sign --key k.key s.ota -o s2.ota
check "signing twice with the same key is idempotent" cmp -s s.ota s2.ota
cp u.ota inplace.ota
expect_ok "$OTAPACK" sign --key k.key inplace.ota
check "sign without -o replaces the package with the signed one" cmp -s inplace.ota s.ota
expect_ok "$OTAPACK" sign --key k.key --key other.key u.ota -o s12.ota
expect_ok "$OTAPACK" verify --pub k.pub --pub other.pub --threshold 2 s12.ota
expect_exit 1 "1 valid signature, 2 required" \
    "$OTAPACK" verify --pub k.pub --threshold 2 s12.ota
expect_ok "$OTAPACK" sign --key other.key s.ota -o s21.ota
check "signature order does not depend on signing order" cmp -s s12.ota s21.ota
expect_ok "$OTAUPDATE" --root dev install s12.ota
need "$OTAUPDATE" --root dev confirm
check_status v4 4 4
assert_clean dev
check "no temporary files next to the packages" \
    test -z "$(find . -maxdepth 1 \( -name '.*tmp*' -o -name '.otapack*' \))"

# ---- reproducible builds -----------------------------------------------------------------
mkdir -p elsewhere
cp app.img elsewhere/other-name.bin
cp cfg.txt elsewhere/c
for comp in none zlib; do
    expect_ok build r1-$comp.ota 9 --compress $comp --key k.key
    expect_ok build r2-$comp.ota 9 --compress $comp --key k.key
    check "two builds ($comp) are byte-identical" cmp -s r1-$comp.ota r2-$comp.ota
    (cd elsewhere && SOURCE_DATE_EPOCH=$NOW "$OTAPACK" build -o ../r3-$comp.ota \
        --product acme --version v9 --security-version 9 --image app=other-name.bin \
        --image cfg=c --compress $comp --key ../k.key >/dev/null)
    check "a build ($comp) from other paths is byte-identical" cmp -s r1-$comp.ota r3-$comp.ota
done
SOURCE_DATE_EPOCH=$((NOW + 1)) "$OTAPACK" build -o r4.ota --product acme --version v9 \
    --security-version 9 --image app=app.img --image cfg=cfg.txt --key k.key >/dev/null
check "another SOURCE_DATE_EPOCH gives other bytes" not cmp -s r1-none.ota r4.ota

# ---- the secret key stays secret ------------------------------------------------------------
# misuse that puts the secret key file where something else is expected
expect_exit 1 "" "$OTAPACK" verify --pub k.key v1.ota
expect_exit 1 "" "$OTAPACK" inspect k.key
expect_exit 1 "" "$OTAPACK" verify --pub k.pub k.key
mkdir dev2
expect_exit 1 "" "$OTAUPDATE" --root dev2 init --product acme --trust-key k.key
expect_exit 1 "" "$OTAUPDATE" --root dev install k.key
sed 's/ed25519/ed25518/' k.key >bad.key && chmod 600 bad.key
expect_exit 1 "not an otapack secret key" build bad.ota 5 --key bad.key
echo "otapack-seckey-v1 ed25519 $(echo "$SECRET_HEX" | tr a-f A-F)" >upper.key
chmod 600 upper.key
expect_exit 1 "lowercase" build bad.ota 5 --key upper.key
cp k.key open.key && chmod 644 open.key
expect_exit 1 "run chmod 600" build bad.ota 5 --key open.key
expect_exit 1 "run chmod 600" "$OTAPACK" sign --key open.key u.ota -o bad.ota
check "no package written with a refused key" test ! -e bad.ota
UPPER_HEX=$(echo "$SECRET_HEX" | tr 'a-f' 'A-F')
CHECKS=$((CHECKS + 1))
if grep -rlF -e "$SECRET_HEX" -e "$UPPER_HEX" "$LOG" >leaks.txt; then
    fail "the secret key appears in the output of: $(sed 's|.*/||' leaks.txt | tr '\n' ' ')"
fi
expect_ok py -c 'import glob, sys
seed = bytes.fromhex(sys.argv[1])
for f in glob.glob("*.ota"):
    b = open(f, "rb").read()
    assert seed not in b and sys.argv[1].encode() not in b, "secret key inside " + f' "$SECRET_HEX"
echo "secret-leak scan: $NRUN commands' stdout and stderr"

finish
