#!/usr/bin/env bash
# cms_cli — `otapack sign` with a certificate (CMS) or a PEM private key, and `otapack pubkey`,
# checked by tools that share no code with the signer: the openssl command and a plain tar
# reader (python3).
#
# Proves: `sign --cert --key --chain` adds one "cms" entry under the SHA-256 of the
# certificate's SubjectPublicKeyInfo, leaves the bytes `otapack digest` gives unchanged, and
# `openssl cms -verify -purpose any` accepts its DER over those bytes with only the root;
# the reverse: `openssl cms -sign` over `otapack digest` output passes the device's check
# (cms_check = ota_cms_verify), which refuses an unrelated root. A PEM ECDSA key makes an
# "ecdsa-sha2-nistp256" signature `openssl dgst -verify` accepts, under the key id `otapack
# pubkey` prints (TUF canonical JSON, computed here independently); a PEM Ed25519 key makes a
# signature `otapack verify` accepts with an otapack .pub of the same key. Refused, with one
# line, exit 1 and nothing written: a certificate without codeSigning, serverAuth only,
# expired, not yet valid, not the key's; an encrypted PEM with a wrong passphrase (exit 2
# without one); usage errors exit 2. No passphrase in any output.
source "$(dirname "$0")/../cli/lib.sh"
source "$(dirname "$0")/lib_cms.sh"
: "${CMS_CHECK:?set CMS_CHECK to the cms_check test program}"
cd "$T"
umask 022
command -v openssl >/dev/null || { fail "openssl is needed"; finish; }
need bash "$OTA_SRC/tests/cms/pki.sh" "$T/pki"
P=$T/pki

echo payload >app.bin
need "$OTAPACK" build -o a.ota --product acme --version 1.0 --security-version 1 --image app=app.bin
need "$OTAPACK" digest a.ota -o a.msg

# ---- CMS signature by a code-signing certificate ---------------------------------------
run "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/signer.key" --chain "$P/chain.pem" a.ota -o b.ota
check "sign --cert exits 0" test "$RC" = 0
out_has "(cms)"
keyid=$(sigof b.ota cms b.der)
eq "cms key id is SHA-256 of the signer's SPKI" "$keyid" "$(spki_keyid "$P/signer.pem")"
need "$OTAPACK" digest b.ota -o b.msg
check "the signed bytes did not change" cmp -s a.msg b.msg
run openssl cms -verify -binary -inform DER -in b.der -content b.msg -CAfile "$P/root.pem" \
    -purpose any -out /dev/null
check "openssl cms -verify accepts otapack's CMS (chain carried inside)" test "$RC" = 0
run "$CMS_CHECK" b.der b.msg "$P/root.pem"
check "the device's check accepts it" test "$RC" = 0
out_has "OK $keyid 0 "
run "$CMS_CHECK" b.der b.msg "$P/other-root.pem"
check "the device's check refuses it under an unrelated root" test "$RC" = 1
check "... saying it does not chain" grep -q "does not chain to a CA in the keyring" "$ERR"
cp b.msg c.msg && printf 'x' >>c.msg
run "$CMS_CHECK" b.der c.msg "$P/root.pem"
check "a changed manifest does not verify" grep -q "CMS signature does not verify" "$ERR"

# ---- the reverse: the openssl command signs what otapack digest wrote ---------------------
need openssl cms -sign -binary -nosmimecap -md sha256 -outform DER -signer "$P/signer.pem" \
    -inkey "$P/signer.key" -certfile "$P/chain.pem" -in a.msg -out o.der
run "$CMS_CHECK" o.der a.msg "$P/root.pem"
check "openssl cms -sign output passes the device's check" test "$RC" = 0
out_has "OK $keyid 0 "

# ---- refusals: what a device would refuse is refused at signing ----------------------------
before=$(sha256 a.ota)
refuse() { # refuse WHY CODE SUBSTRING ARGS...
    local why=$1
    shift
    expect_exit "$@"
    check "$why: nothing written" test ! -e x.ota
}
refuse "no EKU" 1 "no codeSigning extended key usage" \
    "$OTAPACK" sign --cert "$P/noeku.pem" --key "$P/noeku.key" a.ota -o x.ota
refuse "serverAuth only" 1 "no codeSigning extended key usage" \
    "$OTAPACK" sign --cert "$P/server.pem" --key "$P/server.key" a.ota -o x.ota
refuse "expired" 1 "expired" \
    "$OTAPACK" sign --cert "$P/expired.pem" --key "$P/expired.key" a.ota -o x.ota
refuse "not yet valid" 1 "not yet valid" \
    "$OTAPACK" sign --cert "$P/future.pem" --key "$P/future.key" a.ota -o x.ota
