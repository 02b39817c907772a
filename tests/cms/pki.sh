#!/usr/bin/env bash
# pki.sh DIR — the throwaway PKI of the CMS tests, made with the openssl command at test time
# (no committed key blobs). Writes into DIR (created if missing):
#
#   root.pem/.key          self-signed CA "otapack CMS Test Root", EC P-256
#   inter.pem/.key         intermediate CA signed by root (CA:TRUE)
#   signer.pem/.key        code-signing leaf signed by inter: EKU codeSigning, EC P-256
#   signer-rsa.pem/.key    the same, RSA 2048
#   signer-ed.pem/.key     the same, Ed25519
#   signer-enc.key         signer.key encrypted (AES-256) with the passphrase in signer-enc.pass
#   noeku.pem/.key         leaf signed by inter without any extendedKeyUsage extension
#   server.pem/.key        leaf signed by inter with EKU serverAuth only
#   anyeku.pem/.key        leaf signed by inter with EKU anyExtendedKeyUsage only
#   expired.pem/.key       code-signing leaf signed by inter, valid 2020-01-01 .. 2021-01-01
#   future.pem/.key        code-signing leaf signed by inter, valid 2099-12-31 .. 2100-12-31
#   underleaf.pem/.key     code-signing leaf signed by signer (a CA:FALSE "intermediate")
#   other-root.pem/.key    an unrelated self-signed CA
#   rogue.pem/.key         code-signing leaf signed by other-root
#   chain.pem              inter.pem (what a signer ships next to its certificate)
#
# OpenSSL 3.0 has no `x509 -not_before` (3.4+): certificates come from `openssl ca` with the
# minimal configuration below (and -startdate/-enddate for the back- and forward-dated ones).
# OPENSSL_CONF points at it so a distribution policy cannot change what is generated.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: pki.sh DIR" >&2; exit 2; }
command -v openssl >/dev/null || { echo "pki.sh: openssl not found" >&2; exit 1; }
mkdir -p "$1/db"
cd "$1"
: >db/index.txt
echo 1000 >db/serial
cat >openssl.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
default_ca = testca
[testca]
dir = .
database = $dir/db/index.txt
serial = $dir/db/serial
new_certs_dir = $dir/db
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
organizationName = optional
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_codesign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_noeku]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
[v3_anyeku]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = anyExtendedKeyUsage
CNF
export OPENSSL_CONF=$PWD/openssl.cnf

ssl() {
    local log
    if ! log=$(openssl "$@" 2>&1); then
        printf 'pki.sh: openssl %s failed:\n%s\n' "$*" "$log" >&2
        exit 1
    fi
}

# selfsigned NAME CN: a self-signed EC P-256 CA, 10 years
selfsigned() {
    ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
        -out "$1.pem" -days 3650 -sha256 -subj "/O=otapack tests/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash"
}

# issue NAME CN ISSUER EXTENSIONS KEYALG [openssl ca options...]
issue() {
    local name=$1 cn=$2 issuer=$3 ext=$4 alg=$5
    shift 5
    case $alg in
    ec) ssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key" ;;
    rsa) ssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key" ;;
    ed25519) ssl genpkey -algorithm ED25519 -out "$name.key" ;;
    esac
    ssl req -new -key "$name.key" -out "$name.csr" -subj "/O=otapack tests/CN=$cn"
    ssl ca -batch -config openssl.cnf -cert "$issuer.pem" -keyfile "$issuer.key" \
        -extensions "$ext" -in "$name.csr" -out "$name.pem" -notext "$@"
    rm -f "$name.csr"
}

selfsigned root "otapack CMS Test Root"
issue inter "otapack CMS Test Intermediate" root v3_ca ec -days 3650
issue signer "otapack release signer" inter v3_codesign ec -days 825
issue signer-rsa "otapack release signer RSA" inter v3_codesign rsa -days 825
issue signer-ed "otapack release signer Ed25519" inter v3_codesign ed25519 -days 825
issue noeku "otapack signer without EKU" inter v3_noeku ec -days 825
issue server "update.example.com" inter v3_server ec -days 825
issue anyeku "otapack signer with anyExtendedKeyUsage" inter v3_anyeku ec -days 825
issue expired "otapack expired signer" inter v3_codesign ec \
    -startdate 20200101000000Z -enddate 20210101000000Z
issue future "otapack future signer" inter v3_codesign ec \
    -startdate 20991231000000Z -enddate 21001231000000Z
issue underleaf "otapack signer under a leaf" signer v3_codesign ec -days 825
selfsigned other-root "Unrelated Test Root"
issue rogue "otapack rogue signer" other-root v3_codesign ec -days 825
cp inter.pem chain.pem
printf 'correct horse battery staple\n' >signer-enc.pass
ssl pkey -in signer.key -aes256 -passout file:signer-enc.pass -out signer-enc.key
chmod 600 ./*.key
