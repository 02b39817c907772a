#!/usr/bin/env bash
# cli_help — every verb of both commands has a --help that reads like a man page (NAME,
# SYNOPSIS, DESCRIPTION), exits 0 and prints nothing on stderr; and the device binary carries
# no signing code and no secret-key format.
source "$(dirname "$0")/lib.sh"
cd "$T"

# has_sections FILE SECTION...: each SECTION heading starts a line of FILE
has_sections() {
    local f=$1 s
    shift
    for s in "$@"; do
        grep -qx "$s" "$f" || return 1
    done
}

for cmd in "$OTAPACK" "$OTAUPDATE"; do
    prog=$(basename "$cmd")
    for form in --help -h help; do
        expect_ok "$cmd" "$form"
        check "$prog $form: NAME and SYNOPSIS" has_sections "$OUT" NAME SYNOPSIS
    done
    expect_ok "$cmd" --version
    out_has "$prog "
    expect_ok "$cmd" --help
    # the verbs, as the main help lists them (new verbs are covered when they are listed)
    verbs=$(awk '/^VERBS$/ { on = 1; next } on && /^$/ { exit } on { print $1 }' "$OUT")
    check "$prog --help lists its verbs" test -n "$verbs"
    for verb in $verbs; do
        for form in --help -h; do
            expect_ok "$cmd" "$verb" "$form"
            check "$prog $verb $form: NAME, SYNOPSIS and DESCRIPTION" \
                has_sections "$OUT" NAME SYNOPSIS DESCRIPTION
            check "$prog $verb $form: NAME names the verb" \
                grep -qE "^    $prog $verb( |$)" "$OUT"
        done
    done
    echo "$prog verbs with man-page help: $(echo $verbs)"
done
# the contract's verbs (DESIGN.md, "Command-line contract") that exist so far must be listed
for v in keygen build sign verify inspect; do
    check "otapack lists '$v'" grep -qE "^    $v " <("$OTAPACK" --help)
done
for v in init install status; do
    check "otaupdate lists '$v'" grep -qE "^    $v " <("$OTAUPDATE" --help)
done

# ---- the device binary holds public keys only ----------------------------------------------
command -v nm >/dev/null && command -v strings >/dev/null ||
    { fail "nm and strings (binutils) are needed"; finish; }
signing='^(crypto_sign_keypair|crypto_sign_detached|crypto_sign_seed_keypair|crypto_sign|crypto_sign_ed25519_sk_to_seed|crypto_sign_ed25519_sk_to_pk)$'
nm -D --undefined-only "$OTAUPDATE" | awk '{ print $NF }' | sed 's/@.*//' >otaupdate.imports
check "otaupdate imports symbols (nm works)" test -s otaupdate.imports
check "otaupdate imports crypto_sign_verify_detached (the check sees libsodium)" \
    grep -qx crypto_sign_verify_detached otaupdate.imports
CHECKS=$((CHECKS + 1))
if grep -Ex "$signing" otaupdate.imports >found.txt; then
    fail "otaupdate imports signing functions: $(tr '\n' ' ' <found.txt)"
fi
CHECKS=$((CHECKS + 1))
if nm "$OTAUPDATE" 2>/dev/null | grep -E ' [TtDdBbRr] ota_seckey_' >found.txt; then
    fail "otaupdate contains secret-key code: $(awk '{ print $3 }' found.txt | tr '\n' ' ')"
fi
CHECKS=$((CHECKS + 1))
if strings -a "$OTAUPDATE" | grep -F otapack-seckey-v1 >/dev/null; then
    fail "otaupdate contains the secret key file format string 'otapack-seckey-v1'"
fi
# the same checks see the signing code in otapack, so they are not vacuous
nm -D --undefined-only "$OTAPACK" | awk '{ print $NF }' | sed 's/@.*//' >otapack.imports
check "the check finds crypto_sign_detached in otapack" grep -qx crypto_sign_detached otapack.imports
check "the check finds 'otapack-seckey-v1' in otapack" \
    grep -qF otapack-seckey-v1 <(strings -a "$OTAPACK")
finish
