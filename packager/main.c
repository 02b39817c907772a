/* main.c — the otapack command: argument parsing, help pages, output. Each verb is a thin
 * layer over one function of the packager library. The only place that prints and exits. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otapack/codec.h"
#include "otapack/fsio.h"
#include "otapack/certops.h"
#include "otapack/lint.h"
#include "otapack/keyring.h"
#include "otapack/osslsign.h"
#include "otapack/packager.h"
#include "otapack/x509.h"
#include "airgap_cli.h"
#include "cli.h"
#include "keyring_cli.h"
#include "sign_oss_cli.h"

#define PROG "otapack"

static const char HELP_MAIN[] =
    "NAME\n"
    "    otapack - build, sign, verify and inspect otapack OTA packages\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack VERB [OPTIONS] ...\n"
    "    otapack VERB --help\n"
    "\n"
    "VERBS\n"
    "    keygen     create an Ed25519 signing key pair\n"
    "    build      bundle images into a package, optionally signed\n"
    "    sign       add a signature to a package (the CI signing step)\n"
    "    verify     check a package's signatures and every payload\n"
    "    inspect    show what a package says it contains\n"
    "    lint       check the certificates in a package or in certificate files\n"
    "    digest     write the bytes an offline signer signs (air-gapped signing)\n"
    "    attach-signature  add a signature made on another machine\n"
    "    keyring    make, edit, sign and check a keyring (who may sign, and rotation)\n"
    "    pubkey     print the public half of a PEM private key or an HSM key\n"
    "\n"
    "EXIT STATUS\n"
    "    0 done; 1 rejected (bad signature, corrupt or hostile input, an input file that\n"
    "    does not exist); 2 usage error;\n"
    "    3 system failure (I/O, disk full, permissions). Failures print one line to stderr.\n";

static const char HELP_KEYGEN[] =
    "NAME\n"
    "    otapack keygen - create an Ed25519 signing key pair\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack keygen --out PREFIX [--encrypt [--passphrase-file FILE]]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes PREFIX.key, the secret key (mode 0600), and PREFIX.pub, the public key that\n"
    "    devices and verifiers trust. Refuses to overwrite an existing file. Prints the key id:\n"
    "    the SHA-256 of the key in The Update Framework's canonical key form.\n"
    "\n"
    "    With --encrypt, PREFIX.key holds the key encrypted with a passphrase: Argon2id\n"
    "    (3 passes over 256 MiB, about a second; the cost is recorded in the file) derives a\n"
    "    key that encrypts the seed with XSalsa20-Poly1305. A stolen file is then worth only\n"
    "    as much as a passphrase guess costs. 'otapack sign' and 'otapack build --key' need\n"
    "    the same passphrase to use it. The passphrase comes from --passphrase-file or from\n"
    "    OTAPACK_PASSPHRASE, never from the command line, where other users and shell\n"
    "    histories would see it; with neither, keygen --encrypt is a usage error.\n"
    "\n"
    "OPTIONS\n"
    "    -o, --out PREFIX          path prefix of the two files\n"
    "    --encrypt                 encrypt PREFIX.key with a passphrase\n"
    "    --passphrase-file FILE    the passphrase is the first line of FILE (without its\n"
    "                              newline; a regular file of at most 1024 bytes); takes\n"
    "                              precedence over OTAPACK_PASSPHRASE\n"
    "\n"
    "ENVIRONMENT\n"
    "    OTAPACK_PASSPHRASE        the passphrase for --encrypt when --passphrase-file is not\n"
    "                              given (all of the value, at most 1024 bytes; empty counts\n"
    "                              as unset)\n"
    "\n"
    "FILES\n"
    "    PREFIX.pub   one line: otapack-pubkey-v1 ed25519 <64 hex digits>\n"
    "    PREFIX.key   one line: otapack-seckey-v1 ed25519 <64 hex digits>; keep it secret;\n"
    "                 encrypted: otapack-seckey-v1 ed25519-encrypted argon2id13 <opslimit>\n"
    "                 <memlimit> <salt> <nonce> <ciphertext> (formats/FORMAT.md, section 6)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 written; 1 a key file exists already, or the passphrase file is missing, not a\n"
    "    regular file or too large; 2 usage error (--encrypt without a passphrase, an empty\n"
    "    passphrase, --passphrase on the command line); 3 system failure.\n"
    "\n"
    "EXAMPLE\n"
    "    otapack keygen --out release\n"
    "    otapack keygen --out release --encrypt --passphrase-file /run/secrets/release-pass\n";

static const char HELP_BUILD[] =
    "NAME\n"
    "    otapack build - bundle images into a package\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack build -o OUT --product P --version V --security-version N\n"
    "                  [--image NAME=FILE]... [--hardware REV]... [--expires-in DAYS]\n"
    "                  [--compress zlib|none] [--key PREFIX.key]... [--passphrase-file FILE]\n"
    "                  [--trust-add CERTS]... [--trust-remove SHA256]... [--trust-replace CERTS]\n"
    "                  [--server-chain PEM] [--allow-lockout] [--certstore OPS.json]\n"
    "                  [--keyring ROOT.json]...\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes a package: a POSIX tar stream holding manifest.json, signatures.json and the\n"
    "    payloads in order (see formats/FORMAT.md). Without --key the package is unsigned;\n"
    "    sign it later with 'otapack sign'. The output is written under a temporary name and\n"
    "    renamed into place, so OUT is either complete or untouched.\n"
    "\n"
    "    Certificate changes travel as payloads and switch on the device in the same atomic\n"
    "    step as the images: the Trusted Root Store (the CA roots the device validates its\n"
    "    servers with) and the device certificate store. The device refuses a package whose\n"
    "    added roots are not CAs, are expired or not yet valid, that would empty its trust\n"
    "    store, or under which it could no longer validate its update server's chain.\n"
    "    build lints the certificate inputs first (see 'otapack lint'): warnings are\n"
    "    printed, and a root a device would refuse (expired, not a CA) stops the build\n"
    "    before anything is written.\n"
    "\n"
    "    Builds are reproducible: with SOURCE_DATE_EPOCH set, the same inputs give the same\n"
    "    bytes. The creation time is SOURCE_DATE_EPOCH, or the current time.\n"
    "\n"
    "OPTIONS\n"
    "    -o, --out OUT              package to write\n"
    "    --product P                product (compatibility string) the package is for\n"
    "    --version V                human-readable version, e.g. 1.4.2\n"
    "    --security-version N       anti-rollback counter; a device installs only a package\n"
    "                               whose N is greater than what it runs (0..2^63-1)\n"
    "    --image NAME=FILE          add FILE as image payload NAME (1 to 64 characters of\n"
    "                               A-Z a-z 0-9 . _ -, not starting with '.'); repeatable\n"
    "    --hardware REV             restrict to devices of hardware revision REV; repeatable\n"
    "    --expires-in DAYS          package expires DAYS after creation (default 365)\n"
    "    --compress zlib|none       compress each payload (default none: images are usually\n"
    "                               compressed file systems already)\n"
    "    --key PREFIX.key           sign with this secret key; repeatable\n"
    "    --passphrase-file FILE     unlock encrypted --key files with the first line of FILE\n"
    "                               (without its newline; at most 1024 bytes); takes\n"
    "                               precedence over OTAPACK_PASSPHRASE\n"
    "    --trust-add CERTS          add the CA certificates in CERTS (PEM, one or many, or DER)\n"
    "                               to the device's trust store; repeatable. Adding one that is\n"
    "                               already there does nothing, so releases can repeat it\n"
    "    --trust-remove SHA256      remove the root with this SHA-256 fingerprint (64 hex\n"
    "                               digits, colons allowed); repeatable. Removing one that is\n"
    "                               not there is a warning on the device, not a failure\n"
    "    --trust-replace CERTS      the whole trust store, declaratively: a device that missed\n"
    "                               any number of releases ends with exactly this set\n"
    "                               (then --trust-add and --trust-remove apply on top)\n"
    "    --keyring ROOT.json        carry this keyring for rotation; repeatable, for a chain\n"
    "                               (v2, v3, ...: devices further behind follow it step by\n"
    "                               step). The chain must follow the rotation rule, the\n"
    "                               newest must be valid at the creation time, and every\n"
    "                               --key must be one of its release keys; devices then\n"
    "                               require the package to be signed under it (see\n"
    "                               'otapack keyring --help')\n"
    "    --server-chain PEM         the chain (leaf first) the update server presents from this\n"
    "                               release on; the device checks its new trust store\n"
    "                               validates it, then records it for later releases\n"
    "    --allow-lockout            let the device install even if its new trust store cannot\n"
    "                               validate the server chain (a deliberate server move)\n"
    "    --certstore OPS.json       certificate store operations (install, delete, move)\n"
    "                               applied with the same switch; see formats/FORMAT.md\n"
    "\n"
    "ENVIRONMENT\n"
    "    SOURCE_DATE_EPOCH          creation time in seconds since 1970 (reproducible builds)\n"
    "    OTAPACK_PASSPHRASE         passphrase of encrypted --key files when --passphrase-file\n"
    "                               is not given (empty counts as unset). An encrypted key\n"
    "                               without a passphrase exits 2, a wrong passphrase exits 1;\n"
    "                               the passphrase is never taken from the command line\n"
    "\n"
    "EXAMPLE\n"
    "    otapack build -o app-1.2.ota --product acme-gw --version 1.2 --security-version 12 \\\n"
    "        --image rootfs=rootfs.squashfs --image app=app.bin --key release.key\n";

static const char HELP_SIGN[] =
    "NAME\n"
    "    otapack sign - add a signature to a package\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack sign --key PREFIX.key [--key PREFIX.key]... [--passphrase-file FILE]\n"
    "                 PKG [-o OUT]\n"
    "    otapack sign --cert CERT.pem --key KEY.pem [--chain CHAIN.pem]\n"
    "                 [--passphrase-file FILE] PKG [-o OUT]\n"
    "    otapack sign --pkcs11 URI [--cert CERT.pem [--chain CHAIN.pem]] [--pin-file FILE]\n"
    "                 PKG [-o OUT]\n"
    "\n"
    "DESCRIPTION\n"
    "    Signs the manifest of PKG and writes the package with the signature added; the\n"
    "    manifest bytes and payloads are copied unchanged. Every payload is checked against\n"
    "    the manifest while it is copied: a package whose payloads do not match is refused\n"
    "    and nothing is written. Without -o, PKG is replaced atomically. A signature by a\n"
    "    key that signed already replaces the old one. Every signature covers the string\n"
    "    'otapack/manifest/v1', one NUL byte, then the manifest bytes exactly as stored\n"
    "    ('otapack digest' writes them); formats/FORMAT.md, section 4, is the spec.\n"
    "\n"
    "    Keys, and the signatures they make:\n"
    "\n"
    "    --key PREFIX.key, an otapack key file (see 'otapack keygen'): an 'ed25519'\n"
    "    signature under the key's id. Signing again with the same key gives the same bytes.\n"
    "\n"
    "    --key KEY.pem, a PEM private key file (mode 0600), without --cert: ECDSA P-256\n"
    "    gives an 'ecdsa-sha2-nistp256' signature (DER, over SHA-256), Ed25519 an 'ed25519'\n"
    "    one; each under the key's TUF key id (see 'otapack pubkey'). RSA signs only CMS.\n"
    "\n"
    "    --pkcs11 URI, a key in an HSM or other PKCS#11 token (ECDSA P-256; RSA with\n"
    "    --cert), named by a PKCS#11 URI such as\n"
    "    'pkcs11:token=ci;object=release;type=private' and reached through libp11's OpenSSL\n"
    "    engine 'pkcs11' and the module in OTAPACK_PKCS11_MODULE (default\n"
    "    " OTA_PKCS11_DEFAULT_MODULE ", SoftHSM 2). The key never leaves the token.\n"
    "    The user PIN comes from --pin-file, else OTAPACK_PKCS11_PIN, else the URI's\n"
    "    pin-value (visible to other users in the process list: avoid it). Nothing prompts.\n"
    "    (libp11 0.4.12, Debian 12's, cannot use Ed25519 token keys.)\n"
    "\n"
    "    --cert CERT.pem with one key (--key KEY.pem or --pkcs11 URI): a 'cms' signature, a\n"
    "    detached CMS SignedData (DER, SHA-256) carrying CERT and the certificates of\n"
    "    --chain, under the SHA-256 of CERT's SubjectPublicKeyInfo. Devices accept it when\n"
    "    CERT chains to a CA they trust and carries the codeSigning extended key usage; they\n"
    "    ignore dates (they may have no clock). So sign refuses, before anything is written,\n"
    "    a CERT that is not the key's, lacks codeSigning, or is expired or not yet valid now:\n"
    "    CI fails instead of shipping what devices refuse.\n"
    "\n"
    "    An encrypted key file (otapack's, see 'otapack keygen --encrypt', or an encrypted\n"
    "    PEM) is unlocked with the passphrase from --passphrase-file or OTAPACK_PASSPHRASE,\n"
    "    never from the command line. One passphrase serves every encrypted --key; plain\n"
    "    keys ignore it. Without one, an encrypted key exits 2; a wrong one exits 1; either\n"
    "    way nothing is written.\n"
    "\n"
    "OPTIONS\n"
    "    -k, --key FILE             otapack secret key (PREFIX.key) or PEM private key\n"
    "                               (KEY.pem); repeatable without --cert\n"
    "    --pkcs11 URI               a key in a PKCS#11 token\n"
    "    --cert CERT.pem            make a CMS signature with this signer certificate\n"
    "    --chain CHAIN.pem          intermediate CA certificates to carry in the CMS\n"
    "    -o, --out OUT              write here instead of replacing PKG\n"
    "    --passphrase-file FILE     unlock encrypted keys with the first line of FILE\n"
    "                               (without its newline; at most 1024 bytes); takes\n"
    "                               precedence over OTAPACK_PASSPHRASE\n"
    "    --pin-file FILE            the token's user PIN is the first line of FILE; takes\n"
    "                               precedence over OTAPACK_PKCS11_PIN\n"
    "\n"
    "ENVIRONMENT\n"
    "    OTAPACK_PASSPHRASE         passphrase of encrypted keys when --passphrase-file is\n"
    "                               not given (empty counts as unset); in CI, set it from\n"
    "                               the secret store\n"
    "    OTAPACK_PKCS11_PIN         the token's user PIN when --pin-file is not given\n"
    "    OTAPACK_PKCS11_MODULE      the PKCS#11 module (a .so file)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 signed; 1 a key or certificate cannot be used (wrong passphrase or PIN, no such\n"
    "    token object, a certificate devices would refuse) or PKG is malformed; 2 usage\n"
    "    error; 3 system failure.\n"
    "\n"
    "EXAMPLE\n"
    "    otapack build -o app.ota --product acme-gw --version 1.2 --security-version 12 \\\n"
    "        --image app=app.bin\n"
    "    otapack sign --key /run/secrets/release.key app.ota\n"
    "    otapack sign --key release.key --passphrase-file /run/secrets/release-pass app.ota\n"
    "    otapack sign --cert release.pem --key release-key.pem --chain issuing-ca.pem app.ota\n"
    "    OTAPACK_PKCS11_PIN=$(cat /run/secrets/hsm-pin) \\\n"
    "        otapack sign --pkcs11 'pkcs11:token=ci;object=release;type=private' app.ota\n";

static const char HELP_VERIFY[] =
    "NAME\n"
    "    otapack verify - check a package's signatures and contents\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack verify --pub PREFIX.pub [--pub PREFIX.pub]... [--threshold N] PKG|-\n"
    "    otapack verify --keyring ROOT.json PKG|-\n"
    "\n"
    "DESCRIPTION\n"
    "    Exits 0 only if at least N distinct keys among the --pub keys signed the manifest,\n"
    "    no signature by one of them is invalid, every payload matches its declared sizes and\n"
    "    SHA-256 digests, and the container is well formed to its last byte. Signatures by\n"
    "    other keys are ignored. Device policy (product, expiry, security version) is the\n"
    "    device's to check. '-' reads the package from standard input.\n"
    "    Like a device provisioned with 'otaupdate init --trust-key' (a keyring of version 0\n"
    "    whose root and release keys are the --pub keys), verify follows the keyrings PKG\n"
    "    carries: if a threshold of the --pub keys signed keyring version 1, the manifest is\n"
    "    checked under that keyring's release keys instead, and the output names the\n"
    "    keyring version. With --keyring, the same from a keyring.\n"
    "\n"
    "OPTIONS\n"
    "    -p, --pub PREFIX.pub   trusted public key; repeatable\n"
    "    --threshold N          distinct valid signatures required (default 1)\n"
    "    --keyring ROOT.json    verify as a device holding this keyring does: follow the\n"
    "                           keyrings PKG carries (rotation), then require the newest\n"
    "                           one's release threshold of its release keys (Ed25519, ECDSA,\n"
    "                           or CMS signers chaining to its CA keys), and that it has not\n"
    "                           expired\n"
    "    --quiet                print nothing on success\n";

static const char HELP_INSPECT[] =
    "NAME\n"
    "    otapack inspect - show what a package contains\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack inspect [--json] PKG|-\n"
    "\n"
    "DESCRIPTION\n"
    "    Prints the manifest (product, versions, times, payloads with sizes and digests),\n"
    "    every certificate in trust payloads (subject, SHA-256 fingerprint, validity) and\n"
    "    the key ids of the signatures, and the keyrings carried for rotation (version,\n"
    "    expiry). Verifies nothing: use 'otapack verify' for that.\n"
    "    Reads the manifest, the signature block and the certificate payloads (which come\n"
    "    before the images), not the images.\n"
    "\n"
    "OPTIONS\n"
    "    --json   machine-readable output: the manifest fields, 'manifest_sha256' and\n"
    "             'signatures' (each with 'keyid' and 'method'); trust payloads carry\n"
    "             'certificates' (each with 'sha256', 'subject', 'issuer', 'not_before',\n"
    "             'not_after'); 'keyrings' (each with 'version' and 'expires')\n";

static int usage_arg(const char *verb, const char *opt, const char *why)
{
    char m[256];
    snprintf(m, sizeof m, "%s: %s", opt, why);
    return ota_cli_usage(verb, m);
}

/* getopt_long with our conventions: options may follow operands; '?' is a usage error. */
#define OPT_HELP 'h'

