#!/bin/bash
# otapack CI signing: the release key lives in an HSM, the key that can replace it offline.
#   1. an offline root key (an encrypted key file) and an HSM token holding the release key
#      (SoftHSM 2 stands in for the HSM; CI reaches it over PKCS#11)
#   2. a keyring (TUF root.json): root = the offline key, release = the HSM key; a device
#      provisioned with it
#   3. CI builds a package unsigned, then signs it with the HSM key; the device installs it
#   4. the release key is rotated: a new HSM key, keyring version 2 signed offline, carried by
#      the next package; the device follows it
#   5. a package signed by the old release key is refused
# Needs softhsm2, opensc and libengine-pkcs11-openssl (scripts/install-deps installs them).
# Usage: run.sh [BIN_DIR]   (default: build/bin). KEEP=1 keeps the folder for a look around.
set -euo pipefail

BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
OTAPACK=$BIN/otapack
OTAUPDATE=$BIN/otaupdate
MODULE=${OTAPACK_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
WORK=$(mktemp -d /tmp/otapack-ci-signing.XXXXXX)
if [ "${KEEP:-0}" = 1 ]; then
    echo "(keeping $WORK)"
else
    trap 'rm -rf "$WORK"' EXIT
fi
cd "$WORK"
umask 077

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
refused() {
    printf '$ %s\n' "$*"
    set +e
    "$@" 2>err.txt
    local rc=$?
    set -e
    sed 's/^/  stderr: /' err.txt
    if [ "$rc" -eq 0 ]; then
        echo "ci-signing: expected a refusal, got success" >&2
        exit 1
    fi
    echo "  exit code $rc: refused, as it should be"
}
for tool in softhsm2-util pkcs11-tool; do
    command -v $tool >/dev/null || { echo "ci-signing: $tool missing: run scripts/install-deps" >&2; exit 1; }
done
[ -r "$MODULE" ] || { echo "ci-signing: $MODULE missing: run scripts/install-deps" >&2; exit 1; }

step "1. The offline root key (encrypted) and the HSM token with the release key"
# in real life: the root key on an offline machine, the passphrase in a safe
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >root.pass
run "$OTAPACK" keygen --out root --encrypt --passphrase-file root.pass
# the token: in CI, an HSM or a cloud KMS with a PKCS#11 module; here SoftHSM 2 in a folder
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$WORK" >softhsm2.conf
export SOFTHSM2_CONF=$WORK/softhsm2.conf OTAPACK_PKCS11_MODULE=$MODULE
export OTAPACK_PKCS11_PIN=1234 # in CI: from the secret store, never on the command line
run softhsm2-util --init-token --free --label ci --pin "$OTAPACK_PKCS11_PIN" --so-pin 5678 >/dev/null
run pkcs11-tool --module "$MODULE" --token-label ci --login --pin "$OTAPACK_PKCS11_PIN" \
    --keypairgen --key-type EC:prime256v1 --label release-2026 --id 01 >/dev/null
REL1='pkcs11:token=ci;object=release-2026;type=private'
run "$OTAPACK" pubkey --pkcs11 "$REL1" -o release-2026.pem
cat release-2026.pem

step "2. The keyring: root = offline key, release = the HSM key; a device provisioned with it"
run "$OTAPACK" keyring init -o root-v1.json --root-key root.pub --release-key release-2026.pem \
    --expires-in 730
run "$OTAPACK" keyring sign --key root.key --passphrase-file root.pass root-v1.json
run "$OTAPACK" keyring show root-v1.json
mkdir device
run "$OTAUPDATE" --root device init --product acme-gateway --keyring root-v1.json

step "3. CI: build unsigned, sign with the HSM key, verify as a device would; install"
head -c 131072 /dev/urandom >app.bin
export SOURCE_DATE_EPOCH=$(date +%s)
run "$OTAPACK" build -o acme-1.0.ota --product acme-gateway --version 1.0 --security-version 1 \
    --image app=app.bin
run "$OTAPACK" sign --pkcs11 "$REL1" acme-1.0.ota
run "$OTAPACK" verify --keyring root-v1.json acme-1.0.ota
run "$OTAUPDATE" --root device install acme-1.0.ota
run "$OTAUPDATE" --root device confirm

step "4. Rotate the release key: a new HSM key, keyring v2 signed offline, carried by 1.1"
run pkcs11-tool --module "$MODULE" --token-label ci --login --pin "$OTAPACK_PKCS11_PIN" \
    --keypairgen --key-type EC:prime256v1 --label release-2027 --id 02 >/dev/null
REL2='pkcs11:token=ci;object=release-2027;type=private'
run "$OTAPACK" pubkey --pkcs11 "$REL2" -o release-2027.pem
run "$OTAPACK" keyring init -o root-v2.json --from root-v1.json --expires-in 730
run "$OTAPACK" keyring add-key --role release release-2027.pem root-v2.json
run "$OTAPACK" keyring remove-key --role release release-2026.pem root-v2.json
# the root keys of v1 sign v2 (here the same key, which also signs as a root key of v2)
run "$OTAPACK" keyring sign --key root.key --passphrase-file root.pass root-v2.json
run "$OTAPACK" keyring verify --previous root-v1.json root-v2.json
head -c 131072 /dev/urandom >app.bin
run "$OTAPACK" build -o acme-1.1.ota --product acme-gateway --version 1.1 --security-version 2 \
    --image app=app.bin --keyring root-v2.json
run "$OTAPACK" sign --pkcs11 "$REL2" acme-1.1.ota
run "$OTAPACK" verify --keyring root-v1.json acme-1.1.ota
run "$OTAUPDATE" --root device install acme-1.1.ota
run "$OTAUPDATE" --root device confirm
run "$OTAUPDATE" --root device status

step "5. The old release key no longer signs anything the device installs"
run "$OTAPACK" build -o acme-1.2.ota --product acme-gateway --version 1.2 --security-version 3 \
    --image app=app.bin
run "$OTAPACK" sign --pkcs11 "$REL1" acme-1.2.ota
refused "$OTAUPDATE" --root device install acme-1.2.ota
refused "$OTAPACK" verify --keyring root-v2.json acme-1.2.ota
echo
echo "ci-signing: done. otapack took the HSM PIN and the root passphrase from the environment"
echo "and a file, never from its command line."
