#!/usr/bin/env bash
# lint_package.sh — `otapack lint` on packages: the certificates of "trust-add",
# "trust-replace" and "server-chain" payloads are linted (without signature verification),
# other payloads are only read; duplicates across trust payloads; a server chain's leaf need
# not be a CA; a corrupt package, a payload that is not certificates, or one over the
# bundle limit is an error, never a clean report.
#
# The packages are crafted by mkpkg.py (unsigned, correct sizes and digests): `otapack build`
# cannot put every payload type into a package. When `otapack build --help` offers
# --trust-add, a package built by otapack itself is linted as well.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${OTAUPDATE:=/bin/false}" # lib.sh wants it; these tests do not use it
source "$here/../cli/lib.sh"
source "$here/lint_lib.sh"
source "$here/pki.sh"

BALT=$(system_root Baltimore_CyberTrust_Root "$BALTIMORE_SHA256") ||
    { fail "Baltimore CyberTrust Root not found in the system's ca-certificates"; finish; }
G2=$(system_root DigiCert_Global_Root_G2 "$G2_SHA256") ||
    { fail "DigiCert Global Root G2 not found in the system's ca-certificates"; finish; }

mkpkg() {
    need py "$here/mkpkg.py" "$@"
}
head -c 10000 /dev/urandom >"$T/app.bin"
cat "$P/leaf.pem" "$P/root.pem" >"$T/chain.pem"
cat "$P/root.pem" "$P/leaf.pem" >"$T/chain-backwards.pem"

# ---- a clean release: new root, a test root, an image, the server chain --------------------
cat "$G2" "$P/root.pem" >"$T/roots.pem"
mkpkg "$T/clean.ota" roots:trust-add:"$T/roots.pem" app:image:"$T/app.bin" \
    chain:server-chain:"$T/chain.pem"
expect_lint 0 "4 certificates, 0 errors, 0 warnings" --strict "$T/clean.ota"
eq "clean: nothing but the summary" "$(wc -l <"$OUT")" 1
mkpkg "$T/clean-z.ota" --zlib roots:trust-add:"$T/roots.pem" app:image:"$T/app.bin" \
    chain:server-chain:"$T/chain.pem"
expect_lint 0 "4 certificates, 0 errors, 0 warnings" --strict "$T/clean-z.ota"
# an image that happens to hold certificates is not linted
mkpkg "$T/image-only.ota" app:image:"$T/app.bin" pem:image:"$P/leaf.pem"
expect_lint 0 "0 certificates, 0 errors, 0 warnings" --strict "$T/image-only.ota"

# ---- the migration mistake: shipping the expired Baltimore root ----------------------------
cat "$G2" "$BALT" >"$T/migration.pem"
mkpkg "$T/balt.ota" app:image:"$T/app.bin" roots:trust-add:"$T/migration.pem"
expect_lint 1 "2 certificates, 1 error, 0 warnings" "$T/balt.ota"
out_has "otapack lint: $T/balt.ota: error: $BALTIMORE_SUBJECT (sha256 16af57a9f676b0ab): \
payload 'roots': expired on 2025-05-12T23:59:00Z"
expect_findings "expired:error" "$T/balt.ota"
eq "--json payload" "$(jget "$OUT" 'j[0]["payload"]')" roots
eq "--json file" "$(jget "$OUT" 'j[0]["file"]')" "$T/balt.ota"
mkpkg "$T/balt-replace.ota" --zlib store:trust-replace:"$T/migration.pem"
expect_findings "expired:error" "$T/balt-replace.ota"

# ---- each rule through a package ---------------------------------------------------------
mkpkg "$T/leaf.ota" roots:trust-add:"$P/leaf.pem"
expect_findings "not-ca:error" "$T/leaf.ota"
expect_lint 1 "1 certificate, 1 error, 0 warnings" "$T/leaf.ota"
mkpkg "$T/warn.ota" a:trust-add:"$P/weak.pem" b:trust-add:"$P/sha1-ica.pem" \
    c:trust-replace:"$P/future.pem" d:trust-add:"$P/expiring.pem" e:trust-add:"$P/dup.pem"
expect_findings \
    "weak-key:warning sha1:warning not-yet-valid:warning expiring:warning duplicate:warning" \
    "$T/warn.ota"
eq "--json payloads" "$(jget "$OUT" '" ".join(f["payload"] for f in j)')" "a b c d e"
expect_lint 0 "6 certificates, 0 errors, 5 warnings" "$T/warn.ota"
expect_lint 1 "6 certificates, 0 errors, 5 warnings" --strict "$T/warn.ota"
expect_lint 0 "6 certificates, 0 errors, 4 warnings" --min-validity 0 "$T/warn.ota"

