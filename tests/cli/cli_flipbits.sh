#!/usr/bin/env bash
# cli_flipbits — one flipped byte anywhere in a signed package is refused, with one line on
# stderr that names the right culprit, and the device stays byte-identical.
#
# The package has two payloads, 'fw' (zlib) and 'cfg' (stored), sizes not multiples of 512,
# so every entry has padding. `otapack build` compresses all payloads or none, so python
# (tarfile) writes the mixed package unsigned and `otapack sign` signs it: sign checks every
# payload against the manifest and re-writes the container canonically.
#
# Regions: each of the four tar headers (name, mode, uid, size, mtime, checksum, typeflag,
# magic, version, uname, prefix fields: first and last byte), the manifest bytes, the
# signature block bytes, each payload's data, the padding after each entry, and the two
# end-of-archive blocks (first, last and three bytes inside). Each position gets two flips,
# xor 0x01 and xor 0x80.
source "$(dirname "$0")/lib.sh"
cd "$T"
NOW=$(date +%s)
need "$OTAPACK" keygen --out k

seq 1 9000 | sed 's/$/ firmware block/' >fw.txt
head -c 123457 fw.txt >fw.bin  # compressible, not a multiple of 512
head -c 1234 /dev/urandom >cfg.bin
SOURCE_DATE_EPOCH=$NOW need "$OTAPACK" build -o v1.ota --product acme --version v1 \
    --security-version 1 --image fw=fw.bin --image cfg=cfg.bin --key k.key
new_device dev k.pub
install_confirmed dev v1.ota

# v2: fw compressed, cfg stored; written unsigned, then signed by otapack
need py - "$NOW" <<'EOF'
import hashlib, io, json, sys, tarfile, time, zlib
now = int(sys.argv[1])
t = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
sha = lambda b: hashlib.sha256(b).hexdigest()
fw, cfg = open("fw.bin", "rb").read()[::-1], open("cfg.bin", "rb").read()  # new contents
zfw = zlib.compress(fw, 9)
payloads = [("fw", zfw, fw, "zlib"), ("cfg", cfg, cfg, "none")]
manifest = {"format": 1, "product": "acme", "version": "v2", "security_version": 2,
            "created": t(now), "expires": t(now + 30 * 86400),
            "payloads": [{"name": n, "type": "image", "compression": c, "size": len(s),
                          "sha256": sha(s), "uncompressed_size": len(r),
                          "uncompressed_sha256": sha(r)} for n, s, r, c in payloads]}
entries = [("manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()),
           ("signatures.json", b'{"format": 1, "signatures": []}\n')]
entries += [(n, s) for n, s, r, c in payloads]
with tarfile.open("v2-unsigned.ota", "w", format=tarfile.USTAR_FORMAT) as tf:
    for name, data in entries:
        ti = tarfile.TarInfo(name)
        ti.size, ti.mtime, ti.mode = len(data), now, 0o644
        tf.addfile(ti, io.BytesIO(data))
open("fw-v2.bin", "wb").write(fw)
EOF
need "$OTAPACK" sign --key k.key v2-unsigned.ota -o v2.ota
need "$OTAPACK" verify --pub k.pub v2.ota
expect_ok tar tf v2.ota
eq "v2 entries" "$(tr '\n' ' ' <"$OUT")" "manifest.json signatures.json fw cfg "

# control: the unflipped package installs (on a copy), so every refusal below is the flip's
cp -a dev dev-control
expect_ok "$OTAUPDATE" --root dev-control install v2.ota
out_has "installed acme v2"
cmp -s dev-control/var/lib/otapack/current/images/fw fw-v2.bin || fail "control: fw differs"

# the mutants, and for each the part of the message that names the culprit
mkdir flips
need py - v2.ota flips <<'EOF'
import os, sys
pkg, outdir = sys.argv[1], sys.argv[2]
b = open(pkg, "rb").read()
regions = []  # (label, start, end, expected substring)
fields = [("name", 0, 100), ("mode", 100, 108), ("uid", 108, 116), ("size", 124, 136),
          ("mtime", 136, 148), ("chksum", 148, 156), ("typeflag", 156, 157),
          ("magic", 257, 263), ("version", 263, 265), ("uname", 265, 297),
          ("prefix", 345, 500)]
data_msg = {"manifest.json": "does not verify", "signatures.json": "signature"}
off = 0
while b[off:off + 512] != bytes(512):
    name = b[off:off + 100].split(b"\0")[0].decode()
    size = int(b[off + 124:off + 136].strip(b" \0"), 8)
    for f, s, e in fields:
        # any header byte: the checksum no longer matches, or its own field is malformed
        regions.append(("%s/header.%s" % (name, f), off + s, off + e, "checksum"))
    d = off + 512
    regions.append(("%s/data" % name, d, d + size, data_msg.get(name, "payload '%s'" % name)))
    padlen = (512 - size % 512) % 512
    assert padlen, name  # every entry must have padding to flip
    regions.append(("%s/padding" % name, d + size, d + size + padlen,
                    "tar padding after '%s' is not zero" % name))
    off = d + size + padlen
assert len(b) - off == 1024, "end-of-archive is two blocks and nothing after"
regions.append(("end/block1", off, off + 512, "tar header"))
regions.append(("end/block2", off + 512, off + 1024, "broken end-of-archive marker"))
n = 0
with open(os.path.join(outdir, "list.tsv"), "w") as lst:
    for label, s, e, msg in regions:
        ln = e - s
        if "/header." in label:  # a header field: its first and last byte
            picks = sorted({s, e - 1})
        else:  # data, padding, end blocks: first, last and three inside
            picks = sorted({s, s + 1, s + ln // 3, s + 2 * ln // 3, e - 1})
        for p in picks:
            for mask in (0x01, 0x80):
                m = bytearray(b)
                m[p] ^= mask
                name = "%04d.ota" % n
                open(os.path.join(outdir, name), "wb").write(m)
                lst.write("%s\t%s\t%d\t%02x\t%s\n" % (name, label, p, mask, msg))
                n += 1
print(n)
EOF

snapshot dev >base.snap
tried=0 worst=0
while IFS=$'\t' read -r file label pos mask msg; do
    t0=${EPOCHREALTIME/[.,]/}
    expect_exit 1 "$msg" "$OTAUPDATE" --root dev install "flips/$file"
    ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
    [ "$ms" -le "$worst" ] || worst=$ms
    if [ "$RC" != 1 ] || ! grep -qF -- "$msg" "$ERR"; then
        echo "    (flip: $label, offset $pos, xor 0x$mask)" >&2
    fi
    snapshot dev >now.snap
    assert_unchanged base.snap now.snap "device after $label offset $pos xor 0x$mask"
    cmp -s base.snap now.snap || cp now.snap base.snap  # report each change once
    tried=$((tried + 1))
done <flips/list.tsv
assert_clean dev
echo "flipbits: $tried flipped packages tried: $(cut -f3 flips/list.tsv | sort -u | wc -l)" \
    "byte positions in $(cut -f2 flips/list.tsv | sort -u | wc -l) regions, xor 0x01 and" \
    "xor 0x80 each; slowest refusal ${worst} ms"
check "at least 200 flipped packages tried" test "$tried" -ge 200

# after all that, the device still takes the honest package
expect_ok "$OTAUPDATE" --root dev install v2.ota
finish