/* Passphrases of encrypted secret keys (keygen --encrypt; build and sign --key) come from
 * --passphrase-file or OTAPACK_PASSPHRASE, never from the command line, where ps, /proc and
 * shell histories show them. "--passphrase" is in the option tables only to be refused with a
 * clear message: otherwise getopt_long would take it as an abbreviation of --passphrase-file,
 * and then a passphrase typed after it as a file name. */
#define OPT_PASSFILE 0x200
#define OPT_PASSARGV 0x201
#define PASSPHRASE_NOT_ON_ARGV                                                                     \
    "--passphrase: a passphrase is never taken from the command line; use --passphrase-file "      \
    "FILE or OTAPACK_PASSPHRASE"

static int cmd_keygen(int argc, char **argv)
{
    enum { O_ENCRYPT = 256 };
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"encrypt", no_argument, 0, O_ENCRYPT},
                                         {"passphrase-file", required_argument, 0, OPT_PASSFILE},
                                         {"passphrase", no_argument, 0, OPT_PASSARGV},
                                         {"help", no_argument, 0, OPT_HELP},
                                         {0, 0, 0, 0}};
    const char *prefix = NULL, *passfile = NULL;
    int c, encrypt = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            prefix = optarg;
            break;
        case O_ENCRYPT:
            encrypt = 1;
            break;
        case OPT_PASSFILE:
            passfile = optarg;
            break;
        case OPT_PASSARGV:
            return ota_cli_usage("keygen", PASSPHRASE_NOT_ON_ARGV);
        case OPT_HELP:
            return fputs(HELP_KEYGEN, stdout), 0;
        default:
            return ota_cli_usage("keygen", "unknown option");
        }
    }
    if (!prefix)
        return ota_cli_usage("keygen", "--out PREFIX is required");
    if (optind != argc)
        return ota_cli_usage("keygen", "unexpected argument");
    if (passfile && !encrypt)
        return ota_cli_usage("keygen", "--passphrase-file is for --encrypt");
    struct ota_err err;
    ota_err_clear(&err);
    char *pass = NULL;
    size_t pass_len = 0;
    if (encrypt) {
        if (ota_cli_secret(&pass, &pass_len, passfile, "OTAPACK_PASSPHRASE", &err))
            return ota_cli_fail(PROG, &err);
        if (!pass)
            return ota_cli_usage("keygen",
                                 "--encrypt needs a passphrase (--passphrase-file FILE or "
                                 "OTAPACK_PASSPHRASE)");
    }
    struct ota_seckey *sk = NULL;
    enum ota_status rc = ota_seckey_generate(&sk, &err);
    if (!rc)
        rc = pass ? ota_seckey_write_files_encrypted(sk, prefix, pass, pass_len, &err)
                  : ota_seckey_write_files(sk, prefix, &err);
    ota_seckey_passphrase_free(pass);
    if (!rc)
        printf("key id %s\nwrote %s.key (secret%s, mode 0600) and %s.pub\n",
               ota_seckey_public(sk)->keyid, prefix,
               encrypt ? ", encrypted with the passphrase" : "", prefix);
    ota_seckey_free(sk);
    return rc ? ota_cli_fail(PROG, &err) : 0;
}

