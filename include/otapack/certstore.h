/* otapack — the device certificate store: the certificates a device uses to authenticate
 * itself and the servers of its networks (EAP-TLS Wi-Fi: the RADIUS server's root CA, the
 * device's client certificate and private key). Semantics follow Azure Sphere's CertStore:
 *
 * - Entries are named by identifiers of 1 to OTA_CERTSTORE_ID_MAX (16) characters of
 *   A-Z a-z 0-9 . - _, unique in the store. Each entry is a root CA certificate or a client
 *   certificate with its private key.
 * - A certificate is at most OTA_CERTSTORE_MAX_CERT (8 KiB) of PEM; the store holds at most
 *   its capacity (default OTA_CERTSTORE_DEFAULT_CAPACITY, 24 KiB), counted as the bytes of
 *   the stored certificate PEM plus the stored key PEM of every entry.
 *   ota_certstore_available() says how much is left.
 * - Installing under an existing identifier replaces that entry. Move renames an entry and
 *   replaces the destination atomically: to rotate a root, install the new one under a
 *   temporary identifier, then move it over the old one.
 * - Errors keep Azure Sphere's errno cases: a bad identifier or index (EINVAL, ERANGE) is
 *   OTA_E_USAGE, a missing entry (ENOENT) OTA_E_NOENT, a full store (ENOSPC) OTA_E_NOSPC, a
 *   certificate, key or password that does not check out OTA_E_FORMAT, one over its size
 *   limit OTA_E_LIMIT.
 *
 * On disk the store is one folder holding one file, store.json (mode 0600: it holds private
 * keys, unencrypted, as PKCS#8 PEM). Every change rewrites it with ota_fs_write_atomic, so
 * each call — and each ota_certstore_apply of several operations — takes effect completely
 * or not at all, also across a crash. A failed call leaves the store as it was, in memory
 * and on disk (one exception: if the folder's fsync fails after the new file was renamed
 * into place, the call reports OTA_E_IO while the file may already hold the change; reopen
 * the store to see which). Certificates are re-encoded as PEM when installed; passwords are
 * never kept.
 *
 * The store does not lock: the caller serialises writers (the device API opens the store
 * of the running generation with the device lock held, see device.h).
 */
#ifndef OTAPACK_CERTSTORE_H
#define OTAPACK_CERTSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/certops.h"
#include "otapack/digest.h"
#include "otapack/err.h"

#define OTA_CERTSTORE_FILE "store.json"
#define OTA_CERTSTORE_FORMAT 1
#define OTA_CERTSTORE_DEFAULT_CAPACITY (24u * 1024u) /* bytes of PEM, as Azure Sphere */
#define OTA_CERTSTORE_MAX_CAPACITY (256u * 1024u)    /* the largest capacity one may ask for */
#define OTA_CERTSTORE_MAX_ENTRIES 256u               /* entries in store.json */
/* store.json, bytes: a full store of the largest capacity, with JSON's escapes and the
 * members of OTA_CERTSTORE_MAX_ENTRIES entries, is well below this */
#define OTA_CERTSTORE_MAX_FILE (512u * 1024u)
#define OTA_CERTSTORE_NAME_MAX 256u /* subject and issuer as the store reports them, with NUL */

struct ota_certstore;

enum ota_certstore_kind {
    OTA_CERTSTORE_ROOT = 1,   /* a root CA certificate, to validate servers */
    OTA_CERTSTORE_CLIENT = 2, /* a client certificate and its private key */
};

/* Opens the store in the folder dirfd (duplicated: the caller may close its descriptor).
 * Loads store.json if it exists, strictly (ota_certstore_parse_mem); a missing file is an
 * empty store and nothing is written until the first change. capacity 0 means
 * OTA_CERTSTORE_DEFAULT_CAPACITY; at most OTA_CERTSTORE_MAX_CAPACITY. A store that already
 * holds more than capacity opens (nothing is lost): it has no space available, and only
 * changes that do not make it larger succeed. */
enum ota_status ota_certstore_open(struct ota_certstore **cs, int dirfd, size_t capacity,
                                   struct ota_err *err) OTA_WUR;

/* Parses the bytes of a store.json into a store that no folder backs: changes stay in
 * memory. For fuzzing, and for tests. Checks: the document's shape (no unknown or duplicate
 * members), entries sorted by identifier and unique, each identifier valid, each certificate
 * exactly one PEM certificate of at most OTA_CERTSTORE_MAX_CERT bytes, each client key one
 * unencrypted PEM private key that matches its certificate, at most OTA_CERTSTORE_MAX_ENTRIES
 * entries and OTA_CERTSTORE_MAX_CAPACITY bytes in all. */
enum ota_status ota_certstore_parse_mem(struct ota_certstore **cs, const void *buf, size_t len,
                                        size_t capacity, struct ota_err *err) OTA_WUR;

/* Frees the store (wiping the private keys it holds in memory). cs may be NULL. */
void ota_certstore_close(struct ota_certstore *cs);

/* Installs a root CA certificate: pem is exactly one PEM certificate, at most
 * OTA_CERTSTORE_MAX_CERT bytes. Replaces an entry of the same identifier. */
