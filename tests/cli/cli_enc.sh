#!/usr/bin/env bash
# cli_enc — passphrase-encrypted secret keys (FORMAT.md section 6) through the otapack
# command: keygen --encrypt with OTAPACK_PASSPHRASE and with --passphrase-file, the key file's
# mode and exact line format, sign and build --key with the right passphrase giving packages
# that verify --pub accepts, a wrong passphrase (exit 1) and none (exit 2) refused with one
# line and nothing written, a damaged or hostile key file refused, --passphrase on the command
# line refused, and no passphrase ever in any output.
source "$(dirname "$0")/lib.sh"
cd "$T"
umask 022
unset OTAPACK_PASSPHRASE
PASS1='tr0ub4dor & 3 (env)'
PASS2='correct horse battery staple'
NEEDS="encrypted key needs a passphrase (--passphrase-file or OTAPACK_PASSPHRASE)"
WRONG="wrong passphrase or damaged key file"
# line_ok FILE OPS MEM: FILE is exactly one encrypted key line, as specified
line_ok() {
    local re='^otapack-seckey-v1 ed25519-encrypted argon2id13 [0-9a-f]{16} [0-9a-f]{16} [0-9a-f]{32} [0-9a-f]{48} [0-9a-f]{96}$'
    [ "$(wc -l <"$1")" = 1 ] && [ "$(wc -c <"$1")" = 260 ] && grep -qE "$re" "$1" &&
        [ "$(cut -d' ' -f4-5 "$1")" = "$2 $3" ]
}

# ---- keygen --encrypt ---------------------------------------------------------------------
expect_ok env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" keygen --out e1 --encrypt
out_has "wrote e1.key (secret, encrypted with the passphrase, mode 0600) and e1.pub"
KEYID1=$(grep -o 'key id [0-9a-f]*' "$OUT" | cut -d' ' -f3)
eq "e1.key mode" "$(stat -c %a e1.key)" 600
eq "e1.pub mode" "$(stat -c %a e1.pub)" 644
check "e1.key is one encrypted line at the default cost (3 passes, 256 MiB)" \
    line_ok e1.key 0000000000000003 0000000010000000
eq "e1.pub is a plain public key" "$(cut -d' ' -f1-2 e1.pub)" "otapack-pubkey-v1 ed25519"

