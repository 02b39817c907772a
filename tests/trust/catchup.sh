#!/bin/bash
# catchup.sh — devices that missed releases catch up in one install.
# The fleet's releases: R1 adds the New Root, R2 declares the server's new chain, R3 removes
# the Old Root. Then R4, the release every device gets next, carries the full set
# (--trust-replace) and the new server chain:
#   - a device that missed R1..R3 installs R4 and then validates the switched server's chain
#     (`openssl verify -CApath <device CApath> -untrusted <intermediate> <leaf>`), not the old
#   - devices that missed only some releases, or none, end with the byte-identical store
#   - the same catch-up without the new server chain is refused (lockout), nothing changed
#   - an incremental catch-up (--trust-add new, --trust-remove old, --server-chain new) works
#     on a device that still has the Old Root and, with a warning, on one that already lost it
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
head -c 40000 /dev/urandom > app

pkg r1.ota 1 --trust-add new.pem
pkg r2.ota 2 --server-chain chain-new.pem --image app=app
pkg r3.ota 3 --trust-remove "$(fp old.pem)"
pkg r4.ota 4 --trust-replace new.pem --server-chain chain-new.pem --image app=app
pkg r4-nochain.ota 4 --trust-replace new.pem --image app=app
pkg r4-incr.ota 4 --trust-add new.pem --trust-remove "$(fp old.pem)" --server-chain chain-new.pem

# newdev NAME RELEASES...: a device provisioned with the Old Root and the old server chain,
# that installed (and confirmed) the given releases
newdev() {
    local name=$1 r
    shift
    rm -rf "$name" && mkdir "$name"
    "$OTAUPDATE" --root "$name" init --product acme --trust-key k.pub --truststore old.pem \
        --server-chain chain-old.pem > /dev/null
    for r in "$@"; do
        "$OTAUPDATE" --root "$name" install "$r" > /dev/null
        "$OTAUPDATE" --root "$name" confirm > /dev/null
    done
}
trust_files() { (cd "$1/var/lib/otapack/current/trust" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# the device that missed everything
newdev dev
CAPATH=$(U trust path | head -1)
if v_capath "$CAPATH" -untrusted newint.pem newleaf.pem > /dev/null 2>&1; then
    die "a device that missed R1 must not validate the new chain yet"
fi
LOCKOUT="trust: the new trust store would not validate the update server CN=localhost,O=otapack test (sha256 $(fp16 oldleaf.pem)): unable to get local issuer certificate (build with --allow-lockout to override)"
rejected_unchanged "catch-up without the new chain" r4-nochain.ota "otaupdate: r4-nochain.ota: $LOCKOUT"
ok "a catch-up that replaces the roots but does not declare the new server chain is refused"

expect 0 "catch-up R4" U install r4.ota
[ -z "$ERR" ] || die "R4 printed on stderr: $ERR"
U confirm > /dev/null
[ "$(trust_fps)" = "$(fp new.pem)" ] || die "after R4 the device should trust exactly the New Root"
cmp -s chain-new.pem dev/var/lib/otapack/current/trust/server-chain.pem || die "R4 did not record the new chain"
cmp -s app dev/var/lib/otapack/current/images/app || die "R4 image"
[ "$(U trust path | head -1)" = "$CAPATH" ] || die "the CApath moved"
v_capath "$CAPATH" -untrusted newint.pem newleaf.pem > /dev/null ||
    die "after R4 the switched server's chain must validate"
if v_capath "$CAPATH" -untrusted oldint.pem oldleaf.pem > /dev/null 2>&1; then
    die "after R4 the old chain must not validate"
fi
ok "a device that missed R1..R3 catches up with R4 and validates the switched server's chain"

# devices that missed some releases, or none, end with the same bytes
newdev dev-r1 r1.ota
newdev dev-r2 r1.ota r2.ota
newdev dev-r3 r1.ota r2.ota r3.ota
for d in dev-r1 dev-r2 dev-r3; do
    expect 0 "R4 on $d" "$OTAUPDATE" --root "$d" install r4.ota
    trust_files "$d" | cmp -s - <(trust_files dev) || die "R4 on $d left another trust store"
done
ok "devices that missed two, one or no releases end with the byte-identical store after R4"

# the incremental form: additions and removals are idempotent, so one package serves all
newdev dev-i
expect 0 "incremental catch-up" "$OTAUPDATE" --root dev-i install r4-incr.ota
[ -z "$ERR" ] || die "incremental catch-up on a device with the Old Root printed: $ERR"
trust_files dev-i | cmp -s - <(trust_files dev) || die "incremental catch-up: another store"
newdev dev-i3 r1.ota r2.ota r3.ota
expect 0 "incremental catch-up, Old Root already gone" "$OTAUPDATE" --root dev-i3 install r4-incr.ota
one_line_has "otaupdate: warning: trust-remove: not in the trust store, nothing to remove: $(fp old.pem)"
trust_files dev-i3 | cmp -s - <(trust_files dev) || die "incremental catch-up after R3: another store"
ok "an incremental catch-up (add new, remove old, new chain) serves both kinds of device"

done_ok