refuse "another key's certificate" 1 "not the signing key's" \
    "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/server.key" a.ota -o x.ota
cat "$P/signer.pem" "$P/inter.pem" >bundle.pem
refuse "a bundle as --cert" 2 "give the signer's alone" \
    "$OTAPACK" sign --cert bundle.pem --key "$P/signer.key" a.ota -o x.ota
refuse "--chain without --cert" 2 "--chain goes with --cert" \
    "$OTAPACK" sign --chain "$P/chain.pem" --key "$P/signer.key" a.ota -o x.ota
need "$OTAPACK" keygen --out ota
refuse "--cert with an otapack key file" 2 "names a PEM private key" \
    "$OTAPACK" sign --cert "$P/signer.pem" --key ota.key a.ota -o x.ota
eq "the input package is untouched" "$(sha256 a.ota)" "$before"

# ---- encrypted PEM ---------------------------------------------------------------------------
PASS=$(head -n1 "$P/signer-enc.pass")
printf 'not the passphrase\n' >wrong.pass
refuse "encrypted, no passphrase" 2 "needs a passphrase" \
    env -u OTAPACK_PASSPHRASE "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/signer-enc.key" \
    a.ota -o x.ota
refuse "encrypted, wrong passphrase" 1 "wrong passphrase" \
    "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/signer-enc.key" --passphrase-file wrong.pass \
    a.ota -o x.ota
run "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/signer-enc.key" \
    --passphrase-file "$P/signer-enc.pass" --chain "$P/chain.pem" a.ota -o e.ota
check "encrypted PEM with its passphrase file signs" test "$RC" = 0
run env OTAPACK_PASSPHRASE="$PASS" "$OTAPACK" sign --key "$P/signer-enc.key" a.ota -o e2.ota
check "encrypted PEM with OTAPACK_PASSPHRASE signs" test "$RC" = 0

# ---- raw signatures from PEM keys ------------------------------------------------------------
run "$OTAPACK" pubkey --key "$P/signer.key"
check "pubkey prints the PEM SPKI" cmp -s "$OUT" <(openssl pkey -in "$P/signer.key" -pubout)
need "$OTAPACK" pubkey --key "$P/signer.key" -o signer.pub.pem
check "pubkey -o writes the same" cmp -s signer.pub.pem <(openssl pkey -in "$P/signer.key" -pubout)
want=$(ecdsa_keyid signer.pub.pem)
out_has "key id $want"
need "$OTAPACK" sign --key "$P/signer.key" a.ota -o r.ota
out_has "(ecdsa-sha2-nistp256)"
eq "ECDSA raw key id is the TUF id" "$(sigof r.ota ecdsa-sha2-nistp256 r.sig)" "$want"
run openssl dgst -sha256 -verify signer.pub.pem -signature r.sig a.msg
check "openssl dgst -verify accepts the ECDSA signature over otapack digest" test "$RC" = 0

# Ed25519 PEM: the same signature an otapack key of those bytes makes, verified by otapack
openssl pkey -in "$P/signer-ed.key" -pubout -outform DER | tail -c 32 >ed.raw
printf 'otapack-pubkey-v1 ed25519 %s\n' "$(od -An -v -tx1 ed.raw | tr -d ' \n')" >ed.pub
need "$OTAPACK" sign --key "$P/signer-ed.key" --key ota.key a.ota -o d.ota
out_has "(ed25519)"
expect_ok "$OTAPACK" verify --quiet --pub ed.pub --pub ota.pub --threshold 2 d.ota
edid=$(cut -d' ' -f3 ed.pub | tr -d '\n')
edid=$(printf '{"keytype":"ed25519","keyval":{"public":"%s"},"scheme":"ed25519"}' "$edid" |
    sha256sum | cut -d' ' -f1)
need "$OTAPACK" pubkey --key "$P/signer-ed.key" -o ed.pub.pem
out_has "key id $edid"
refuse "RSA without --cert" 1 "signs only CMS" "$OTAPACK" sign --key "$P/signer-rsa.key" a.ota -o x.ota
run "$OTAPACK" sign --cert "$P/signer-rsa.pem" --key "$P/signer-rsa.key" --chain "$P/chain.pem" a.ota -o rsa.ota
check "RSA with --cert signs CMS" test "$RC" = 0
sigof rsa.ota cms rsa.der >/dev/null
run "$CMS_CHECK" rsa.der a.msg "$P/root.pem"
check "RSA CMS passes the device's check" test "$RC" = 0

# ---- otapack key files keep their path ------------------------------------------------------
need "$OTAPACK" sign --key ota.key a.ota -o k.ota
expect_ok "$OTAPACK" verify --quiet --pub ota.pub k.ota

no_secret "$PASS"
no_secret "horse"
finish
