#!/usr/bin/env bash
# make-seeds.sh — regenerates the seed corpora in tests/fuzz/corpus/<name>/ from real
# packages built by otapack, plus small hand-written documents.
#
#   tests/fuzz/make-seeds.sh [OTAPACK]     (default: build/bin/otapack; `make build` first)
#
# Deterministic: fixed test keys (their seeds are written below in plain hex, they sign
# nothing but seeds), fixed image bytes and SOURCE_DATE_EPOCH, so running it again gives the
# same files. It writes only files named seed-*; inputs that fuzzing added (named by their
# SHA-1) are left alone. Keep every seed small (a few KiB): the fuzzers run at most 64 KiB.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
otapack=${1:-$root/build/bin/otapack}
if [ ! -x "$otapack" ]; then
    echo "make-seeds.sh: $otapack not found; run 'make build' or pass the otapack binary" >&2
    exit 2
fi
otapack=$(cd "$(dirname "$otapack")" && pwd)/$(basename "$otapack")
corpus=$here/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export SOURCE_DATE_EPOCH=1700000000

# Test keys from fixed seeds (never used for anything else).
seed_a=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
seed_b=f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff
printf 'otapack-seckey-v1 ed25519 %s\n' "$seed_a" > a.key
printf 'otapack-seckey-v1 ed25519 %s\n' "$seed_b" > b.key
chmod 600 a.key b.key

# Small images: text (compresses well), pseudo-random bytes (does not), zeros, empty.
python3 - <<'PY'
import hashlib
open("app.bin", "wb").write(b"".join(b"line %03d of the app image\n" % i for i in range(12)))
rnd = b"".join(hashlib.sha256(b"seed %d" % i).digest() for i in range(12))
open("fw.bin", "wb").write(rnd[:384])
open("zeros.bin", "wb").write(bytes(600))
open("empty.bin", "wb").write(b"")
open("zeros64k.bin", "wb").write(bytes(65536))
PY

# Test certificates, deterministic too: Ed25519 keys from fixed seeds (Ed25519 signatures have
# no randomness), fixed serials and dates through `openssl ca`.
cat > ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = default
policy = p
unique_subject = no
[p]
commonName = supplied
organizationName = optional
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectAltName = DNS:updates.example.com
authorityKeyIdentifier = keyid
[req]
distinguished_name = dn
prompt = no
[dn]
CNF
: > index.txt
echo 01 > serial
edkey() { # edkey SEED-HEX OUT: an Ed25519 private key (PKCS#8 wrapping of the seed)
    printf '302e020100300506032b657004220420%s' "$1" | xxd -r -p |
        openssl pkey -inform DER -out "$2"
}
cert() { # cert NAME SUBJECT SEED EXTENSIONS DAYS-FROM-2023 [ISSUER]
    edkey "$3" "$1.key"
    openssl req -new -config ca.cnf -key "$1.key" -subj "$2" -out "$1.csr"
    local sign=(-selfsign -keyfile "$1.key")
    [ -n "${6:-}" ] && sign=(-cert "$6.pem" -keyfile "$6.key")
    openssl ca -batch -config ca.cnf "${sign[@]}" -in "$1.csr" -startdate 20230101000000Z \
        -enddate "$5" -extensions "$4" -notext -out "$1.pem" 2>/dev/null
}
cert root "/O=otapack fuzz/CN=Fuzz Root CA" "$(printf '%064d' 0 | tr 0 2)" root 20380101000000Z
cert root2 "/CN=Fuzz Root CA 2" "$(printf '%064d' 0 | tr 0 3)" root 20400101000000Z
cert leaf "/CN=updates.example.com" "$(printf '%064d' 0 | tr 0 4)" leaf 20280101000000Z root
root_fp=$(openssl x509 -in root.pem -noout -fingerprint -sha256 | cut -d= -f2)

# Certificate store operations (a "certstore" payload): every kind of operation.
python3 - <<'PY'
import json
pem = lambda f: open(f).read()
ops = [{"op": "install-root", "id": "radius-ca", "cert": pem("root.pem")},
       {"op": "install-client", "id": "wifi", "cert": pem("leaf.pem"), "key": pem("leaf.key")},
       {"op": "install-client", "id": "wifi-2", "cert": pem("leaf.pem"), "key": pem("leaf.key"),
        "password": "correct horse"},
       {"op": "delete", "id": "old"},
       {"op": "move", "from": "wifi-2", "to": "wifi.b_c-9"}]
