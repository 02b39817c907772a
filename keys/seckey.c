/* seckey.c — Ed25519 secret keys: generate, load, write, sign. Host side only.
 * Owns: every byte of secret key material. Secret bytes live only in sodium_malloc'd memory,
 * are wiped with sodium_memzero/sodium_free on every path, and are never formatted into an
 * error message. Must never be linked into otaupdate. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "otapack/codec.h"
#include "otapack/fsio.h"
#include "otapack/seckey.h"

struct ota_seckey {
    uint8_t sk[crypto_sign_SECRETKEYBYTES]; /* libsodium layout: seed || public key */
    struct ota_pubkey pub;
};

static enum ota_status alloc_key(struct ota_seckey **out, struct ota_err *err)
{
    *out = NULL;
    if (sodium_init() < 0)
        return ota_err_set(err, OTA_E_CRYPTO, "libsodium failed to initialise");
    struct ota_seckey *k = sodium_malloc(sizeof *k);
    if (!k)
        return ota_err_set(err, OTA_E_NOMEM, "secret key: out of secure memory");
    sodium_memzero(k, sizeof *k);
    *out = k;
    return OTA_OK;
}

void ota_seckey_free(struct ota_seckey *k)
{
    if (k) {
        sodium_memzero(k, sizeof *k);
        sodium_free(k);
    }
}

const struct ota_pubkey *ota_seckey_public(const struct ota_seckey *k)
{
    return &k->pub;
}

static enum ota_status from_seed(struct ota_seckey *k, const uint8_t *seed, struct ota_err *err)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    if (crypto_sign_seed_keypair(pk, k->sk, seed) != 0)
        return ota_err_set(err, OTA_E_CRYPTO, "secret key: key derivation failed");
    return ota_pubkey_from_ed25519(&k->pub, pk, err);
}

enum ota_status ota_seckey_generate(struct ota_seckey **out, struct ota_err *err)
{
    struct ota_seckey *k;
    enum ota_status rc = alloc_key(&k, err);
    if (rc)
        return rc;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    if (crypto_sign_keypair(pk, k->sk) != 0) {
        ota_seckey_free(k);
        return ota_err_set(err, OTA_E_CRYPTO, "secret key: key generation failed");
    }
    if ((rc = ota_pubkey_from_ed25519(&k->pub, pk, err))) {
        ota_seckey_free(k);
        return rc;
    }
    *out = k;
    return OTA_OK;
}

enum ota_status ota_seckey_parse_mem(struct ota_seckey **out, const char *buf, size_t len,
                                     struct ota_err *err)
{
    static const char head[] = OTA_SECKEY_HEADER " ed25519 ";
    const size_t hl = sizeof head - 1, kl = 2 * crypto_sign_SEEDBYTES;
    *out = NULL;
    if (len == hl + kl + 1 && buf[len - 1] == '\n')
        len--;
    if (len != hl + kl || memcmp(buf, head, hl) != 0)
        return ota_err_set(err, OTA_E_KEY, "not an otapack secret key");
    struct ota_seckey *k;
    enum ota_status rc = alloc_key(&k, err);
    if (rc)
        return rc;
    /* decode straight into secure memory: the seed goes in k->sk, then expands in place */
    uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
    size_t got = 0;
    if (!seed) {
        ota_seckey_free(k);
        return ota_err_set(err, OTA_E_NOMEM, "secret key: out of secure memory");
    }
    if (sodium_hex2bin(seed, crypto_sign_SEEDBYTES, buf + hl, kl, NULL, &got, NULL) != 0 ||
        got != crypto_sign_SEEDBYTES) {
        rc = ota_err_set(err, OTA_E_KEY, "secret key is not 64 hex digits");
    } else {
        for (size_t i = 0; i < kl; i++) /* one spelling only: lowercase */
            if (buf[hl + i] >= 'A' && buf[hl + i] <= 'F')
                rc = ota_err_set(err, OTA_E_KEY, "secret key is not lowercase hex");
        if (!rc)
            rc = from_seed(k, seed, err);
    }
    sodium_memzero(seed, crypto_sign_SEEDBYTES);
    sodium_free(seed);
    if (rc) {
        ota_seckey_free(k);
        return rc;
    }
    *out = k;
    return OTA_OK;
}

