#!/bin/bash
# certstore_pkg.sh — certificate store operations travel in packages and switch with the
# images and the trust store: a RADIUS CA and the matching client certificate change
# together; a package whose operations fail changes nothing; a rollback brings the old store
# back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${OTAPACK:?}" "${OTAUPDATE:?}"
export SOURCE_DATE_EPOCH=$(date +%s)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
mkkey k
U() { "$OTAUPDATE" --root dev "$@"; }
ids() { U certs list --json | python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))'; }
expect() { # expect CODE SUBSTRING CMD...
    local code=$1 sub=$2; shift 2
    set +e; "$@" >/dev/null 2>"$W/err"; local rc=$?; set -e
    [ "$rc" = "$code" ] || die "expected exit $code, got $rc: $(cat "$W/err")"
    grep -q -- "$sub" "$W/err" || die "expected '$sub' in: $(cat "$W/err")"
}
mkca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
        -out "$1.pem" -days 365 -subj "/CN=$1" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
}
mkca radius-old && mkca radius-new
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr \
    -subj "/CN=device-42" 2>/dev/null
openssl x509 -req -in client.csr -CA radius-new.pem -CAkey radius-new.key -CAcreateserial \
    -out client.pem -days 30 2>/dev/null
head -c 2000 /dev/urandom > app1; head -c 2000 /dev/urandom > app2

mkdir dev
U init --product acme --trust-key k.pub >/dev/null
U certs install-root radius radius-old.pem >/dev/null
build v1.ota 1.0 1 k.key --image app=app1
U install v1.ota >/dev/null && U confirm >/dev/null
[ "$(ids)" = radius ] || die "the store did not follow the install: $(ids)"
echo "ok - the certificate store carries over to a new generation"

# release 2: rotate the RADIUS CA (install under a temporary id, move over the old one) and
# install the client certificate issued under it, with a new image, in one switch
python3 - > ops.json <<PY
import json
ops = [{"op": "install-root", "id": "radius-tmp", "cert": open("radius-new.pem").read()},
       {"op": "move", "from": "radius-tmp", "to": "radius"},
       {"op": "install-client", "id": "wifi", "cert": open("client.pem").read(),
        "key": open("client.key").read()}]
print(json.dumps({"format": 1, "operations": ops}))
PY
build v2.ota 2.0 2 k.key --image app=app2 --certstore ops.json
U install v2.ota >/dev/null
[ "$(ids)" = "radius wifi" ] || die "after v2: $(ids)"
U certs info radius | grep -q "radius-new" || die "radius was not rotated"
cmp app2 dev/var/lib/otapack/current/images/app
echo "ok - a RADIUS CA rotation and its client certificate switch with the image"

U rollback --reason test >/dev/null
[ "$(ids)" = radius ] || die "rollback did not restore the store: $(ids)"
U certs info radius | grep -q "radius-old" || die "rollback did not restore the old CA"
cmp app1 dev/var/lib/otapack/current/images/app
echo "ok - a rollback restores the old certificate store with the image"

# a package whose operations cannot apply (a move from a missing id) changes nothing
printf '{"format":1,"operations":[{"op":"move","from":"nope","to":"radius"}]}' > bad.json
build v3.ota 3.0 3 k.key --image app=app2 --certstore bad.json
before=$(snapshot dev)
expect 1 "nope" U install v3.ota
[ "$(snapshot dev)" = "$before" ] || die "a refused certstore package changed the device"
echo "ok - failing certificate store operations refuse the whole package"
echo "certstore packages: 4 checks passed"
