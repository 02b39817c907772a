#!/usr/bin/env bash
# keyring_signers — the enterprise signers on a device, end to end: a keyring whose release
# keys are a CA certificate (CMS signers chaining to it) and an ECDSA P-256 key (a PEM key, as
# an HSM holds), and a device provisioned with it.
#  * a package signed by `otapack sign --cert --key --chain` (CMS) installs;
#  * refused, device unchanged: a CMS signer without codeSigning, one with serverAuth only,
#    one chaining to another CA (signatures made by `openssl cms`, attached by hand, since
#    `otapack sign` refuses to make them);
#  * a raw ECDSA signature by the PEM key installs;
#  * threshold 2 of {CA, ECDSA}: two CMS signers under the one CA count once and are refused;
#    CMS + ECDSA are accepted;
#  * a CMS signature on a device whose keyring holds no CA counts as an unknown key.
source "$(dirname "$0")/../cli/lib.sh"
cd "$T"
umask 022
P=$T/pki
need bash "$OTA_SRC/tests/cms/pki.sh" "$P"
need "$OTAPACK" keygen --out root
need "$OTAPACK" keygen --out ed
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
chmod 600 ec.pem
need "$OTAPACK" pubkey --key ec.pem -o ec.pub.pem
head -c 3000 /dev/urandom >app.img

kr() { need "$OTAPACK" keyring "$@"; }
pkg() { # pkg OUT SV: an unsigned package
    need "$OTAPACK" build -o "$1" --product acme --version "$2.0" --security-version "$2" \
        --image app=app.img
}
# spki_id CERT: the key id of a CMS signer, SHA-256 of its SubjectPublicKeyInfo
spki_id() {
    openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64
}
# cms_attach PKG CERT KEY [KEYID]: a CMS signature made by openssl over `otapack digest`,
# added to the signature block by hand (filed under the signer's key id unless given)
cms_attach() {
    need "$OTAPACK" digest "$1" -o "$1.msg"
    openssl cms -sign -binary -nosmimecap -md sha256 -outform DER -in "$1.msg" \
        -signer "$2" -inkey "$3" -certfile "$P/chain.pem" -out "$1.p7" 2>/dev/null
    sigblock_edit "$1" 'blk["signatures"].append({"keyid": args[1], "method": "cms",
    "sig": open(args[0], "rb").read().hex()}); blk["signatures"].sort(key=lambda s: s["keyid"])' \
        "$1.p7" "${4:-$(spki_id "$2")}"
}

# a PEM (ECDSA) root key signs a keyring
kr init -o kec.json --root-key ec.pub.pem --release-key ed.pub
kr sign --key ec.pem kec.json
expect_ok "$OTAPACK" keyring verify kec.json
kr init -o k1.json --root-key root.pub --release-key "$P/root.pem" --release-key ec.pub.pem
kr sign --key root.key k1.json
run "$OTAPACK" keyring show --json k1.json
eq "key types" "$(jget "$OUT" 'sorted(k["keytype"] for k in j["roles"]["release"]["keys"])')" \
    '["ecdsa", "otapack-x509-ca"]'
expect_exit 2 "can only be a release" "$OTAPACK" keyring add-key --role root "$P/root.pem" k1.json
mkdir dev
need "$OTAUPDATE" --root dev init --product acme --keyring k1.json

# CMS, made by otapack
pkg p1.ota 1
need "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/signer.key" --chain "$P/chain.pem" p1.ota
expect_ok "$OTAPACK" verify --keyring k1.json --quiet p1.ota
expect_ok "$OTAUPDATE" --root dev install p1.ota
need "$OTAUPDATE" --root dev confirm

# refusals
snapshot dev >before
pkg p2.ota 2
cp p2.ota noeku.ota && cms_attach noeku.ota "$P/noeku.pem" "$P/noeku.key"
expect_exit 1 "no codeSigning extended key usage" "$OTAUPDATE" --root dev install noeku.ota
cp p2.ota server.ota && cms_attach server.ota "$P/server.pem" "$P/server.key"
expect_exit 1 "codeSigning" "$OTAUPDATE" --root dev install server.ota
cp p2.ota rogue.ota && cms_attach rogue.ota "$P/rogue.pem" "$P/rogue.key"
expect_exit 1 "does not chain to a CA in the keyring" "$OTAUPDATE" --root dev install rogue.ota
expect_exit 1 "does not chain to a CA in the keyring" "$OTAPACK" verify --keyring k1.json rogue.ota
cp p2.ota misfiled.ota && cms_attach misfiled.ota "$P/signer.pem" "$P/signer.key" "$(printf 'ab%.0s' {1..32})"
expect_exit 1 "filed under key id abababab" "$OTAUPDATE" --root dev install misfiled.ota
snapshot dev >after
assert_unchanged before after "device after refused CMS signers"
# the same CMS made by openssl with a good signer installs
cp p2.ota good.ota && cms_attach good.ota "$P/signer.pem" "$P/signer.key"
expect_ok "$OTAUPDATE" --root dev install good.ota
need "$OTAUPDATE" --root dev confirm

