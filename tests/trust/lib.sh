# shellcheck shell=bash disable=SC2034  # variables used by the sourcing tests
# lib.sh — helpers for the Trusted Root Store tests (sourced by tests/trust/*.sh).
#
# Environment (set by ctest, see CMakeLists.txt): OTAPACK and OTAUPDATE, the two binaries;
# OTA_SRC, the source tree. Each test runs in its own temporary folder (the current folder
# after sourcing), removed on exit. Checks are hard: the first failure prints one FAIL line
# and stops the test; each passed group prints "ok - ...".
#
# Reuses tests/device/lib.sh: `snapshot ROOT` (a device's logical state, byte for byte),
# `die`, `mkkey`. A throwaway PKI is made with the openssl command line: roots, intermediates,
# server leaves for 127.0.0.1/localhost, a certificate that is not a CA, and a CA whose
# validity starts in the future (`openssl ca -startdate`, since OpenSSL 3.0's `x509 -req`
# cannot set notBefore).
set -euo pipefail

: "${OTAPACK:?set OTAPACK to the otapack binary}"
: "${OTAUPDATE:?set OTAUPDATE to the otaupdate binary}"
: "${OTA_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export OTAPACK OTAUPDATE OTA_SRC
. "$OTA_SRC/tests/device/lib.sh"

command -v openssl >/dev/null || die "openssl not found"
command -v python3 >/dev/null || die "python3 not found (snapshot needs it)"

W=$(mktemp -d "${TMPDIR:-/tmp}/otapack-trust.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
# snapshot calls python3 several times; a version-manager shim costs ~0.3 s a call, the
# interpreter itself does not
mkdir -p "$W/.bin"
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$W/.bin/python3"
PATH=$W/.bin:$PATH
START_S=$(date +%s)

MOZ=/usr/share/ca-certificates/mozilla
BALTIMORE=$MOZ/Baltimore_CyberTrust_Root.crt
G2=$MOZ/DigiCert_Global_Root_G2.crt

ok() { echo "ok - $*"; }
done_ok() { echo "# $(basename "$0"): all passed in $(($(date +%s) - START_S)) s"; }

U() { "$OTAUPDATE" --root dev "$@"; }

# ---- a throwaway PKI ----------------------------------------------------------------------

cat > pki.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_notca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyCertSign
[ca]
default_ca = ca_default
[ca_default]
database = ca.index
new_certs_dir = ca.new
serial = ca.serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[policy_any]
organizationName = optional
commonName = supplied
EOF

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# mkroot NAME CN [DAYS]: self-signed CA NAME.pem / NAME.key
mkroot() {
    newkey "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "/O=otapack test/CN=$2" -days "${3:-3650}" \
        -config pki.cnf -extensions v3_ca -out "$1.pem" 2>/dev/null
}

# mkcert NAME CN ISSUER EXT [DAYS]: NAME.pem signed by ISSUER.pem/ISSUER.key
mkcert() {
    newkey "$1.key"
    openssl req -new -key "$1.key" -subj "/O=otapack test/CN=$2" -config pki.cnf \
        -out "$1.csr" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days "${5:-825}" -extfile pki.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr"
}
mkint() { mkcert "$1" "$2" "$3" v3_int "${4:-1825}"; }
mkleaf() { mkcert "$1" "$2" "$3" v3_leaf "${4:-825}"; }

# mknotca NAME CN: self-signed, basicConstraints CA:FALSE (a leaf someone mistook for a root)
mknotca() {
    newkey "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "/O=otapack test/CN=$2" -days 3650 \
        -config pki.cnf -extensions v3_notca -out "$1.pem" 2>/dev/null
}

# mkfuture NAME CN START END: self-signed CA valid from START to END (YYYYMMDDHHMMSSZ), made
# with `openssl ca -selfsign` because it is the one tool of OpenSSL 3.0 that sets notBefore
mkfuture() {
    newkey "$1.key"
    rm -rf ca.new && mkdir ca.new
    : > ca.index
    openssl rand -hex 8 > ca.serial
    openssl req -new -key "$1.key" -subj "/O=otapack test/CN=$2" -config pki.cnf \
        -out "$1.csr" 2>/dev/null
    openssl ca -batch -config pki.cnf -selfsign -keyfile "$1.key" -in "$1.csr" \
        -startdate "$3" -enddate "$4" -extfile pki.cnf -extensions v3_ca -notext \
        -out "$1.pem" 2>/dev/null
    rm -rf "$1.csr" ca.index* ca.serial* ca.new
}

# fp FILE: SHA-256 fingerprint of the (first) certificate, lowercase hex, no colons
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f; }
# fp16 FILE: the first 16 hex digits, as device messages show them
fp16() { fp "$1" | cut -c1-16; }
# utc EPOCH FORMAT: date -u of an epoch time
utc() { date -u -d "@$1" +"$2"; }

