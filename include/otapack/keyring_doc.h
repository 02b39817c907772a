/* otapack — the keyring document (formats/FORMAT.md, "Keyring"): The Update Framework's root
 * metadata, root.json. A signed envelope {"signed": {...}, "signatures": [...]} whose signatures
 * are made over the canonical JSON of "signed" (no prefix, as TUF signs it).
 *
 * This module only parses and writes the bytes, with hard limits. It says nothing about
 * whether a key is well formed as a key or a signature valid: keys/keyring.c decides that. */
#ifndef OTAPACK_KEYRING_DOC_H
#define OTAPACK_KEYRING_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/limits.h"
#include "otapack/sigblock.h"

#define OTA_KEYRING_SPEC_VERSION "1.0.31" /* the TUF specification version written */
#define OTA_MAX_KEYTYPE_LEN 32
#define OTA_MAX_SPEC_VERSION_LEN 16

/* TUF's four top-level roles. otapack uses root (signs keyrings) and targets (signs
 * packages); snapshot and timestamp are kept so that a TUF client reads the same document. */
enum ota_role {
    OTA_ROLE_ROOT = 0,
    OTA_ROLE_SNAPSHOT = 1,
    OTA_ROLE_TARGETS = 2,
    OTA_ROLE_TIMESTAMP = 3,
    OTA_N_ROLES = 4,
};

struct ota_kr_key {
    char keyid[OTA_KEYID_HEX_LEN + 1];
    char keytype[OTA_MAX_KEYTYPE_LEN + 1]; /* "ed25519", "ecdsa", "otapack-x509-ca" */
    char scheme[OTA_MAX_KEYTYPE_LEN + 1];  /* "ed25519", "ecdsa-sha2-nistp256", "otapack-cms" */
    char valname[16];                      /* the one keyval member: "public" or "certificate" */
    char *value;                           /* its text (hex or PEM), owned, NUL-terminated */
    size_t value_len;
};

struct ota_kr_role {
    size_t n;
    size_t key[OTA_MAX_KEYRING_KEYS]; /* indexes into keys[] */
    unsigned threshold;
};

struct ota_kr_sig {
    char keyid[OTA_KEYID_HEX_LEN + 1];
    uint8_t *sig; /* owned */
    size_t sig_len;
};

struct ota_keyring_doc {
    char spec_version[OTA_MAX_SPEC_VERSION_LEN + 1];
    int consistent_snapshot;
    uint64_t version;
    int64_t expires;
    size_t n_keys;
    struct ota_kr_key keys[OTA_MAX_KEYRING_KEYS]; /* sorted by key id */
    struct ota_kr_role roles[OTA_N_ROLES];
    size_t n_sigs;
    struct ota_kr_sig sigs[OTA_MAX_SIGNATURES]; /* sorted by key id, distinct */
};

extern const char *const ota_role_names[OTA_N_ROLES];

/* Parses a root.json. Rejects: unknown fields, a _type other than "root", a spec_version
 * other than 1.x, a key id that is not 64 lowercase hex digits, a role that names a key
 * not in "keys" or a key twice, a threshold of 0 or above the role's key count, a role
 * missing, a signature by one key id twice, anything over the limits. On failure *d is
 * empty. */
enum ota_status ota_keyring_doc_parse_mem(struct ota_keyring_doc *d, const char *buf, size_t len,
                                          struct ota_err *err) OTA_WUR;

/* The bytes that signatures cover: the canonical JSON (TUF's, OLPC style: keys sorted, no
 * whitespace, only '"' and '\' escaped) of the "signed" object. *out is malloc'd. */
enum ota_status ota_keyring_doc_signed_bytes(char **out, size_t *len,
                                             const struct ota_keyring_doc *d,
                                             struct ota_err *err) OTA_WUR;

/* The canonical JSON of key i (what its TUF key id is the SHA-256 of). *out is malloc'd. */
enum ota_status ota_keyring_doc_key_bytes(char **out, size_t *len, const struct ota_keyring_doc *d,
                                          size_t i, struct ota_err *err) OTA_WUR;

/* The whole document as a file: sorted keys, 2-space indent, final newline. */
enum ota_status ota_keyring_doc_serialize(char **out, size_t *len, const struct ota_keyring_doc *d,
                                          struct ota_err *err) OTA_WUR;

/* Index of the key with this id, or -1. */
long ota_keyring_doc_find_key(const struct ota_keyring_doc *d, const char *keyid);

/* Adds a key (copying value) in key-id order; an existing id is an error. Role indexes are
 * kept right. Returns its index in *idx. */
enum ota_status ota_keyring_doc_add_key(struct ota_keyring_doc *d, size_t *idx, const char *keyid,
                                        const char *keytype, const char *scheme,
                                        const char *valname, const char *value,
                                        struct ota_err *err) OTA_WUR;

/* Removes key i from every role and from the key list. */
void ota_keyring_doc_remove_key(struct ota_keyring_doc *d, size_t i);

/* Adds or replaces the signature by keyid. */
enum ota_status ota_keyring_doc_put_sig(struct ota_keyring_doc *d, const char *keyid,
                                        const uint8_t *sig, size_t sig_len,
                                        struct ota_err *err) OTA_WUR;

/* Drops every signature (the signed part changed). */
void ota_keyring_doc_clear_sigs(struct ota_keyring_doc *d);

void ota_keyring_doc_free(struct ota_keyring_doc *d);

#endif
