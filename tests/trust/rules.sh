#!/bin/bash
# rules.sh — every safety rule of the Trusted Root Store, each with its exact one-line
# message, exit code, and a byte-identical device after a rejection (snapshot):
#   not a CA (trust-add and trust-replace), expired (the real Baltimore root), not yet valid
#   (a CA whose notBefore is tomorrow), a certificate payload that does not parse (packages
#   otapack build would not make are crafted and signed), what otapack build refuses itself
#   (garbage, keys, truncated PEM, non-CA and expired roots, bad fingerprints), a store left
#   empty, the lockout rule and its --allow-lockout override (exit 0 and a warning), adding a
#   present root (a no-op for the store), removing an absent one (a warning, exit 0), and the
#   trusted time: max(system clock, newest installed package's creation, this package's
#   creation), shown with certificates and with package expiry.
. "$(dirname "$0")/lib.sh"

NOW=$(date +%s)
export SOURCE_DATE_EPOCH=$NOW
mkkey k
mkroot old "Old Root"
mkint oldint "Old Issuing CA" old
mkleaf oldleaf localhost oldint
cat oldleaf.pem oldint.pem > chain-old.pem
mkroot new "New Root"
mknotca notca "Not A CA"
mkfuture fut "Future Root" "$(utc $((NOW + 86400)) %Y%m%d%H%M%SZ)" "$(utc $((NOW + 3650 * 86400)) %Y%m%d%H%M%SZ)"
mkroot short "Short Root" 1 # valid now, expires in a day
FUT_NB=$(date -u -d "$(openssl x509 -in fut.pem -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
SHORT_NA=$(date -u -d "$(openssl x509 -in short.pem -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
[ "$(openssl x509 -in fut.pem -noout -startdate | cut -d= -f2 | xargs -I{} date -u -d {} +%s)" -gt "$NOW" ] ||
    die "could not make a certificate valid only from tomorrow"

mkdir dev
U init --product acme --trust-key k.pub --truststore old.pem --server-chain chain-old.pem > /dev/null

# ---- what enters the store: a CA, valid at the trusted time, that parses ------------------
# otapack build refuses expired and non-CA roots itself (its lint, checked further down), so
# these packages are crafted (see `crafted` in lib.sh): the device must refuse them anyway
crafted notca.ota 1 trust-add.pem notca.pem --trust-add new.pem
rejected_unchanged "not a CA" notca.ota \
    "otaupdate: notca.ota: trust-add: CN=Not A CA,O=otapack test (sha256 $(fp16 notca.pem)) is not a CA (basicConstraints)"
cat new.pem notca.pem > replace-notca.pem
crafted replace-notca.ota 1 trust-replace.pem replace-notca.pem --trust-replace new.pem
rejected_unchanged "not a CA in trust-replace" replace-notca.ota \
    "otaupdate: replace-notca.ota: trust-replace: CN=Not A CA,O=otapack test (sha256 $(fp16 notca.pem)) is not a CA (basicConstraints)"
ok "a certificate without basicConstraints CA:TRUE is refused, in trust-add and trust-replace"

openssl x509 -in "$BALTIMORE" -noout -checkend 0 > /dev/null && die "Baltimore should have expired (2025-05-12)"
crafted baltimore.ota 1 trust-add.pem "$BALTIMORE" --trust-add new.pem
rejected_unchanged "expired" baltimore.ota \
    "otaupdate: baltimore.ota: trust-add: CN=Baltimore CyberTrust Root,OU=CyberTrust,O=Baltimore,C=IE (sha256 $(fp16 "$BALTIMORE")) expired at 2025-05-12T23:59:00Z"
ok "an expired root (the real Baltimore CyberTrust Root) is refused"

pkg fut.ota 1 --trust-add fut.pem
rejected_unchanged "not yet valid" fut.ota \
    "otaupdate: fut.ota: trust-add: CN=Future Root,O=otapack test (sha256 $(fp16 fut.pem)) is not valid before $FUT_NB"
ok "a root that is not yet valid is refused"

# valid PEM armour around DER that is not a certificate (it now starts with 0x00)
sed '2s/^..../AAAA/' new.pem > broken.pem
crafted broken.ota 1 trust-add.pem broken.pem --trust-add new.pem
rejected_unchanged "does not parse" broken.ota \
    "otaupdate: broken.ota: payload 'trust-add.pem': certificate 1 does not parse"
ok "a signed package whose certificate payload does not parse is refused"

# ---- what otapack refuses at build time ---------------------------------------------------
printf 'this is not a certificate\n' > garbage.pem
rejected "garbage at build time" "otapack: garbage.pem: not a PEM or DER certificate" -- \
    "$OTAPACK" build -o garbage.ota --product acme --version 1 --security-version 1 --trust-add garbage.pem
[ ! -e garbage.ota ] || die "a refused build left garbage.ota behind"
rejected "a key at build time" "otapack: new.key: a PEM 'PRIVATE KEY' block where certificates were expected" -- \
    "$OTAPACK" build -o key.ota --product acme --version 1 --security-version 1 --trust-add new.key
rejected "garbage in --trust-replace" "otapack: garbage.pem: not a PEM or DER certificate" -- \
    "$OTAPACK" build -o garbage.ota --product acme --version 1 --security-version 1 --trust-replace garbage.pem
rejected "garbage in --server-chain" "otapack: garbage.pem: not a PEM or DER certificate" -- \
    "$OTAPACK" build -o garbage.ota --product acme --version 1 --security-version 1 --server-chain garbage.pem
head -c 300 new.pem > truncated.pem
rejected "a truncated PEM" "otapack: truncated.pem: malformed PEM after certificate 0" -- \
    "$OTAPACK" build -o garbage.ota --product acme --version 1 --security-version 1 --trust-add truncated.pem
expect 2 "a bad fingerprint" "$OTAPACK" build -o garbage.ota --product acme --version 1 \
    --security-version 1 --trust-remove 1234
one_line_has "--trust-remove '1234': expected a SHA-256 fingerprint"
# build lints its certificate inputs: a root the device would refuse stops the build (the
# wording is lint's; here: one line naming the certificate, exit 1, no package)
rejected "not a CA at build time" "otapack build: notca.pem: error: CN=Not A CA,O=otapack test (sha256 $(fp16 notca.pem))" -- \
    "$OTAPACK" build -o garbage.ota --product acme --version 1 --security-version 1 --trust-add notca.pem
rejected "expired at build time" "otapack build: $BALTIMORE: error: CN=Baltimore CyberTrust Root,OU=CyberTrust,O=Baltimore,C=IE (sha256 $(fp16 "$BALTIMORE"))" "expired" -- \
    "$OTAPACK" build -o garbage.ota --product acme --version 1 --security-version 1 --trust-add "$BALTIMORE"
[ ! -e garbage.ota ] && [ ! -e key.ota ] || die "a refused build left a package behind"
ok "otapack build refuses garbage, keys, truncated PEM, non-CA and expired roots (exit 1), bad fingerprints (exit 2)"

# ---- the store never becomes empty --------------------------------------------------------
pkg empty.ota 1 --trust-remove "$(fp old.pem)"
rejected_unchanged "empty store" empty.ota \
    "otaupdate: empty.ota: trust: the update would leave the trust store empty"
ok "removing the only root without a replacement is refused"

# ---- the update server must stay reachable ------------------------------------------------
pkg r1.ota 1 --trust-add new.pem
installs "release 1 (add the New Root)" r1.ota
pkg lockout.ota 2 --trust-remove "$(fp old.pem)"
rejected_unchanged "lockout" lockout.ota \
    "otaupdate: lockout.ota: trust: the new trust store would not validate the update server CN=localhost,O=otapack test (sha256 $(fp16 oldleaf.pem)): unable to get local issuer certificate (build with --allow-lockout to override)"
ok "removing the root the recorded server chain needs is refused (lockout rule)"

# ---- adding a present root: nothing changes in the store ----------------------------------
trust_files() { (cd dev/var/lib/otapack/current/trust && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
U trust list --json > t.before
trust_files > f.before
gen_before=$(U status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
pkg again.ota 2 --trust-add new.pem --trust-add old.pem
expect 0 "adding present roots" U install again.ota
[ -z "$ERR" ] || die "adding present roots printed: $ERR"
U confirm > /dev/null
U trust list --json > t.after
trust_files > f.after
cmp -s t.before t.after || die "adding present roots changed the trust list"
cmp -s f.before f.after || die "adding present roots changed the trust store files: $(diff f.before f.after)"
gen_after=$(U status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
[ "$gen_after" -gt "$gen_before" ] || die "a new generation was expected"
ok "adding roots that are already there is a no-op for the store (new generation $gen_after, same trust bytes)"

# ---- removing an absent root: a warning, exit 0 -------------------------------------------
pkg absent.ota 3 --trust-remove "$(fp "$BALTIMORE")"
expect 0 "removing an absent root" U install absent.ota
one_line_has "otaupdate: warning: trust-remove: not in the trust store, nothing to remove: $(fp "$BALTIMORE")"
U confirm > /dev/null
trust_files > f.after
cmp -s f.before f.after || die "removing an absent root changed the trust store"
ok "removing a root that is not there is a warning with exit 0, store unchanged"

# ---- the lockout, allowed -----------------------------------------------------------------
pkg allowed.ota 4 --trust-remove "$(fp old.pem)" --allow-lockout
expect 0 "--allow-lockout" U install allowed.ota
one_line_has "otaupdate: warning: trust: allowed by --allow-lockout; no server chain is recorded from now on: the new trust store does not anchor CN=localhost,O=otapack test (sha256 $(fp16 oldleaf.pem))"
[ "$(trust_fps)" = "$(fp new.pem)" ] || die "after the allowed lockout only the New Root should remain"
ok "the same removal built with --allow-lockout installs, with one warning line"

# ---- trusted time -------------------------------------------------------------------------
# Device 2 (no server chain, so only the time rules apply). A package created "now" cannot
# add Future Root (valid from tomorrow); the same root in a package created in two days can:
# the package's own creation time raises the trusted time (the system clock says today).
rm -rf dev && mkdir dev
U init --product acme --trust-key k.pub --truststore old.pem > /dev/null
pkg fut-now.ota 1 --trust-add fut.pem
rejected_unchanged "not yet valid at the clock" fut-now.ota \
    "otaupdate: fut-now.ota: trust-add: CN=Future Root,O=otapack test (sha256 $(fp16 fut.pem)) is not valid before $FUT_NB"
SOURCE_DATE_EPOCH=$((NOW + 2 * 86400)) pkg fut-late.ota 1 --trust-add fut.pem
installs "a package created in two days adds Future Root" fut-late.ota
trust_fps | grep -qx "$(fp fut.pem)" || die "Future Root should be trusted now"
ok "a package's creation time counts: a root valid from tomorrow installs from a package created in two days"

# Short Root is valid by the system clock (it expires tomorrow) ...
openssl x509 -in short.pem -noout -checkend 3600 > /dev/null || die "Short Root should be valid for a day"
# ... but this device has installed a package created in two days: that is its time floor
pkg short.ota 2 --trust-add short.pem
rejected_unchanged "expired at the floor" short.ota \
    "otaupdate: short.ota: trust-add: CN=Short Root,O=otapack test (sha256 $(fp16 short.pem)) expired at $SHORT_NA"
# A package created 12 hours ago that expires in 1 day is valid by the clock, not by the floor
SOURCE_DATE_EPOCH=$((NOW - 43200)) pkg old-pkg.ota 3 --expires-in 1
rejected_unchanged "package expired at the floor" old-pkg.ota \
    "otaupdate: old-pkg.ota: package expired at $(utc $((NOW - 43200 + 86400)) %Y-%m-%dT%H:%M:%SZ)"
# control: a device without that floor takes both, so the floor alone made the difference
mv dev dev2 && mkdir dev
U init --product acme --trust-key k.pub --truststore old.pem > /dev/null
installs "Short Root on a device without the floor" short.ota
installs "the 12-hour-old package on a device without the floor" old-pkg.ota
ok "the newest installed package's creation time is a floor: a root and a package valid by the clock are refused after it"

done_ok