static void free_keys(struct ota_seckey **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ota_seckey_free(keys[i]);
}

/* --key PATH only records PATH: the keys are loaded once every option is parsed, so that
 * --passphrase-file may come before or after them. */
static enum ota_status add_key_path(const char **paths, size_t *n, const char *path,
                                    struct ota_err *err)
{
    if (*n >= OTA_MAX_SIGNATURES)
        return ota_err_set(err, OTA_E_USAGE, "--key: at most %u keys", OTA_MAX_SIGNATURES);
    paths[(*n)++] = path;
    return OTA_OK;
}

static int source_date(int64_t *out, struct ota_err *err)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    int64_t now = (int64_t)time(NULL);
    if (!s) {
        *out = now;
        return OTA_OK;
    }
    uint64_t v;
    if (ota_parse_u64(&v, s, 253402300799ull) != 0) /* up to 9999-12-31 */
        return ota_err_set(err, OTA_E_USAGE, "SOURCE_DATE_EPOCH: not a number of seconds");
    /* devices take a confirmed package's creation time as a floor for their clock: one
     * from the future makes them refuse later packages created before it as expired */
    if ((int64_t)v > now + 86400)
        fprintf(stderr,
                PROG " build: warning: SOURCE_DATE_EPOCH is %lld days in the future; "
                     "devices that confirm this package will take that as the time\n",
                (long long)(((int64_t)v - now) / 86400));
    *out = (int64_t)v;
    return OTA_OK;
}

