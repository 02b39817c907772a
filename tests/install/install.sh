#!/bin/bash
# install.sh BUILD_DIR — `cmake --install` into a temporary prefix, then build a device
# application against it with pkg-config (as a device maker would), and run it on a device.
set -euo pipefail
B=$1
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cmake --install "$B" --prefix "$W/prefix" >/dev/null
for f in bin/otapack bin/otaupdate include/otapack/device.h include/otapack/certstore.h \
         lib/pkgconfig/otapack.pc; do
    [ -e "$W/prefix/$f" ] || { echo "FAIL: $f not installed" >&2; exit 1; }
done
export PKG_CONFIG_PATH=$W/prefix/lib/pkgconfig
cc -Wall -Werror ${OTA_APP_CFLAGS:-} -o "$W/app" "$HERE/device_app.c" $(pkg-config --cflags --libs otapack)
if nm -D "$W/app" | grep -q crypto_sign_detached; then
    echo "FAIL: a device application linked signing code" >&2; exit 1
fi
"$W/prefix/bin/otapack" keygen --out "$W/k" >/dev/null
mkdir "$W/dev"
"$W/prefix/bin/otaupdate" --root "$W/dev" init --product acme --trust-key "$W/k.pub" >/dev/null
out=$("$W/app" "$W/dev")
[ "$out" = "certs: 0, 24576 bytes free" ] || { echo "FAIL: device app said '$out'" >&2; exit 1; }
echo "ok - installed tree builds a device application with pkg-config: $out"
