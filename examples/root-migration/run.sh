#!/bin/bash
# otapack root migration: the Baltimore CyberTrust Root -> DigiCert Global Root G2 story, as
# three simulated devices live through it, in a temporary folder. See README.md.
#   0. the real Baltimore root has expired: lint flags it, build and the device refuse it
#   1. the fleet trusts the Old Root; the update server presents the old chain
#   2. release 1: ship the New Root first (and the real DigiCert Global Root G2), trust only
#   3. the server switches its certificate; release 1.1 declares the new chain
#   4. release 2: retire the Old Root, trust only
#   5. the wrong order on a fresh device: refused by the lockout rule; --allow-lockout
#   6. a device that missed everything catches up with one --trust-replace package
# A real TLS server (openssl s_server on 127.0.0.1 only) is checked the way the device's
# clients would: `openssl s_client -CApath` and `curl --cacert` with the device's trust store.
# Usage: run.sh [BIN_DIR]   (default: build/bin). KEEP=1 keeps the folder for a look around.
# Exits non-zero as soon as any step does not have the outcome it should.
set -euo pipefail

BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
OTAPACK=$BIN/otapack
OTAUPDATE=$BIN/otaupdate
MOZ=/usr/share/ca-certificates/mozilla
BALTIMORE=$MOZ/Baltimore_CyberTrust_Root.crt
G2=$MOZ/DigiCert_Global_Root_G2.crt
for f in "$BALTIMORE" "$G2"; do
    [ -f "$f" ] || { echo "root-migration: $f not found (Debian package ca-certificates)" >&2; exit 1; }
done
command -v openssl >/dev/null || { echo "root-migration: openssl not found" >&2; exit 1; }

WORK=$(mktemp -d /tmp/otapack-root-migration.XXXXXX)
SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
    fi
}
cleanup() {
    stop_server
    if [ "${KEEP:-0}" = 1 ]; then echo "(kept $WORK)"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
cd "$WORK"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '%s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
bad() { echo "root-migration: FAILED: $*" >&2; exit 1; }
# refused SUBSTRING CMD...: CMD must fail with exit 1 and SUBSTRING in its one stderr line
refused() {
    local want=$1
    shift
    printf '$ %s\n' "$*"
    set +e
    "$@" > out.txt 2> err.txt
    local rc=$?
    set -e
    sed 's/^/  stdout: /' out.txt
    sed 's/^/  stderr: /' err.txt
    [ "$rc" -eq 1 ] || bad "expected a refusal (exit 1), got exit $rc"
    [ "$(grep -c '' err.txt)" -eq 1 ] || bad "expected one line on stderr"
    grep -qF -- "$want" err.txt || bad "the message should say: $want"
    echo "  exit code 1: refused, as it should be"
}
# Fingerprint as the device names roots: SHA-256 of the DER bytes, lowercase, no colons.
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f; }

# ---- the server side: a throwaway PKI, a TLS server on 127.0.0.1 ----------------------------
cat > pki.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
mkroot() { # NAME CN
    newkey "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "/O=Example Trust/CN=$2" -days 3650 \
        -config pki.cnf -extensions root -out "$1.pem" 2>/dev/null
}
mkcert() { # NAME CN ISSUER EXTENSIONS DAYS
    newkey "$1.key"
    openssl req -new -key "$1.key" -subj "/O=Example Trust/CN=$2" -config pki.cnf -out "$1.csr" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days "$5" -extfile pki.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr"
}

