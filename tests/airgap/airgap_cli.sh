#!/usr/bin/env bash
# airgap_cli — air-gapped signing end to end, with OpenSSL as the offline signer: an unsigned
# package -> `otapack digest` -> `openssl pkeyutl -sign -rawin` -> `otapack attach-signature`
# -> `otapack verify` accepts it and a device installs it. The digest is byte-identical to
# "otapack/manifest/v1" NUL + the manifest entry as plain tar extracts it; --hex-sha256 is its
# sha256sum; digest+OpenSSL+attach gives the bytes `otapack sign` gives with the same key.
# Each forgery is a named refusal (exit 1, one line, package bytes unchanged, nothing
# written): a signature over the wrong bytes, a truncated one, a 63-byte file, uppercase hex,
# a signature by another key, a flipped bit, another package's signature; and a package whose
# payload was tampered with gets no digest and no signature.
# Skips (77) while `otapack --help` does not list the verbs, or OpenSSL lacks Ed25519 -rawin.
source "$(dirname "$0")/../cli/lib.sh"
cd "$T"
umask 022
NOW=$(date +%s)

skip() {
    echo "SKIP: $*"
    FINISHED=1
    exit 77
}
"$OTAPACK" --help | grep -qE '^    digest ' ||
    skip "'otapack --help' does not list 'digest': the verbs are not wired into packager/main.c yet"
"$OTAPACK" --help | grep -qE '^    attach-signature ' ||
    skip "'otapack --help' does not list 'attach-signature': not wired into packager/main.c yet"
command -v openssl >/dev/null || skip "openssl (the offline signer) is not installed"
printf x >probe.bin  # OpenSSL 3.0 signs Ed25519 one-shot: from a file, not a pipe
openssl genpkey -algorithm ed25519 -out probe.pem 2>/dev/null &&
    openssl pkeyutl -sign -rawin -inkey probe.pem -in probe.bin -out probe.sig 2>/dev/null ||
    skip "this openssl cannot make Ed25519 signatures with pkeyutl -rawin (OpenSSL 3 can)"

# ---- keys: two OpenSSL keys, and an otapack key converted to OpenSSL ---------------------
hexof() {  # hexof FILE: lowercase hex of the bytes, one line
    od -An -v -tx1 "$1" | tr -d ' \n'
}
# pubfile PEM PUB: the otapack .pub of an OpenSSL Ed25519 key (raw key = last 32 DER bytes)
pubfile() {
    openssl pkey -in "$1" -pubout -outform DER | tail -c 32 >"$2.raw"
    printf 'otapack-pubkey-v1 ed25519 %s\n' "$(hexof "$2.raw")" >"$2"
}
# keyid PUB: the TUF key id: sha256 of the canonical key JSON
keyid() {
    printf '{"keytype":"ed25519","keyval":{"public":"%s"},"scheme":"ed25519"}' \
        "$(cut -d' ' -f3 "$1" | tr -d '\n')" | sha256sum | cut -d' ' -f1
}
# offsign PEM MSG SIG: the offline signer
offsign() {
    openssl pkeyutl -sign -rawin -inkey "$1" -in "$2" -out "$3"
}
need openssl genpkey -algorithm ed25519 -out off.pem
need openssl genpkey -algorithm ed25519 -out other.pem
pubfile off.pem off.pub
pubfile other.pem other.pub
OFFID=$(keyid off.pub)
OTHERID=$(keyid other.pub)
eq "off.pub is one line of the otapack format" \
    "$(cut -d' ' -f1-2 off.pub) $(cut -d' ' -f3 off.pub | tr -d '\n' | wc -c)" \
    "otapack-pubkey-v1 ed25519 64"

# ---- an unsigned package and its digest -----------------------------------------------------
head -c 300000 /dev/urandom >app.img
head -c 777 /dev/urandom | od -An -tx1 >cfg.txt
build() {  # build OUT SV [more options]
    local out=$1 sv=$2
    shift 2
    SOURCE_DATE_EPOCH=$NOW "$OTAPACK" build -o "$out" --product acme --version "v$sv" \
        --security-version "$sv" --image app=app.img --image cfg=cfg.txt "$@"
}
need build u.ota 1
need build u2.ota 2 --compress zlib
U_SHA=$(sha256 u.ota)