# air-gapped: offline ECDSA and CMS signatures over `otapack digest`, attached and checked
pkg ag.ota 3
need "$OTAPACK" digest ag.ota -o ag.msg
openssl dgst -sha256 -sign ec.pem -out ag.ecsig ag.msg
openssl cms -sign -binary -nosmimecap -md sha256 -outform DER -in ag.msg -signer "$P/signer.pem" \
    -inkey "$P/signer.key" -certfile "$P/chain.pem" -out ag.p7 2>/dev/null
openssl cms -sign -binary -nosmimecap -md sha256 -outform DER -in ag.msg -signer "$P/rogue.pem" \
    -inkey "$P/rogue.key" -out ag-rogue.p7 2>/dev/null
cp ag.ota ag0.ota
expect_exit 1 "does not chain to a CA in the keyring" \
    "$OTAPACK" attach-signature --pub "$P/root.pem" ag.ota ag-rogue.p7
check "a refused attach writes nothing" cmp -s ag.ota ag0.ota
expect_exit 1 "does not verify" "$OTAPACK" attach-signature --pub ec.pub.pem ag.ota ag.p7
expect_ok "$OTAPACK" attach-signature --pub "$P/root.pem" ag.ota ag.p7 -o ag-cms.ota
expect_ok "$OTAPACK" attach-signature --pub ec.pub.pem ag.ota ag.ecsig -o ag-ec.ota
expect_ok "$OTAPACK" verify --keyring k1.json --quiet ag-cms.ota
expect_ok "$OTAPACK" verify --keyring k1.json --quiet ag-ec.ota
expect_ok "$OTAUPDATE" --root dev install ag-cms.ota
need "$OTAUPDATE" --root dev rollback

# a raw ECDSA signature by the PEM key
pkg p3.ota 3
need "$OTAPACK" sign --key ec.pem p3.ota
expect_ok "$OTAUPDATE" --root dev install p3.ota
need "$OTAUPDATE" --root dev confirm

# threshold 2 of {CA, ECDSA}, rotated in
kr init -o k2.json --from k1.json
kr set-threshold --role release 2 k2.json
expect_exit 2 "threshold 3 with 2 keys" "$OTAPACK" keyring set-threshold --role release 3 k2.json
kr sign --key root.key k2.json
run "$OTAPACK" keyring show --json k2.json
eq "k2 threshold" "$(jget "$OUT" 'j["roles"]["release"]["threshold"]')" 2
pkg p4.ota 4
need "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/signer.key" --chain "$P/chain.pem" p4.ota
need "$OTAPACK" sign --cert "$P/signer-rsa.pem" --key "$P/signer-rsa.key" --chain "$P/chain.pem" p4.ota
cp p4.ota p4-one-ca.ota
sigblock_edit p4-one-ca.ota 'blk["keyrings"] = [json.load(open(args[0]))]' k2.json
snapshot dev >before
expect_exit 1 "1 valid signature, 2 required" "$OTAUPDATE" --root dev install p4-one-ca.ota
snapshot dev >after
assert_unchanged before after "device after two signers under one CA"
pkg p5.ota 5
need "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/signer.key" --chain "$P/chain.pem" p5.ota
need "$OTAPACK" sign --key ec.pem p5.ota
sigblock_edit p5.ota 'blk["keyrings"] = [json.load(open(args[0]))]' k2.json
expect_ok "$OTAUPDATE" --root dev install p5.ota
run "$OTAUPDATE" --root dev status --json
eq "keyring v2 with threshold 2" "$(jget "$OUT" 'j["keyring"]["release_threshold"]')" 2

# one signing key counts once: the CMS signer's key also listed as an ECDSA release key,
# threshold 2, signed by that key raw and as a CMS signer
openssl x509 -in "$P/signer.pem" -noout -pubkey >signer.pub.pem
kr init -o k3.json --from k2.json
kr add-key --role release signer.pub.pem k3.json
kr remove-key --role release ec.pub.pem k3.json
kr sign --key root.key k3.json
pkg p6.ota 6
need "$OTAPACK" sign --cert "$P/signer.pem" --key "$P/signer.key" --chain "$P/chain.pem" p6.ota
need "$OTAPACK" sign --key "$P/signer.key" p6.ota
sigblock_edit p6.ota 'blk["keyrings"] = [json.load(open(args[0]))]' k3.json
snapshot dev >before
expect_exit 1 "1 valid signature, 2 required" "$OTAUPDATE" --root dev install p6.ota
snapshot dev >after
assert_unchanged before after "device after one key signing twice"

# a device without a CA key: a CMS signature is a signature by an unknown key
mkdir plain
need "$OTAUPDATE" --root plain init --product acme --trust-key ed.pub
expect_exit 1 "no signature by a trusted key" "$OTAUPDATE" --root plain install p1.ota
finish
