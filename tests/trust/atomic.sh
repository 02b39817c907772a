#!/bin/bash
# atomic.sh — the trust store and the images switch together, or not at all:
#   a package with a new image and a trust-add that is rejected for any reason (an image byte
#   flipped after signing, a trust-add byte flipped after signing, a trust-add that is not a
#   CA, a removal that locks the device out) leaves trust list, images, status and every file
#   of the running generation byte-identical (snapshot); the good package switches image,
#   roots and recorded server chain in one step; `otaupdate rollback` restores the old trust
#   store and the old recorded server chain along with the old image.
. "$(dirname "$0")/lib.sh"

SOURCE_DATE_EPOCH=$(date +%s)
export SOURCE_DATE_EPOCH
mkkey k
mkroot old "Old Root"
mkint oldint "Old Issuing CA" old
mkleaf oldleaf localhost oldint
cat oldleaf.pem oldint.pem > chain-old.pem
mkroot new "New Root"
mkint newint "New Issuing CA" new
mkleaf newleaf localhost newint
cat newleaf.pem newint.pem > chain-new.pem
mknotca notca "Not A CA"
head -c 70000 /dev/urandom > app1
head -c 90000 /dev/urandom > app2
CUR=dev/var/lib/otapack/current

mkdir dev
U init --product acme --trust-key k.pub --truststore old.pem --server-chain chain-old.pem > /dev/null
pkg v1.ota 1 --image app=app1
installs "v1" v1.ota
cmp -s app1 $CUR/images/app || die "v1 image not installed"

# flip ENTRY OFFSET FILE: flips one byte at OFFSET inside the data of tar entry ENTRY
flip() {
    python3 - "$@" <<'EOF'
import sys
entry, off, path = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3]
b = bytearray(open(path, "rb").read())
pos = 0
while pos + 512 <= len(b):
    name = bytes(b[pos:pos + 100]).rstrip(b"\0")
    size = int(bytes(b[pos + 124:pos + 136]).strip(b" \0") or b"0", 8)
    if name == entry:
        b[pos + 512 + off] ^= 0x55
        open(path, "wb").write(bytes(b))
        sys.exit(0)
    pos += 512 + (size + 511) // 512 * 512
sys.exit("no entry " + sys.argv[1])
EOF
}

pkg v2-badimg.ota 2 --image app=app2 --trust-add new.pem --server-chain chain-new.pem
flip app 1000 v2-badimg.ota
rejected_unchanged "image byte flipped" v2-badimg.ota \
    "otaupdate: v2-badimg.ota: payload 'app': sha256 mismatch"
ok "an image byte flipped after signing: rejected, trust store and image unchanged"

pkg v2-badcert.ota 2 --image app=app2 --trust-add new.pem
flip trust-add.pem 100 v2-badcert.ota
rejected_unchanged "trust-add byte flipped" v2-badcert.ota \
    "otaupdate: v2-badcert.ota: payload 'trust-add.pem': sha256 mismatch"
ok "a trust-add byte flipped after signing: rejected, nothing changed"

# otapack build refuses a non-CA root (tests/trust/rules.sh): crafted, the device decides
cat new.pem notca.pem > new-and-notca.pem
crafted v2-notca.ota 2 trust-add.pem new-and-notca.pem --image app=app2 --trust-add new.pem
rejected_unchanged "a trust-add that is not a CA" v2-notca.ota \
    "otaupdate: v2-notca.ota: trust-add: CN=Not A CA,O=otapack test (sha256 $(fp16 notca.pem)) is not a CA (basicConstraints)"
ok "a valid image with a trust-add that is not a CA: rejected, the image did not switch alone"

pkg v2-lockout.ota 2 --image app=app2 --trust-add new.pem --trust-remove "$(fp old.pem)"
LOCKOUT="trust: the new trust store would not validate the update server CN=localhost,O=otapack test (sha256 $(fp16 oldleaf.pem)): unable to get local issuer certificate (build with --allow-lockout to override)"
rejected_unchanged "lockout" v2-lockout.ota "otaupdate: v2-lockout.ota: $LOCKOUT"
cmp -s app1 $CUR/images/app || die "the image changed after rejections"
ok "a valid image with a removal that locks the device out: rejected, nothing changed"

# the good package: image, new root and new server chain switch in one step
U trust list --json > trust.v1
(cd $CUR/trust && find . -type f -print0 | sort -z | xargs -0 sha256sum) > files.v1
pkg v2.ota 2 --image app=app2 --trust-add new.pem --server-chain chain-new.pem
expect 0 "v2" U install v2.ota
cmp -s app2 $CUR/images/app || die "v2 image not installed"
[ "$(trust_fps)" = "$(printf '%s\n' "$(fp old.pem)" "$(fp new.pem)" | sort)" ] || die "v2 roots wrong"
cmp -s chain-new.pem $CUR/trust/server-chain.pem || die "v2 did not record the new server chain"
CAPATH=$(U trust path | head -1)
v_capath "$CAPATH" -untrusted newint.pem newleaf.pem > /dev/null ||
    die "the new chain should validate under v2's store"
ok "the good package switches image, roots and server chain together"

# rollback (v2 is still pending): the old store comes back with the old image
expect 0 "rollback" U rollback
cmp -s app1 $CUR/images/app || die "rollback did not restore the image"
U trust list --json > trust.rb
cmp -s trust.v1 trust.rb || die "rollback did not restore the trust list"
(cd $CUR/trust && find . -type f -print0 | sort -z | xargs -0 sha256sum) > files.rb
cmp -s files.v1 files.rb || die "rollback did not restore the trust store files: $(diff files.v1 files.rb)"
[ "$(U trust path | head -1)" = "$CAPATH" ] || die "trust path moved"
if v_capath "$CAPATH" -untrusted newint.pem newleaf.pem > /dev/null 2>&1; then
    die "after rollback the New Root must not be trusted through the same CApath"
fi
v_capath "$CAPATH" -untrusted oldint.pem oldleaf.pem > /dev/null ||
    die "after rollback the old chain must validate"
# the recorded server chain came back too: removing the Old Root is a lockout again
pkg v3.ota 3 --trust-add new.pem --trust-remove "$(fp old.pem)"
rejected_unchanged "lockout after rollback" v3.ota "otaupdate: v3.ota: $LOCKOUT"
ok "rollback restores the old trust store (same bytes, same paths) and the old recorded server chain"

done_ok