expect_ok "$OTAPACK" digest u.ota -o u.msg
MSGLEN=$(stat -c %s u.msg)
out_has "wrote u.msg: $MSGLEN bytes to sign, sha256 $(sha256 u.msg)"
{ printf 'otapack/manifest/v1\0'; tar -xOf u.ota manifest.json; } >want.msg
check "digest is 'otapack/manifest/v1' NUL + manifest.json as stored" cmp -s u.msg want.msg
check "digest left the package alone" test "$(sha256 u.ota)" = "$U_SHA"
expect_ok "$OTAPACK" digest u.ota
check "digest to standard output gives the same bytes" cmp -s "$OUT" u.msg
expect_ok "$OTAPACK" digest - <u.ota
check "digest of a package on standard input gives the same bytes" cmp -s "$OUT" u.msg
expect_ok "$OTAPACK" digest --hex-sha256 u.ota
eq "--hex-sha256 is one line: the sha256sum of the digest" "$(cat "$OUT")" "$(sha256 u.msg)"
eq "--hex-sha256 prints exactly one line" "$(wc -l <"$OUT") $(wc -c <"$OUT")" "1 65"
expect_ok "$OTAPACK" digest --hex-sha256 u.ota -o u.sha
eq "--hex-sha256 -o FILE writes the line" "$(cat u.sha)" "$(sha256 u.msg)"
expect_ok "$OTAPACK" digest u2.ota -o u2.msg
check "another package has other bytes to sign" not cmp -s u.msg u2.msg

# ---- sign offline, attach, verify, install -------------------------------------------------
need offsign off.pem u.msg u.sig
eq "OpenSSL wrote a raw 64-byte signature" "$(stat -c %s u.sig)" 64
expect_ok "$OTAPACK" attach-signature --pub off.pub u.ota u.sig -o s.ota
out_has "attached signature by key ${OFFID:0:16} to s.ota"
check "attach with -o left the input alone" test "$(sha256 u.ota)" = "$U_SHA"
expect_ok "$OTAPACK" verify --pub off.pub s.ota
out_has "s.ota: OK: acme v1 (security version 1), 2 payloads, signed by ${OFFID:0:16}"
expect_exit 1 "no signature by a trusted key" "$OTAPACK" verify --pub other.pub s.ota
expect_ok "$OTAPACK" inspect --json s.ota
cp "$OUT" s.json
eq "the signature block names the key id" "$(jget s.json '[s["keyid"] for s in j["signatures"]]')" \
    "[\"$OFFID\"]"
mkdir x-u x-s
tar -xf u.ota -C x-u
tar -xf s.ota -C x-s
for e in manifest.json app cfg; do
    check "attach left entry '$e' byte-identical" cmp -s "x-u/$e" "x-s/$e"
done
eq "entry order after attach" "$(tar -tf s.ota | tr '\n' ' ')" "manifest.json signatures.json app cfg "
expect_ok "$OTAPACK" digest s.ota
check "a signed package gives the same bytes to sign" cmp -s "$OUT" u.msg

new_device dev off.pub
expect_ok "$OTAUPDATE" --root dev install s.ota
out_has "installed acme v1 (security version 1)"
expect_ok "$OTAUPDATE" --root dev confirm
expect_ok "$OTAUPDATE" --root dev status --json
cp "$OUT" status.json
eq "device runs the attached-signature package" \
    "$(jget status.json '[j["product"], j["version"], j["security_version"]]')" '["acme", "v1", 1]'
eq "device installed the image" "$(jget status.json '[i["sha256"] for i in j["images"] if i["name"] == "app"][0]')" \
    "$(sha256 app.img)"
new_device dev-other other.pub
expect_exit 1 "" "$OTAUPDATE" --root dev-other install s.ota

# the hex form, with and without its newline, gives the same package
printf '%s\n' "$(hexof u.sig)" >u.sig.hex
printf '%s' "$(hexof u.sig)" >u.sig.hexn
eq "hex signature file size" "$(stat -c %s u.sig.hex) $(stat -c %s u.sig.hexn)" "129 128"
expect_ok "$OTAPACK" attach-signature --pub off.pub u.ota u.sig.hex -o h.ota
check "a hex signature gives the same package as the raw one" cmp -s h.ota s.ota
expect_ok "$OTAPACK" attach-signature -p off.pub u.ota u.sig.hexn -o hn.ota
check "hex without the newline too" cmp -s hn.ota s.ota