printf '%s\nthe second line is not part of it\n' "$PASS2" >pass2.txt
chmod 600 pass2.txt
expect_ok "$OTAPACK" keygen --encrypt --passphrase-file pass2.txt --out e2
KEYID2=$(grep -o 'key id [0-9a-f]*' "$OUT" | cut -d' ' -f3)
eq "e2.key mode" "$(stat -c %a e2.key)" 600
check "e2.key is one encrypted line" line_ok e2.key 0000000000000003 0000000010000000
check "two keys, two salts" test "$(cut -d' ' -f6 e1.key)" != "$(cut -d' ' -f6 e2.key)"
# the umask does not loosen the key file
(umask 000 && OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" keygen --out u000 --encrypt >/dev/null)
eq "u000.key mode under umask 000" "$(stat -c %a u000.key)" 600
need "$OTAPACK" keygen --out plain
assert_clean .

# usage errors: nothing is written
expect_exit 2 "--encrypt needs a passphrase" "$OTAPACK" keygen --out n1 --encrypt
expect_exit 2 "--encrypt needs a passphrase" env OTAPACK_PASSPHRASE= "$OTAPACK" keygen --out n1 \
    --encrypt
expect_exit 2 "--passphrase-file is for --encrypt" "$OTAPACK" keygen --out n1 \
    --passphrase-file pass2.txt
: >empty.txt
printf '\r\nsecond\n' >emptyline.txt
expect_exit 2 "empty.txt: the passphrase (the file's first line) is empty" "$OTAPACK" keygen \
    --out n1 --encrypt --passphrase-file empty.txt
expect_exit 2 "is empty" "$OTAPACK" keygen --out n1 --encrypt --passphrase-file emptyline.txt
head -c 1025 /dev/zero | tr '\0' 'p' >big.txt
expect_exit 1 "big.txt: passphrase file larger than 1024 bytes" "$OTAPACK" keygen --out n1 \
    --encrypt --passphrase-file big.txt
expect_exit 1 "OTAPACK_PASSPHRASE: the passphrase is longer than 1024 bytes" \
    env OTAPACK_PASSPHRASE="$(cat big.txt)" "$OTAPACK" keygen --out n1 --encrypt
expect_exit 1 "nowhere.txt: no such file" "$OTAPACK" keygen --out n1 --encrypt \
    --passphrase-file nowhere.txt
ln -s pass2.txt link.txt
expect_exit 1 "link.txt: is a symbolic link" "$OTAPACK" keygen --out n1 --encrypt \
    --passphrase-file link.txt
expect_exit 1 "already exists" env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" keygen --out e1 \
    --encrypt
check "no n1 files after the refusals" test ! -e n1.key -a ! -e n1.pub
assert_clean .

# ---- --passphrase on the command line does not exist -----------------------------------------
ARGV_SECRET='argv-secret-9f8e7d'
for form in "--passphrase $ARGV_SECRET" "--passphrase=$ARGV_SECRET"; do
    # shellcheck disable=SC2086  # split on purpose: the option and its value
    expect_exit 2 "keygen" "$OTAPACK" keygen --out n2 --encrypt $form
    # shellcheck disable=SC2086
    expect_exit 2 "sign" "$OTAPACK" sign --key e1.key $form u.ota -o n2.ota
    # shellcheck disable=SC2086
    expect_exit 2 "build" "$OTAPACK" build -o n2.ota --product acme --version 1 \
        --security-version 1 --image app=/dev/null --key e1.key $form
done
expect_exit 2 "--passphrase: a passphrase is never taken from the command line" \
    "$OTAPACK" keygen --out n2 --encrypt --passphrase "$ARGV_SECRET"
expect_exit 2 "unknown option" "$OTAPACK" sign --key e1.key --pass "$ARGV_SECRET" u.ota
check "no n2 files" test ! -e n2.key -a ! -e n2.pub -a ! -e n2.ota

# ---- sign and build with encrypted keys -------------------------------------------------------
head -c 200000 /dev/urandom >app.img
NOW=$(date +%s)
build() {  # build OUT [more build options]: product acme, created now
    local out=$1
    shift
    SOURCE_DATE_EPOCH=$NOW "$OTAPACK" build -o "$out" --product acme --version 1.0 \
        --security-version 1 --image app=app.img "$@"
}
build_env() {  # build_env PASSPHRASE OUT [more build options]: build with OTAPACK_PASSPHRASE
    local pass=$1 out=$2
    shift 2
    SOURCE_DATE_EPOCH=$NOW OTAPACK_PASSPHRASE=$pass "$OTAPACK" build -o "$out" --product acme \
        --version 1.0 --security-version 1 --image app=app.img "$@"
}
expect_ok build u.ota
cp u.ota u.orig

expect_ok env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key e1.key u.ota -o s1.ota
out_has "signed s1.ota with key ${KEYID1:0:16}"
expect_ok "$OTAPACK" verify --pub e1.pub s1.ota
out_has "signed by ${KEYID1:0:16}"
expect_exit 1 "" "$OTAPACK" verify --pub e2.pub s1.ota

# --passphrase-file before or after --key; the file wins over the environment
expect_ok "$OTAPACK" sign --passphrase-file pass2.txt --key e2.key u.ota -o s2a.ota
expect_ok "$OTAPACK" sign --key e2.key u.ota -o s2b.ota --passphrase-file pass2.txt
expect_ok env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key e2.key \
    --passphrase-file pass2.txt u.ota -o s2c.ota
for p in s2a s2b s2c; do
    expect_ok "$OTAPACK" verify --pub e2.pub $p.ota
done
check "signing is deterministic whatever the order of the options" cmp -s s2a.ota s2b.ota
# a passphrase file ending in CRLF is the same passphrase
printf '%s\r\n' "$PASS2" >pass2-crlf.txt
expect_ok "$OTAPACK" sign --key e2.key --passphrase-file pass2-crlf.txt u.ota -o s2d.ota
check "CRLF passphrase file: the same signature" cmp -s s2a.ota s2d.ota

# plain and encrypted keys together; the passphrase does not bother the plain key
expect_ok env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key plain.key --key e1.key u.ota \
    -o s3.ota
expect_ok "$OTAPACK" verify --pub plain.pub --pub e1.pub --threshold 2 s3.ota
expect_ok env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key plain.key u.ota -o s4.ota
expect_ok "$OTAPACK" verify --pub plain.pub s4.ota

# build --key with an encrypted key, each passphrase source
expect_ok build_env "$PASS1" b1.ota --key e1.key
out_has "wrote b1.ota: 1 image, signed"
expect_ok "$OTAPACK" verify --pub e1.pub b1.ota
expect_ok build b2.ota --key e2.key --passphrase-file pass2.txt
expect_ok "$OTAPACK" verify --pub e2.pub b2.ota
expect_ok "$OTAPACK" verify --pub u000.pub --pub e2.pub b2.ota

# in-place signing (no -o) with the right passphrase
cp u.orig inplace.ota
expect_ok "$OTAPACK" sign --key e2.key --passphrase-file pass2.txt inplace.ota
expect_ok "$OTAPACK" verify --pub e2.pub inplace.ota

# ---- refusals: nothing written, nothing changed ---------------------------------------------------
# no passphrase: exit 2 naming the key file
expect_exit 2 "otapack: e1.key: $NEEDS" "$OTAPACK" sign --key e1.key u.ota -o r1.ota
expect_exit 2 "otapack: e1.key: $NEEDS" env OTAPACK_PASSPHRASE= "$OTAPACK" sign --key e1.key \
    u.ota -o r1.ota
expect_exit 2 "otapack: e1.key: $NEEDS" build r1.ota --key e1.key
expect_exit 2 "otapack: e1.key: $NEEDS" "$OTAPACK" sign --key plain.key --key e1.key u.ota \
    -o r1.ota
# a wrong passphrase: exit 1
expect_exit 1 "otapack: e1.key: $WRONG" env OTAPACK_PASSPHRASE="$PASS2" "$OTAPACK" sign \
    --key e1.key u.ota -o r1.ota
expect_exit 1 "otapack: e1.key: $WRONG" "$OTAPACK" sign --key e1.key --passphrase-file \
    pass2.txt u.ota -o r1.ota
expect_exit 1 "otapack: e2.key: $WRONG" env OTAPACK_PASSPHRASE="$PASS2 " "$OTAPACK" sign \
    --key e2.key u.ota -o r1.ota
expect_exit 1 "otapack: e1.key: $WRONG" build r1.ota --key e1.key --passphrase-file pass2.txt
expect_exit 1 "otapack: e1.key: $WRONG" build_env "$PASS2" r1.ota --key e1.key
# the second key's passphrase differs: the whole run is refused
expect_exit 1 "otapack: e2.key: $WRONG" env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign \
    --key e1.key --key e2.key u.ota -o r1.ota
check "no package written by a refused run" test ! -e r1.ota
# in place: the package is untouched
cp u.orig inplace2.ota
expect_exit 1 "otapack: e1.key: $WRONG" env OTAPACK_PASSPHRASE=nope "$OTAPACK" sign \
    --key e1.key inplace2.ota
expect_exit 2 "otapack: e1.key: $NEEDS" "$OTAPACK" sign --key e1.key inplace2.ota
check "a refused in-place sign leaves the package byte-identical" cmp -s inplace2.ota u.orig
check "u.ota itself was never changed" cmp -s u.ota u.orig
expect_exit 2 "--passphrase-file: there is no --key to unlock" build r1.ota \
    --passphrase-file pass2.txt
check "no package written" test ! -e r1.ota
assert_clean .

# a damaged key file (one flipped hex digit in each field) and a hostile cost
damage() {  # damage FIELD OUT: e1.key with field FIELD (4..8) changed
    awk -v f="$1" '{ c = substr($f, 1, 1); $f = (c == "0" ? "1" : "0") substr($f, 2); print }' \
        e1.key >"$2"
    chmod 600 "$2"
}
for f in 6 7 8; do
    damage $f d$f.key
    expect_exit 1 "otapack: d$f.key: $WRONG" env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign \
        --key d$f.key u.ota -o r2.ota
done
sed 's/ 0000000010000000 / 0000001900000000 /' e1.key >hostile.key  # 100 GiB
chmod 600 hostile.key
expect_exit 1 "otapack: hostile.key: encrypted secret key: memlimit 107374182400 is outside" \
    env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key hostile.key u.ota -o r2.ota
sed 's/ 0000000000000003 / 00000000ffffffff /' e1.key >slow.key  # 2^32 - 1 passes
chmod 600 slow.key
expect_exit 1 "otapack: slow.key: encrypted secret key: opslimit 4294967295 is outside 1..16" \
    env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key slow.key u.ota -o r2.ota
sed 's/ed25519-encrypted argon2id13 00/ed25519-encrypted argon2id13 /' e1.key >short.key
chmod 600 short.key
expect_exit 1 "otapack: short.key: encrypted secret key: line is not 259 characters" \
    env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key short.key u.ota -o r2.ota
awk '{ $8 = toupper($8); print }' e1.key >upper.key
chmod 600 upper.key
expect_exit 1 "lowercase hex" env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key upper.key \
    u.ota -o r2.ota
cp e1.key open.key && chmod 640 open.key
expect_exit 1 "run chmod 600" env OTAPACK_PASSPHRASE="$PASS1" "$OTAPACK" sign --key open.key \
    u.ota -o r2.ota
check "no package written from a damaged key" test ! -e r2.ota

# ---- help -------------------------------------------------------------------------------------
for verb in keygen build sign; do
    expect_ok "$OTAPACK" $verb --help
    check "$verb --help has an ENVIRONMENT section naming OTAPACK_PASSPHRASE" \
        grep -qx ENVIRONMENT "$OUT"
    out_has "OTAPACK_PASSPHRASE"
    out_has "--passphrase-file FILE"
done

# ---- the passphrases never appear in any output -----------------------------------------------
CHECKS=$((CHECKS + 1))
if grep -lF -e "$PASS1" -e "$PASS2" -e "$ARGV_SECRET" -e "tr0ub4dor" -e "battery staple" \
    "$LOG"/*.out "$LOG"/*.err >leaks.txt; then
    fail "a passphrase appears in the output of: $(sed 's|.*/||' leaks.txt | tr '\n' ' ')"
fi
CHECKS=$((CHECKS + 1))
if grep -lF -e "$PASS1" -e "$PASS2" ./*.key ./*.pub ./*.ota >leaks.txt; then
    fail "a passphrase appears in: $(tr '\n' ' ' <leaks.txt)"
fi
echo "passphrase-leak scan: $NRUN commands' stdout and stderr"

finish