/* Lints the certificate inputs before anything is written: warnings are printed, errors
 * (a root the device would refuse: expired, not a CA) stop the build. */
static int lint_inputs(const struct ota_build_opts *o)
{
    struct ota_lint_report rep;
    struct ota_err err;
    ota_err_clear(&err);
    /* devices judge certificates at their trusted time, which this package's creation time
     * raises: lint at the later of now and that */
    int64_t now = (int64_t)time(NULL);
    if (o->created > now)
        now = o->created;
    int ret = 0;
    for (size_t i = 0;
         !ret && i < o->n_trust_add + (o->trust_replace != NULL) + (o->server_chain != NULL); i++) {
        const char *path;
        enum ota_lint_role role = OTA_LINT_ROLE_TRUST;
        if (i < o->n_trust_add) {
            path = o->trust_add[i];
        } else if (i == o->n_trust_add && o->trust_replace) {
            path = o->trust_replace;
        } else {
            path = o->server_chain;
            role = OTA_LINT_ROLE_CHAIN;
        }
        struct ota_certlist l;
        if (ota_certs_load(&l, path, &err))
            return ota_cli_fail(PROG, &err);
        ota_lint_report_init(&rep);
        if (ota_lint_certs_role(&rep, &l, role, NULL, now, OTA_LINT_DEFAULT_MIN_DAYS, &err)) {
            ret = ota_cli_fail(PROG, &err);
        } else {
            /* each error finding is the one line that explains the failure */
            ota_cli_lint_print(stderr, "otapack build", path, &rep);
            if (ota_lint_failed(&rep, OTA_LINT_DEFAULT))
                ret = 1;
        }
        /* adding and removing the same root in one package says two things at once */
        for (size_t j = 0; !ret && role == OTA_LINT_ROLE_TRUST && j < l.n; j++)
            for (size_t k = 0; !ret && k < o->n_trust_remove; k++) {
                uint8_t fp[OTA_SHA256_LEN];
                if (ota_fingerprint_parse(fp, o->trust_remove[k]) == 0 &&
                    !memcmp(fp, l.v[j].sha256, OTA_SHA256_LEN)) {
                    fprintf(stderr,
                            PROG " build: --trust-remove %.16s...: the same root is also "
                                 "added by %s\n",
                            l.v[j].fingerprint, path);
                    ret = 2;
                }
            }
        ota_lint_report_free(&rep);
        ota_certs_free(&l);
    }
    return ret;
}

