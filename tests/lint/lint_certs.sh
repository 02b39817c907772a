#!/usr/bin/env bash
# lint_certs.sh — `otapack lint` on certificate files: every rule on a real certificate made
# by openssl at test time (pki.sh), the severities and exit codes with and without --strict,
# --min-validity, OTAPACK_NOW, --json, several files, usage errors, and the two real roots
# of the Baltimore -> DigiCert Global Root G2 migration from the system's ca-certificates:
# the expired Baltimore CyberTrust Root must be flagged, DigiCert Global Root G2 must pass.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${OTAUPDATE:=/bin/false}" # lib.sh wants it; these tests do not use it
source "$here/../cli/lib.sh"
source "$here/lint_lib.sh"
source "$here/pki.sh"

# ---- the must-show: the real roots ---------------------------------------------------------
BALT=$(system_root Baltimore_CyberTrust_Root "$BALTIMORE_SHA256") ||
    { fail "Baltimore CyberTrust Root not found in the system's ca-certificates"; finish; }
G2=$(system_root DigiCert_Global_Root_G2 "$G2_SHA256") ||
    { fail "DigiCert Global Root G2 not found in the system's ca-certificates"; finish; }

expect_lint 1 "1 certificate, 1 error, 0 warnings" "$BALT"
out_has "otapack lint: $BALT: error: $BALTIMORE_SUBJECT (sha256 16af57a9f676b0ab): expired on \
2025-05-12T23:59:00Z; a device refuses an expired trust anchor"
expect_findings "expired:error" "$BALT"
eq "Baltimore sha256 in JSON" "$(jget "$OUT" 'j[0]["sha256"]')" "$BALTIMORE_SHA256"
eq "Baltimore not_after in JSON" "$(jget "$OUT" 'j[0]["not_after"]')" "2025-05-12T23:59:00Z"
expect_lint 1 "1 certificate, 1 error, 0 warnings" --min-validity 0 "$BALT"

expect_lint 0 "1 certificate, 0 errors, 0 warnings" "$G2"
eq "G2: nothing but the summary" "$(wc -l <"$OUT")" 1
expect_lint 0 "1 certificate, 0 errors, 0 warnings" --strict "$G2"
expect_findings "" "$G2"
# the migration bundle: the new root next to the old one is still an error while the old one
# is in it
cat "$G2" "$BALT" >"$T/migration.pem"
expect_lint 1 "2 certificates, 1 error, 0 warnings" "$T/migration.pem"
# the same file in DER
openssl x509 -in "$G2" -outform DER -out "$T/g2.der"
expect_lint 0 "1 certificate, 0 errors, 0 warnings" --strict "$T/g2.der"

# the clock: before Baltimore expired it was clean, and "expiring" within 365 days
OTAPACK_NOW=1735689600 expect_lint 0 "1 certificate, 0 errors, 0 warnings" "$BALT" # 2025-01-01
OTAPACK_NOW=1735689600 expect_findings "expiring:warning" --min-validity 365 "$BALT"
OTAPACK_NOW=1735689600 expect_lint 1 "1 certificate, 0 errors, 1 warning" --strict \
    --min-validity 365 "$BALT"
out_has "expires on 2025-05-12T23:59:00Z, in 131 days (less than 365)"
# G2 expires 2038-01-15T12:00:00Z: one second after, it is expired
OTAPACK_NOW=2147169601 expect_findings "expired:error" "$G2"
OTAPACK_NOW=2147169600 expect_findings "expiring:warning" "$G2"
OTAPACK_NOW=2147169600 expect_findings "" --min-validity 0 "$G2"

# ---- each rule on a certificate made for it ----------------------------------------------
expect_findings "" "$P/root.pem"
expect_lint 0 "1 certificate, 0 errors, 0 warnings" --strict "$P/root.pem"
expect_findings "" "$P/ec.pem"
expect_findings "" "$P/sha1-root.pem" # a root's signature on itself is not checked

expect_findings "not-ca:error" "$P/leaf.pem"
expect_lint 1 "1 certificate, 1 error, 0 warnings" "$P/leaf.pem"
out_has "error: CN=update.example.com (sha256 "
out_has "not a CA (no basicConstraints CA:TRUE); a device refuses it as a trust anchor"

