/* digest.c — SHA-256 over OpenSSL EVP, streaming. Owns nothing else. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/digest.h"

struct ota_sha256 {
    EVP_MD_CTX *md;
};

enum ota_status ota_sha256_new(struct ota_sha256 **out, struct ota_err *err)
{
    *out = NULL;
    struct ota_sha256 *c = calloc(1, sizeof *c);
    if (!c)
        return ota_err_set(err, OTA_E_NOMEM, "sha256: out of memory");
    c->md = EVP_MD_CTX_new();
    if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
        ota_sha256_free(c);
        return ota_err_set(err, OTA_E_CRYPTO, "sha256: cannot initialise OpenSSL digest");
    }
    *out = c;
    return OTA_OK;
}

enum ota_status ota_sha256_update(struct ota_sha256 *c, const void *data, size_t len,
                                  struct ota_err *err)
{
    if (len && EVP_DigestUpdate(c->md, data, len) != 1)
        return ota_err_set(err, OTA_E_CRYPTO, "sha256: digest update failed");
    return OTA_OK;
}

enum ota_status ota_sha256_final(struct ota_sha256 *c, uint8_t out[OTA_SHA256_LEN],
                                 struct ota_err *err)
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(c->md, out, &n) != 1 || n != OTA_SHA256_LEN) {
        memset(out, 0, OTA_SHA256_LEN);
        return ota_err_set(err, OTA_E_CRYPTO, "sha256: digest final failed");
    }
    return OTA_OK;
}

void ota_sha256_free(struct ota_sha256 *c)
{
    if (c) {
        EVP_MD_CTX_free(c->md);
        free(c);
    }
}

enum ota_status ota_sha256_mem(uint8_t out[OTA_SHA256_LEN], const void *data, size_t len,
                               struct ota_err *err)
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != OTA_SHA256_LEN) {
        memset(out, 0, OTA_SHA256_LEN);
        return ota_err_set(err, OTA_E_CRYPTO, "sha256: digest failed");
    }
    return OTA_OK;
}

int ota_digest_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}