/* Validates certificate store operations before anything is written, and warns that a
 * client key in a package is readable by whoever holds the package. */
static int check_certops(const char *path)
{
    if (!path)
        return 0;
    struct ota_err err;
    ota_err_clear(&err);
    char *buf;
    size_t len;
    if (ota_fs_read_small(&buf, &len, AT_FDCWD, path, OTA_CERTOPS_MAX_SIZE, &err))
        return ota_cli_fail(PROG, &err);
    struct ota_certops ops;
    enum ota_status rc = ota_certops_parse_mem(&ops, buf, len, &err);
    free(buf);
    if (rc) {
        ota_err_prefix(&err, "--certstore %s", path);
        return ota_cli_fail(PROG, &err);
    }
    for (size_t i = 0; i < ops.n; i++)
        if (ops.v[i].op == OTA_CERTOP_INSTALL_CLIENT)
            fprintf(stderr,
                    PROG " build: warning: --certstore %s: '%s' puts a private key in the "
                         "package; packages are signed, not encrypted: ship it only to the one "
                         "device it belongs to, over a confidential channel\n",
                    path, ops.v[i].id);
    ota_certops_free(&ops);
    return 0;
}

static int cmd_build(int argc, char **argv)
{
    enum {
        O_PRODUCT = 256,
        O_VERSION,
        O_SV,
        O_IMAGE,
        O_HW,
        O_EXP,
        O_COMP,
        O_KEY,
        O_TADD,
        O_TREM,
        O_TREP,
        O_CHAIN,
        O_LOCKOUT,
        O_CERTSTORE,
        O_KEYRING
    };
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"product", required_argument, 0, O_PRODUCT},
                                         {"version", required_argument, 0, O_VERSION},
                                         {"security-version", required_argument, 0, O_SV},
                                         {"image", required_argument, 0, O_IMAGE},
                                         {"hardware", required_argument, 0, O_HW},
                                         {"expires-in", required_argument, 0, O_EXP},
                                         {"compress", required_argument, 0, O_COMP},
                                         {"key", required_argument, 0, O_KEY},
                                         {"trust-add", required_argument, 0, O_TADD},
                                         {"trust-remove", required_argument, 0, O_TREM},
                                         {"trust-replace", required_argument, 0, O_TREP},
                                         {"server-chain", required_argument, 0, O_CHAIN},
                                         {"allow-lockout", no_argument, 0, O_LOCKOUT},
                                         {"certstore", required_argument, 0, O_CERTSTORE},
                                         {"keyring", required_argument, 0, O_KEYRING},
                                         {"passphrase-file", required_argument, 0, OPT_PASSFILE},
                                         {"passphrase", no_argument, 0, OPT_PASSARGV},
                                         {"help", no_argument, 0, OPT_HELP},
                                         {0, 0, 0, 0}};
    static struct ota_build_image images[OTA_MAX_PAYLOADS];
    static const char *tadd[OTA_MAX_PAYLOADS], *trem[OTA_MAX_CERTS];
    static const char *hardware[OTA_MAX_HARDWARE];
    static const char *keyrings[OTA_MAX_KEYRING_CHAIN];
    struct ota_seckey *keys[OTA_MAX_SIGNATURES];
    const char *keypaths[OTA_MAX_SIGNATURES], *passfile = NULL;
    size_t n_keypaths = 0;
    struct ota_build_opts o;
    memset(&o, 0, sizeof o);
    o.expires_in_days = 365;
    o.images = images;
    o.hardware = hardware;
    o.trust_add = tadd;
    o.trust_remove = trem;
    o.keyrings = keyrings;
    const char *out = NULL;
    int have_sv = 0, c, ret = 0;
    size_t n_keys = 0;
    struct ota_err err;
    ota_err_clear(&err);
    uint64_t v;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case O_PRODUCT:
            o.product = optarg;
            break;
        case O_VERSION:
            o.version = optarg;
            break;
        case O_SV:
            if (ota_parse_u64(&v, optarg, OTA_MAX_SECURITY_VERSION) != 0) {
                ret = usage_arg("build", "--security-version", "not a number in 0..2^63-1");
                goto done;
            }
            o.security_version = v;
            have_sv = 1;
            break;
        case O_IMAGE: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                ret = usage_arg("build", "--image", "expected NAME=FILE");
                goto done;
            }
            if (o.n_images >= OTA_MAX_PAYLOADS) {
                ret = usage_arg("build", "--image", "too many images");
                goto done;
            }
            *eq = '\0';
            images[o.n_images].name = optarg;
            images[o.n_images++].path = eq + 1;
            break;
        }
        case O_HW:
            if (o.n_hardware >= OTA_MAX_HARDWARE) {
                ret = usage_arg("build", "--hardware", "too many revisions");
                goto done;
            }
            if (!ota_ident_valid(optarg)) {
                ret = usage_arg("build", "--hardware",
                                "1 to 128 characters of A-Z a-z 0-9 . _ + : -");
                goto done;
            }
            hardware[o.n_hardware++] = optarg;
            break;
        case O_EXP:
            if (ota_parse_u64(&v, optarg, OTA_MAX_EXPIRY_DAYS) != 0 || v == 0) {
                ret = usage_arg("build", "--expires-in", "a number of days from 1 to 36525");
                goto done;
            }
            o.expires_in_days = (uint32_t)v;
            break;
        case O_COMP:
            if (!strcmp(optarg, "zlib"))
                o.compression = OTA_COMP_ZLIB;
            else if (!strcmp(optarg, "none"))
                o.compression = OTA_COMP_NONE;
            else {
                ret = usage_arg("build", "--compress", "expected zlib or none");
                goto done;
            }
            break;
        case O_KEY:
            if (add_key_path(keypaths, &n_keypaths, optarg, &err)) {
                ret = ota_cli_fail(PROG, &err);
                goto done;
            }
            break;
        case OPT_PASSFILE:
            passfile = optarg;
            break;
        case OPT_PASSARGV:
            ret = ota_cli_usage("build", PASSPHRASE_NOT_ON_ARGV);
            goto done;
        case O_TADD:
            if (o.n_trust_add >= OTA_MAX_PAYLOADS) {
                ret = usage_arg("build", "--trust-add", "too many files");
                goto done;
            }
            tadd[o.n_trust_add++] = optarg;
            break;
        case O_TREM:
            if (o.n_trust_remove >= OTA_MAX_CERTS) {
                ret = usage_arg("build", "--trust-remove", "too many fingerprints");
                goto done;
            }
            trem[o.n_trust_remove++] = optarg;
            break;
        case O_TREP:
            o.trust_replace = optarg;
            break;
        case O_CHAIN:
            o.server_chain = optarg;
            break;
        case O_LOCKOUT:
            o.allow_lockout = 1;
            break;
        case O_CERTSTORE:
            o.certstore_ops = optarg;
            break;
        case O_KEYRING:
            if (o.n_keyrings >= OTA_MAX_KEYRING_CHAIN) {
                ret = usage_arg("build", "--keyring", "at most 16 keyrings");
                goto done;
            }
            keyrings[o.n_keyrings++] = optarg;
            break;
        case OPT_HELP:
            fputs(HELP_BUILD, stdout);
            goto done;
        default:
            ret = ota_cli_usage("build", "unknown option");
            goto done;
        }
    }
    if (optind != argc) {
        ret =
            ota_cli_usage("build", "unexpected argument (images are given with --image NAME=FILE)");
        goto done;
    }
    if (!out || !o.product || !o.version || !have_sv) {
        ret =
            ota_cli_usage("build", "-o, --product, --version and --security-version are required");
        goto done;
    }
    if (ota_cli_load_seckeys(keys, &n_keys, keypaths, n_keypaths, passfile, &err)) {
        ret = ota_cli_fail(PROG, &err);
        goto done;
    }
    if (source_date(&o.created, &err)) {
        ret = ota_cli_fail(PROG, &err);
        goto done;
    }
    if ((ret = lint_inputs(&o)) != 0 || (ret = check_certops(o.certstore_ops)) != 0)
        goto done;
    o.keys = (const struct ota_seckey *const *)keys;
    o.n_keys = n_keys;
    if (ota_pack_build(out, &o, &err)) {
        ret = ota_cli_fail(PROG, &err);
        goto done;
    }
    printf("wrote %s: %zu image%s%s, %s\n", out, o.n_images, o.n_images == 1 ? "" : "s",
           o.n_trust_add || o.n_trust_remove || o.trust_replace || o.server_chain
               ? " and trust store changes"
               : "",
           n_keys ? "signed" : "unsigned (sign it with 'otapack sign')");