expect_findings "expired:error" "$P/expired.pem"
expect_lint 1 "1 certificate, 1 error, 0 warnings" "$P/expired.pem"
out_has "expired on 2021-01-01T00:00:00Z"

for f in weak sha1-ica future expiring dup; do
    case $f in
    weak) want="weak-key:warning" ;;
    sha1-ica) want="sha1:warning" ;;
    future) want="not-yet-valid:warning" ;;
    expiring) want="expiring:warning" ;;
    dup) want="duplicate:warning" ;;
    esac
    expect_findings "$want" "$P/$f.pem"
    n="1 certificate"
    [ "$f" != dup ] || n="2 certificates"
    expect_lint 0 "$n, 0 errors, 1 warning" "$P/$f.pem"
    expect_lint 1 "$n, 0 errors, 1 warning" --strict "$P/$f.pem"
    eq "$f: one finding line and the summary" "$(wc -l <"$OUT")" 2
    grep -q '^otapack lint: .*: warning: CN=Lint .* (sha256 [0-9a-f]\{16\}): ' "$OUT" ||
        { fail "$f: finding line not in the documented form"; show_last; }
done
out_has "duplicate of certificate 1"
run "$OTAPACK" lint "$P/weak.pem"
out_has "weak key: RSA 1024 bits (at least 2048)"
run "$OTAPACK" lint "$P/sha1-ica.pem"
out_has "signed with sha1WithRSAEncryption"
run "$OTAPACK" lint "$P/future.pem"
out_has "not valid before 2099-12-31T00:00:00Z"

# --min-validity: the 30-day CA is fine when 29 days are enough, and the check can be off
expect_findings "" --min-validity 29 "$P/expiring.pem"
expect_findings "" --min-validity 0 "$P/expiring.pem"
expect_findings "expiring:warning" --min-validity 31 "$P/expiring.pem"
expect_lint 0 "1 certificate, 0 errors, 0 warnings" --strict --min-validity 29 "$P/expiring.pem"

# the fixed clock: the test root is expired ten years and a day from now, not yet valid
# a day ago
now=$(date +%s)
OTAPACK_NOW=$((now + 3651 * 86400)) expect_findings "expired:error" "$P/root.pem"
OTAPACK_NOW=$((now - 86400)) expect_findings "not-yet-valid:warning" "$P/root.pem"

# ---- several files: one line per finding, totals in the summary, in order -----------------
expect_lint 1 "5 certificates, 2 errors, 2 warnings" "$P/root.pem" "$P/leaf.pem" "$P/weak.pem" \
    "$BALT" "$P/sha1-ica.pem"
eq "one line per finding" "$(grep -c '^otapack lint: ' "$OUT")" 4
eq "stderr names the failure" "$(cat "$ERR")" "otapack lint: failed: 2 errors"
expect_findings "not-ca:error weak-key:warning expired:error sha1:warning" "$P/root.pem" \
    "$P/leaf.pem" "$P/weak.pem" "$BALT" "$P/sha1-ica.pem"
expect_lint 0 "3 certificates, 0 errors, 2 warnings" "$P/weak.pem" "$P/root.pem" "$P/future.pem"
expect_lint 1 "3 certificates, 0 errors, 2 warnings" --strict "$P/weak.pem" "$P/root.pem" \
    "$P/future.pem"
eq "stderr under --strict" "$(cat "$ERR")" "otapack lint: failed: 2 warnings and --strict"
# a duplicate is per file: the same root in two files is not one
expect_findings "" "$P/root.pem" "$P/root.pem"
# several findings on one certificate, and a bundle
cat "$P/root.pem" "$P/leaf.pem" "$P/weak.pem" "$P/leaf.pem" >"$T/bundle.pem"
expect_findings "not-ca:error weak-key:warning duplicate:warning" "$T/bundle.pem"

# ---- --json ------------------------------------------------------------------------------
run "$OTAPACK" lint --json "$P/leaf.pem" "$P/weak.pem"
eq "--json exit" "$RC" 1
eq "--json keys" "$(jget "$OUT" 'sorted(j[0])')" \
    '["code", "file", "message", "not_after", "not_before", "severity", "sha256", "subject"]'
