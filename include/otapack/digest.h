/* otapack — streaming SHA-256 (OpenSSL EVP) and constant-time digest comparison. */
#ifndef OTAPACK_DIGEST_H
#define OTAPACK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"

#define OTA_SHA256_LEN 32
#define OTA_SHA256_HEX_LEN 65 /* 64 hex digits and a NUL */

struct ota_sha256; /* opaque streaming context */

enum ota_status ota_sha256_new(struct ota_sha256 **ctx, struct ota_err *err) OTA_WUR;
enum ota_status ota_sha256_update(struct ota_sha256 *ctx, const void *data, size_t len,
                                  struct ota_err *err) OTA_WUR;
enum ota_status ota_sha256_final(struct ota_sha256 *ctx, uint8_t out[OTA_SHA256_LEN],
                                 struct ota_err *err) OTA_WUR;
void ota_sha256_free(struct ota_sha256 *ctx);

/* One-shot digest of a buffer. */
enum ota_status ota_sha256_mem(uint8_t out[OTA_SHA256_LEN], const void *data, size_t len,
                               struct ota_err *err) OTA_WUR;

/* Constant-time equality of two digests: 1 when equal, 0 otherwise. */
int ota_digest_equal(const uint8_t *a, const uint8_t *b, size_t len) OTA_WUR;

#endif