# in place, and again (replacing the same key's signature: the same bytes)
cp u.ota inplace.ota
expect_ok "$OTAPACK" attach-signature --pub off.pub inplace.ota u.sig
out_has "attached signature by key ${OFFID:0:16} to inplace.ota"
check "attach without -o replaces the package with the signed one" cmp -s inplace.ota s.ota
expect_ok "$OTAPACK" attach-signature --pub off.pub inplace.ota u.sig
check "attaching the same key's signature again changes nothing" cmp -s inplace.ota s.ota

# a second offline key: both signatures, in key-id order whatever the attach order
need offsign other.pem u.msg u.other.sig
expect_ok "$OTAPACK" attach-signature --pub other.pub s.ota u.other.sig -o s12.ota
expect_ok "$OTAPACK" verify --threshold 2 --pub off.pub --pub other.pub s12.ota
need "$OTAPACK" attach-signature --pub other.pub u.ota u.other.sig -o s2.ota
need "$OTAPACK" attach-signature --pub off.pub s2.ota u.sig -o s21.ota
check "signature order does not depend on attach order" cmp -s s12.ota s21.ota

# the same key through `otapack sign` and through digest + OpenSSL + attach: the same bytes
need "$OTAPACK" keygen --out k
# an Ed25519 PKCS#8 key is a fixed 16-byte prefix and the 32-byte seed (the .key file's hex)
{ printf '\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20'
  cut -d' ' -f3 k.key | tr -d '\n' | py -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))'
} >k.der
need openssl pkey -inform DER -in k.der -out k.pem
chmod 600 k.der k.pem
pubfile k.pem k-openssl.pub
check "the converted key has the same public key" cmp -s k.pub k-openssl.pub
expect_ok "$OTAPACK" sign --key k.key u.ota -o by-sign.ota
need offsign k.pem u.msg k.sig
expect_ok "$OTAPACK" attach-signature --pub k.pub u.ota k.sig -o by-attach.ota
check "digest + OpenSSL + attach-signature gives the bytes of 'otapack sign'" \
    cmp -s by-sign.ota by-attach.ota

# ---- forgeries: exit 1, one line, nothing written ----------------------------------------
# refused NAME SUBSTRING SIG [PUB]: attach with -o and in place are both refused; the
# package keeps its bytes, no output and no temporary file appear
refused() {
    local name=$1 sub=$2 sig=$3 pub=${4:-off.pub}
    rm -f r.ota
    cp u.ota r-in.ota
    expect_exit 1 "$sub" "$OTAPACK" attach-signature --pub "$pub" u.ota "$sig" -o r.ota
    check "$name: -o output not written" test ! -e r.ota
    check "$name: package unchanged" test "$(sha256 u.ota)" = "$U_SHA"
    expect_exit 1 "$sub" "$OTAPACK" attach-signature --pub "$pub" r-in.ota "$sig"
    check "$name: in place: package unchanged" test "$(sha256 r-in.ota)" = "$U_SHA"
    assert_clean "$T"
}
NOVERIFY="attach-signature: signature does not verify with key ${OFFID:0:16}"

# signature over the manifest alone, without the domain prefix
tar -xOf u.ota manifest.json >bare.json
need offsign off.pem bare.json wrongbytes.sig
refused "signature over the wrong bytes (no domain prefix)" "$NOVERIFY" wrongbytes.sig
# signature over the manifest of another package (mix-and-match)
need offsign off.pem u2.msg mix.sig
refused "signature over another package's manifest" "$NOVERIFY" mix.sig
# signature by another key, attached under ours
refused "signature by another key" "$NOVERIFY" u.other.sig
# and ours, presented as the other key's
refused "our signature presented as another key's" \
    "attach-signature: signature does not verify with key ${OTHERID:0:16}" u.sig other.pub
# one flipped bit
py -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[20] ^= 1; open(sys.argv[2], "wb").write(b)' \
    u.sig flipped.sig
