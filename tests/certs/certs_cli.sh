#!/usr/bin/env bash
# certs_cli — the 'otaupdate certs' verb end to end, with a PKI made here by the openssl
# command: man-page help for every sub-verb; usage errors (exit 2) for bad identifiers,
# arguments and options; list/info/space in text and JSON (fields checked against openssl's
# own reading of the certificates); install-root, install-client (plain, encrypted with a
# password file or standard input, wrong or missing password, key that does not match),
# replace, move over an existing entry, delete; a full store (exit 3, with the numbers);
# every refused command leaves the store byte for byte as it was and prints one line; the
# store file is mode 0600 and no output ever shows a private key or a password.
#
# Runs against the harness (updater/certs_cli.c on a plain folder) and, once otaupdate
# dispatches 'certs', against `otaupdate --root DIR certs` on an initialised device too.
source "$(dirname "$0")/../cli/lib.sh"
: "${CERTS_HARNESS:?set CERTS_HARNESS to the certs_cli_harness binary}"
command -v openssl >/dev/null || { fail "the openssl command is needed"; finish; }
cd "$T"
umask 022

# ---- the test PKI ---------------------------------------------------------------------------
PASSWORD='correct horse battery staple'
printf '%s\n' "$PASSWORD" >pw.txt
printf 'wrong\n' >wrong-pw.txt
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
need ec ca.key
need openssl req -x509 -new -key ca.key -out ca.pem -days 3650 -subj "/O=otapack tests/CN=cli root" \
    -addext basicConstraints=critical,CA:TRUE
need ec ca2.key
need openssl req -x509 -new -key ca2.key -out ca2.pem -days 3650 \
    -subj "/O=otapack tests/CN=cli root G2" -addext basicConstraints=critical,CA:TRUE
need ec client.key
need openssl req -new -key client.key -out client.csr -subj "/O=otapack tests/CN=device-7"
need openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -out client.pem -days 365 \
    -set_serial 7
need ec other.key
need openssl pkcs8 -topk8 -in client.key -out client-enc.key -v2 aes-256-cbc -passout file:pw.txt
check "the encrypted key is encrypted" grep -q 'BEGIN ENCRYPTED PRIVATE KEY' client-enc.key
openssl x509 -in ca.pem -outform DER -out ca.der
cat ca.pem ca2.pem >two.pem
head -c 9000 /dev/zero | tr '\0' '#' >big.pem
cat ca.pem >>big.pem # a certificate, but more than 8 KiB of file

# fp FILE: the SHA-256 fingerprint as otapack writes it (lowercase hex, no colons)
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f; }
# enddate FILE: notAfter as RFC 3339 UTC
enddate() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }
# pem_size FILE: the bytes the store counts for a certificate (PEM as OpenSSL writes it)
pem_size() { openssl x509 -in "$1" | wc -c; }