# openssl verify loads the host's default roots unless told not to: keep them out, so only the
# device's store decides. v_capath DIR ARGS..., v_cafile BUNDLE ARGS...
v_capath() { openssl verify -no-CAfile -no-CAstore -CApath "$@"; }
v_cafile() { openssl verify -no-CApath -no-CAstore -CAfile "$@"; }

# ---- running commands ---------------------------------------------------------------------

# expect RC DESC CMD...: runs CMD, captures stdout/stderr in $OUT/$ERR, dies unless it exits RC
expect() {
    local want=$1 what=$2
    shift 2
    set +e
    "$@" > out.txt 2> err.txt
    local rc=$?
    set -e
    OUT=$(cat out.txt)
    ERR=$(cat err.txt)
    [ "$rc" -eq "$want" ] ||
        die "$what: exit $rc, expected $want; stderr: $ERR"
}

# one_line_has SUBSTRING...: stderr is exactly one line and contains every SUBSTRING
one_line_has() {
    local n s
    n=$(printf '%s' "$ERR" | grep -c '' || true)
    [ "$n" -eq 1 ] || die "expected one line on stderr, got $n: $ERR"
    for s in "$@"; do
        case $ERR in *"$s"*) ;; *) die "stderr lacks '$s': $ERR" ;; esac
    done
}

# rejected DESC SUBSTRING... -- CMD...: CMD exits 1, one stderr line with every SUBSTRING
rejected() {
    local what=$1
    shift
    local subs=()
    while [ "$1" != -- ]; do subs+=("$1"); shift; done
    shift
    expect 1 "$what" "$@"
    one_line_has "${subs[@]}"
}

# rejected_unchanged DESC PKG SUBSTRING...: install PKG on dev is refused (exit 1, one line
# with every SUBSTRING) and the device is byte-identical before and after (status, running
# generation's files (trust store included), generations, state files), with no leftover
rejected_unchanged() {
    local what=$1 pkg=$2
    shift 2
    snapshot dev > snap.before
    U trust list --json > trust.before
    rejected "$what" "$@" -- U install "$pkg"
    snapshot dev > snap.after
    U trust list --json > trust.after
    cmp -s snap.before snap.after || die "$what: the device changed: $(diff snap.before snap.after)"
    cmp -s trust.before trust.after || die "$what: the trust list changed"
    [ ! -e dev/var/lib/otapack/staging ] || die "$what: a staging folder was left behind"
}

# installs DESC PKG: install PKG on dev and confirm it
installs() {
    expect 0 "$1" U install "$2"
    U confirm > /dev/null
}

# pkg OUT SV [ARGS...]: a package for product acme signed with k.key (build's lint warnings,
# such as "expiring", go to build.err)
pkg() {
    local out=$1 sv=$2
    shift 2
    "$OTAPACK" build -o "$out" --product acme --version "$sv.0" --security-version "$sv" \
        --key k.key "$@" > /dev/null 2> build.err || die "otapack build $out: $(cat build.err)"
}

# crafted OUT SV PAYLOAD FILE [ARGS...]: a package that otapack build refuses to make (its
# lint stops roots a device would refuse: expired, not a CA), made the way a broken or
# hostile build step could: build it unsigned with a stand-in root, put FILE's bytes in
# payload PAYLOAD (e.g. trust-add.pem) with the manifest's sizes and digests to match, then
# sign it with k.key. So the device's own rules are what is tested.
crafted() {
    local out=$1 sv=$2 payload=$3 file=$4
    shift 4
    "$OTAPACK" build -o "$out" --product acme --version "$sv.0" --security-version "$sv" \
        "$@" > /dev/null 2> build.err || die "otapack build $out: $(cat build.err)"
    python3 - "$out" "$payload" "$file" <<'EOF'
import hashlib, io, json, sys, tarfile
path, name, repl = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
with tarfile.open(path, "r:") as t:
    entries = [(m, t.extractfile(m).read()) for m in t.getmembers()]
manifest = json.loads(entries[0][1])
hit = [p for p in manifest["payloads"] if p["name"] == name]
if len(hit) != 1 or hit[0]["compression"] != "none":
    sys.exit("crafted: no uncompressed payload " + name)
h = hashlib.sha256(repl).hexdigest()
hit[0].update(size=len(repl), sha256=h, uncompressed_size=len(repl), uncompressed_sha256=h)
mbytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
    for m, data in entries:
        data = mbytes if m.name == "manifest.json" else repl if m.name == name else data
        ti = tarfile.TarInfo(m.name)
        ti.size, ti.mode, ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = \
            len(data), 0o644, m.mtime, 0, 0, "", ""
        t.addfile(ti, io.BytesIO(data))
EOF
    "$OTAPACK" sign --key k.key "$out" > /dev/null
}

# trust_fps: the fingerprints the device trusts, sorted, one a line
trust_fps() { U trust list --json | python3 -c 'import json,sys; [print(c["sha256"]) for c in json.load(sys.stdin)]' | sort; }