open("ops.json", "w").write(json.dumps({"format": 1, "operations": ops}, indent=1) + "\n")
open("ops-empty.json", "w").write('{"format": 1, "operations": []}')
PY

build() { # build OUT [args...]
    local out=$1
    shift
    "$otapack" build -o "$out" --product acme-gw --version 1.2.3 --security-version 7 "$@" \
        >/dev/null
}
build p-unsigned-none.ota --image app=app.bin
build p-unsigned-zlib.ota --image app=app.bin --compress zlib
build p-signed-none.ota --image fw=fw.bin --key a.key
build p-signed-zlib.ota --image app=app.bin --image fw=fw.bin --compress zlib --key a.key
build p-two-keys-hw.ota --image app=app.bin --hardware rev-a --hardware rev.b:2 \
    --key a.key --key b.key --expires-in 30
build p-zeros-empty-zlib.ota --image zeros=zeros.bin --image empty=empty.bin --compress zlib
build p-none-empty.ota --image empty.img=empty.bin --key b.key
build p-resigned.ota --image fw=fw.bin --compress zlib --key a.key
"$otapack" sign --key b.key p-resigned.ota >/dev/null
build p-trust-add-chain.ota --image app=app.bin --trust-add root.pem --server-chain leaf.pem \
    --key a.key
build p-certstore.ota --image app=app.bin --certstore ops.json --key b.key --compress zlib
# zlib output of exactly 64 KiB: inflate ends with its output buffer full
build p-zlib-64k.ota --image zeros64k=zeros64k.bin --compress zlib
# more zero padding after the end-of-archive marker than the reader allows (64 KiB)
cp p-unsigned-none.ota p-tail-too-long.ota
head -c $((65 * 1024)) /dev/zero >> p-tail-too-long.ota
# one flipped bit in the first header's checksum field ("011736\0 " -> " 11736\0 "): the
# checksum does not cover its own field, so only its strict spelling catches this
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[148] ^= 0x10
open(sys.argv[2], "wb").write(d)' p-signed-none.ota p-checksum-spelling.ota
build p-trust-replace-zlib.ota --trust-replace root2.pem --trust-remove \
    "$root_fp" --compress zlib --allow-lockout

