#!/bin/bash
# otapack quickstart: the whole pipeline in one minute, in a temporary folder.
#   1. a release key            (otapack keygen)
#   2. a package from two images, built unsigned and signed in a separate CI-like step
#   3. a device root provisioned with the public key, the package installed, trial-booted,
#      confirmed, status shown
#   4. a tampered package and a rollback attempt, both refused with nothing changed
# Usage: run.sh [BIN_DIR]   (default: build/bin). KEEP=1 keeps the folder for a look around.
set -euo pipefail

BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
OTAPACK=$BIN/otapack
OTAUPDATE=$BIN/otaupdate
WORK=$(mktemp -d /tmp/otapack-quickstart.XXXXXX)
if [ "${KEEP:-0}" = 1 ]; then
    echo "(keeping $WORK)"
else
    trap 'rm -rf "$WORK"' EXIT
fi
cd "$WORK"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# Runs a command that must be refused; shows its error line and exit code.
refused() {
    printf '$ %s\n' "$*"
    set +e
    "$@" 2>err.txt
    local rc=$?
    set -e
    sed 's/^/  stderr: /' err.txt
    if [ "$rc" -eq 0 ]; then
        echo "quickstart: expected a refusal, got success" >&2
        exit 1
    fi
    echo "  exit code $rc: refused, as it should be"
}

step "1. A release key (the secret half stays with CI, mode 0600)"
run "$OTAPACK" keygen --out release
ls -l release.key release.pub

step "2. Two application images"
head -c 262144 /dev/urandom > app.bin
printf 'mode=production\nserver=updates.example.com\n' > config.txt
ls -l app.bin config.txt

step "3. Build the package unsigned, then sign it in a separate step (as CI would)"
export SOURCE_DATE_EPOCH=$(date +%s)
run "$OTAPACK" build -o acme-1.0.ota --product acme-gateway --version 1.0 \
    --security-version 10 --image app=app.bin --image config=config.txt --compress zlib
run "$OTAPACK" sign --key release.key acme-1.0.ota
run "$OTAPACK" verify --pub release.pub acme-1.0.ota
run "$OTAPACK" inspect acme-1.0.ota
echo "It is a plain tar stream:"
run tar tvf acme-1.0.ota

step "4. A device (a folder standing in for /), provisioned with the public key"
mkdir device
run "$OTAUPDATE" --root device init --product acme-gateway --trust-key release.pub

step "5. Install, streamed from a pipe as a download would be"
printf '$ cat acme-1.0.ota | %s --root device install -\n' "$OTAUPDATE"
cat acme-1.0.ota | "$OTAUPDATE" --root device install -
cmp app.bin device/var/lib/otapack/current/images/app && echo "installed app image is byte-identical"
echo "The new generation is on trial. At the next boot, early, the device runs:"
run "$OTAUPDATE" --root device boot
echo "and once the application is healthy:"
run "$OTAUPDATE" --root device confirm
run "$OTAUPDATE" --root device status

step "6. Release 1.1, with one byte of the app image flipped in transit"
head -c 262144 /dev/urandom > app.bin
run "$OTAPACK" build -o acme-1.1.ota --product acme-gateway --version 1.1 \
    --security-version 11 --image app=app.bin --image config=config.txt --key release.key
cp acme-1.1.ota tampered.ota
# the app payload's bytes follow its 512-byte tar header, which starts with its name
off=$(grep -abo 'app' tampered.ota | awk -F: '$1 % 512 == 0 {print $1; exit}')
pos=$((off + 512 + 1000))
printf '\x55' | dd of=tampered.ota bs=1 seek="$pos" conv=notrunc status=none
refused "$OTAUPDATE" --root device install tampered.ota

step "7. The genuine 1.1 installs; 1.0 stays as the previous generation"
run "$OTAUPDATE" --root device install acme-1.1.ota
run "$OTAUPDATE" --root device boot
run "$OTAUPDATE" --root device confirm

step "8. A rollback attempt: re-installing the validly signed 1.0 (security version 10 < 11)"
refused "$OTAUPDATE" --root device install acme-1.0.ota

step "9. A package signed by someone else"
run "$OTAPACK" keygen --out mallory
run "$OTAPACK" build -o evil.ota --product acme-gateway --version 6.6.6 \
    --security-version 666 --image app=config.txt --key mallory.key
refused "$OTAUPDATE" --root device install evil.ota

step "10. The device runs 1.1, untouched by every refused package"
run "$OTAUPDATE" --root device status --json
echo
echo "quickstart: done"
