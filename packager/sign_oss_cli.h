/* sign_oss_cli.h — private: the command-line half of `otapack sign` with OpenSSL keys (PEM
 * private keys, PKCS#11, CMS) and of `otapack pubkey` (sign_oss_cli.c). main.c's cmd_sign
 * parses the options and hands over here when one of them needs OpenSSL keys; otapack key
 * files alone keep their old path. Each returns the exit code. */
#ifndef OTAPACK_SIGN_OSS_CLI_H
#define OTAPACK_SIGN_OSS_CLI_H

#include <stddef.h>

#include "otapack/err.h"

struct ota_sign_cli {
    const char *const *keypaths; /* --key: otapack key files and PEM private keys */
    size_t n_keypaths;
    const char *passfile; /* --passphrase-file, or NULL */
    const char *cert;     /* --cert, or NULL */
    const char *chain;    /* --chain, or NULL */
    const char *pkcs11;   /* --pkcs11 URI, or NULL */
    const char *pinfile;  /* --pin-file, or NULL */
    const char *pkg;
    const char *out; /* -o, or NULL */
};

/* 1 if path is a readable regular file starting "-----BEGIN " (a PEM key), else 0. */
int ota_cli_key_is_pem(const char *path);

/* `otapack sign` when a PEM key, --pkcs11 or --cert is involved. */
int ota_cli_sign_oss(const struct ota_sign_cli *o);

/* An OpenSSL key: the PKCS#11 key pkcs11 names (PIN from pinfile or OTAPACK_PKCS11_PIN),
 * else the PEM private key file pem (passphrase from passfile or OTAPACK_PASSPHRASE). */
struct ota_osskey;
struct ota_err;
enum ota_status ota_cli_load_osskey(struct ota_osskey **k, const char *pem, const char *pkcs11,
                                    const char *passfile, const char *pinfile, struct ota_err *err);

/* `otapack pubkey`, with argv[0] the verb. */
int ota_cli_pubkey(int argc, char **argv);

#endif
