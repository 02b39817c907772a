/* otapack — the package manifest (manifest.json): what a package is for and what it carries.
 * The normative description is formats/FORMAT.md. The manifest is parsed only after its
 * signature has been verified over the exact stored bytes. */
#ifndef OTAPACK_MANIFEST_H
#define OTAPACK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/digest.h"
#include "otapack/err.h"
#include "otapack/limits.h"

#define OTA_MANIFEST_ENTRY "manifest.json"
#define OTA_SIGBLOCK_ENTRY "signatures.json"
#define OTA_MAX_TYPE_LEN 32

/* Payload types with a meaning on the device (see FORMAT.md, "Payload types"). */
#define OTA_TYPE_IMAGE "image"
#define OTA_TYPE_TRUST_ADD "trust-add"         /* PEM certificates to add to the trust store */
#define OTA_TYPE_TRUST_REMOVE "trust-remove"   /* SHA-256 fingerprints to remove, one a line */
#define OTA_TYPE_TRUST_REPLACE "trust-replace" /* PEM certificates: the whole trust store */
#define OTA_TYPE_SERVER_CHAIN "server-chain"   /* PEM: the update server's chain, leaf first */
#define OTA_TYPE_CERTSTORE "certstore"         /* certificate store operations (certops.h) */

enum ota_compression {
    OTA_COMP_NONE = 0, /* stored bytes are the payload */
    OTA_COMP_ZLIB = 1, /* stored bytes are one zlib (RFC 1950) stream */
};

struct ota_payload {
    char name[OTA_MAX_NAME_LEN + 1];
    char type[OTA_MAX_TYPE_LEN + 1]; /* "image", ...; the updater's handler table decides */
    enum ota_compression compression;
    uint64_t size;                  /* stored bytes in the archive */
    uint8_t sha256[OTA_SHA256_LEN]; /* of the stored bytes */
    uint64_t raw_size;              /* after decompression */
    uint8_t raw_sha256[OTA_SHA256_LEN];
};

struct ota_manifest {
    unsigned format;
    char product[OTA_MAX_STRING_LEN + 1];
    char version[OTA_MAX_STRING_LEN + 1];
    size_t n_hardware;
    char hardware[OTA_MAX_HARDWARE][OTA_MAX_STRING_LEN + 1];
    uint64_t security_version;
    int64_t created; /* seconds since the epoch, UTC */
    int64_t expires;
    int allow_lockout; /* the package may leave the device unable to validate its update
                        * server (a deliberate server move; see FORMAT.md) */
    size_t n_payloads;
    struct ota_payload *payloads; /* owned; freed by ota_manifest_free */
};

/* Parses and validates a manifest. On failure *m is zeroed. */
enum ota_status ota_manifest_parse_mem(struct ota_manifest *m, const char *buf, size_t len,
                                       struct ota_err *err) OTA_WUR;

/* Validates every field and cross-field rule (used by both parse and serialize). */
enum ota_status ota_manifest_validate(const struct ota_manifest *m, struct ota_err *err) OTA_WUR;

/* Serialises deterministically (sorted keys, two-space indent, final newline). *out is
 * malloc'd. */
enum ota_status ota_manifest_serialize(char **out, size_t *len, const struct ota_manifest *m,
                                       struct ota_err *err) OTA_WUR;

void ota_manifest_free(struct ota_manifest *m);

/* 1 if s is a valid payload or entry name: 1..OTA_MAX_NAME_LEN bytes of [A-Za-z0-9._-],
 * not starting with '.'. So no '/', no "..", no leading dot, no control bytes. */
int ota_name_valid(const char *s);

/* 1 if s is a valid product or hardware identifier: 1..OTA_MAX_STRING_LEN of
 * [A-Za-z0-9._+:-]. */
int ota_ident_valid(const char *s);

/* Returns the index of the payload named name, or -1. */
long ota_manifest_find(const struct ota_manifest *m, const char *name);

const char *ota_compression_name(enum ota_compression c);

#endif