rm -f "$corpus"/*/seed-*
mkdir -p "$corpus"/{package,manifest,sigblock,keys,codec,x509,certops}
for p in p-*.ota; do
    base=${p%.ota}
    base=${base#p-}
    cp "$p" "$corpus/package/seed-$base.ota"
    tar -xOf "$p" manifest.json > "$corpus/manifest/seed-$base.json"
    tar -xOf "$p" signatures.json > "$corpus/sigblock/seed-$base.json"
done
cp ops.json "$corpus/certops/seed-all-ops.json"
cp ops-empty.json "$corpus/certops/seed-empty.json"
tar -xOf p-certstore.ota certstore.json > "$corpus/certops/seed-from-package.json"
# Identical documents are kept once.
for d in manifest sigblock certops; do
    (cd "$corpus/$d" && sha256sum seed-* | sort | awk 'seen[$1]++ { print $2 }' | xargs -r rm -f)
done

# Hand-written manifests: limits and cross-field rules.
sha=$(printf '%064d' 0 | tr 0 a)
cat > "$corpus/manifest/seed-edges.json" <<JSON
{"format":1,"product":"a.b_c+d:e-f","version":"~ !\"#\$%&'()*+,-./9:;<=>?@[\\\\]^_\`{|}",
 "hardware":["r1","R2.x+y:z"],"security_version":9223372036854775807,
 "created":"1970-01-01T00:00:00Z","expires":"9999-12-31T23:59:59Z",
 "payloads":[{"name":"a","type":"image","compression":"none","size":8589934591,
 "sha256":"$sha","uncompressed_size":8589934591,"uncompressed_sha256":"$sha"},
 {"name":"B-._9","type":"truststore","compression":"zlib","size":0,"sha256":"$sha",
 "uncompressed_size":1,"uncompressed_sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}
JSON
cat > "$corpus/manifest/seed-leap.json" <<JSON
{"format":1,"product":"p","version":"v","security_version":0,"created":"2024-02-29T23:59:59Z",
 "expires":"2024-03-01T00:00:00Z","payloads":[]}
JSON

# Hand-written signature blocks: another method, a long signature, the empty block.
cat > "$corpus/sigblock/seed-methods.json" <<JSON
{"format":1,"signatures":[
 {"keyid":"$(printf '%064d' 1)","method":"x509-cms","sig":"$(printf '%0256d' 0 | tr 0 f)"},
 {"keyid":"$sha","method":"ed25519","sig":"00"}]}
JSON

# Keys: the first byte picks the parser (even: public, odd: secret). The public key of each
# fixed seed is derived with openssl (PKCS#8 wrapping of the raw Ed25519 seed).
pubhex() {
    printf '302e020100300506032b657004220420%s' "$1" | xxd -r -p |
        openssl pkey -inform DER -pubout -outform DER | tail -c 32 | xxd -p -c 64
}
key() { # key NAME FIRST-BYTE-OCTAL LINE
    { printf "\\$2"; printf '%s' "$3"; } > "$corpus/keys/seed-$1"
}
for k in a b; do
    seed=seed_$k
    pub="otapack-pubkey-v1 ed25519 $(pubhex "${!seed}")"
    sec="otapack-seckey-v1 ed25519 ${!seed}"
    key "pub-$k-nl" 000 "$pub"$'\n'
    key "sec-$k-nl" 001 "$sec"$'\n'
done
key pub-a 002 "otapack-pubkey-v1 ed25519 $(pubhex "$seed_a")"
key sec-b 003 "otapack-seckey-v1 ed25519 $seed_b"
key sec-upper 005 "otapack-seckey-v1 ed25519 ${seed_a^^}"
key pub-upper 004 "otapack-pubkey-v1 ed25519 $(pubhex "$seed_b" | tr a-f A-F)"

# Codecs: byte 0 % 3 picks time (0), hex (1) or decimal (2); for hex an odd byte 0 means
# "decode strlen/2 bytes" and an even one "decode byte0/2 bytes"; for decimal the maximum is
# UINT64_MAX >> (byte0 / 4).
codec() { # codec NAME FIRST-BYTE-OCTAL TEXT
    { printf "\\$2"; printf '%s' "$3"; } > "$corpus/codec/seed-$1"
}
codec time-epoch 000 1970-01-01T00:00:00Z
codec time-leap 003 2024-02-29T12:34:56Z
codec time-max 006 9999-12-31T23:59:59Z
codec time-bad-leap 011 2023-02-29T00:00:00Z
codec hex-exact 001 00ff7f80a5c3e1
codec hex-32 100 "$(printf '%064d' 0 | tr 0 e)" # 0x40: 32 bytes
codec hex-upper 007 00FF
codec dec-max 002 18446744073709551615
codec dec-over 002 18446744073709551616
codec dec-small 365 255 # 0xf5: max UINT64_MAX >> 61 = 7
codec dec-zero 016 0

# Certificates: byte 0 even: a bundle (PEM, or one DER certificate); odd: a fingerprint.
x509() { # x509 NAME FIRST-BYTE-OCTAL FILE...
    local name=$1 first=$2
    shift 2
    { printf "\\$first"; cat "$@"; } > "$corpus/x509/seed-$name"
}
openssl x509 -in root.pem -outform DER -out root.der
openssl x509 -in root2.pem -trustout -addtrust serverAuth -out root2-trusted.pem
printf 'Fuzz roots\n==========\n' > text.txt
x509 root-pem 000 root.pem
x509 leaf-pem 002 leaf.pem
x509 bundle-text 004 text.txt root.pem text.txt leaf.pem root2.pem
x509 root-der 006 root.der
x509 root2-trusted 010 root2-trusted.pem
printf '%s' "$root_fp" > fp.txt
x509 fp-colons 001 fp.txt
printf '%s' "$root_fp" | tr -d : | tr A-F a-f > fp.txt
x509 fp-lower 003 fp.txt

echo "make-seeds.sh: wrote $(ls "$corpus"/*/seed-* | wc -l) seeds under $corpus" \
     "($(du -sk --apparent-size "$corpus" | cut -f1) KiB in all)"
