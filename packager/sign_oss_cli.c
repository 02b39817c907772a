/* sign_oss_cli.c — the command-line half of `otapack sign` with OpenSSL keys (PEM private
 * keys, keys in an HSM over PKCS#11, CMS with a certificate) and of `otapack pubkey`.
 * Owns: where passphrases and PINs come from (a file or the environment, never argv, read into
 * wiped memory), loading keys and certificates, the pubkey help page and output. Must never:
 * print a PIN, a passphrase or key bytes, or decide what is signed (sign_oss.c does). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otapack/fsio.h"
#include "otapack/osslsign.h"
#include "otapack/packager.h"
#include "otapack/seckey.h"
#include "otapack/x509.h"
#include "cli.h"
#include "sign_oss_cli.h"

#define PROG "otapack"
#define OPT_HELP 'h'

static const char HELP_PUBKEY[] =
    "NAME\n"
    "    otapack pubkey - print the public half of a PEM private key or an HSM key\n"
    "\n"
    "SYNOPSIS\n"
    "    otapack pubkey --key KEY.pem [--passphrase-file FILE] [-o FILE]\n"
    "    otapack pubkey --pkcs11 URI [--pin-file FILE] [-o FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes the public key as a PEM SubjectPublicKeyInfo (\"-----BEGIN PUBLIC KEY-----\"),\n"
    "    what a keyring's add-key takes and 'openssl pkey -pubin' reads. Without -o it goes\n"
    "    to standard output and nothing else does; with -o it is written to FILE (under a\n"
    "    temporary name, then renamed) and the key's algorithm and key id are printed.\n"
    "\n"
    "    The key id is the one 'otapack sign' files the key's raw signatures under: the\n"
    "    SHA-256 of the key's canonical JSON in The Update Framework's key format; for\n"
    "    ECDSA P-256 {\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"<this PEM>\"},\n"
    "    \"scheme\":\"ecdsa-sha2-nistp256\"}, for Ed25519 the id of the same key as an\n"
    "    otapack .pub file (see formats/FORMAT.md, sections 4 and 6). RSA keys sign only\n"
    "    CMS, under their certificate, and have no such id.\n"
    "\n"
    "    KEY.pem is a PEM private key file (ECDSA P-256, Ed25519 or RSA; mode 0600);\n"
    "    encrypted, its passphrase comes from --passphrase-file or OTAPACK_PASSPHRASE.\n"
    "    URI is a PKCS#11 URI (RFC 7512) naming a key in a token, reached through libp11's\n"
    "    OpenSSL engine 'pkcs11' and the module in OTAPACK_PKCS11_MODULE (default\n"
    "    " OTA_PKCS11_DEFAULT_MODULE ", SoftHSM 2); the user PIN comes from --pin-file,\n"
    "    else OTAPACK_PKCS11_PIN, else the URI's pin-value. Nothing prompts.\n"
    "\n"
    "OPTIONS\n"
    "    -k, --key KEY.pem          PEM private key file\n"
    "    --pkcs11 URI               key in a PKCS#11 token, e.g.\n"
    "                               'pkcs11:token=ci;object=release;type=private'\n"
    "    -o, --out FILE             write the PEM to FILE instead of standard output\n"
    "    --passphrase-file FILE     passphrase of an encrypted KEY.pem (first line of FILE)\n"
    "    --pin-file FILE            the token's user PIN (first line of FILE)\n"
    "\n"
    "ENVIRONMENT\n"
    "    OTAPACK_PASSPHRASE         passphrase of an encrypted KEY.pem when\n"
    "                               --passphrase-file is not given\n"
    "    OTAPACK_PKCS11_PIN         the user PIN when --pin-file is not given\n"
    "    OTAPACK_PKCS11_MODULE      the PKCS#11 module (a .so file)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 written; 1 the key cannot be loaded (no such object, wrong PIN or passphrase,\n"
    "    unsupported key type); 2 usage error; 3 system failure.\n"
    "\n"
    "EXAMPLE\n"
    "    OTAPACK_PKCS11_PIN=$(cat /run/secrets/hsm-pin) \\\n"
    "        otapack pubkey --pkcs11 'pkcs11:token=ci;object=release;type=private' -o "
    "release.pem\n";

int ota_cli_key_is_pem(const char *path)
{
    int fd;
    struct ota_err err;
    if (ota_fs_open_regular(&fd, AT_FDCWD, path, &err) != OTA_OK)
        return 0;
    char head[11];
    size_t got = 0;
    int pem = ota_fs_read_full(fd, head, sizeof head, &got, &err) == OTA_OK && got == sizeof head &&
              !memcmp(head, "-----BEGIN ", sizeof head);
    close(fd);
    return pem;
}

/* The PKCS#11 key of --pkcs11, with the PIN of --pin-file or OTAPACK_PKCS11_PIN (wiped). */
static enum ota_status load_pkcs11(struct ota_osskey **k, const char *uri, const char *pinfile,
                                   struct ota_err *err)
{
    char *pin = NULL;
    size_t pin_len = 0;
    enum ota_status rc = ota_cli_secret(&pin, &pin_len, pinfile, "OTAPACK_PKCS11_PIN", err);
    if (!rc)
        rc = ota_osskey_load_pkcs11(k, uri, NULL, pin, pin_len, err);
    ota_seckey_passphrase_free(pin);
    return rc;
}