done:
    free_keys(keys, n_keys);
    return ret;
}

static int cmd_sign(int argc, char **argv)
{
    enum { O_CERT = 0x300, O_CHAIN, O_PKCS11, O_PINFILE };
    static const struct option opts[] = {{"key", required_argument, 0, 'k'},
                                         {"out", required_argument, 0, 'o'},
                                         {"passphrase-file", required_argument, 0, OPT_PASSFILE},
                                         {"passphrase", no_argument, 0, OPT_PASSARGV},
                                         {"cert", required_argument, 0, O_CERT},
                                         {"chain", required_argument, 0, O_CHAIN},
                                         {"pkcs11", required_argument, 0, O_PKCS11},
                                         {"pin-file", required_argument, 0, O_PINFILE},
                                         {"help", no_argument, 0, OPT_HELP},
                                         {0, 0, 0, 0}};
    struct ota_seckey *keys[OTA_MAX_SIGNATURES];
    const char *keypaths[OTA_MAX_SIGNATURES], *passfile = NULL;
    const char *cert = NULL, *chain = NULL, *pkcs11 = NULL, *pinfile = NULL;
    size_t n_keys = 0, n_keypaths = 0;
    const char *out = NULL;
    int c, ret = 0;
    struct ota_err err;
    ota_err_clear(&err);
    while ((c = getopt_long(argc, argv, "k:o:h", opts, NULL)) != -1) {
        if (c == 'k') {
            if (add_key_path(keypaths, &n_keypaths, optarg, &err)) {
                ret = ota_cli_fail(PROG, &err);
                goto done;
            }
        } else if (c == OPT_PASSFILE) {
            passfile = optarg;
        } else if (c == OPT_PASSARGV) {
            ret = ota_cli_usage("sign", PASSPHRASE_NOT_ON_ARGV);
            goto done;
        } else if (c == 'o') {
            out = optarg;
        } else if (c == O_CERT) {
            cert = optarg;
        } else if (c == O_CHAIN) {
            chain = optarg;
        } else if (c == O_PKCS11) {
            pkcs11 = optarg;
        } else if (c == O_PINFILE) {
            pinfile = optarg;
        } else if (c == OPT_HELP) {
            fputs(HELP_SIGN, stdout);
            goto done;
        } else {
            ret = ota_cli_usage("sign", "unknown option");
            goto done;
        }
    }
    if (optind + 1 != argc || (n_keypaths == 0 && !pkcs11)) {
        ret = ota_cli_usage("sign", "expected --key FILE or --pkcs11 URI, and one package");
        goto done;
    }
    /* OpenSSL keys (a PEM --key, --pkcs11) and CMS (--cert) have their own path; otapack key
     * files alone keep this one */
    int oss = cert || chain || pkcs11 || pinfile;
    for (size_t i = 0; !oss && i < n_keypaths; i++)
        oss = ota_cli_key_is_pem(keypaths[i]);
    if (oss) {
        const struct ota_sign_cli o = {keypaths, n_keypaths, passfile,     cert, chain,
                                       pkcs11,   pinfile,    argv[optind], out};
        return ota_cli_sign_oss(&o);
    }
    if (ota_cli_load_seckeys(keys, &n_keys, keypaths, n_keypaths, passfile, &err)) {
        ret = ota_cli_fail(PROG, &err);
        goto done;
    }
    if (ota_pack_sign(argv[optind], out, (const struct ota_seckey *const *)keys, n_keys, &err)) {
        ret = ota_cli_fail(PROG, &err);
        goto done;
    }
    for (size_t i = 0; i < n_keys; i++)
        printf("signed %s with key %.16s\n", out ? out : argv[optind],
               ota_seckey_public(keys[i])->keyid);
done:
    free_keys(keys, n_keys);
    return ret;
}

static int open_pkg(int *fd, const char *path, struct ota_err *err)
{
    if (!strcmp(path, "-")) {
        *fd = STDIN_FILENO;
        return OTA_OK;
    }
    return ota_fs_open_regular(fd, AT_FDCWD, path, err);
}

