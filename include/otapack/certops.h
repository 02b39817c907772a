/* otapack — certificate store operations: the wire format of a "certstore" payload.
 *
 * A package may carry one payload of type "certstore": a JSON document listing operations
 * on the device certificate store (certstore.h), applied all together in the same
 * generation switch as the rest of the package, or not at all:
 *
 *   {"format": 1,
 *    "operations": [
 *      {"op": "install-root",   "id": "radius-ca", "cert": "-----BEGIN CERTIFICATE-----..."},
 *      {"op": "install-client", "id": "wifi", "cert": "...", "key": "...", "password": "..."},
 *      {"op": "delete",         "id": "old"},
 *      {"op": "move",           "from": "tmp", "to": "radius-ca"}]}
 *
 * Rules (checked by ota_certops_parse_mem): an object with exactly the members "format"
 * (the integer 1) and "operations" (an array of 0 to OTA_CERTOPS_MAX objects); each
 * operation has exactly the members its "op" names ("password" is the only optional one);
 * no duplicate keys anywhere, no NUL in any string; identifiers are 1 to OTA_CERTSTORE_ID_MAX
 * characters of A-Z a-z 0-9 . - _; "cert" and "key" are at most OTA_CERTSTORE_MAX_CERT and
 * OTA_CERTSTORE_MAX_KEY bytes, "password" at most OTA_CERTSTORE_MAX_PASSWORD bytes; the whole
 * document at most OTA_CERTOPS_MAX_SIZE bytes. Operations apply in order.
 *
 * This module knows nothing about trust: it checks the shape of the document and the syntax
 * of identifiers only. Parsing the certificates and keys is the certificate store's job.
 */
#ifndef OTAPACK_CERTOPS_H
#define OTAPACK_CERTOPS_H

#include <stddef.h>

#include "otapack/err.h"

/* Limits of the certificate store and of its payload. The store's follow Azure Sphere's
 * CertStore, whose semantics otapack mirrors (see CertStore_* in its documentation). */
#define OTA_CERTOPS_FORMAT 1
#define OTA_CERTSTORE_ID_MAX 16u             /* identifier, characters */
#define OTA_CERTSTORE_MAX_CERT (8u * 1024u)  /* one certificate, PEM bytes */
#define OTA_CERTSTORE_MAX_KEY (8u * 1024u)   /* one private key, PEM bytes */
#define OTA_CERTSTORE_MAX_PASSWORD 256u      /* private-key password, bytes */
#define OTA_CERTOPS_MAX 64u                  /* operations in one payload */
#define OTA_CERTOPS_MAX_SIZE (1024u * 1024u) /* one certstore payload, bytes */

enum ota_certop_kind {
    OTA_CERTOP_INSTALL_ROOT = 1,   /* "install-root": id, cert */
    OTA_CERTOP_INSTALL_CLIENT = 2, /* "install-client": id, cert, key, password (optional) */
    OTA_CERTOP_DELETE = 3,         /* "delete": id */
    OTA_CERTOP_MOVE = 4,           /* "move": from (in id), to */
};

struct ota_certop {
    enum ota_certop_kind op;
    char id[OTA_CERTSTORE_ID_MAX + 1]; /* install-*, delete: the entry; move: "from" */
    char to[OTA_CERTSTORE_ID_MAX + 1]; /* move: the new identifier; "" otherwise */
    char *cert;                        /* install-*: PEM, NUL-terminated, owned */
    size_t cert_len;
    char *key; /* install-client: PEM, NUL-terminated, owned, wiped by ota_certops_free */
    size_t key_len;
    char *password; /* install-client: NULL if absent; owned, wiped by ota_certops_free */
    size_t password_len;
};

struct ota_certops {
    size_t n;
    struct ota_certop *v; /* owned */
};

/* Why id is not a valid identifier ("is empty", "is longer than 16 characters", ...), or
 * NULL if it is one. Reads at most OTA_CERTSTORE_ID_MAX + 1 bytes of id; id may be NULL. */
const char *ota_certops_id_problem(const char *id);

/* Parses a certstore payload (rules above). On failure *out is empty. Key material the
 * parser copied is wiped before it is freed, except jansson's own scratch buffers. */
enum ota_status ota_certops_parse_mem(struct ota_certops *out, const void *buf, size_t len,
                                      struct ota_err *err) OTA_WUR;

/* Writes ops as a certstore payload: deterministic (members sorted, 2-space indent, final
 * newline), and accepted by ota_certops_parse_mem if ops obey its rules (checked: a set of
 * operations the parser would reject is OTA_E_USAGE). The output holds any private keys
 * and passwords of ops in clear: wipe it (OPENSSL_cleanse) before freeing it. */
enum ota_status ota_certops_serialize(char **out, size_t *len, const struct ota_certops *ops,
                                      struct ota_err *err) OTA_WUR;

/* Frees what ops owns, wiping keys and passwords first; leaves ops empty. ops may be NULL. */
void ota_certops_free(struct ota_certops *ops);

/* The wire name of an operation ("install-root", ...), or "?" for an unknown value. */
const char *ota_certop_name(enum ota_certop_kind op);

#endif