enum ota_status ota_cli_load_osskey(struct ota_osskey **k, const char *pem, const char *pkcs11,
                                    const char *passfile, const char *pinfile, struct ota_err *err)
{
    *k = NULL;
    if (pkcs11)
        return load_pkcs11(k, pkcs11, pinfile, err);
    char *pass = NULL;
    size_t pass_len = 0;
    enum ota_status rc = ota_cli_secret(&pass, &pass_len, passfile, "OTAPACK_PASSPHRASE", err);
    if (!rc)
        rc = ota_osskey_load_pem(k, pem, pass, pass_len, err);
    ota_seckey_passphrase_free(pass);
    return rc;
}

int ota_cli_sign_oss(const struct ota_sign_cli *o)
{
    struct ota_err err;
    ota_err_clear(&err);
    struct ota_seckey *keys[OTA_MAX_SIGNATURES];
    struct ota_osskey *raw[OTA_MAX_SIGNATURES + 1];
    struct ota_osskey *cms_key = NULL;
    size_t n_keys = 0, n_raw = 0;
    struct ota_certlist cert = {0, NULL}, chain = {0, NULL};
    char *pass = NULL;
    size_t pass_len = 0;
    int ret = 0;
    enum ota_status rc = OTA_OK;

    if (o->chain && !o->cert)
        return ota_cli_usage("sign", "--chain goes with --cert");
    if (o->cert && (o->n_keypaths + (o->pkcs11 ? 1 : 0)) != 1)
        return ota_cli_usage("sign",
                             "--cert needs exactly one signing key: --key KEY.pem or --pkcs11 URI");
    if (o->pinfile && !o->pkcs11)
        return ota_cli_usage("sign", "--pin-file: there is no --pkcs11 key");
    if (o->n_keypaths &&
        (rc = ota_cli_secret(&pass, &pass_len, o->passfile, "OTAPACK_PASSPHRASE", &err)))
        goto done;
    for (size_t i = 0; i < o->n_keypaths; i++) {
        const char *p = o->keypaths[i];
        if (ota_cli_key_is_pem(p)) {
            if ((rc = ota_osskey_load_pem(&raw[n_raw], p, pass, pass_len, &err)))
                goto done;
            n_raw++;
        } else if (o->cert) {
            rc = ota_err_set(&err, OTA_E_USAGE,
                             "%s: with --cert, --key names a PEM private key (an otapack key "
                             "file signs without a certificate)",
                             p);
            goto done;
        } else {
            if ((rc = ota_seckey_load_pass(&keys[n_keys], p, pass, pass_len, &err)))
                goto done;
            n_keys++;
        }
    }
    ota_seckey_passphrase_free(pass);
    pass = NULL;
    if (o->pkcs11) {
        if ((rc = load_pkcs11(&raw[n_raw], o->pkcs11, o->pinfile, &err)))
            goto done;
        n_raw++;
    }
    if (o->cert) {
        if ((rc = ota_certs_load(&cert, o->cert, &err)))
            goto done;
        if (cert.n != 1) {
            rc = ota_err_set(&err, OTA_E_USAGE,
                             "%s: holds %zu certificates; give the signer's alone (the others "
                             "with --chain)",
                             o->cert, cert.n);
            goto done;
        }
        if (o->chain && (rc = ota_certs_load(&chain, o->chain, &err)))
            goto done;
        cms_key = raw[--n_raw]; /* the one key: it signs CMS, not raw */
    }
    struct ota_sign_request req = {(const struct ota_seckey *const *)keys,
                                   n_keys,
                                   raw,
                                   n_raw,
                                   cms_key,
                                   cms_key ? &cert.v[0] : NULL,
                                   o->chain ? &chain : NULL};
    struct ota_sign_added added;
    if ((rc = ota_pack_sign_with(&added, o->pkg, o->out, &req, &err)))
        goto done;
    for (size_t i = 0; i < added.n; i++)
        printf("signed %s with key %.16s (%s)\n", o->out ? o->out : o->pkg, added.v[i].keyid,
               added.v[i].method);
done:
    if (rc)
        ret = ota_cli_fail(PROG, &err);
    ota_seckey_passphrase_free(pass);
    for (size_t i = 0; i < n_keys; i++)
        ota_seckey_free(keys[i]);
    for (size_t i = 0; i < n_raw; i++)
        ota_osskey_free(raw[i]);
    ota_osskey_free(cms_key);
    ota_certs_free(&cert);
    ota_certs_free(&chain);
    return ret;
}