# Roots to fill a store with: the system's Mozilla bundle, or generated ones.
mkdir roots
if compgen -G '/usr/share/ca-certificates/mozilla/*.crt' >/dev/null; then
    cp /usr/share/ca-certificates/mozilla/*.crt roots/
else
    for i in $(seq 1 60); do
        ec roots/k$i.key
        openssl req -x509 -new -key roots/k$i.key -out roots/r$i.crt -days 3650 \
            -subj "/CN=generated root $i" 2>/dev/null
    done
fi

# ---- the battery, against one way of reaching a store -------------------------------------
# CERTS: the command prefix up to and including 'certs'; STATE: the folder to snapshot;
# STORE_FILE: where store.json is once written (found lazily for a device).
store_file() {
    if [ -n "$STORE_DIR" ]; then
        echo "$STORE_DIR/store.json"
    else
        # the running generation's store (older generations may hold one too)
        find -L "$STATE/var/lib/otapack/current/" -name store.json -print -quit
    fi
}

# sections FILE HEADING...: each heading is a line of FILE
sections() {
    local f=$1 h
    shift
    for h in "$@"; do
        grep -qx "$h" "$f" || return 1
    done
}

# refused CODE SUBSTRING ARGS...: the command fails with CODE and one line naming SUBSTRING,
# and the state is byte for byte what it was.
refused() {
    local code=$1 sub=$2
    shift 2
    snapshot "$STATE" >before.snap
    expect_exit "$code" "$sub" "${CERTS[@]}" "$@"
    snapshot "$STATE" >after.snap
    assert_unchanged before.snap after.snap "the store (after: certs $*)"
}

battery() {
    local mode=$1
    echo "--- $mode: ${CERTS[*]}"

    # help pages
    for form in --help -h help; do
        expect_ok "${CERTS[@]}" $form
        check "$mode: certs $form has the man-page sections" \
            sections "$OUT" NAME SYNOPSIS DESCRIPTION 'EXIT STATUS' 
        check "$mode: certs $form NAME names the verb" grep -qE '^    otaupdate certs - ' "$OUT"
    done
    for sub in list info install-root install-client delete move space; do
        for form in --help -h; do
            expect_ok "${CERTS[@]}" $sub $form
            check "$mode: certs $sub $form has NAME SYNOPSIS DESCRIPTION EXIT STATUS" \
                sections "$OUT" NAME SYNOPSIS DESCRIPTION 'EXIT STATUS' 
            check "$mode: certs $sub $form NAME names it" \
                grep -qE "^    otaupdate certs $sub - " "$OUT"
        done
        check "$mode: certs --help lists $sub" grep -qE "^    $sub " <("${CERTS[@]}" --help)
    done

    # usage errors: exit 2, one line, nothing changed
    refused 2 "expected a verb"
    refused 2 "unknown verb 'bogus'" bogus
    refused 2 "unknown option '--bogus'" list --bogus
    refused 2 "unknown option '--json'" delete x --json
    refused 2 "unknown option '--password-file'" install-root x ca.pem --password-file pw.txt
    refused 2 "--password-file needs a file name" install-client w client.pem client.key \
        --password-file
    refused 2 "expected an identifier" info
    refused 2 "expected no arguments" list extra
    refused 2 "expected ID CERT.pem" install-root x
    refused 2 "expected FROM TO" move x
    refused 2 "is empty" install-root '' ca.pem
    refused 2 "longer than 16 characters" install-root abcdefghijklmnopq ca.pem
    refused 2 "character outside A-Z a-z 0-9 . - _" install-root 'radius ca' ca.pem
    refused 2 "character outside" delete 'a/b'
    refused 2 "'a\\x1b[2J'" info $'a\e[2J'
    check "$mode: a terminal escape is not echoed raw" not grep -q $'\e' "$ERR"
    refused 2 "character outside" move ok 'not ok'

    # the empty store
    expect_ok "${CERTS[@]}" list
    out_has "the certificate store is empty (24576 bytes available)"
    expect_ok "${CERTS[@]}" list --json
    eq "$mode: list --json of an empty store" "$(jget "$OUT" 'j')" "[]"
    expect_ok "${CERTS[@]}" space --json
    eq "$mode: space --json, empty" "$(jget "$OUT" '[j["count"], j["used"], j["capacity"], j["available"]]')" \
        "[0, 0, 24576, 24576]"

    # install-root
    expect_ok "${CERTS[@]}" install-root radius-ca ca.pem
    out_has "installed root certificate 'radius-ca'"
    out_has "; $((24576 - $(pem_size ca.pem))) bytes available"
    local sf
    sf=$(store_file)
    check "$mode: the store file exists" test -f "$sf"
    eq "$mode: store file mode" "$(stat -c %a "$sf")" 600
    expect_ok "${CERTS[@]}" list --json
    eq "$mode: list --json ids" "$(jget "$OUT" '[e["id"] for e in j]')" '["radius-ca"]'
    eq "$mode: list --json fields" "$(jget "$OUT" 'sorted(j[0])')" \
        '["id", "issuer", "kind", "not_after", "not_before", "sha256", "subject"]'
    eq "$mode: sha256 as openssl computes it" "$(jget "$OUT" 'j[0]["sha256"]')" "$(fp ca.pem)"
    eq "$mode: not_after" "$(jget "$OUT" 'j[0]["not_after"]')" "$(enddate ca.pem)"
    eq "$mode: kind" "$(jget "$OUT" 'j[0]["kind"]')" root
    eq "$mode: subject" "$(jget "$OUT" 'j[0]["subject"]')" "CN=cli root,O=otapack tests"
    expect_ok "${CERTS[@]}" info radius-ca --json
    eq "$mode: info --json is list's entry" "$(jget "$OUT" 'j["sha256"]')" "$(fp ca.pem)"
    expect_ok "${CERTS[@]}" info radius-ca
    out_has "kind:        root"
    out_has "sha256:      $(fp ca.pem)"
    expect_ok "${CERTS[@]}" install-root abcdefghijklmnop ca2.pem # exactly 16 characters
    expect_ok "${CERTS[@]}" delete abcdefghijklmnop

    # what install-root refuses (exit 1), changing nothing
    refused 1 "not PEM" install-root bad ca.der
    refused 1 "2 certificates; expected exactly one" install-root bad two.pem
    refused 1 "not PEM" install-root bad client.key
    refused 1 "larger than 8192 bytes" install-root bad big.pem
    refused 1 "no such file" install-root bad missing.pem
    refused 1 "certificate 'ghost' not found" info ghost

    # install-client
    refused 1 "does not match the certificate" install-client wifi client.pem other.key
    refused 1 "encrypted and no password was given" install-client wifi client.pem client-enc.key
    refused 1 "does not decrypt with the password" install-client wifi client.pem client-enc.key \
        --password-file wrong-pw.txt
    refused 1 "no such file" install-client wifi client.pem client-enc.key --password-file nope
    expect_ok "${CERTS[@]}" install-client wifi client.pem client-enc.key --password-file pw.txt
    out_has "installed client certificate 'wifi' and its private key"
    run "${CERTS[@]}" install-client wifi2 client.pem client-enc.key --password-file - <pw.txt
    eq "$mode: password from standard input" "$RC" 0
    expect_ok "${CERTS[@]}" install-client plain client.pem client.key
    expect_ok "${CERTS[@]}" info wifi --json
    eq "$mode: client kind" "$(jget "$OUT" 'j["kind"]')" client
    eq "$mode: client issuer" "$(jget "$OUT" 'j["issuer"]')" "CN=cli root,O=otapack tests"
    sf=$(store_file)
    eq "$mode: store file mode after a key" "$(stat -c %a "$sf")" 600
    check "$mode: the password is not stored" not grep -qF "$PASSWORD" "$sf"
    check "$mode: no key is stored encrypted" not grep -q ENCRYPTED "$sf"
    eq "$mode: the stored key is the client's" \
        "$(jget "$sf" '[e["key"] for e in j["entries"] if e["id"] == "wifi"][0]' |
            openssl pkey -pubout | sha256sum)" "$(openssl pkey -in client.key -pubout | sha256sum)"

    # replace, move, delete
    expect_ok "${CERTS[@]}" install-root radius-ca ca2.pem # same id: replaced
    expect_ok "${CERTS[@]}" info radius-ca --json
    eq "$mode: replaced" "$(jget "$OUT" 'j["sha256"]')" "$(fp ca2.pem)"
    expect_ok "${CERTS[@]}" install-root tmp ca.pem
    expect_ok "${CERTS[@]}" list --json
    local before_n
    before_n=$(jget "$OUT" 'len(j)')
    expect_ok "${CERTS[@]}" move tmp radius-ca
    out_has "replacing the entry that had that identifier"
    expect_ok "${CERTS[@]}" list --json
    eq "$mode: move over an entry: one fewer" "$(jget "$OUT" 'len(j)')" "$((before_n - 1))"
    eq "$mode: 'tmp' is gone" "$(jget "$OUT" '[e["id"] for e in j if e["id"] == "tmp"]')" "[]"
    eq "$mode: 'radius-ca' holds what 'tmp' held" \
        "$(jget "$OUT" '[e["sha256"] for e in j if e["id"] == "radius-ca"][0]')" "$(fp ca.pem)"
    refused 1 "no certificate 'tmp'" move tmp radius-ca
    expect_ok "${CERTS[@]}" delete wifi2
    out_has "deleted 'wifi2'"
    refused 1 "delete 'wifi2': no such certificate" delete wifi2

    # space counts the PEM of certificates and keys
    expect_ok "${CERTS[@]}" space --json
    local used avail
    used=$(jget "$OUT" 'j["used"]')
    avail=$(jget "$OUT" 'j["available"]')
    eq "$mode: used + available = capacity" "$((used + avail))" 24576
    expect_ok "${CERTS[@]}" space
    out_has "$used bytes used of 24576, $avail available (3 entries)"

    # fill the store: ENOSPC, exit 3, with the numbers; nothing changed
    local i=0 f full=
    for f in roots/*.crt; do
        i=$((i + 1))
        run "${CERTS[@]}" install-root "fill-$i" "$f"
        if [ "$RC" = 3 ]; then
            full=$f
            break
        fi
        [ "$RC" = 0 ] || { fail "$mode: install-root $f: exit $RC"; show_last; break; }
    done
    check "$mode: the store filled up" test -n "$full"
    expect_ok "${CERTS[@]}" space --json
    avail=$(jget "$OUT" 'j["available"]')
    refused 3 "certificate store full: needs $(pem_size "$full") bytes, $avail available (capacity 24576)" \
        install-root one-more "$full"
    # a crafted store file is refused, and named
    sf=$(store_file)
    cp "$sf" good.json
    printf '{"format": 1, "format": 1, "entries": []}' >"$sf"
    refused 1 "store.json" list
    check "$mode: the message says what is wrong" grep -q duplicate "$ERR"
    cp good.json "$sf"
    chmod 600 "$sf"
    expect_ok "${CERTS[@]}" list

    # nothing secret in any output; no temporary files left
    check "$mode: no private key in any output" not grep -rq "PRIVATE KEY" "$LOG"
    check "$mode: no password in any output" not grep -rqF "$PASSWORD" "$LOG"
    assert_clean "$STATE"
}

# ---- a plain store folder, through the harness -------------------------------------------
mkdir store
STATE=$T/store STORE_DIR=$T/store
CERTS=("$CERTS_HARNESS" "$T/store" certs)
battery harness

# ---- a device, through otaupdate (once it dispatches 'certs') -----------------------------
if "$OTAUPDATE" certs --help >/dev/null 2>&1; then
    need "$OTAPACK" keygen --out release
    new_device "$T/dev" release.pub
    STATE=$T/dev STORE_DIR=
    CERTS=("$OTAUPDATE" --root "$T/dev" certs)
    battery otaupdate
    check "otaupdate --help lists certs" grep -qE '^    certs ' <("$OTAUPDATE" --help)
else
    echo "note: otaupdate does not dispatch 'certs' yet; checked through the harness only"
fi
finish
