#!/bin/bash
# cli_regress.sh — regression tests for bugs a security review found:
#  1. zlib payloads whose inflate output ends exactly on a 64 KiB buffer boundary were
#     rejected as "data after the end of its zlib stream" (build succeeded, every device
#     refused the release);
#  2. a signature block's method string reached stderr unescaped (terminal escapes, a second
#     line) before any signature was checked;
#  3. on an A/B device, a package refused for a payload that is not a slot image deleted the
#     rollback generation.
. "$(dirname "$0")/lib.sh"
cd "$T"
export SOURCE_DATE_EPOCH=$(date +%s)
need "$OTAPACK" keygen --out k

# 1 ------------------------------------------------------------------------------------
head -c 65536 /dev/zero > z64k
head -c 1048576 /dev/zero > z1m
head -c 131072 /dev/urandom > r128k
cat /dev/zero | head -c 65536 > mix && head -c 65536 /dev/urandom >> mix
new_device dev k.pub
sv=1
for img in z64k z1m r128k mix; do
    need "$OTAPACK" build -o "$img.ota" --product acme --version "$img" --security-version $sv \
        --image app="$img" --compress zlib --key k.key
    expect_ok "$OTAPACK" verify --pub k.pub "$img.ota"
    expect_ok "$OTAUPDATE" --root dev install "$img.ota"
    check "$img installed byte-identical" cmp -s "$img" dev/var/lib/otapack/current/images/app
    need "$OTAUPDATE" --root dev confirm
    sv=$((sv + 1))
done

# 2 ------------------------------------------------------------------------------------
need "$OTAPACK" build -o m.ota --product acme --version m --security-version 50 --image app=z64k \
    --key k.key
py - m.ota method.ota <<'PY'
import io, json, sys, tarfile
src = tarfile.open(sys.argv[1])
out = io.BytesIO()
dst = tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT)
for m in src.getmembers():
    data = src.extractfile(m).read()
    if m.name == "signatures.json":
        block = json.loads(data)
        block["signatures"][0]["method"] = "\x1b[2K\rotaupdate: OK\x1b]0;x\x07\n"
        data = (json.dumps(block, indent=2, sort_keys=True) + "\n").encode()
        m.size = len(data)
    dst.addfile(m, io.BytesIO(data))
dst.close()
open(sys.argv[2], "wb").write(out.getvalue())
PY
expect_exit 1 "method is not a name" "$OTAUPDATE" --root dev install method.ota
check "no escape character reached stderr" not grep -q $'\x1b' "$ERR"

# 3 ------------------------------------------------------------------------------------
truncate -s 256K slotA slotB
mkdir sdev
need "$OTAUPDATE" --root sdev init --product acme --trust-key k.pub --slot "fw=$T/slotA,$T/slotB"
head -c 5000 /dev/urandom > fw1
head -c 6000 /dev/urandom > fw2
head -c 7000 /dev/urandom > other
need "$OTAPACK" build -o g1.ota --product acme --version g1 --security-version 1 --image fw=fw1 --key k.key
install_confirmed sdev g1.ota
# g2: the non-slot payload 'aaa' comes first and has one bit flipped in transit
cp other aaa
need "$OTAPACK" build -o g2.ota --product acme --version g2 --security-version 2 --image aaa=aaa \
    --image fw=fw2 --key k.key
py - g2.ota g2bad.ota <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = 0
while i < len(b):
    name = bytes(b[i:i + 100]).split(b"\0")[0]
    size = int(bytes(b[i + 124:i + 136]).strip(b"\0 ") or b"0", 8)
    if name == b"aaa":
        b[i + 512 + 10] ^= 1
        break
    i += 512 + (size + 511) // 512 * 512
open(sys.argv[2], "wb").write(b)
PY
expect_exit 1 "payload 'aaa': sha256 mismatch" "$OTAUPDATE" --root sdev install g2bad.ota
run "$OTAUPDATE" --root sdev status --json
check "the rollback generation survived a refused package" out_has '"previous_generation": 0'
finish
