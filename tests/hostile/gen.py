#!/usr/bin/env python3
"""gen.py — writes the hostile-input corpus for the otapack package reader and installer.

Usage: gen.py OTAPACK KEYPREFIX OUTDIR

  OTAPACK     the otapack binary (used to build the honest base packages)
  KEYPREFIX   a key pair made by 'otapack keygen --out KEYPREFIX' at test time; the device
              under test trusts KEYPREFIX.pub. Product 'acme'; every case carries security
              version 10, so a device running security version 1 would take it if it were
              honest.
  OUTDIR      receives one <case>.ota per trick, expected.tsv, and three controls
              (control.ota, control_resigned.ota, control_zlib.ota: honest packages laid
              out by the same code, which must install)

expected.tsv has one line per case, tab-separated:
  file  expected-exit-code  expected-stderr-substring  verify
where 'verify' is 'reject' when 'otapack verify' must refuse the package too, or 'accept'
when the case is device policy only (wrong hardware, unsupported payload type) that the
host-side verifier deliberately does not check.

Standard library only. Cases that must reach the manifest parser or the payload checks carry
a genuine Ed25519 signature by KEYPREFIX: this file holds the RFC 8032 reference signer
(slow, not constant-time, for tests only) and proves it at start-up by reproducing, byte for
byte, the signature that otapack itself made over an honest manifest.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

# ---- Ed25519, RFC 8032 section 6 (reference code, test use only) ------------------------

_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_Q = 2**252 + 27742317777372353535851937790883648493
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _inv(x):
    return pow(x, _P - 2, _P)


def _add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % _P
    B = (a[1] + a[0]) * (b[1] + b[0]) % _P
    C = 2 * a[3] * b[3] * _D % _P
    D = 2 * a[2] * b[2] % _P
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F, G * H, F * G, E * H)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _recover_x(y, sign):
    x2 = (y * y - 1) * _inv(_D * y * y + 1)
    if x2 == 0:
        return 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x & 1) != sign:
        x = _P - x
    return x


_GY = 4 * _inv(5) % _P
_GX = _recover_x(_GY, 0)
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _compress(pt):
    zi = _inv(pt[2])
    x, y = pt[0] * zi % _P, pt[1] * zi % _P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    return _compress(_mul(_expand(seed)[0], _G))


def ed25519_sign(seed, msg):
    a, prefix = _expand(seed)
    pub = _compress(_mul(a, _G))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % _Q
    R = _compress(_mul(r, _G))
    h = int.from_bytes(hashlib.sha512(R + pub + msg).digest(), "little") % _Q
    return R + int.to_bytes((r + h * a) % _Q, 32, "little")


DOMAIN = b"otapack/manifest/v1\0"  # keys/domain.h: the prefix string and its NUL

# ---- ustar, written by hand so that every field can be bent -----------------------------

BLOCK = 512


def _field(text, width):
    b = text if isinstance(text, bytes) else text.encode()
    assert len(b) <= width, (b, width)
    return b + bytes(width - len(b))


def header(name, length, typeflag=b"0", mtime=0, **bend):
    """A ustar header laid out exactly as libarchive writes one for otapack (so an honest
    package re-assembled here is byte-identical to otapack's), then bent: any keyword names
    a field (name, mode, uid, gid, size, mtime, chksum, typeflag, linkname, magic, version,
    uname, gname, devmajor, devminor, prefix) and gives its raw bytes, or 'raw' gives
    (offset, bytes) pairs to write last. The checksum is computed after bending unless
    'chksum' is given or fix_chksum=False."""
    nb = name if isinstance(name, bytes) else name.encode()
    f = {
        "name": (0, 100, nb),
        "mode": (100, 8, b"000644 \0"),
        "uid": (108, 8, b"000000 \0"),
        "gid": (116, 8, b"000000 \0"),
        "size": (124, 12, b"%011o " % length),
        "mtime": (136, 12, b"%011o " % mtime),
        "chksum": (148, 8, b"        "),
        "typeflag": (156, 1, typeflag),
        "linkname": (157, 100, b""),
        "magic": (257, 6, b"ustar\0"),
        "version": (263, 2, b"00"),
        "uname": (265, 32, b""),
        "gname": (297, 32, b""),
        "devmajor": (329, 8, b"000000 \0"),
        "devminor": (337, 8, b"000000 \0"),
        "prefix": (345, 155, b""),
    }
    h = bytearray(BLOCK)
    chk = bend.pop("chksum", None)
    raw = bend.pop("raw", ())
    fix = bend.pop("fix_chksum", True)
    for k, v in bend.items():
        off, width, _ = f[k]
        f[k] = (off, width, v)
    for off, width, v in f.values():
        h[off:off + width] = _field(v, width)
    for off, b in raw:
        h[off:off + len(b)] = b
    if chk is not None:
        h[148:156] = _field(chk, 8)
    elif fix:
        h[148:156] = b"        "
        h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(n):
    return bytes((BLOCK - n % BLOCK) % BLOCK)


def entry(name, data, mtime=0, **bend):
    return header(name, len(data), mtime=mtime, **bend) + data + pad(len(data))


END = bytes(2 * BLOCK)


def parse_tar(buf):
    """[(name, header, data)] of a well-formed ustar stream, end marker excluded."""
    out, off = [], 0
    while off + BLOCK <= len(buf):
        h = buf[off:off + BLOCK]
        if h == bytes(BLOCK):
            break
        name = h[:100].split(b"\0")[0].decode()
        size = int(h[124:136].strip(b" \0"), 8)
        data = buf[off + BLOCK:off + BLOCK + size]
        out.append((name, h, data))
        off += BLOCK + size + len(pad(size))
    return out


# ---- documents -------------------------------------------------------------------------


def dumps(obj):
    """The serialisation otapack uses (jansson, two-space indent, sorted keys, final NL)."""
    return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def payload_desc(name, stored, raw=None, compression="none", ptype="image"):
    raw = stored if raw is None else raw
    return {"compression": compression, "name": name, "sha256": sha(stored),
            "size": len(stored), "type": ptype, "uncompressed_sha256": sha(raw),
            "uncompressed_size": len(raw)}


def fmt_time(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def pseudo_random(n, seed):
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(b"%s-%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


def bomb_stream(total):
    """A valid zlib stream of `total` zero bytes (a multiple of 1 MiB), about 1/1000 of that
    size. After a full flush deflate forgets its history, so the compressed form of every
    further 1 MiB of zeros is the same bytes: repeat it rather than compress a GiB."""
    mib = bytes(1 << 20)
    c = zlib.compressobj(9)
    first = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    seg = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush(zlib.Z_FINISH)[:-4]  # empty final block, without the adler32 of 2 MiB
    n = total >> 20
    adler = ((total % 65521) << 16) | 1  # adler32 of `total` zero bytes
    return first + seg * (n - 1) + tail + struct.pack(">I", adler)


class Corpus:
    def __init__(self, otapack, prefix, outdir):
        self.otapack, self.prefix, self.outdir = otapack, prefix, outdir
        self.cases = []
        self.now = int(time.time())
        with open(prefix + ".key") as f:
            self.seed = bytes.fromhex(f.read().split()[2])
        with open(prefix + ".pub") as f:
            pub = bytes.fromhex(f.read().split()[2])
        assert ed25519_public(self.seed) == pub, "the Ed25519 signer disagrees with the key files"
        canon = ('{"keytype":"ed25519","keyval":{"public":"%s"},"scheme":"ed25519"}'
                 % pub.hex()).encode()
        self.keyid = sha(canon)
        self.app = pseudo_random(5000, b"app")  # sizes not multiples of 512
        self.cfg = b"".join(b"setting-%04d = %d\n" % (i, i * i) for i in range(40))[:700]
        self.big = pseudo_random(1 << 20, b"big")
        with tempfile.TemporaryDirectory() as t:
            self.base = self.build(t, "base", "none", app=self.app, cfg=self.cfg)
            self.zbase = self.build(t, "zbase", "zlib", big=self.big)
        ents = parse_tar(self.base)
        assert [e[0] for e in ents] == ["manifest.json", "signatures.json", "app", "cfg"]
        self.mbytes, self.sbytes = ents[0][2], ents[1][2]
        self.mtime = int(ents[0][1][136:147], 8)
        self.manifest = json.loads(self.mbytes)
        # proofs that what follows is trustworthy: the documents, the container and the
        # signature made here are exactly what otapack makes
        assert dumps(self.manifest) == self.mbytes, "manifest serialisation differs"
        assert self.sigblock() == self.sbytes, "signature block differs from otapack's"
        assert self.package() == self.base, "re-assembled container differs from otapack's"

    def build(self, tmp, name, comp, **images):
        paths = []
        for n, data in images.items():
            p = os.path.join(tmp, n + ".in")
            with open(p, "wb") as f:
                f.write(data)
            paths += ["--image", "%s=%s" % (n, p)]
        out = os.path.join(tmp, name + ".ota")
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(self.now))
        subprocess.run([self.otapack, "build", "-o", out, "--product", "acme", "--version",
                        "2.0", "--security-version", "10", "--compress", comp, "--key",
                        self.prefix + ".key"] + paths, check=True, env=env,
                       stdout=subprocess.DEVNULL)
        with open(out, "rb") as f:
            return f.read()

    # -- helpers building packages --

    def sig(self, mbytes, domain=DOMAIN):
        return ed25519_sign(self.seed, domain + mbytes).hex()

    def sigblock(self, mbytes=None, sigs=None):
        if sigs is None:
            sigs = [{"keyid": self.keyid, "method": "ed25519",
                     "sig": self.sig(self.mbytes if mbytes is None else mbytes)}]
        return dumps({"format": 1, "signatures": sigs})

    def man(self, payloads, **over):
        m = dict(self.manifest)
        m["payloads"] = payloads
        m.update(over)
        return m

    def head(self, mbytes=None, sbytes=None):
        mbytes = self.mbytes if mbytes is None else mbytes
        sbytes = self.sigblock(mbytes) if sbytes is None else sbytes
        return (entry("manifest.json", mbytes, self.mtime) +
                entry("signatures.json", sbytes, self.mtime))

    def package(self, payloads=None, tail=END, mbytes=None, sbytes=None):
        """manifest + signatures (signed by the trusted key) + payload entries + tail.
        payloads: list of (name, data) or raw bytes already laid out."""
        if payloads is None:
            payloads = [("app", self.app), ("cfg", self.cfg)]
        body = b"".join(p if isinstance(p, bytes) else entry(p[0], p[1], self.mtime)
                        for p in payloads)
        return self.head(mbytes, sbytes) + body + tail

    def signed(self, manifest_bytes, payloads, tail=END):
        """A package whose (possibly hostile) manifest carries a genuine signature."""
        return self.package(payloads, tail, mbytes=manifest_bytes)

    def add(self, name, data, code, msg, verify="reject"):
        assert all(c[0] != name for c in self.cases), name
        assert "\t" not in msg and "\n" not in msg
        self.cases.append((name, code, msg, verify))
        with open(os.path.join(self.outdir, name + ".ota"), "wb") as f:
            f.write(data)

    def control(self, name, data):
        """An honest package made by the same machinery as the cases: must install."""
        with open(os.path.join(self.outdir, name + ".ota"), "wb") as f:
            f.write(data)

    def write_expected(self):
        with open(os.path.join(self.outdir, "expected.tsv"), "w") as f:
            f.write("# file\texit\tstderr substring\tverify\n")
            for name, code, msg, verify in self.cases:
                f.write("%s.ota\t%d\t%s\t%s\n" % (name, code, msg, verify))


def generate(c):
    app, cfg = c.app, c.cfg
    hdr = lambda name, data, **b: header(name, len(data), mtime=c.mtime, **b)  # noqa: E731

    def with_app_header(**bend):
        """the 'app' entry with a bent header, cfg as usual"""
        return c.package([hdr("app", app, **bend) + app + pad(len(app)), ("cfg", cfg)])

    # -- controls: the framing used below, applied honestly, gives installable packages --
    c.control("control", c.package())
    c.control("control_resigned", c.signed(dumps(c.manifest), [("app", app), ("cfg", cfg)]))
    zc = zlib.compress(cfg, 9)
    c.control("control_zlib", c.signed(dumps(c.man([payload_desc("cfg", zc, raw=cfg,
                                                                  compression="zlib")])),
                                       [("cfg", zc)]))

    # -- names: a path in any form is refused ------------------------------------------
    for case, name in [("name_dotdot", "../x"), ("name_dotdot_app", "../app"),
                       ("name_absolute", "/abs"), ("name_hidden", ".hidden"),
                       ("name_slash", "a/b"), ("name_dir_slash", "app/"),
                       ("name_dot", "."), ("name_backslash", "..\\app")]:
        c.add(case, c.package([(name, app), ("cfg", cfg)]), 1, "invalid name")
    c.add("name_empty", c.package([("", app), ("cfg", cfg)]), 1, "invalid name")
    c.add("name_nul_first", c.package([(b"\0app", app), ("cfg", cfg)]), 1,
          "bytes after the end of the name")
    c.add("name_nul_inside", c.package([(b"ap\0p", app), ("cfg", cfg)]), 1,
          "bytes after the end of the name")
    c.add("name_non_utf8", c.package([(b"\xff\xfeapp", app), ("cfg", cfg)]), 1,
          "invalid name")
    c.add("name_control_char", c.package([(b"ap\x1bp", app), ("cfg", cfg)]), 1,
          "invalid name")
    c.add("name_ustar_prefix", with_app_header(prefix=b"evil"), 1, "uses a path prefix")

    # -- entry types: only regular files ----------------------------------------------
    for case, tf, what in [("type_hardlink", b"1", "is a hard link"),
                           ("type_symlink", b"2", "is a symbolic link"),
                           ("type_chardev", b"3", "is a character device"),
                           ("type_blockdev", b"4", "is a block device"),
                           ("type_directory", b"5", "is a directory"),
                           ("type_fifo", b"6", "is a FIFO"),
                           ("type_contiguous", b"7", "is a contiguous file"),
                           ("type_old_regular_nul", b"\0", "an unknown entry type"),
                           ("type_solaris_acl", b"A", "an unknown entry type")]:
        # the link/device entry stands where 'app' should be; zero size like tar writes it
        link = b"/etc/shadow" if tf in (b"1", b"2") else b""
        trick = header("app", 0, typeflag=tf, mtime=c.mtime, linkname=link)
        c.add(case, c.package([trick, ("app", app), ("cfg", cfg)]), 1, what)
    c.add("type_symlink_first", header("manifest.json", 0, typeflag=b"2", linkname=b"/etc/passwd")
          + c.package(), 1, "is a symbolic link")

    # -- extended headers: refused by type, whatever they claim --------------------------
    def pax_record(key, value):  # "<len> key=value\n", len counting itself
        body = b" %s=%s\n" % (key, value)
        n = len(body) + 1
        while len(b"%d" % n) + len(body) != n:
            n += 1
        return b"%d" % n + body
    pax = pax_record(b"size", b"99999999999999999999")
    c.add("pax_huge_size", c.package([header("PaxHeader", len(pax), typeflag=b"x") + pax +
                                      pad(len(pax)), ("app", app), ("cfg", cfg)]), 1,
          "is a pax extended header")
    paxp = pax_record(b"path", b"../../x")
    c.add("pax_path", c.package([header("PaxHeader", len(paxp), typeflag=b"x") + paxp +
                                 pad(len(paxp)), ("app", app), ("cfg", cfg)]), 1,
          "is a pax extended header")
    c.add("pax_global", header("GlobalHead", len(pax), typeflag=b"g") + pax + pad(len(pax)) +
          c.package(), 1, "is a pax global header")
    ln = b"../../../../etc/passwd\0"
    c.add("gnu_longname", c.package([header("././@LongLink", len(ln), typeflag=b"L") + ln +
                                     pad(len(ln)), ("app", app), ("cfg", cfg)]), 1,
          "is a GNU long name")
    c.add("gnu_longlink", c.package([header("././@LongLink", len(ln), typeflag=b"K") + ln +
                                     pad(len(ln)), ("app", app), ("cfg", cfg)]), 1,
          "is a GNU long link name")
    c.add("gnu_sparse", c.package([hdr("app", app, typeflag=b"S") + app + pad(len(app)),
                                   ("cfg", cfg)]), 1, "is a GNU sparse file")
    c.add("gnu_magic", with_app_header(magic=b"ustar ", version=b" \0"), 1,
          "not a POSIX ustar header")
    c.add("v7_header_no_magic", with_app_header(magic=b"", version=b""), 1,
          "not a POSIX ustar header")

    # -- size field ----------------------------------------------------------------------
    b256 = b"\x80" + bytes(7) + struct.pack(">I", len(app))
    c.add("size_base256", with_app_header(size=b256), 1, "malformed size field")
    c.add("size_base256_negative", with_app_header(size=b"\xff" * 12), 1,
          "malformed size field")
    c.add("size_negative_text", with_app_header(size=b"-0000011610 "), 1,
          "malformed size field")
    c.add("size_non_octal", with_app_header(size=b"0000001161a "), 1, "malformed size field")
    c.add("size_digit_8", with_app_header(size=b"00000011618 "), 1, "malformed size field")
    c.add("size_embedded_space", with_app_header(size=b"0000 0011610"), 1,
          "malformed size field")
    c.add("size_empty", with_app_header(size=b"\0" * 12), 1, "malformed size field")
    c.add("size_64gib", with_app_header(size=b"777777777777"), 1, "exceeds the limit")
    # the tar header and the signed manifest disagree about a payload's size
    c.add("size_differs_from_manifest", c.package([("app", app + b"X"), ("cfg", cfg)]), 1,
          "archive holds 5001 bytes, manifest declares 5000")
    c.add("size_shorter_than_manifest", c.package([("app", app[:-1]), ("cfg", cfg)]), 1,
          "archive holds 4999 bytes, manifest declares 5000")

    # -- checksums and other header fields -----------------------------------------------
    c.add("checksum_bad", with_app_header(chksum=b"000001\0 "), 1, "checksum mismatch")
    c.add("checksum_malformed", with_app_header(chksum=b"zzzzzz\0 "), 1,
          "malformed checksum field")
    # a high byte in uname, checksummed with signed chars as some old tars did
    bent = bytearray(hdr("app", app, uname=b"\xe9"))
    signed = sum((x - 256 if x > 127 else x) for x in bent[:148] + b"        " + bent[156:])
    bent[148:156] = b"%06o\0 " % signed
    assert signed != sum(bent[:148] + b"        " + bent[156:])
    c.add("checksum_signed_chars", c.package([bytes(bent) + app + pad(len(app)), ("cfg", cfg)]),
          1, "checksum mismatch")
    c.add("manifest_header_checksum_bad",
          header("manifest.json", len(c.mbytes), mtime=c.mtime, chksum=b"000000\0 ") +
          c.package()[BLOCK:], 1, "checksum mismatch")

    # -- padding, end of archive, and what follows it --------------------------------------
    def nonzero_pad(n):
        p = bytearray(pad(n))
        p[-1] = 0x41
        return bytes(p)
    c.add("padding_nonzero_manifest",
          header("manifest.json", len(c.mbytes), mtime=c.mtime) + c.mbytes +
          nonzero_pad(len(c.mbytes)) + entry("signatures.json", c.sbytes, c.mtime) +
          entry("app", app, c.mtime) + entry("cfg", cfg, c.mtime) + END, 1,
          "tar padding after 'manifest.json' is not zero")
    c.add("padding_nonzero_payload",
          c.package([hdr("app", app) + app + nonzero_pad(len(app)), ("cfg", cfg)]), 1,
          "tar padding after 'app' is not zero")
    c.add("padding_nonzero_last",
          c.package([("app", app), hdr("cfg", cfg) + cfg + nonzero_pad(len(cfg))]), 1,
          "tar padding after 'cfg' is not zero")
    c.add("trailing_garbage", c.package(tail=END + b"garbage\n"), 1,
          "trailing data after end-of-archive")
    c.add("trailing_garbage_far", c.package(tail=END + bytes(8192) + b"\1"), 1,
          "trailing data after end-of-archive")
    c.add("trailing_second_package", c.package(tail=END) + c.package(), 1,
          "trailing data after end-of-archive")
    c.add("trailing_zeros_too_many", c.package(tail=END + bytes(70 * 1024)), 1,
          "too many bytes after end-of-archive")
    c.add("trailing_zeros_not_block", c.package(tail=END + bytes(100)), 1,
          "not a multiple of 512 bytes")
    c.add("end_one_block_only", c.package(tail=bytes(BLOCK)), 1,
          "incomplete end-of-archive marker")
    c.add("end_missing", c.package(tail=b""), 1, "truncated")
    c.add("end_second_block_dirty", c.package(tail=bytes(BLOCK) + b"\1" + bytes(BLOCK - 1)), 1,
          "broken end-of-archive marker")
    c.add("zero_block_between_payloads",
          c.package([("app", app), bytes(BLOCK), ("cfg", cfg)]), 1, "end-of-archive")
    c.add("empty_file", b"", 1, "package is empty")
    c.add("zeros_1024", bytes(1024), 1, "missing manifest.json")
    c.add("zeros_10240", bytes(10240), 1, "missing manifest.json")
    c.add("not_a_tar", b"PK\3\4" + bytes(4092), 1, "checksum")
    c.add("gzip_wrapped", b"\x1f\x8b\x08\0" + bytes(2044), 1,
          "checksum")

    # -- entry order and set ---------------------------------------------------------------
    c.add("payload_duplicate", c.package([("app", app), ("app", app), ("cfg", cfg)]), 1,
          "duplicate entry 'app'")
    c.add("payload_duplicate_last", c.package([("app", app), ("cfg", cfg), ("cfg", cfg)]), 1,
          "duplicate entry 'cfg'")
    c.add("payload_not_in_manifest", c.package([("app", app), ("extra", b"x"), ("cfg", cfg)]),
          1, "entry 'extra' is not named in the manifest")
    c.add("payload_extra_at_end", c.package([("app", app), ("cfg", cfg), ("zz", b"x")]), 1,
          "entry 'zz' is not named in the manifest")
    c.add("payloads_out_of_order", c.package([("cfg", cfg), ("app", app)]), 1,
          "entry 'cfg' out of order, expected 'app'")
    c.add("payload_missing", c.package([("app", app)]), 1, "payload 'cfg': missing")
    c.add("payloads_none", c.package([]), 1, "payload 'app': missing")
    c.add("manifest_again_after_payloads",
          c.package([("app", app), ("cfg", cfg), ("manifest.json", c.mbytes)]), 1,
          "duplicate entry 'manifest.json'")
    c.add("signatures_again_after_payloads",
          c.package([("app", app), ("cfg", cfg), ("signatures.json", c.sbytes)]), 1,
          "duplicate entry 'signatures.json'")
    c.add("manifest_not_first", entry("signatures.json", c.sbytes) +
          entry("manifest.json", c.mbytes) + entry("app", app) + entry("cfg", cfg) + END, 1,
          "entry 'signatures.json' where manifest.json was expected")
    c.add("signatures_missing", entry("manifest.json", c.mbytes) + entry("app", app) +
          entry("cfg", cfg) + END, 1, "entry 'app' where signatures.json was expected")
    c.add("manifest_only", entry("manifest.json", c.mbytes) + END, 1,
          "missing signatures.json")
    c.add("payload_tampered", c.package([("app", app[:-1] + b"\0"), ("cfg", cfg)]), 1,
          "payload 'app': sha256 mismatch")
    c.add("payload_swapped_contents", c.package([("app", cfg), ("cfg", app)]), 1,
          "archive holds 700 bytes, manifest declares 5000")

    # -- size limits on the first two entries ------------------------------------------------
    big_m = c.mbytes + b" " * (1024 * 1024 + 1 - len(c.mbytes))
    c.add("manifest_over_1mib", entry("manifest.json", big_m) +
          entry("signatures.json", c.sigblock(big_m)) + entry("app", app) +
          entry("cfg", cfg) + END, 1, "manifest.json is 1048577 bytes, limit 1048576")
    c.add("manifest_huge_declared", header("manifest.json", 8 * 1024**3 - 1), 1,
          "manifest.json is 8589934591 bytes, limit 1048576")
    big_s = c.sbytes + b" " * (1024 * 1024 + 1 - len(c.sbytes))
    c.add("signatures_over_1mib", c.package(sbytes=big_s), 1,
          "signatures.json is 1048577 bytes, limit 1048576")

    # -- the signature block (parsed before the signature check: no signature needed) -------
    real = {"keyid": c.keyid, "method": "ed25519", "sig": c.sig(c.mbytes)}

    def sigs(lst, **top):
        d = {"format": 1, "signatures": lst}
        d.update(top)
        return dumps(d)
    other = lambda i: {"keyid": sha(b"k%d" % i), "method": "ed25519", "sig": "00" * 64}  # noqa
    s8000 = sigs([other(i) for i in range(8000)])
    assert len(s8000) > 1024 * 1024
    c.add("sigs_8000_entries", c.package(sbytes=s8000), 1, "limit 1048576")
    c.add("sigs_1000_empty_objects", c.package(sbytes=sigs([{}] * 1000)), 1,
          "more than 32 signatures")
    c.add("sigs_33_entries", c.package(sbytes=sigs([real] + [other(i) for i in range(32)])), 1,
          "more than 32 signatures")
    c.add("sigs_none", c.package(sbytes=sigs([])), 1, "unsigned")
    c.add("sig_wrong_length_short", c.package(sbytes=sigs([dict(real, sig=real["sig"][:-2])])),
          1, "does not verify")
    c.add("sig_wrong_length_long", c.package(sbytes=sigs([dict(real, sig=real["sig"] + "00")])),
          1, "does not verify")
    c.add("sig_odd_hex_length", c.package(sbytes=sigs([dict(real, sig=real["sig"][:-1])])), 1,
          "signature has a bad length")
    c.add("sig_8193_bytes", c.package(sbytes=sigs([dict(real, sig="00" * 8193)])), 1,
          "signature has a bad length")
    c.add("sig_uppercase_hex", c.package(sbytes=sigs([dict(real, sig=real["sig"].upper())])),
          1, "not lowercase hex")
    c.add("sig_not_hex", c.package(sbytes=sigs([dict(real, sig="zz" * 64)])), 1,
          "not lowercase hex")
    flipped = bytearray(bytes.fromhex(real["sig"]))
    flipped[63] ^= 0x10  # S no longer canonical / no longer the signature
    c.add("sig_bit_flipped", c.package(sbytes=sigs([dict(real, sig=flipped.hex())])), 1,
          "does not verify")
    c.add("sig_all_zero", c.package(sbytes=sigs([dict(real, sig="00" * 64)])), 1,
          "does not verify")
    c.add("sig_no_domain_prefix",
          c.package(sbytes=sigs([dict(real, sig=c.sig(c.mbytes, domain=b""))])), 1,
          "does not verify")
    c.add("sig_other_domain",
          c.package(sbytes=sigs([dict(real, sig=c.sig(c.mbytes,
                                                       domain=b"otapack/keyring/v1\0"))])), 1,
          "does not verify")
    c.add("sig_over_other_manifest",  # mix and match: a genuine signature, another manifest
          c.package(sbytes=sigs([dict(real, sig=c.sig(c.mbytes.replace(b'"2.0"', b'"2.1"')))])),
          1, "does not verify")
    c.add("sig_method_rsa", c.package(sbytes=sigs([dict(real, method="rsa-pss")])), 1,
          "uses method 'rsa-pss'")
    c.add("sig_untrusted_key_only", c.package(sbytes=sigs([other(1)])), 1,
          "no signature by a trusted key")
    c.add("sig_valid_plus_invalid_by_same_key",
          c.package(sbytes=sigs([real, dict(real, sig="00" * 64)])), 1, "listed twice")
    c.add("sig_keyid_short", c.package(sbytes=sigs([dict(real, keyid=c.keyid[:-1])])), 1,
          "key id is not 64 lowercase hex digits")
    c.add("sig_keyid_long", c.package(sbytes=sigs([dict(real, keyid=c.keyid + "0")])), 1,
          "signature block")
    c.add("sig_keyid_uppercase", c.package(sbytes=sigs([dict(real, keyid=c.keyid.upper())])), 1,
          "key id is not 64 lowercase hex digits")
    # keyrings carried for rotation are parsed before any signature is checked
    kr_key = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "00" * 32}}
    kr_id = sha(b'{"keytype":"ed25519","keyval":{"public":"' + b"00" * 32 +
                b'"},"scheme":"ed25519"}')
    role = {"keyids": [kr_id], "threshold": 1}

    def keyring(**over):
        signed = {"_type": "root", "spec_version": "1.0.31", "consistent_snapshot": False,
                  "version": 1, "expires": "2099-01-01T00:00:00Z", "keys": {kr_id: kr_key},
                  "roles": {r: role for r in ("root", "snapshot", "targets", "timestamp")}}
        signed.update(over)
        return {"signed": signed, "signatures": []}
    c.add("keyrings_not_array", c.package(sbytes=sigs([real], keyrings={})), 1,
          "'keyrings' is not an array")
    c.add("keyrings_empty", c.package(sbytes=sigs([real], keyrings=[])), 1,
          "'keyrings' is empty")
    c.add("keyrings_17", c.package(sbytes=sigs([real], keyrings=[keyring()] * 17)), 1,
          "more than 16 keyrings")
    c.add("keyring_not_object", c.package(sbytes=sigs([real], keyrings=["root.json"])), 1,
          "keyring 0 is not an object")
    c.add("keyring_empty_object", c.package(sbytes=sigs([real], keyrings=[{}])), 1,
          "'signed': missing or not an object")
    c.add("keyring_over_256kib",
          c.package(sbytes=sigs([real], keyrings=[keyring(pad="x" * 262144)])), 1,
          "keyring 0 larger than 262144 bytes")
    many = {sha(b"%d" % i): kr_key for i in range(65)}
    c.add("keyring_65_keys", c.package(sbytes=sigs([real], keyrings=[keyring(keys=many)])), 1,
          "more than 64 keys")
    c.add("keyring_key_under_wrong_id",
          c.package(sbytes=sigs([real], keyrings=[keyring(keys={sha(b"x"): kr_key})])), 1,
          "is not a key of the keyring")
    c.add("keyring_float_version",
          c.package(sbytes=sigs([real], keyrings=[keyring(version=2.5)])), 1,
          "not an integer")
    c.add("keyring_unsigned_rotation", c.package(sbytes=sigs([real], keyrings=[keyring()])), 1,
          "keyring v1: 0 valid signatures by the root keys of v0")
    c.add("sigblock_duplicate_key",
          c.package(sbytes=c.sbytes.replace(b'"format": 1,', b'"format": 1,\n  "format": 1,')),
          1, "duplicate object key")
    c.add("sigblock_duplicate_key_in_entry",
          c.package(sbytes=c.sbytes.replace(b'"method": "ed25519",',
                                            b'"method": "ed25519",\n      "method": "x",')),
          1, "duplicate object key")
    c.add("sigblock_deep_nesting", c.package(sbytes=b"[" * 30000 + b"]" * 30000), 1,
          "invalid JSON")
    c.add("sigblock_deep_nesting_inside",
          c.package(sbytes=b'{"format": 1, "signatures": ' + b"[" * 3000 + b"]" * 3000 + b"}"),
          1, "invalid JSON")
    c.add("sigblock_format_string", c.package(sbytes=sigs([real], format="1")), 1,
          "field 'format' is not an integer")
    c.add("sigblock_format_2", c.package(sbytes=sigs([real], format=2)), 1,
          "format 2 not supported")
    c.add("sigblock_signatures_object", c.package(sbytes=sigs({"0": real})), 1,
          "'signatures' missing or not an array")
    c.add("sigblock_entry_not_object", c.package(sbytes=sigs(["x"])), 1, "not an object")
    c.add("sigblock_sig_number", c.package(sbytes=sigs([dict(real, sig=12)])), 1,
          "missing or non-string 'sig'")
    c.add("sigblock_unknown_field", c.package(sbytes=sigs([dict(real, extra=True)])), 1,
          "unknown field 'extra'")
    c.add("sigblock_top_array", c.package(sbytes=b"[]\n"), 1, "not a JSON object")
    c.add("sigblock_empty", c.package(sbytes=b""), 1, "invalid JSON")
    c.add("sigblock_trailing_json", c.package(sbytes=c.sbytes + b"{}"), 1, "invalid JSON")
    c.add("sigblock_nul_byte", c.package(sbytes=c.sbytes[:-3] + b"\0" + c.sbytes[-2:]), 1,
          "invalid JSON")
    c.add("sigblock_escaped_nul",
          c.package(sbytes=c.sbytes.replace(b'"ed25519"', b'"ed25519\\u0000x"')), 1,
          "invalid JSON")
    c.add("sigblock_non_utf8", c.package(sbytes=c.sbytes.replace(b"ed25519", b"ed\xff5519")),
          1, "invalid JSON")

    # -- manifest tricks: these carry a genuine signature so that they reach the parser -----
    M = c.manifest

    def pl():
        return [dict(p) for p in M["payloads"]]
    base_payloads = [("app", app), ("cfg", cfg)]

    def signed_json(obj, payloads=None):
        return c.signed(dumps(obj), base_payloads if payloads is None else payloads)

    def signed_text(text, payloads=None):
        return c.signed(text, base_payloads if payloads is None else payloads)

    c.add("manifest_duplicate_key",
          signed_text(c.mbytes.replace(b'"format": 1,', b'"format": 1,\n  "format": 1,')), 1,
          "duplicate object key")
    c.add("manifest_duplicate_product",
          signed_text(c.mbytes.replace(b'"product": "acme",',
                                       b'"product": "acme",\n  "product": "evil",')), 1,
          "duplicate object key")
    c.add("manifest_deep_nesting", signed_text(b"[" * 100000 + b"]" * 100000), 1,
          "invalid JSON")
    c.add("manifest_deep_nesting_field",
          signed_text(c.mbytes.replace(b'"version": "2.0"',
                                       b'"version": ' + b"[" * 5000 + b"]" * 5000)), 1,
          "invalid JSON")
    c.add("manifest_top_array", signed_text(b"[]\n"), 1, "not a JSON object")
    c.add("manifest_trailing_json", signed_text(c.mbytes + b"{}"), 1, "invalid JSON")
    c.add("manifest_non_utf8", signed_text(c.mbytes.replace(b'"2.0"', b'"2.\xff"')), 1,
          "invalid JSON")
    c.add("manifest_escaped_nul", signed_text(c.mbytes.replace(b'"2.0"', b'"2.0\\u0000x"')), 1,
          "invalid JSON")
    c.add("manifest_unknown_field", signed_json(dict(M, script="rm -rf /")), 1,
          "unknown field 'script'")
    c.add("manifest_format_2", signed_json(dict(M, format=2)), 1,
          "format version 2 not supported")
    c.add("manifest_format_string", signed_json(dict(M, format="1")), 1, "is not an integer")
    c.add("manifest_sv_string", signed_json(dict(M, security_version="10")), 1,
          "field 'security_version' is not an integer")
    c.add("manifest_sv_float", signed_json(dict(M, security_version=10.0)), 1,
          "field 'security_version' is not an integer")
    c.add("manifest_sv_negative", signed_json(dict(M, security_version=-1)), 1,
          "field 'security_version' out of range")
    c.add("manifest_sv_2p63", signed_json(dict(M, security_version=2**63)), 1,
          "invalid JSON")  # jansson: too big integer
    c.add("manifest_sv_2p64", signed_json(dict(M, security_version=2**64 + 10)), 1,
          "invalid JSON")
    c.add("manifest_product_evil", signed_json(dict(M, product="acme/../x")), 1,
          "invalid product")
    c.add("manifest_product_other", signed_json(dict(M, product="other")), 1,
          "package is for product 'other'", verify="accept")
    c.add("manifest_hardware_mismatch", signed_json(dict(M, hardware=["rev-b"])), 1,
          "package is for hardware rev-b", verify="accept")
    c.add("manifest_hardware_33", signed_json(dict(M, hardware=["r%d" % i for i in range(33)])),
          1, "more than 32 hardware revisions")
    c.add("manifest_hardware_twice", signed_json(dict(M, hardware=["r1", "r1"])), 1,
          "listed twice")
    c.add("manifest_hardware_not_string", signed_json(dict(M, hardware=[1])), 1,
          "hardware revision 0 is not a short string")
    c.add("manifest_version_control_char", signed_json(dict(M, version="2\x1b[2J")), 1,
          "invalid version string")
    c.add("manifest_version_too_long", signed_json(dict(M, version="v" * 129)), 1,
          "field 'version' longer than 128 bytes")
    c.add("manifest_created_garbage", signed_json(dict(M, created="yesterday")), 1,
          "field 'created' is not a UTC time")
    c.add("manifest_expires_before_created",
          signed_json(dict(M, expires=M["created"], created=M["expires"])), 1,
          "expires is not after created")
    c.add("manifest_expired", signed_json(dict(M, created=fmt_time(c.now - 3 * 86400),
                                                expires=fmt_time(c.now - 86400))), 1,
          "package expired at", verify="accept")
    c.add("manifest_payloads_missing", signed_json({k: v for k, v in M.items()
                                                    if k != "payloads"}), 1,
          "field 'payloads' missing or not an array")
    c.add("manifest_payloads_257", signed_json(dict(M, payloads=[M["payloads"][0]] * 257)), 1,
          "more than 256 payloads")
    c.add("manifest_payload_listed_twice", signed_json(dict(M, payloads=pl() + pl()[:1])), 1,
          "payload 'app' listed twice")
    for case, name in [("manifest_payload_name_dotdot", "../x"),
                       ("manifest_payload_name_slash", "a/b"),
                       ("manifest_payload_name_hidden", ".x"),
                       ("manifest_payload_name_manifest", "manifest.json")]:
        p = pl()
        p[0]["name"] = name
        c.add(case, signed_json(dict(M, payloads=p), [(name, app), ("cfg", cfg)]), 1,
              "invalid payload name")
    p = pl()
    p[0]["type"] = "../bin"
    c.add("manifest_payload_type_bad", signed_json(dict(M, payloads=p)), 1, "invalid type")
    p = pl()
    p[0]["type"] = "truststore"
    c.add("manifest_payload_type_unsupported", signed_json(dict(M, payloads=p)), 1,
          "type 'truststore' is not supported by this device", verify="accept")
    p = pl()
    p[0]["compression"] = "gzip"
    c.add("manifest_compression_unknown", signed_json(dict(M, payloads=p)), 1,
          "unknown compression 'gzip'")
    p = pl()
    p[0]["uncompressed_size"] = 4000
    c.add("manifest_none_sizes_differ", signed_json(dict(M, payloads=p)), 1,
          "uncompressed but stored and uncompressed size or sha256 differ")
    p = pl()
    p[0]["size"] = p[0]["uncompressed_size"] = 2**33
    c.add("manifest_payload_8gib", signed_json(dict(M, payloads=p)), 1,
          "field 'size' out of range")
    p = pl()
    p[0]["size"] = p[0]["uncompressed_size"] = 2**33 - 1  # in range; the tar entry is short
    c.add("manifest_payload_size_lies", signed_json(dict(M, payloads=p)), 1,
          "archive holds 5000 bytes, manifest declares 8589934591")
    p = pl()
    p[0]["sha256"] = p[0]["uncompressed_sha256"] = "A" * 64
    c.add("manifest_sha_uppercase", signed_json(dict(M, payloads=p)), 1,
          "not 64 lowercase hex digits")
    p = pl()
    p[0]["sha256"] = p[0]["uncompressed_sha256"] = sha(b"something else")
    c.add("manifest_sha_wrong", signed_json(dict(M, payloads=p)), 1,
          "payload 'app': sha256 mismatch")
    p = pl()
    p[0]["payload"] = "x"
    c.add("manifest_payload_unknown_field", signed_json(dict(M, payloads=p)), 1,
          "unknown field 'payload'")
    c.add("manifest_payload_not_object", signed_json(dict(M, payloads=["app"])), 1,
          "payload 0: not an object")

    # -- compression: decompression stops at the declared size --------------------------------
    bomb = bomb_stream(1 << 30)  # 1 GiB of zeros in about 1 MiB
    assert len(bomb) < 1100 * 1024
    bm = c.man([payload_desc("bomb", bomb, raw=bytes(1 << 20), compression="zlib")])
    c.add("zlib_bomb_1gib_signed", c.signed(dumps(bm), [("bomb", bomb)]), 1,
          "decompresses to more than the declared 1048576 bytes")
    # The brief's variant: an honest package of a 1 MiB image, its compressed payload
    # replaced by a bomb of the same stored length (the stored sha256 is then wrong, but the
    # size bound trips first). The manifest and signature are otapack's own.
    zents = parse_tar(c.zbase)
    zlen = len(zents[2][2])
    samelen = (bomb + bytes(zlen))[:zlen]
    c.add("zlib_bomb_1gib_same_length",
          entry("manifest.json", zents[0][2], c.mtime) +
          entry("signatures.json", zents[1][2], c.mtime) +
          entry("big", samelen, c.mtime) + END, 1,
          "decompresses to more than the declared 1048576 bytes")
    z = zlib.compress(cfg, 9)
    zm = lambda stored, raw=cfg: dumps(c.man([payload_desc("cfg", stored, raw=raw,  # noqa
                                                           compression="zlib")]))
    c.add("zlib_one_byte_more", c.signed(zm(zlib.compress(cfg + b"!")), [("cfg",
          zlib.compress(cfg + b"!"))]), 1, "decompresses to more than the declared 700 bytes")
    c.add("zlib_short", c.signed(zm(zlib.compress(cfg[:-1])), [("cfg", zlib.compress(cfg[:-1]))]),
          1, "decompresses to 699 bytes, manifest declares 700")
    c.add("zlib_trailing_data", c.signed(zm(z + b"tail"), [("cfg", z + b"tail")]), 1,
          "data after the end of its zlib stream")
    c.add("zlib_second_stream", c.signed(zm(z + z, cfg), [("cfg", z + z)]), 1,
          "data after the end of its zlib stream")
    c.add("zlib_incomplete", c.signed(zm(z[:-6]), [("cfg", z[:-6])]), 1,
          "zlib stream is incomplete")
    bad = bytearray(z)
    bad[0] = 0x79  # bad zlib header check bits
    c.add("zlib_bad_header", c.signed(zm(bytes(bad)), [("cfg", bytes(bad))]), 1,
          "corrupt zlib stream")
    bad = bytearray(z)
    bad[-1] ^= 0xFF  # adler32 wrong
    c.add("zlib_bad_adler", c.signed(zm(bytes(bad)), [("cfg", bytes(bad))]), 1,
          "corrupt zlib stream")
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    rd = raw_deflate.compress(cfg) + raw_deflate.flush()
    c.add("zlib_raw_deflate", c.signed(zm(rd), [("cfg", rd)]), 1, "corrupt zlib stream")
    wrong_raw = dumps(c.man([dict(payload_desc("cfg", z, raw=cfg, compression="zlib"),
                                  uncompressed_sha256=sha(b"x"))]))
    c.add("zlib_uncompressed_sha_wrong", c.signed(wrong_raw, [("cfg", z)]), 1,
          "uncompressed sha256 mismatch")
    c.add("zlib_empty_stored", c.signed(zm(b""), [("cfg", b"")]), 1,
          "zlib stream is incomplete")


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    otapack, prefix, outdir = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    c = Corpus(otapack, prefix, outdir)
    generate(c)
    c.write_expected()
    print("%d cases written to %s" % (len(c.cases), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
