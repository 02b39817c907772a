#!/usr/bin/env bash
# cms_hsm — `otapack sign --pkcs11` and `otapack pubkey --pkcs11` against a SoftHSM 2 token,
# through libp11's OpenSSL engine, as CI signs with an HSM. Needs only what
# scripts/install-deps installs (softhsm2, libengine-pkcs11-openssl, opensc); a missing piece
# is a failure, never a skip. Everything lives in a private SOFTHSM2_CONF and token folder.
#
# Proves: an ECDSA P-256 key made in the token (pkcs11-tool) signs a package with the PIN
# from OTAPACK_PKCS11_PIN and from --pin-file; `openssl dgst -sha256 -verify` accepts the
# signature over `otapack digest` output with the public key pkcs11-tool exports; the entry's
# key id is the TUF key id of that public key (computed here independently) and the one
# `otapack pubkey --pkcs11` prints; with --cert (a code-signing certificate for the token key,
# issued by the test PKI) it makes a CMS signature the device's check accepts. Refused with
# exit 1 and one line on stderr, nothing written: a wrong PIN, a missing object, a missing
# token, an Ed25519 token key (libp11 0.4.12 cannot load one). Exit 1 or 3 with one line: a
# missing module. No PIN appears in any output, also when it is given in the URI.
source "$(dirname "$0")/../cli/lib.sh"
source "$(dirname "$0")/lib_cms.sh"
: "${CMS_CHECK:?set CMS_CHECK to the cms_check test program}"
cd "$T"
umask 077