PORT=
# serve CHAIN_PREFIX: (re)starts `openssl s_server -www` on 127.0.0.1 with PREFIX-leaf.pem,
# its key and PREFIX-int.pem; waits (bounded) until it accepts connections
serve() {
    stop_server
    for _ in 1 2 3 4 5 6 7 8; do
        [ -n "$PORT" ] || PORT=$((20000 + RANDOM % 40000))
        openssl s_server -accept "127.0.0.1:$PORT" -cert "$1-leaf.pem" -key "$1-leaf.key" \
            -cert_chain "$1-int.pem" -www -quiet > "server-$PORT.log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 50); do # up to 5 s
            kill -0 "$SERVER_PID" 2>/dev/null || break
            if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
                echo "(server: openssl s_server on 127.0.0.1:$PORT presenting the $1 chain, pid $SERVER_PID)"
                return 0
            fi
            sleep 0.1
        done
        stop_server
        PORT= # port taken, or the server did not start: another port
    done
    bad "could not start openssl s_server on 127.0.0.1"
}
# device_connects DEVICE: the device's TLS clients reach the server, validating it with the
# device's trust store only: s_client with the CApath folder, curl with the bundle.
# -no-CAfile -no-CAstore and an empty --capath keep the host's own roots out of the check.
device_connects() {
    local capath bundle
    capath=$("$OTAUPDATE" --root "$1" trust path | head -1)
    bundle=$("$OTAUPDATE" --root "$1" trust path | tail -1)
    printf '$ openssl s_client -connect 127.0.0.1:%s -CApath "$(otaupdate --root %s trust path | head -1)" \\\n      -no-CAfile -no-CAstore -verify_return_error -verify_ip 127.0.0.1 -brief\n' "$PORT" "$1"
    if timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CApath "$capath" -no-CAfile \
        -no-CAstore -verify_return_error -verify_ip 127.0.0.1 -brief < /dev/null > tls.txt 2>&1; then
        grep -E 'Verification|Peer certificate' tls.txt | sed 's/^/  /'
    else
        sed 's/^/  /' tls.txt
        return 1
    fi
    if command -v curl >/dev/null; then
        mkdir -p empty
        printf '$ curl --cacert "$(otaupdate --root %s trust path | tail -1)" --capath empty https://127.0.0.1:%s/\n' "$1" "$PORT"
        local code
        code=$(curl --noproxy '*' -sS --max-time 10 --cacert "$bundle" --capath empty \
            -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/" 2> curl.txt) || {
            sed 's/^/  /' curl.txt
            return 1
        }
        echo "  HTTP $code over TLS validated by the device's bundle"
    else
        echo "  (curl not installed: skipped the CAfile check)"
    fi
}
device_cannot_connect() {
    if device_connects "$1"; then
        bad "device $1 validated a server it must not trust"
    fi
    echo "  -> the device cannot validate this server, as expected"
}
installs() { # DEVICE PKG: install, trial-boot, confirm
    run "$OTAUPDATE" --root "$1" install "$2"
    "$OTAUPDATE" --root "$1" boot > /dev/null
    run "$OTAUPDATE" --root "$1" confirm
}
trusts() { # DEVICE CERT: the device trusts CERT (yes/no)
    "$OTAUPDATE" --root "$1" trust list --json | grep -q "\"$(fp "$2")\""
}

SOURCE_DATE_EPOCH=$(date +%s) # every package below is created "now"
export SOURCE_DATE_EPOCH

step "0. The real Baltimore CyberTrust Root has expired: a device will not add it"
run openssl x509 -in "$BALTIMORE" -noout -subject -enddate
if openssl x509 -in "$BALTIMORE" -noout -checkend 0 > /dev/null; then
    bad "Baltimore CyberTrust Root is still valid on this machine's clock; this story assumes after 2025-05-12"
fi
echo "The release engineer's check flags it before it reaches a package:"
if "$OTAPACK" lint --help > /dev/null 2>&1; then
    printf '$ %s lint %s\n' "$OTAPACK" "$BALTIMORE"
    set +e
    "$OTAPACK" lint "$BALTIMORE" > lint.txt 2>&1
    rc=$?
    set -e
    sed 's/^/  /' lint.txt
    [ "$rc" -eq 1 ] && grep -qi expired lint.txt || bad "otapack lint should flag Baltimore as expired (exit 1)"
    echo "  exit code 1: flagged"
else
    echo "(otapack lint is not in this build: that check is skipped)"
fi
echo "And a device cannot be provisioned with it:"
"$OTAPACK" keygen --out release > /dev/null # the release key: release.key stays with CI
mkdir scratch-device
printf '$ %s --root scratch-device init --product acme-gateway --trust-key release.pub \\\n      --truststore %s\n' \
    "$OTAUPDATE" "$BALTIMORE"
set +e
"$OTAUPDATE" --root scratch-device init --product acme-gateway --trust-key release.pub \
    --truststore "$BALTIMORE" > out.txt 2> err.txt
rc=$?
set -e
sed 's/^/  stderr: /' err.txt
[ "$rc" -eq 1 ] && grep -q "Baltimore.*expired" err.txt || bad "init with the expired Baltimore root should be refused"
[ -z "$(ls -A scratch-device)" ] || bad "a refused init left files behind"
echo "  exit code 1: refused, and nothing was created"
echo "Nor can it be shipped in a package:"
printf '$ %s build -o baltimore.ota ... --trust-add %s --key release.key\n' "$OTAPACK" "$BALTIMORE"
set +e
"$OTAPACK" build -o baltimore.ota --product acme-gateway --version 0.9 --security-version 9 \
    --trust-add "$BALTIMORE" --key release.key > out.txt 2> err.txt