static int cmd_verify(int argc, char **argv)
{
    enum { O_THRESHOLD = 256, O_QUIET, O_KEYRING };
    static const struct option opts[] = {{"pub", required_argument, 0, 'p'},
                                         {"threshold", required_argument, 0, O_THRESHOLD},
                                         {"keyring", required_argument, 0, O_KEYRING},
                                         {"quiet", no_argument, 0, O_QUIET},
                                         {"help", no_argument, 0, OPT_HELP},
                                         {0, 0, 0, 0}};
    static struct ota_pubkey keys[OTA_MAX_TRUSTED_KEYS];
    size_t n = 0;
    uint64_t threshold = 1, kr_version = 0;
    int c, quiet = 0, have_threshold = 0;
    const char *keyring = NULL;
    struct ota_err err;
    ota_err_clear(&err);
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        if (c == O_KEYRING) {
            keyring = optarg;
        } else if (c == 'p') {
            if (n >= OTA_MAX_TRUSTED_KEYS)
                return usage_arg("verify", "--pub", "too many keys");
            if (ota_pubkey_load(&keys[n], optarg, &err))
                return ota_cli_fail(PROG, &err);
            n++;
        } else if (c == O_THRESHOLD) {
            if (ota_parse_u64(&threshold, optarg, OTA_MAX_SIGNATURES) != 0 || threshold == 0)
                return usage_arg("verify", "--threshold", "a number from 1 to 32");
            have_threshold = 1;
        } else if (c == O_QUIET) {
            quiet = 1;
        } else if (c == OPT_HELP) {
            return fputs(HELP_VERIFY, stdout), 0;
        } else {
            return ota_cli_usage("verify", "unknown option");
        }
    }
    if (optind + 1 != argc || (n == 0) == !keyring)
        return ota_cli_usage("verify",
                             "expected --pub PREFIX.pub or --keyring ROOT.json, and one package");
    if (keyring && have_threshold)
        return ota_cli_usage("verify", "--keyring sets the threshold: no --threshold");
    struct ota_keyring *kr = NULL;
    if (keyring && ota_keyring_load(&kr, keyring, &err))
        return ota_cli_fail(PROG, &err);
    int fd;
    if (open_pkg(&fd, argv[optind], &err)) {
        ota_keyring_free(kr);
        return ota_cli_fail(PROG, &err);
    }
    struct ota_pack_info info;
    enum ota_status rc =
        kr ? ota_pack_verify_keyring(&info, &kr_version, fd, kr, (int64_t)time(NULL), &err)
           : ota_pack_verify(&info, fd, keys, n, (unsigned)threshold, &err);
    ota_keyring_free(kr);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc) {
        ota_err_prefix(&err, "%s", argv[optind]);
        return ota_cli_fail(PROG, &err);
    }
    if (!quiet) {
        printf("%s: OK: %s %s (security version %llu), %zu payload%s, signed by", argv[optind],
               info.manifest.product, info.manifest.version,
               (unsigned long long)info.manifest.security_version, info.manifest.n_payloads,
               info.manifest.n_payloads == 1 ? "" : "s");
        for (size_t i = 0; i < info.verified.n_valid; i++)
            printf(" %.16s", info.verified.valid[i]);
        if (keyring || info.keyring_version)
            printf(" (keyring v%llu)", (unsigned long long)info.keyring_version);
        printf("\n");
    }
    ota_pack_info_free(&info);
    return 0;
}

static void hex32(char out[OTA_SHA256_HEX_LEN], const uint8_t *d)
{
    ota_hex_encode(out, d, OTA_SHA256_LEN);
}

static void inspect_text(const struct ota_pack_info *info)
{
    const struct ota_manifest *m = &info->manifest;
    char t1[OTA_TIME_STR_LEN], t2[OTA_TIME_STR_LEN], h[OTA_SHA256_HEX_LEN];
    ota_time_format(t1, m->created);
    ota_time_format(t2, m->expires);
    hex32(h, info->manifest_sha256);
    printf("format:            %u\n", m->format);
    printf("product:           %s\n", m->product);
    printf("hardware:          ");
    if (!m->n_hardware)
        printf("any");
    for (size_t i = 0; i < m->n_hardware; i++)
        printf("%s%s", i ? ", " : "", m->hardware[i]);
    printf("\nversion:           %s\n", m->version);
    printf("security version:  %llu\n", (unsigned long long)m->security_version);
    printf("created:           %s\n", t1);
    printf("expires:           %s\n", t2);
    printf("manifest sha256:   %s\n", h);
    printf("payloads:          %zu\n", m->n_payloads);
    for (size_t i = 0; i < m->n_payloads; i++) {
        const struct ota_payload *p = &m->payloads[i];
        hex32(h, p->raw_sha256);
        printf("  %-20s %-8s %12llu bytes  sha256 %s", p->name, p->type,
               (unsigned long long)p->raw_size, h);
        if (p->compression != OTA_COMP_NONE)
            printf("  (%s, %llu stored)", ota_compression_name(p->compression),
                   (unsigned long long)p->size);
        printf("\n");
        const struct ota_certlist *cl = info->payload_certs ? &info->payload_certs[i] : NULL;
        for (size_t j = 0; cl && j < cl->n; j++) {
            char nb[OTA_TIME_STR_LEN], na[OTA_TIME_STR_LEN];
            ota_time_format(nb, cl->v[j].not_before);
            ota_time_format(na, cl->v[j].not_after);
            printf("    certificate %s\n      sha256 %s  valid %s .. %s\n", cl->v[j].subject,
                   cl->v[j].fingerprint, nb, na);
        }
    }
    printf("signatures:        %zu (not verified; use 'otapack verify')\n", info->sigblock.n);
    for (size_t i = 0; i < info->sigblock.n; i++)
        printf("  %s key %s\n", info->sigblock.sigs[i].method, info->sigblock.sigs[i].keyid);
    if (info->sigblock.n_keyrings)
        printf("keyrings:          %zu carried for rotation (not verified)\n",
               info->sigblock.n_keyrings);
    for (size_t i = 0; i < info->sigblock.n_keyrings; i++) {
        struct ota_keyring *kr;
        struct ota_err err;
        char t[OTA_TIME_STR_LEN];
        if (ota_keyring_parse_mem(&kr, info->sigblock.keyrings[i], info->sigblock.keyring_len[i],
                                  &err) != OTA_OK) {
            printf("  keyring %zu: malformed: %s\n", i, err.msg);
            continue;
        }
        ota_time_format(t, kr->doc.expires);
        printf("  version %llu, expires %s, %zu release key%s (threshold %u)\n",
               (unsigned long long)kr->doc.version, t, kr->doc.roles[OTA_ROLE_TARGETS].n,
               kr->doc.roles[OTA_ROLE_TARGETS].n == 1 ? "" : "s",
               kr->doc.roles[OTA_ROLE_TARGETS].threshold);
        ota_keyring_free(kr);
    }
}