enum ota_status ota_certstore_install_root(struct ota_certstore *cs, const char *id,
                                           const char *pem, size_t len,
                                           struct ota_err *err) OTA_WUR;

/* Installs a client certificate and its private key. key_pem is one PEM private key
 * (PKCS#8, encrypted or not, or a traditional RSA/EC key), decrypted with password when it
 * is encrypted (password may be NULL; at most OTA_CERTSTORE_MAX_PASSWORD bytes). The key must
 * match the certificate. It is stored unencrypted as PKCS#8 PEM; the password is not kept.
 * Replaces an entry of the same identifier. */
enum ota_status ota_certstore_install_client(struct ota_certstore *cs, const char *id,
                                             const char *cert_pem, size_t cert_len,
                                             const char *key_pem, size_t key_len,
                                             const char *password, struct ota_err *err) OTA_WUR;

/* Removes an entry. A missing entry is OTA_E_NOENT. */
enum ota_status ota_certstore_delete(struct ota_certstore *cs, const char *id,
                                     struct ota_err *err) OTA_WUR;

/* Renames from to to, replacing an entry named to, in one atomic write. A missing from is
 * OTA_E_NOENT; moving an entry onto itself changes nothing. */
enum ota_status ota_certstore_move(struct ota_certstore *cs, const char *from, const char *to,
                                   struct ota_err *err) OTA_WUR;

/* Applies the operations in order to a copy of the store, checks the capacity once on the
 * result, and writes it once: all of them take effect or none. Made for certstore payloads,
 * so that a device that missed packages catches up in one install: deleting an entry that
 * is not there is done, not an error. Every other rule is the single calls' (a move from a
 * missing entry fails). Errors name the operation and its entry ("operation 2:
 * install-client 'wifi': private key does not match the certificate ..."). */
enum ota_status ota_certstore_apply(struct ota_certstore *cs, const struct ota_certops *ops,
                                    struct ota_err *err) OTA_WUR;

/* Entries in the store. */
size_t ota_certstore_count(const struct ota_certstore *cs);

/* The identifier of the entry at index (entries are sorted by identifier, bytewise). An index
 * not below the count is OTA_E_USAGE (Azure Sphere's ERANGE). */
enum ota_status ota_certstore_id_at(const struct ota_certstore *cs, size_t index,
                                    char out[OTA_CERTSTORE_ID_MAX + 1],
                                    struct ota_err *err) OTA_WUR;

/* Bytes of PEM the store may still take: capacity minus what the entries use, or 0. */
size_t ota_certstore_available(const struct ota_certstore *cs);
/* Bytes of PEM the entries use, and the capacity the store was opened with. */
size_t ota_certstore_used(const struct ota_certstore *cs);
size_t ota_certstore_capacity(const struct ota_certstore *cs);

/* Queries of one entry; a missing entry is OTA_E_NOENT and leaves the output empty/zero.
 * Subject and issuer are one line, RFC 2253, non-printable bytes escaped; an out of fewer
 * bytes than they need is OTA_E_USAGE (OTA_CERTSTORE_NAME_MAX is always enough). Times are
 * seconds since the epoch, UTC. The fingerprint is the SHA-256 of the certificate's DER,
 * lowercase hex. */
enum ota_status ota_certstore_kind(const struct ota_certstore *cs, const char *id,
                                   enum ota_certstore_kind *out, struct ota_err *err) OTA_WUR;
enum ota_status ota_certstore_subject(const struct ota_certstore *cs, const char *id, char *out,
                                      size_t outsz, struct ota_err *err) OTA_WUR;
enum ota_status ota_certstore_issuer(const struct ota_certstore *cs, const char *id, char *out,
                                     size_t outsz, struct ota_err *err) OTA_WUR;
enum ota_status ota_certstore_not_before(const struct ota_certstore *cs, const char *id,
                                         int64_t *out, struct ota_err *err) OTA_WUR;
enum ota_status ota_certstore_not_after(const struct ota_certstore *cs, const char *id,
                                        int64_t *out, struct ota_err *err) OTA_WUR;
enum ota_status ota_certstore_fingerprint(const struct ota_certstore *cs, const char *id,
                                          char out[OTA_SHA256_HEX_LEN],
                                          struct ota_err *err) OTA_WUR;

/* The stored certificate as PEM (malloc'd, NUL-terminated; free() it). */
enum ota_status ota_certstore_get_pem(const struct ota_certstore *cs, const char *id, char **cert,
                                      size_t *len, struct ota_err *err) OTA_WUR;

/* The stored private key of a client entry as unencrypted PKCS#8 PEM (malloc'd,
 * NUL-terminated; wipe it with OPENSSL_cleanse before free()). A root entry has no key:
 * OTA_E_NOENT. */
enum ota_status ota_certstore_get_key_pem(const struct ota_certstore *cs, const char *id,
                                          char **key, size_t *len, struct ota_err *err) OTA_WUR;

/* "root" or "client". */
const char *ota_certstore_kind_name(enum ota_certstore_kind kind);

#endif