MODULE=${OTAPACK_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
ENGINE=$(openssl version -e 2>/dev/null | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')/pkcs11.so
for tool in softhsm2-util pkcs11-tool openssl; do
    command -v "$tool" >/dev/null ||
        { fail "$tool not found: run scripts/install-deps (softhsm2, opensc, openssl)"; finish; }
done
[ -r "$MODULE" ] || { fail "SoftHSM module $MODULE missing: run scripts/install-deps"; finish; }
[ -r "$ENGINE" ] ||
    { fail "libp11 engine $ENGINE missing: run scripts/install-deps (libengine-pkcs11-openssl)"; finish; }

# Under OTA_SANITIZE: libp11's engine leaks at exit (lsan.supp says where). The suppression
# matches a frame deep in the stack, so allocations get full stacks; nothing else is hidden.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$OTA_SRC/tests/cms/lsan.supp:print_suppressions=0"

PIN=1234
SOPIN=5678
BADPIN=987654
mkdir -p tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" \
    >softhsm2.conf
export SOFTHSM2_CONF=$T/softhsm2.conf
export OTAPACK_PKCS11_MODULE=$MODULE
unset OTAPACK_PKCS11_PIN OTAPACK_PASSPHRASE
need softhsm2-util --init-token --free --label otapack-ci --pin "$PIN" --so-pin "$SOPIN"
need pkcs11-tool --module "$MODULE" --token-label otapack-ci --login --pin "$PIN" \
    --keypairgen --key-type EC:prime256v1 --label release --id 01
URI='pkcs11:token=otapack-ci;object=release;type=private'

echo payload >app.bin
need "$OTAPACK" build -o a.ota --product acme --version 1.0 --security-version 1 --image app=app.bin
need "$OTAPACK" digest a.ota -o a.msg

# ---- the public key, exported by pkcs11-tool and by otapack --------------------------------
need pkcs11-tool --module "$MODULE" --token-label otapack-ci --read-object --type pubkey \
    --label release -o pub.der
need openssl pkey -pubin -inform DER -in pub.der -out pub.pem
run env OTAPACK_PKCS11_PIN=$PIN "$OTAPACK" pubkey --pkcs11 "$URI"
check "pubkey --pkcs11 exits 0" test "$RC" = 0
check "pubkey --pkcs11 prints the key pkcs11-tool exports" cmp -s "$OUT" pub.pem
KEYID=$(ecdsa_keyid pub.pem)

# ---- a raw ECDSA signature from the token ---------------------------------------------------
run env OTAPACK_PKCS11_PIN=$PIN "$OTAPACK" sign --pkcs11 "$URI" a.ota -o b.ota
check "sign --pkcs11 with OTAPACK_PKCS11_PIN exits 0" test "$RC" = 0
out_has "(ecdsa-sha2-nistp256)"
eq "the signature's key id is the TUF id of the token's public key" \
    "$(sigof b.ota ecdsa-sha2-nistp256 b.sig)" "$KEYID"
run openssl dgst -sha256 -verify pub.pem -signature b.sig a.msg
check "openssl dgst -verify accepts the token's signature over otapack digest" test "$RC" = 0
need "$OTAPACK" digest b.ota -o b.msg
check "the signed bytes did not change" cmp -s a.msg b.msg
printf '%s\n' "$PIN" >pin.txt
run "$OTAPACK" sign --pkcs11 "$URI" --pin-file pin.txt a.ota -o c.ota
check "sign --pkcs11 --pin-file exits 0" test "$RC" = 0

# ---- CMS with the token key and a certificate for it ----------------------------------------
need bash "$OTA_SRC/tests/cms/pki.sh" "$T/pki"
P=$T/pki
cat >engine.cnf <<CNF
openssl_conf = oc
[oc]
engines = es
[es]
pkcs11 = p11
[p11]
engine_id = pkcs11
MODULE_PATH = $MODULE
CNF
need env OPENSSL_CONF="$T/engine.cnf" openssl req -new -engine pkcs11 -keyform engine \
    -key "$URI;pin-value=$PIN" -subj "/O=otapack tests/CN=otapack HSM signer" -out hsm.csr
need env OPENSSL_CONF="$P/openssl.cnf" openssl x509 -req -in hsm.csr -CA "$P/inter.pem" \
    -CAkey "$P/inter.key" -extfile "$P/openssl.cnf" -extensions v3_codesign -days 30 \
    -set_serial 4242 -out hsm.pem
run env OTAPACK_PKCS11_PIN=$PIN "$OTAPACK" sign --pkcs11 "$URI" --cert hsm.pem \
    --chain "$P/chain.pem" a.ota -o cms.ota
check "sign --pkcs11 --cert exits 0" test "$RC" = 0
out_has "(cms)"
eq "the CMS key id is the SPKI SHA-256 of the certificate" "$(sigof cms.ota cms cms.der)" \
    "$(spki_keyid hsm.pem)"
run "$CMS_CHECK" cms.der a.msg "$P/root.pem"
check "the device's check accepts the token's CMS signature" test "$RC" = 0
run openssl cms -verify -binary -inform DER -in cms.der -content a.msg -CAfile "$P/root.pem" \
    -purpose any -out /dev/null
check "openssl cms -verify accepts it" test "$RC" = 0
expect_exit 1 "not the signing key's" env OTAPACK_PKCS11_PIN=$PIN \
    "$OTAPACK" sign --pkcs11 "$URI" --cert "$P/signer.pem" a.ota -o x.ota

# ---- refusals: one line, nothing written, no PIN anywhere -------------------------------------
expect_exit 1 "cannot be loaded" env OTAPACK_PKCS11_PIN=$BADPIN \
    "$OTAPACK" sign --pkcs11 "$URI" a.ota -o x.ota
check "wrong PIN: nothing written" test ! -e x.ota
expect_exit 1 "cannot be loaded" env OTAPACK_PKCS11_PIN=$PIN \
    "$OTAPACK" sign --pkcs11 'pkcs11:token=otapack-ci;object=nosuchkey;type=private' a.ota -o x.ota
check "missing object: nothing written" test ! -e x.ota
expect_exit 1 "pin-value=***" \
    "$OTAPACK" sign --pkcs11 "pkcs11:token=otapack-ci;object=nosuchkey;type=private;pin-value=$PIN" \
    a.ota -o x.ota
expect_exit 1 "cannot be loaded" env OTAPACK_PKCS11_PIN=$PIN \
    "$OTAPACK" sign --pkcs11 'pkcs11:token=no-such-token;object=release;type=private' a.ota -o x.ota
expect_exit 1 "cannot be loaded" "$OTAPACK" sign --pkcs11 "$URI" a.ota -o x.ota
run env OTAPACK_PKCS11_PIN=$PIN OTAPACK_PKCS11_MODULE=$T/nonexistent.so \
    "$OTAPACK" sign --pkcs11 "$URI" a.ota -o x.ota
CHECKS=$((CHECKS + 1))
{ [ "$RC" = 1 ] || [ "$RC" = 3 ]; } && one_line_stderr ||
    { fail "missing module: exit $RC, expected 1 or 3 with one line"; show_last; }
expect_exit 2 "not a PKCS#11 URI" "$OTAPACK" sign --pkcs11 "token=otapack-ci" a.ota -o x.ota
check "nothing written by any refusal" test ! -e x.ota

# ---- a keyring whose root key is the token key: `keyring sign --pkcs11` ---------------------
need "$OTAPACK" keygen --out rel
need "$OTAPACK" keyring init -o hsm-root.json --root-key pub.pem --release-key rel.pub
expect_exit 1 "0 valid signatures" "$OTAPACK" keyring verify hsm-root.json
run env OTAPACK_PKCS11_PIN=$PIN "$OTAPACK" keyring sign --pkcs11 "$URI" hsm-root.json
check "keyring sign --pkcs11 exits 0" test "$RC" = 0
out_has "$KEYID"
expect_ok "$OTAPACK" keyring verify hsm-root.json
expect_exit 1 "cannot be loaded" env OTAPACK_PKCS11_PIN=$BADPIN \
    "$OTAPACK" keyring sign --pkcs11 "$URI" hsm-root.json -o x.json
check "nothing written by a refused keyring sign" test ! -e x.json

# ---- Ed25519 in a token: softhsm2 2.6.1 makes and uses it, libp11 0.4.12 cannot load it -----
need softhsm2-util --init-token --free --label otapack-ed --pin "$PIN" --so-pin "$SOPIN"
need pkcs11-tool --module "$MODULE" --token-label otapack-ed --login --pin "$PIN" \
    --keypairgen --key-type EC:edwards25519 --label ed --id 02
need pkcs11-tool --module "$MODULE" --token-label otapack-ed --login --pin "$PIN" \
    --sign --mechanism EDDSA --label ed -i a.msg -o ed.sig
eq "the token itself signs Ed25519 (64 bytes)" "$(stat -c %s ed.sig)" 64
expect_exit 1 "cannot be loaded" env OTAPACK_PKCS11_PIN=$PIN \
    "$OTAPACK" sign --pkcs11 'pkcs11:token=otapack-ed;object=ed;type=private' a.ota -o x.ota

no_secret "$PIN"
no_secret "$BADPIN"
finish
