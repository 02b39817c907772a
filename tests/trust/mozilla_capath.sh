#!/bin/bash
# mozilla_capath.sh — the real Mozilla root set as a trust-add payload, and the on-disk store
# it produces, checked against OpenSSL itself:
#   every expired Mozilla root is refused by name; the roots valid today (plus a throwaway
#   test root) install; the CApath folder has exactly the names `openssl rehash` makes for the
#   same certificates (subject hash, .0/.1 on collisions, numbered in the same order), each
#   holding the same certificate; `openssl verify -CApath` accepts a chain under the test root
#   and a real root against itself and refuses a chain under an unknown root; the bundle
#   (`trust path | tail -1`) works with `openssl verify -CAfile`.
. "$(dirname "$0")/lib.sh"

[ -d "$MOZ" ] || die "$MOZ not found (Debian package ca-certificates)"
SOURCE_DATE_EPOCH=$(date +%s)
export SOURCE_DATE_EPOCH
mkkey k
mkroot testroot "Test Root"
mkint testint "Test Issuing CA" testroot
mkleaf testleaf localhost testint
mkroot stranger "Stranger Root"
mkleaf strangerleaf localhost stranger

# The roots valid today. An expired root would be refused by the device (checked below), so
# a release engineer ships only these; `-checkend 0` looks at notAfter.
mkdir valid expired
for f in "$MOZ"/*.crt; do
    if openssl x509 -in "$f" -noout -checkend 0 > /dev/null; then
        cp "$f" valid/
    else
        cp "$f" expired/
    fi
done
n_valid=$(ls valid | wc -l)
[ "$n_valid" -ge 100 ] || die "only $n_valid valid Mozilla roots: is ca-certificates installed?"
[ -n "$(ls expired)" ] || die "no expired Mozilla root to test with (Baltimore expired in 2025)"
cat valid/*.crt testroot.pem > all-valid.pem

mkdir dev
U init --product acme --trust-key k.pub > /dev/null

# every expired root, appended to the valid set, makes the whole package fail, by its name
sv=1
for f in expired/*.crt; do
    cat all-valid.pem "$f" > with-expired.pem
    # otapack build's lint would stop it (checked once below): craft it, the device decides
    crafted with-expired.ota $sv trust-add.pem with-expired.pem --trust-add all-valid.pem
    na=$(date -u -d "$(openssl x509 -in "$f" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
    rejected_unchanged "expired $(basename "$f")" with-expired.ota \
        "otaupdate: with-expired.ota: trust-add: " "(sha256 $(fp16 "$f")) expired at $na"
done
expect 1 "otapack build with an expired root" "$OTAPACK" build -o refused.ota --product acme \
    --version 1 --security-version 1 --trust-add with-expired.pem
[ ! -e refused.ota ] || die "a refused build wrote a package"
ok "each expired Mozilla root ($(ls expired | tr '\n' ' ')) makes the package fail, by name"

pkg mozilla.ota 1 --trust-add all-valid.pem
installs "the valid Mozilla roots and Test Root" mozilla.ota
[ "$(U trust list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq $((n_valid + 1)) ] ||
    die "expected $((n_valid + 1)) roots"
ok "$n_valid valid Mozilla roots and a test root install"

CAPATH=$(U trust path | head -1)
BUNDLE=$(U trust path | tail -1)
[ "$CAPATH" = "$(cd dev && pwd)/var/lib/otapack/current/trust/certs" ] || die "unexpected CApath $CAPATH"

# the same certificates through `openssl rehash`; files named by fingerprint, so collisions
# are numbered in fingerprint order, the order the device uses. (Python's standard library
# does the fingerprints and comparisons: hundreds of openssl processes would take seconds.)
der_py='
import base64, hashlib, re, sys
def der(path):
    t = open(path, "rb").read()
    m = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", t, re.S)
    return base64.b64decode(b"".join(m.group(1).split())) if m else t
'
mkdir rehashed
python3 -c "$der_py"'
import shutil
for f in sys.argv[2:]:
    shutil.copy(f, "%s/%s.pem" % (sys.argv[1], hashlib.sha256(der(f)).hexdigest()))
' rehashed valid/*.crt testroot.pem
openssl rehash rehashed 2> rehash.err || die "openssl rehash failed: $(cat rehash.err)"
(cd rehashed && find . -type l -printf '%f\n' | sort) > names.rehash
ls "$CAPATH" | sort > names.device
cmp -s names.rehash names.device || die "CApath names differ from openssl rehash: $(diff names.rehash names.device)"
[ "$(wc -l < names.device)" -eq $((n_valid + 1)) ] || die "CApath should hold one file per root"
python3 -c "$der_py"'
import os
for name in os.listdir(sys.argv[2]):
    if der(os.path.join(sys.argv[1], name)) != der(os.path.join(sys.argv[2], name)):
        sys.exit("%s holds another certificate than openssl rehash put there" % name)
' rehashed "$CAPATH" || die "CApath content differs from openssl rehash"
collisions=$(grep -c '\.1$' names.device || true)
ok "CApath names are exactly those of openssl rehash, same certificate behind each ($collisions hash collision(s))"

v_capath "$CAPATH" -untrusted testint.pem testleaf.pem > /dev/null ||
    die "openssl verify -CApath refused the test chain"
v_capath "$CAPATH" "$G2" > /dev/null || die "openssl verify -CApath refused DigiCert Global Root G2"
mkdir empty-capath
if v_capath empty-capath "$G2" > /dev/null 2>&1; then
    die "control: verify accepted G2 with an empty CApath, so the host's roots leak into the check"
fi
if v_capath "$CAPATH" strangerleaf.pem > /dev/null 2>&1; then
    die "openssl verify -CApath accepted a leaf under a root the device does not trust"
fi
ok "openssl verify -CApath: a chain under the test root and a real root validate, a stranger does not"

[ "$(grep -c 'BEGIN CERTIFICATE' "$BUNDLE")" -eq $((n_valid + 1)) ] || die "bundle size"
v_cafile "$BUNDLE" -untrusted testint.pem testleaf.pem > /dev/null ||
    die "openssl verify -CAfile refused the test chain"
v_cafile "$BUNDLE" "$G2" > /dev/null || die "openssl verify -CAfile refused DigiCert Global Root G2"
if v_cafile "$BUNDLE" strangerleaf.pem > /dev/null 2>&1; then
    die "openssl verify -CAfile accepted a leaf under a root the device does not trust"
fi
ok "the bundle works with openssl verify -CAfile"

done_ok
