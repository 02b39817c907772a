# pki.sh — a throwaway PKI for the lint tests, made with the openssl command at test time
# (sourced by tests/lint/*.sh after tests/cli/lib.sh; writes into $T/pki, sets $P to it).
#
#   root.pem       self-signed CA, CA:TRUE, RSA 2048, SHA-256, 10 years      -> clean
#   leaf.pem       signed by root, CA:FALSE                                  -> not-ca (error)
#   weak.pem       self-signed CA, RSA 1024                                  -> weak-key
#   sha1-ica.pem   intermediate CA signed by root with SHA-1                 -> sha1
#   sha1-root.pem  self-signed CA signed with SHA-1                          -> clean (a root's
#                  signature on itself is never checked, so lint says nothing)
#   future.pem     CA signed by root, valid 2099-12-31 to 2100-12-31         -> not-yet-valid
#   expired.pem    CA signed by root, valid 2020-01-01 to 2021-01-01         -> expired (error)
#   expiring.pem   self-signed CA valid for 30 days from now                 -> expiring
#   dup.pem        root.pem twice                                            -> duplicate
#   ec.pem         self-signed CA, EC P-256                                  -> clean
#
# OpenSSL 3.0 has no `x509 -not_before` (3.4+), so the back- and forward-dated certificates
# come from `openssl ca -startdate/-enddate` with the minimal CA configuration below.
# OPENSSL_CONF points at our own configuration so a distribution policy (crypto-policies
# forbidding SHA-1 or RSA-1024) cannot change what is generated.
if ! command -v openssl >/dev/null; then
    echo "SKIP: openssl command not found" >&2
    FINISHED=1
    exit 77
fi

P=$T/pki
mkdir -p "$P/db"
: >"$P/db/index.txt"
echo 1000 >"$P/db/serial"
cat >"$P/openssl.cnf" <<'CNF'
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
certificate = $dir/root.pem
private_key = $dir/root.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
x509_extensions = v3_ca
[anything]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:update.example.com
CNF
export OPENSSL_CONF=$P/openssl.cnf

# ssl ARGS...: openssl in $P, quiet unless it fails
ssl() {
    local log
    if ! log=$(cd "$P" && openssl "$@" 2>&1); then
        printf 'FAIL: openssl %s\n%s\n' "$*" "$log" >&2
        fail "PKI set-up failed"
        finish
    fi
}

# selfsigned NAME CN DAYS MD KEY-OPTIONS...: a self-signed CA
selfsigned() {
    local name=$1 cn=$2 days=$3 md=$4
    shift 4
    ssl req -x509 "$@" -nodes -keyout "$name.key" -out "$name.pem" -days "$days" -"$md" \
        -subj "/CN=$cn" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# issued NAME CN EXTENSIONS [openssl ca options...]: signed by root through `openssl ca`
issued() {
    local name=$1 cn=$2 ext=$3
    shift 3
    ssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$cn"
    ssl ca -batch -config openssl.cnf -extensions "$ext" -in "$name.csr" -out "$name.pem" \
        -notext "$@"
}

selfsigned root "Lint Test Root CA" 3650 sha256 -newkey rsa:2048
issued leaf "update.example.com" v3_leaf -days 365
selfsigned weak "Lint Weak RSA-1024 CA" 3650 sha256 -newkey rsa:1024
issued sha1-ica "Lint SHA-1 Intermediate CA" v3_ca -days 365 -md sha1
selfsigned sha1-root "Lint SHA-1 Root CA" 3650 sha1 -newkey rsa:2048
issued future "Lint Future CA" v3_ca -startdate 20991231000000Z -enddate 21001231000000Z
issued expired "Lint Expired CA" v3_ca -startdate 20200101000000Z -enddate 20210101000000Z
selfsigned expiring "Lint Expiring CA" 30 sha256 -newkey rsa:2048
selfsigned ec "Lint EC P-256 CA" 3650 sha256 -newkey ec -pkeyopt ec_paramgen_curve:P-256
cat "$P/root.pem" "$P/root.pem" >"$P/dup.pem"