# duplicates across the trust payloads of one package
mkpkg "$T/dup.ota" first:trust-add:"$P/root.pem" app:image:"$T/app.bin" \
    second:trust-replace:"$P/root.pem"
expect_findings "duplicate:warning" "$T/dup.ota"
eq "duplicate names the first payload" "$(jget "$OUT" 'j[0]["message"]')" \
    "duplicate of certificate 1 of payload 'first'"
eq "duplicate is reported on the copy" "$(jget "$OUT" 'j[0]["payload"]')" second
# a server chain is not a trust payload: its certificates may repeat the roots
mkpkg "$T/chain-dup.ota" roots:trust-add:"$P/root.pem" chain:server-chain:"$T/chain.pem"
expect_findings "" "$T/chain-dup.ota"

# a server chain: the leaf need not be a CA, a certificate after it must be
mkpkg "$T/chain-bad.ota" chain:server-chain:"$T/chain-backwards.pem"
expect_findings "not-ca:error" "$T/chain-bad.ota"
out_has '"subject": "CN=update.example.com"'
run "$OTAPACK" lint "$T/chain-bad.ota"
out_has "payload 'chain': not a CA (no basicConstraints CA:TRUE) but not the leaf"

# a package and certificate files in one call
expect_lint 1 "4 certificates, 2 errors, 1 warning" "$T/leaf.ota" "$P/weak.pem" "$T/balt.ota"

# ---- packages that must not lint clean ---------------------------------------------------
# a payload that is not certificates
echo "hello" >"$T/hello.txt"
mkpkg "$T/notcert.ota" app:image:"$T/app.bin" roots:trust-add:"$T/hello.txt"
expect_exit 1 "notcert.ota: payload 'roots': not a PEM or DER certificate" \
    "$OTAPACK" lint "$T/notcert.ota"
cat "$P/root.pem" "$P/root.key" >"$T/withkey.pem"
mkpkg "$T/withkey.ota" roots:trust-add:"$T/withkey.pem"
expect_exit 1 "payload 'roots': a PEM 'PRIVATE KEY' block" "$OTAPACK" lint "$T/withkey.ota"
# a certificate payload over the bundle limit is refused before it is read into memory
{ cat "$P/root.pem"; head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' '#'; } >"$T/big.pem"
mkpkg "$T/big.ota" roots:trust-add:"$T/big.pem"
expect_exit 1 "payload 'roots': " "$OTAPACK" lint "$T/big.ota"
check "big: the limit is named" grep -q "certificates, more than the limit of 4194304" "$ERR"
out_has "0 certificates, 0 errors, 0 warnings; 1 input not checked"
# a flipped byte in a certificate payload: the digest check catches it
py - "$T/balt.ota" "$T/flipped.ota" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.rindex(b"-----END CERTIFICATE-----") - 10
b[i] ^= 1
open(sys.argv[2], "wb").write(b)
PY
expect_exit 1 "flipped.ota: payload 'roots': sha256 mismatch" "$OTAPACK" lint "$T/flipped.ota"
# the same in an image payload: lint reads every payload
py - "$T/clean.ota" "$T/flipped-image.ota" "$T/app.bin" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(open(sys.argv[3], "rb").read()[:64]) + 5
b[i] ^= 1
open(sys.argv[2], "wb").write(b)
PY
expect_exit 1 "payload 'app': sha256 mismatch" "$OTAPACK" lint "$T/flipped-image.ota"
# truncated: still a package (ustar magic), so the error is the package's, not "not a
# certificate"
head -c 2048 "$T/clean.ota" >"$T/truncated.ota"
expect_exit 1 "truncated.ota: " "$OTAPACK" lint "$T/truncated.ota"
check "truncated: a package error" not grep -q "neither" "$ERR"
# junk after the end-of-archive marker
{ cat "$T/clean.ota"; printf 'junk'; head -c 508 /dev/zero; } >"$T/tail.ota"
expect_exit 1 "tail.ota" "$OTAPACK" lint "$T/tail.ota"

# ---- a package built by otapack itself, when build can carry trust payloads ----------------
if "$OTAPACK" build --help 2>/dev/null | grep -q -- '--trust-add'; then
    need "$OTAPACK" build -o "$T/built.ota" --product acme --version 1.0 --security-version 1 \
        --image app="$T/app.bin" --trust-add "$G2"
    expect_lint 0 "1 certificate, 0 errors, 0 warnings" --strict "$T/built.ota"
    # build may refuse the expired root itself; if it builds, lint must flag it
    run "$OTAPACK" build -o "$T/built-balt.ota" --product acme --version 1.0 \
        --security-version 1 --trust-add "$T/migration.pem"
    if [ "$RC" = 0 ]; then
        expect_findings "expired:error" "$T/built-balt.ota"
    fi
else
    echo "note: otapack build has no --trust-add yet; packages crafted by mkpkg.py only" >&2
fi

finish
