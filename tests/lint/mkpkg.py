#!/usr/bin/env python3
"""mkpkg.py — crafts an unsigned otapack package (formats/FORMAT.md) for the lint tests.

    mkpkg.py OUT [--zlib] NAME:TYPE:FILE...

Writes manifest.json (sorted keys, two-space indent, final newline), an empty signature
block and one payload per argument, in order, with correct sizes and SHA-256 digests, so
the package reader accepts it. Used where `otapack build` cannot yet put a payload of the
wanted type (trust-add, trust-replace, server-chain) into a package. `otapack lint` does not
verify signatures, so an unsigned package is enough. Standard library only.
"""
import hashlib
import io
import json
import sys
import tarfile
import zlib

CREATED = 1767225600  # 2026-01-01T00:00:00Z


def fmt_time(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def main(argv):
    out, args = argv[0], argv[1:]
    comp = "none"
    if args and args[0] == "--zlib":
        comp, args = "zlib", args[1:]
    payloads, blobs = [], []
    for a in args:
        name, ptype, path = a.split(":", 2)
        raw = open(path, "rb").read()
        stored = zlib.compress(raw, 9) if comp == "zlib" else raw
        payloads.append({
            "compression": comp,
            "name": name,
            "sha256": hashlib.sha256(stored).hexdigest(),
            "size": len(stored),
            "type": ptype,
            "uncompressed_sha256": hashlib.sha256(raw).hexdigest(),
            "uncompressed_size": len(raw),
        })
        blobs.append((name, stored))
    manifest = {
        "created": fmt_time(CREATED),
        "expires": fmt_time(CREATED + 3650 * 86400),
        "format": 1,
        "payloads": payloads,
        "product": "acme",
        "security_version": 1,
        "version": "1.0",
    }
    mbytes = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    sbytes = (json.dumps({"format": 1, "signatures": []}, indent=2, sort_keys=True) +
              "\n").encode()
    with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in [("manifest.json", mbytes), ("signatures.json", sbytes)] + blobs:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, CREATED
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            tar.addfile(ti, io.BytesIO(data))


if __name__ == "__main__":
    main(sys.argv[1:])