enum ota_status ota_seckey_load(struct ota_seckey **out, const char *path, struct ota_err *err)
{
    *out = NULL;
    int fd;
    enum ota_status rc = ota_fs_open_regular(&fd, AT_FDCWD, path, err);
    if (rc)
        return rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ota_err_sys(err, e, "%s: cannot stat", path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return ota_err_set(err, OTA_E_KEY,
                           "%s: secret key is accessible by group or others (mode %04o); "
                           "run chmod 600",
                           path, (unsigned)(st.st_mode & 07777));
    }
    char *buf = sodium_init() < 0 ? NULL : sodium_malloc(OTA_MAX_KEYFILE_SIZE + 1);
    if (!buf) {
        close(fd);
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of secure memory", path);
    }
    size_t got = 0;
    rc = ota_fs_read_full(fd, buf, OTA_MAX_KEYFILE_SIZE + 1, &got, err);
    close(fd);
    if (!rc && got > OTA_MAX_KEYFILE_SIZE)
        rc = ota_err_set(err, OTA_E_KEY, "not an otapack secret key (file too large)");
    if (!rc)
        rc = ota_seckey_parse_mem(out, buf, got, err);
    sodium_memzero(buf, OTA_MAX_KEYFILE_SIZE + 1);
    sodium_free(buf);
    if (rc)
        ota_err_prefix(err, "%s", path);
    return rc;
}

enum ota_status ota_seckey_write_files(const struct ota_seckey *k, const char *prefix,
                                       struct ota_err *err)
{
    char keypath[4096], pubpath[4096];
    if (snprintf(keypath, sizeof keypath, "%s.key", prefix) >= (int)sizeof keypath ||
        snprintf(pubpath, sizeof pubpath, "%s.pub", prefix) >= (int)sizeof pubpath)
        return ota_err_set(err, OTA_E_USAGE, "key prefix too long");
    struct stat st;
    if (lstat(keypath, &st) == 0 || lstat(pubpath, &st) == 0)
        return ota_err_set(err, OTA_E_EXISTS, "%s.key or %s.pub already exists; not overwriting",
                           prefix, prefix);

    int dfd;
    char keyname[256], pubname[256];
    enum ota_status rc = ota_fs_open_parent(&dfd, pubname, sizeof pubname, pubpath, err);
    if (rc)
        return rc;
    close(dfd);
    rc = ota_fs_open_parent(&dfd, keyname, sizeof keyname, keypath, err);
    if (rc)
        return rc;

    static const char head[] = OTA_SECKEY_HEADER " ed25519 ";
    const size_t hl = sizeof head - 1, kl = 2 * crypto_sign_SEEDBYTES;
    char *line = sodium_init() < 0 ? NULL : sodium_malloc(hl + kl + 2);
    if (!line) {
        close(dfd);
        return ota_err_set(err, OTA_E_NOMEM, "out of secure memory");
    }
    memcpy(line, head, hl);
    sodium_bin2hex(line + hl, kl + 1, k->sk, crypto_sign_SEEDBYTES);
    line[hl + kl] = '\n';
    struct ota_tmpfile t;
    rc = ota_fs_tmp_create(&t, dfd, keyname, 0600, err);
    if (!rc) {
        rc = ota_fs_write_all(t.fd, line, hl + kl + 1, keyname, err);
        rc = rc ? (ota_fs_tmp_abort(&t), rc) : ota_fs_tmp_commit_new(&t, err);
    }
    sodium_memzero(line, hl + kl + 2);
    sodium_free(line);
    if (!rc) {
        char pub[OTA_PUBKEY_LINE_MAX];
        ota_pubkey_format(pub, sizeof pub, &k->pub);
        if (!(rc = ota_fs_tmp_create(&t, dfd, pubname, 0644, err))) {
            rc = ota_fs_write_all(t.fd, pub, strlen(pub), pubname, err);
            rc = rc ? (ota_fs_tmp_abort(&t), rc) : ota_fs_tmp_commit_new(&t, err);
        }
        if (rc) /* half a key pair is no key pair */
            (void)unlinkat(dfd, keyname, 0);
    }
    close(dfd);
    return rc;
}

enum ota_status ota_seckey_sign(uint8_t sig[OTA_ED25519_SIG_LEN], const char *domain,
                                const uint8_t *msg, size_t msg_len, const struct ota_seckey *k,
                                struct ota_err *err)
{
    size_t mlen;
    uint8_t *m = ota_domain_message(domain, msg, msg_len, &mlen);
    if (!m)
        return ota_err_set(err, OTA_E_NOMEM, "sign: out of memory");
    int rc = crypto_sign_detached(sig, NULL, m, mlen, k->sk);
    free(m);
    if (rc != 0) {
        sodium_memzero(sig, OTA_ED25519_SIG_LEN);
        return ota_err_set(err, OTA_E_CRYPTO, "sign: Ed25519 signing failed");
    }
    return OTA_OK;
}
