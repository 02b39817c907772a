# lib_cms.sh — helpers for the CMS and PKCS#11 CLI tests (sourced after tests/cli/lib.sh).

# sigof PKG METHOD OUT: writes the bytes of the one signature of METHOD in PKG's signature
# block to OUT and prints its key id (a plain tar reader: no otapack code involved).
sigof() {
    py - "$1" "$2" "$3" <<'PY'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    block = json.load(t.extractfile("signatures.json"))
sigs = [s for s in block["signatures"] if s["method"] == sys.argv[2]]
if len(sigs) != 1:
    sys.exit("%d signatures of method %s" % (len(sigs), sys.argv[2]))
open(sys.argv[3], "wb").write(bytes.fromhex(sigs[0]["sig"]))
print(sigs[0]["keyid"])
PY
}

# spki_keyid CERT: SHA-256 of the certificate's SubjectPublicKeyInfo (DER), by openssl
spki_keyid() {
    openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum |
        cut -d' ' -f1
}

# ecdsa_keyid PEM: the TUF key id of an ECDSA P-256 public key PEM file, computed from the
# canonical JSON with the file's bytes (raw newlines included) as the public value
ecdsa_keyid() {
    py - "$1" <<'PY'
import hashlib, sys
pem = open(sys.argv[1], "rb").read()
pem = pem.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
j = b'{"keytype":"ecdsa","keyval":{"public":"' + pem + b'"},"scheme":"ecdsa-sha2-nistp256"}'
print(hashlib.sha256(j).hexdigest())
PY
}

# no_secret WORD: WORD appears (as a word) in no output captured so far
no_secret() {
    CHECKS=$((CHECKS + 1))
    if grep -rlwF --include="*.out" --include="*.err" -- "$1" "$LOG" >"$T/leak.txt"; then
        fail "a secret appears in the output of: $(cat "$T/leak.txt" | tr '\n' ' ')"
    fi
}