static const char *alg_name(enum ota_osskey_alg a)
{
    switch (a) {
    case OTA_OSSKEY_ED25519:
        return "ed25519";
    case OTA_OSSKEY_ECDSA_P256:
        return "ecdsa-p256";
    case OTA_OSSKEY_RSA:
        return "rsa";
    }
    return "unknown";
}

int ota_cli_pubkey(int argc, char **argv)
{
    enum { O_PKCS11 = 256, O_PINFILE, O_PASSFILE, O_PASSARGV };
    static const struct option opts[] = {{"key", required_argument, 0, 'k'},
                                         {"pkcs11", required_argument, 0, O_PKCS11},
                                         {"pin-file", required_argument, 0, O_PINFILE},
                                         {"passphrase-file", required_argument, 0, O_PASSFILE},
                                         {"passphrase", no_argument, 0, O_PASSARGV},
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, OPT_HELP},
                                         {0, 0, 0, 0}};
    const char *keypath = NULL, *uri = NULL, *pinfile = NULL, *passfile = NULL, *out = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "k:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            keypath = optarg;
            break;
        case O_PKCS11:
            uri = optarg;
            break;
        case O_PINFILE:
            pinfile = optarg;
            break;
        case O_PASSFILE:
            passfile = optarg;
            break;
        case O_PASSARGV:
            return ota_cli_usage("pubkey",
                                 "--passphrase: a passphrase is never taken from the command "
                                 "line; use --passphrase-file FILE or OTAPACK_PASSPHRASE");
        case 'o':
            out = optarg;
            break;
        case OPT_HELP:
            return fputs(HELP_PUBKEY, stdout), 0;
        default:
            return ota_cli_usage("pubkey", "unknown option");
        }
    }
    if (optind != argc || !keypath == !uri)
        return ota_cli_usage("pubkey", "expected --key KEY.pem or --pkcs11 URI");
    if (pinfile && !uri)
        return ota_cli_usage("pubkey", "--pin-file goes with --pkcs11");
    if (passfile && !keypath)
        return ota_cli_usage("pubkey", "--passphrase-file goes with --key");
    struct ota_err err;
    ota_err_clear(&err);
    struct ota_osskey *k = NULL;
    enum ota_status rc;
    if (uri) {
        rc = load_pkcs11(&k, uri, pinfile, &err);
    } else {
        char *pass = NULL;
        size_t pass_len = 0;
        rc = ota_cli_secret(&pass, &pass_len, passfile, "OTAPACK_PASSPHRASE", &err);
        if (!rc)
            rc = ota_osskey_load_pem(&k, keypath, pass, pass_len, &err);
        ota_seckey_passphrase_free(pass);
    }
    struct ota_osskey_pub pub;
    memset(&pub, 0, sizeof pub);
    if (!rc)
        rc = ota_osskey_public(&pub, k, &err);
    ota_osskey_free(k);
    if (rc)
        return ota_cli_fail(PROG, &err);
    int ret = 0;
    if (!out) {
        if (fwrite(pub.pem, 1, pub.pem_len, stdout) != pub.pem_len || fflush(stdout) != 0) {
            ota_err_set(&err, OTA_E_IO, "standard output: write failed");
            ret = ota_cli_fail(PROG, &err);
        }
    } else {
        int dirfd;
        char name[256];
        if ((rc = ota_fs_open_parent(&dirfd, name, sizeof name, out, &err)) == OTA_OK) {
            rc = ota_fs_write_atomic(dirfd, name, pub.pem, pub.pem_len, 0644, &err);
            close(dirfd);
        }
        if (rc)
            ret = ota_cli_fail(PROG, &err);
        else
            printf("wrote %s: %s public key%s%s\n", out, alg_name(pub.alg),
                   pub.keyid[0] ? ", key id " : " (signs CMS only: no raw key id)", pub.keyid);
    }
    ota_osskey_pub_free(&pub);
    return ret;
}