rc=$?
set -e
sed 's/^/  /' out.txt
sed 's/^/  stderr: /' err.txt
if [ "$rc" -ne 0 ]; then
    # otapack build lints its certificate inputs and stops at a root a device would refuse
    [ "$rc" -eq 1 ] && grep -q "expired" err.txt && [ ! -e baltimore.ota ] ||
        bad "otapack build should refuse the expired root with exit 1 and write nothing"
    echo "  exit code 1: otapack build refuses it (and a device would, too)"
else
    # a build without certificate checks: the device is the last line of defence
    mkdir g2-device
    "$OTAUPDATE" --root g2-device init --product acme-gateway --trust-key release.pub \
        --truststore "$G2" > /dev/null
    refused "expired at 2025-05-12" "$OTAUPDATE" --root g2-device install baltimore.ota
fi
echo "So a throwaway 'Old Root' made with openssl plays Baltimore's part below, and a throwaway"
echo "'New Root' plays DigiCert Global Root G2's (the real G2 is added too, to show a real root"
echo "installs): a local test server needs certificates signed by keys we hold."

step "1. The fleet today: trusts the Old Root; the update server presents the old chain"
mkroot old-root "Old Root"
mkcert old-int "Old Issuing CA" old-root intermediate 1825
mkcert old-leaf localhost old-int server 365
mkroot new-root "New Root"
mkcert new-int "New Issuing CA" new-root intermediate 1825
mkcert new-leaf localhost new-int server 365
cat old-leaf.pem old-int.pem > old-chain.pem
cat new-leaf.pem new-int.pem > new-chain.pem
echo "A throwaway PKI: each root has an issuing CA and a server certificate for 127.0.0.1/localhost"
ls old-root.pem old-chain.pem new-root.pem new-chain.pem
serve old
mkdir device-a
run "$OTAUPDATE" --root device-a init --product acme-gateway --trust-key release.pub \
    --truststore old-root.pem --server-chain old-chain.pem
echo "The device recorded the chain its update server presents: every later package must leave"
echo "it a trust store that still validates that chain."
run "$OTAUPDATE" --root device-a trust list
device_connects device-a || bad "device A must validate the old server"
echo "And the new server chain does not validate on this device yet:"
run openssl verify -no-CAfile -no-CAstore -CApath "$("$OTAUPDATE" --root device-a trust path | head -1)" \
    -untrusted new-int.pem new-leaf.pem && bad "the new chain must not validate before release 1" ||
    echo "  -> not yet: the device must receive the New Root before the server switches"

step "2. Release 1: ship the New Root first (a trust-only update; both roots are kept)"
run "$OTAPACK" build -o release-1.ota --product acme-gateway --version 1.0 --security-version 10 \
    --trust-add new-root.pem --trust-add "$G2" --key release.key
run "$OTAPACK" inspect release-1.ota
installs device-a release-1.ota
run "$OTAUPDATE" --root device-a trust list
trusts device-a new-root.pem && trusts device-a "$G2" && trusts device-a old-root.pem ||
    bad "device A should trust the Old Root, the New Root and DigiCert Global Root G2"
echo "The real DigiCert Global Root G2 is a valid CA: it installed. The server has not switched:"
device_connects device-a || bad "device A must still validate the old server"

step "3. The server switches to a certificate under the New Root; release 1.1 says so"
serve new
device_connects device-a || bad "device A must validate the switched server"
head -c 65536 /dev/urandom > app.bin
run "$OTAPACK" build -o release-1.1.ota --product acme-gateway --version 1.1 --security-version 11 \
    --image app=app.bin --server-chain new-chain.pem --key release.key
installs device-a release-1.1.ota
cmp -s device-a/var/lib/otapack/current/trust/server-chain.pem new-chain.pem ||
    bad "device A should have recorded the new server chain"
echo "Device A now records the new chain: from here on the Old Root guards nothing it needs."

step "4. Release 2: retire the Old Root (trust-only, by fingerprint), as Baltimore was retired"
run "$OTAPACK" build -o release-2.ota --product acme-gateway --version 2.0 --security-version 20 \
    --trust-remove "$(fp old-root.pem)" --key release.key