static int inspect_json(const struct ota_pack_info *info)
{
    const struct ota_manifest *m = &info->manifest;
    char t[OTA_TIME_STR_LEN], h[OTA_SHA256_HEX_LEN];
    json_t *o = json_object(), *pl = json_array(), *sg = json_array(), *hw = json_array();
    json_object_set_new(o, "format", json_integer(m->format));
    json_object_set_new(o, "product", json_string(m->product));
    json_object_set_new(o, "version", json_string(m->version));
    json_object_set_new(o, "security_version", json_integer((json_int_t)m->security_version));
    ota_time_format(t, m->created);
    json_object_set_new(o, "created", json_string(t));
    ota_time_format(t, m->expires);
    json_object_set_new(o, "expires", json_string(t));
    hex32(h, info->manifest_sha256);
    json_object_set_new(o, "manifest_sha256", json_string(h));
    for (size_t i = 0; i < m->n_hardware; i++)
        json_array_append_new(hw, json_string(m->hardware[i]));
    json_object_set_new(o, "hardware", hw);
    for (size_t i = 0; i < m->n_payloads; i++) {
        const struct ota_payload *p = &m->payloads[i];
        json_t *e = json_object();
        json_object_set_new(e, "name", json_string(p->name));
        json_object_set_new(e, "type", json_string(p->type));
        json_object_set_new(e, "compression", json_string(ota_compression_name(p->compression)));
        json_object_set_new(e, "size", json_integer((json_int_t)p->size));
        hex32(h, p->sha256);
        json_object_set_new(e, "sha256", json_string(h));
        json_object_set_new(e, "uncompressed_size", json_integer((json_int_t)p->raw_size));
        hex32(h, p->raw_sha256);
        json_object_set_new(e, "uncompressed_sha256", json_string(h));
        const struct ota_certlist *cl = info->payload_certs ? &info->payload_certs[i] : NULL;
        if (cl && cl->n) {
            json_t *ca = json_array();
            for (size_t j = 0; j < cl->n; j++) {
                json_t *c = json_object();
                json_object_set_new(c, "sha256", json_string(cl->v[j].fingerprint));
                json_object_set_new(c, "subject", json_string(cl->v[j].subject));
                json_object_set_new(c, "issuer", json_string(cl->v[j].issuer));
                ota_time_format(t, cl->v[j].not_before);
                json_object_set_new(c, "not_before", json_string(t));
                ota_time_format(t, cl->v[j].not_after);
                json_object_set_new(c, "not_after", json_string(t));
                json_array_append_new(ca, c);
            }
            json_object_set_new(e, "certificates", ca);
        }
        json_array_append_new(pl, e);
    }
    json_object_set_new(o, "payloads", pl);
    for (size_t i = 0; i < info->sigblock.n; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "keyid", json_string(info->sigblock.sigs[i].keyid));
        json_object_set_new(e, "method", json_string(info->sigblock.sigs[i].method));
        json_array_append_new(sg, e);
    }
    json_object_set_new(o, "signatures", sg);
    json_t *krs = json_array();
    for (size_t i = 0; i < info->sigblock.n_keyrings; i++) {
        struct ota_keyring *kr;
        struct ota_err err;
        json_t *e = json_object();
        if (ota_keyring_parse_mem(&kr, info->sigblock.keyrings[i], info->sigblock.keyring_len[i],
                                  &err) == OTA_OK) {
            ota_time_format(t, kr->doc.expires);
            json_object_set_new(e, "version", json_integer((json_int_t)kr->doc.version));
            json_object_set_new(e, "expires", json_string(t));
            ota_keyring_free(kr);
        } else {
            json_object_set_new(e, "error", json_string(err.msg));
        }
        json_array_append_new(krs, e);
    }
    json_object_set_new(o, "keyrings", krs);
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("\n");
    json_decref(o);
    return rc == 0 ? 0 : 3;
}

static int cmd_inspect(int argc, char **argv)
{
    enum { O_JSON = 256 };
    static const struct option opts[] = {
        {"json", no_argument, 0, O_JSON}, {"help", no_argument, 0, OPT_HELP}, {0, 0, 0, 0}};
    int c, as_json = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == O_JSON)
            as_json = 1;
        else if (c == OPT_HELP)
            return fputs(HELP_INSPECT, stdout), 0;
        else
            return ota_cli_usage("inspect", "unknown option");
    }
    if (optind + 1 != argc)
        return ota_cli_usage("inspect", "expected one package");
    struct ota_err err;
    ota_err_clear(&err);
    int fd;
    if (open_pkg(&fd, argv[optind], &err))
        return ota_cli_fail(PROG, &err);
    struct ota_pack_info info;
    enum ota_status rc = ota_pack_inspect(&info, fd, &err);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc) {
        ota_err_prefix(&err, "%s", argv[optind]);
        return ota_cli_fail(PROG, &err);
    }
    int ret = 0;
    if (as_json)
        ret = inspect_json(&info);
    else
        inspect_text(&info);
    ota_pack_info_free(&info);
    return ret;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } verbs[] = {{"keygen", cmd_keygen},
                 {"build", cmd_build},
                 {"sign", cmd_sign},
                 {"verify", cmd_verify},
                 {"inspect", cmd_inspect},
                 {"keyring", ota_cli_keyring},
                 {"lint", ota_cli_lint},
                 {"digest", ota_cli_digest},
                 {"attach-signature", ota_cli_attach_signature},
                 {"pubkey", ota_cli_pubkey}};
    if (argc < 2) {
        fprintf(stderr, PROG ": missing verb (see 'otapack --help')\n");
        return 2;
    }
    const char *verb = argv[1];
    if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help"))
        return fputs(HELP_MAIN, stdout), 0;
    if (!strcmp(verb, "--version"))
        return printf("otapack %s\n", OTA_VERSION), 0;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (!strcmp(verb, verbs[i].name)) {
            opterr = 0;
            optind = 1;
            return verbs[i].fn(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, PROG ": unknown verb '%s' (see 'otapack --help')\n", verb);
    return 2;
}