eq "--json subject" "$(jget "$OUT" 'j[0]["subject"]')" "CN=update.example.com"
eq "--json file" "$(jget "$OUT" 'j[1]["file"]')" "$P/weak.pem"
eq "--json sha256" "$(jget "$OUT" 'j[1]["sha256"]')" \
    "$(openssl x509 -in "$P/weak.pem" -outform DER | sha256sum | cut -d' ' -f1)"
enddate=$(openssl x509 -in "$P/weak.pem" -noout -enddate | cut -d= -f2)
eq "--json not_after" "$(jget "$OUT" 'j[1]["not_after"]')" \
    "$(date -u -d "$enddate" +%Y-%m-%dT%H:%M:%SZ)"
run "$OTAPACK" lint --json "$G2"
eq "--json of a clean root" "$(jget "$OUT" 'j')" "[]"
eq "--json exit of a clean root" "$RC" 0

# ---- inputs that are not certificates, and usage ------------------------------------------
echo "not a certificate" >"$T/text.txt"
expect_exit 1 "text.txt: neither an otapack package nor a PEM or DER certificate" \
    "$OTAPACK" lint "$T/text.txt"
: >"$T/empty"
expect_exit 1 "neither an otapack package" "$OTAPACK" lint "$T/empty"
cat "$P/root.pem" "$P/root.key" >"$T/withkey.pem"
expect_exit 1 "withkey.pem: a PEM 'PRIVATE KEY' block where certificates were expected" \
    "$OTAPACK" lint "$T/withkey.pem"
head -c 600 "$P/root.pem" >"$T/cut.pem"
expect_exit 1 "cut.pem" "$OTAPACK" lint "$T/cut.pem"
expect_exit 1 "no such file" "$OTAPACK" lint "$T/missing.pem"
ln -s "$P/root.pem" "$T/link.pem"
expect_exit 1 "link.pem" "$OTAPACK" lint "$T/link.pem"
expect_exit 1 "" "$OTAPACK" lint "$T"
# a bad input among good ones: the others are still linted, the summary says so
run "$OTAPACK" lint "$P/weak.pem" "$T/text.txt"
eq "mixed: exit" "$RC" 1
eq "mixed: summary" "$(tail -n 1 "$OUT")" "1 certificate, 0 errors, 1 warning; 1 input not checked"
# bigger than a bundle may be
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' 'A' >"$T/huge.pem"
expect_exit 1 "larger than 4194304 bytes" "$OTAPACK" lint "$T/huge.pem"

expect_exit 2 "expected a package or a certificate file" "$OTAPACK" lint
expect_exit 2 "unknown option" "$OTAPACK" lint --bogus "$P/root.pem"
expect_exit 2 "--min-validity" "$OTAPACK" lint --min-validity x "$P/root.pem"
expect_exit 2 "--min-validity" "$OTAPACK" lint --min-validity -1 "$P/root.pem"
expect_exit 2 "--min-validity" "$OTAPACK" lint --min-validity 36526 "$P/root.pem"
expect_exit 2 "--min-validity" "$OTAPACK" lint --min-validity "$P/root.pem"
expect_lint 0 "1 certificate, 0 errors, 1 warning" --min-validity 36525 "$G2"
OTAPACK_NOW=soon expect_exit 2 "OTAPACK_NOW" "$OTAPACK" lint "$P/root.pem"
OTAPACK_NOW=-5 expect_exit 2 "OTAPACK_NOW" "$OTAPACK" lint "$P/root.pem"

# ---- the help page ------------------------------------------------------------------------
expect_ok "$OTAPACK" lint --help
for s in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT "EXIT STATUS" EXAMPLES OTAPACK_NOW \
    --strict --min-validity --json expired not-ca not-yet-valid expiring weak-key sha1 \
    duplicate "device would refuse"; do
    out_has "$s"
done
eq "help: no line over 100 columns" "$(awk 'length > 100' "$OUT" | wc -l)" 0

finish