installs device-a release-2.ota
run "$OTAUPDATE" --root device-a trust list
trusts device-a old-root.pem && bad "device A still trusts the Old Root"
device_connects device-a || bad "device A must validate the switched server after the removal"
echo "A server still presenting the old chain would now be refused:"
run openssl verify -no-CAfile -no-CAstore -CApath "$("$OTAUPDATE" --root device-a trust path | head -1)" \
    -untrusted old-int.pem old-leaf.pem && bad "the old chain must not validate any more" ||
    echo "  -> refused: the Old Root is gone"

step "5. The wrong order, on a fresh device: retire the Old Root before the server switched"
mkdir device-b
run "$OTAUPDATE" --root device-b init --product acme-gateway --trust-key release.pub \
    --truststore old-root.pem --server-chain old-chain.pem
installs device-b release-1.ota
echo "A hasty release removes the Old Root without declaring the new server chain:"
run "$OTAPACK" build -o hasty.ota --product acme-gateway --version 1.5 --security-version 15 \
    --trust-remove "$(fp old-root.pem)" --key release.key
status_before=$("$OTAUPDATE" --root device-b status --json; "$OTAUPDATE" --root device-b trust list --json)
refused "would not validate the update server" "$OTAUPDATE" --root device-b install hasty.ota
[ "$status_before" = "$("$OTAUPDATE" --root device-b status --json; "$OTAUPDATE" --root device-b trust list --json)" ] ||
    bad "a refused package changed device B"
trusts device-b old-root.pem || bad "device B lost the Old Root"
echo "Device B is unchanged and still reaches its update server (on the old chain). The same"
echo "package built with --allow-lockout is a deliberate decision (e.g. the device moves to"
echo "another update service that a later package will configure): it installs, with a warning."
run "$OTAPACK" build -o deliberate.ota --product acme-gateway --version 1.5 --security-version 15 \
    --trust-remove "$(fp old-root.pem)" --allow-lockout --key release.key
printf '$ %s --root device-b install deliberate.ota\n' "$OTAUPDATE"
"$OTAUPDATE" --root device-b install deliberate.ota 2> warn.txt || bad "--allow-lockout should install"
sed 's/^/  stderr: /' warn.txt
grep -q "^otaupdate: warning: trust: allowed by --allow-lockout" warn.txt ||
    bad "the device should warn that it was allowed to lock itself out"
"$OTAUPDATE" --root device-b confirm > /dev/null
trusts device-b old-root.pem && bad "device B should have dropped the Old Root"

step "6. A device that was offline for all of this catches up with one package"
mkdir device-c
run "$OTAUPDATE" --root device-c init --product acme-gateway --trust-key release.pub \
    --truststore old-root.pem --server-chain old-chain.pem
device_cannot_connect device-c
echo "The next release states the whole set of roots (--trust-replace) and the current server"
echo "chain, so it is right for a device that missed any number of releases:"
cat new-root.pem "$G2" > fleet-roots.pem
run "$OTAPACK" build -o release-3.ota --product acme-gateway --version 3.0 --security-version 30 \
    --trust-replace fleet-roots.pem --server-chain new-chain.pem --image app=app.bin \
    --key release.key
installs device-c release-3.ota
run "$OTAUPDATE" --root device-c trust list
trusts device-c new-root.pem && trusts device-c "$G2" && ! trusts device-c old-root.pem ||
    bad "device C should trust exactly the New Root and DigiCert Global Root G2"
device_connects device-c || bad "device C must validate the switched server"
echo "Release 3 on device A, which already has all of it, leaves its trust store as it was:"
cp device-a/var/lib/otapack/current/trust/ca-bundle.pem bundle-before.pem
installs device-a release-3.ota
cmp -s bundle-before.pem device-a/var/lib/otapack/current/trust/ca-bundle.pem ||
    bad "release 3 should not change device A's trust store"
device_connects device-a || bad "device A must still validate the server"
echo "Devices A and C, whatever their history, now hold byte-identical trust stores:"
run diff -r device-a/var/lib/otapack/current/trust device-c/var/lib/otapack/current/trust &&
    echo "  (no difference)" || bad "devices A and C should hold the same trust store"
echo "Device B (the deliberate move of step 5) gets release 3 too, which names the chain its"
echo "server now presents, and reaches the switched server:"
installs device-b release-3.ota
device_connects device-b || bad "device B must validate the switched server after release 3"

echo
echo "root-migration: done (every step had the expected outcome)"
