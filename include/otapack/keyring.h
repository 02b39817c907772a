/* otapack — keyrings: who may sign packages (the targets role) and who may sign the next
 * keyring (the root role), with thresholds, expiry and The Update Framework's root rotation
 * rule. The document itself is parsed by keyring_doc.h; this module decides trust.
 *
 * Key types (FORMAT.md, "Keyring"): "ed25519" (hex), "ecdsa" with scheme
 * "ecdsa-sha2-nistp256" (PEM), and otapack's "otapack-x509-ca" (a CA certificate in PEM under
 * keyval "certificate"; targets role only: CMS signers that chain to it sign packages).
 * A key id must be the SHA-256 of the key's canonical JSON, as TUF computes it. */
#ifndef OTAPACK_KEYRING_H
#define OTAPACK_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/key.h"
#include "otapack/keyring_doc.h"
#include "otapack/sigblock.h"
#include "otapack/x509.h"

#define OTA_KEYTYPE_X509_CA "otapack-x509-ca"
#define OTA_SCHEME_CMS "otapack-cms"

struct ota_keyring {
    struct ota_keyring_doc doc;
    struct ota_pubkey keys[OTA_MAX_KEYRING_KEYS]; /* doc.keys decoded, same order */
    struct ota_certlist cas;                      /* owned; X.509 CA keys point into it */
    char *signed_bytes;                           /* canonical "signed": what is signed */
    size_t signed_len;
};

/* Parses a root.json and decodes its keys; refuses a key whose id is not its TUF key id, a
 * key that does not decode, a CA certificate that is not a CA, a CA key in the root role.
 * Says nothing about signatures. */
enum ota_status ota_keyring_parse_mem(struct ota_keyring **kr, const char *buf, size_t len,
                                      struct ota_err *err) OTA_WUR;
enum ota_status ota_keyring_load(struct ota_keyring **kr, const char *path,
                                 struct ota_err *err) OTA_WUR;

/* The keyring a device provisioned with plain public keys (`init --trust-key`) lives by:
 * version 0, no expiry, root and targets both the given keys with the given threshold. A
 * package may rotate such a device to a real keyring signed by threshold of those keys. */
enum ota_status ota_keyring_from_keys(struct ota_keyring **kr, const struct ota_pubkey *keys,
                                      size_t n, unsigned threshold, struct ota_err *err) OTA_WUR;

/* Re-encodes the document and its derived fields after the caller edited kr->doc (host). */
enum ota_status ota_keyring_refresh(struct ota_keyring *kr, struct ota_err *err) OTA_WUR;

void ota_keyring_free(struct ota_keyring *kr);

/* Counts the distinct keys of signer's role that validly signed kr (*n_valid), and fails
 * unless that meets the role's threshold. */
enum ota_status ota_keyring_signed_by(size_t *n_valid, const struct ota_keyring *kr,
                                      const struct ota_keyring *signer, enum ota_role role,
                                      struct ota_err *err) OTA_WUR;

/* TUF's root rotation rule: next's version is cur's + 1, and next is signed by a threshold of
 * cur's root keys and by a threshold of its own root keys. Expiry is not checked here. */
enum ota_status ota_keyring_rotate_check(const struct ota_keyring *cur,
                                         const struct ota_keyring *next,
                                         struct ota_err *err) OTA_WUR;

/* Follows the keyrings a signature block carries, from cur. Keyrings older than cur are
 * history for devices further behind and are skipped; one of cur's version must be cur,
 * byte for byte; each newer one must pass ota_keyring_rotate_check against the one before.
 * Refuses a block whose newest keyring is older than cur. *newest is the last keyring
 * accepted, or NULL when the block brings nothing newer. The keyrings must come in strictly
 * increasing version order. */
enum ota_status ota_keyring_advance(struct ota_keyring **newest, const struct ota_keyring *cur,
                                    const struct ota_sigblock *b, struct ota_err *err) OTA_WUR;

/* Fails (OTA_E_EXPIRED) when kr has expired at time t. Version 0 never expires. */
enum ota_status ota_keyring_check_expiry(const struct ota_keyring *kr, int64_t t,
                                         struct ota_err *err) OTA_WUR;

/* Verifies a manifest's signature block under kr's targets role and threshold. */
enum ota_status ota_keyring_verify_manifest(struct ota_verify_result *res,
                                            const struct ota_keyring *kr, const char *manifest,
                                            size_t len, const struct ota_sigblock *b,
                                            struct ota_err *err) OTA_WUR;

/* Index of the key with this id, or -1. */
long ota_keyring_find(const struct ota_keyring *kr, const char *keyid);

#endif
