/* otapack — the signature block (signatures.json): detached signatures over the manifest.
 * Parsing a block says nothing about whether a signature is valid; keys/ decides that. */
#ifndef OTAPACK_SIGBLOCK_H
#define OTAPACK_SIGBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/limits.h"

#define OTA_KEYID_HEX_LEN 64 /* a key id is a SHA-256, written as 64 lowercase hex digits */
#define OTA_MAX_METHOD_LEN 32
#define OTA_MAX_SIG_BYTES 8192 /* one signature, decoded; Ed25519 uses 64 */

struct ota_signature {
    char keyid[OTA_KEYID_HEX_LEN + 1];
    char method[OTA_MAX_METHOD_LEN + 1]; /* "ed25519"; a trusted key's signature must use
                                          * that key's method */
    size_t sig_len;
    uint8_t *sig; /* owned */
};

struct ota_sigblock {
    size_t n;
    struct ota_signature sigs[OTA_MAX_SIGNATURES];
    /* Keyrings carried for rotation (FORMAT.md, "Keyring rotation"), oldest first: each a
     * root.json as compact JSON with sorted keys, owned. They sign themselves; the manifest
     * signatures above do not cover them. */
    size_t n_keyrings;
    char *keyrings[OTA_MAX_KEYRING_CHAIN];
    size_t keyring_len[OTA_MAX_KEYRING_CHAIN];
};

/* Parses a block. Rejects: more than OTA_MAX_SIGNATURES entries, a key id listed twice,
 * malformed hex, unknown fields, more than OTA_MAX_KEYRING_CHAIN keyrings or one that is not
 * a JSON object or larger than OTA_MAX_KEYRING_SIZE. On failure *b is empty. */
enum ota_status ota_sigblock_parse_mem(struct ota_sigblock *b, const char *buf, size_t len,
                                       struct ota_err *err) OTA_WUR;

/* Adds a signature, replacing one by the same key id. Keeps entries sorted by key id. */
enum ota_status ota_sigblock_put(struct ota_sigblock *b, const char *keyid, const char *method,
                                 const uint8_t *sig, size_t sig_len, struct ota_err *err) OTA_WUR;

/* Replaces the carried keyrings with copies of the given root.json texts (re-encoded as
 * compact JSON with sorted keys), in the given order. */
enum ota_status ota_sigblock_set_keyrings(struct ota_sigblock *b, const char *const *texts,
                                          const size_t *lens, size_t n,
                                          struct ota_err *err) OTA_WUR;

/* Serialises deterministically. *out is malloc'd. */
enum ota_status ota_sigblock_serialize(char **out, size_t *len, const struct ota_sigblock *b,
                                       struct ota_err *err) OTA_WUR;

void ota_sigblock_free(struct ota_sigblock *b);

/* Domain-separation prefixes: a signature is made over prefix || document bytes, where the
 * prefix includes its terminating NUL. One per document kind, never shared. */
#define OTA_DOMAIN_MANIFEST "otapack/manifest/v1"

#endif