refused "signature with one flipped bit" "$NOVERIFY" flipped.sig
# truncated: 63 raw bytes, 127 hex digits (with its newline), an empty file
head -c 63 u.sig >short63.sig
refused "a 63-byte signature file" "got 63 bytes" short63.sig
printf '%s\n' "$(hexof u.sig | cut -c1-127)" >trunc.hex
refused "a truncated hex signature" "trunc.hex:" trunc.hex
: >empty.sig
refused "an empty signature file" "got 0 bytes" empty.sig
{ cat u.sig; printf '\n'; } >long65.sig
refused "a 65-byte signature file" "got 65 bytes" long65.sig
# hex spelled another way: uppercase, CR LF, two newlines, 0x prefix
printf '%s\n' "$(hexof u.sig | tr a-f A-F)" >upper.hex
refused "uppercase hex" "lowercase hex" upper.hex
printf '%s\r\n' "$(hexof u.sig)" >crlf.hex
refused "hex with CR LF" "got 130 bytes" crlf.hex
printf '%s\n\n' "$(hexof u.sig)" >twonl.hex
refused "hex with two newlines" "got 130 bytes" twonl.hex

# ---- a package whose payload was changed after the build --------------------------------
py -c 'import sys
data = bytearray(open(sys.argv[1], "rb").read())
img = open(sys.argv[2], "rb").read()
at = data.find(img[1000:1064])
assert at > 0
data[at] ^= 1
open(sys.argv[3], "wb").write(data)' u.ota app.img tampered.ota
T_SHA=$(sha256 tampered.ota)
expect_exit 1 "payload 'app': sha256 mismatch" "$OTAPACK" digest tampered.ota -o t.msg
check "digest of a tampered package wrote nothing" test ! -e t.msg
expect_exit 1 "payload 'app': sha256 mismatch" "$OTAPACK" digest tampered.ota
check "digest of a tampered package printed nothing on stdout" test ! -s "$OUT"
expect_exit 1 "payload 'app': sha256 mismatch" "$OTAPACK" digest --hex-sha256 tampered.ota
check "--hex-sha256 of a tampered package printed nothing on stdout" test ! -s "$OUT"
# the manifest is intact, so the genuine signature verifies; the payload still stops it
expect_exit 1 "payload 'app': sha256 mismatch" \
    "$OTAPACK" attach-signature --pub off.pub tampered.ota u.sig -o t.ota
check "attach to a tampered package wrote nothing" test ! -e t.ota
expect_exit 1 "payload 'app': sha256 mismatch" \
    "$OTAPACK" attach-signature --pub off.pub tampered.ota u.sig
check "attach in place left the tampered package as it was" test "$(sha256 tampered.ota)" = "$T_SHA"
head -c $(($(stat -c %s u.ota) - 5000)) u.ota >cut.ota
expect_exit 1 "" "$OTAPACK" digest cut.ota
assert_clean "$T"

# ---- usage and missing inputs ----------------------------------------------------------------
expect_exit 2 "expected one package" "$OTAPACK" digest
expect_exit 2 "expected one package" "$OTAPACK" digest u.ota u2.ota
expect_exit 2 "unknown option" "$OTAPACK" digest --bogus u.ota
cp u.ota self.ota
expect_exit 2 "names the package itself" "$OTAPACK" digest self.ota -o self.ota
check "digest -o PKG left the package alone" cmp -s self.ota u.ota
expect_exit 1 "no such file" "$OTAPACK" digest missing.ota
expect_exit 2 "expected --pub" "$OTAPACK" attach-signature u.ota u.sig
expect_exit 2 "expected --pub" "$OTAPACK" attach-signature --pub off.pub u.ota
expect_exit 2 "one key" "$OTAPACK" attach-signature --pub off.pub --pub other.pub u.ota u.sig
expect_exit 1 "no such file" "$OTAPACK" attach-signature --pub off.pub u.ota missing.sig
expect_exit 1 "no such file" "$OTAPACK" attach-signature --pub missing.pub u.ota u.sig
expect_exit 1 "no such file" "$OTAPACK" attach-signature --pub off.pub missing.ota u.sig
check "the unsigned package never changed" test "$(sha256 u.ota)" = "$U_SHA"
for verb in digest attach-signature; do
    expect_ok "$OTAPACK" "$verb" --help
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES; do
        check "$verb --help has $s" grep -qx "$s" "$OUT"
    done
done
finish
