/* otapack — the host-side packager library: build, sign, verify and inspect packages.
 * Every verb of the otapack command is a thin layer over one function here. */
#ifndef OTAPACK_PACKAGER_H
#define OTAPACK_PACKAGER_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/key.h"
#include "otapack/keyring_doc.h"
#include "otapack/manifest.h"
#include "otapack/seckey.h"
#include "otapack/sigblock.h"
#include "otapack/x509.h"

struct ota_build_image {
    const char *name; /* payload name in the package */
    const char *path; /* file to read */
};

struct ota_build_opts {
    const char *product;
    const char *version;
    uint64_t security_version;
    const char *const *hardware;
    size_t n_hardware;
    const struct ota_build_image *images;
    size_t n_images;
    int64_t created;          /* creation time: SOURCE_DATE_EPOCH or now, chosen by the caller */
    uint32_t expires_in_days; /* expiry = created + days */
    enum ota_compression compression;
    const struct ota_seckey *const *keys; /* may be empty: an unsigned package */
    size_t n_keys;
    /* Trusted Root Store changes (see FORMAT.md, "Payload types"): applied on the device in
     * the order replace, add, remove, in the same generation switch as the images */
    const char *const *trust_add; /* files of PEM or DER certificates */
    size_t n_trust_add;
    const char *const *trust_remove; /* SHA-256 fingerprints */
    size_t n_trust_remove;
    const char *trust_replace; /* file: the whole set, or NULL */
    const char *server_chain;  /* file: the chain the update server presents from now on */
    int allow_lockout;         /* allow a trust store that cannot validate the server */
    const char *certstore_ops; /* file: certificate store operations (certops JSON), or NULL */
    /* keyrings (root.json files) the package carries for rotation, in any order: they must
     * form a chain (ota_pack_keyring_chain_check) whose newest has not expired at created,
     * and the keys of keys[] must be release keys of the newest */
    const char *const *keyrings;
    size_t n_keyrings;
};

/* Builds a package at out_path (written under a temporary name, then renamed). Certificate
 * inputs are parsed and re-encoded as PEM; payload order: server chain, trust replace, trust
 * adds, trust removals, certstore operations, then the images. */
enum ota_status ota_pack_build(const char *out_path, const struct ota_build_opts *o,
                               struct ota_err *err) OTA_WUR;

/* Adds signatures to a package. The manifest bytes and payloads are copied unchanged (each
 * payload is checked against the manifest on the way); out_path NULL rewrites in_path
 * atomically. A key that already signed is replaced by its fresh, identical signature. */
enum ota_status ota_pack_sign(const char *in_path, const char *out_path,
                              const struct ota_seckey *const *keys, size_t n_keys,
                              struct ota_err *err) OTA_WUR;

/* What a package says about itself, parsed but (for inspect) not verified. */
struct ota_pack_info {
    struct ota_manifest manifest;
    struct ota_sigblock sigblock;
    uint8_t manifest_sha256[OTA_SHA256_LEN];
    uint64_t package_size;              /* bytes read (whole stream for verify) */
    struct ota_verify_result verified;  /* filled by ota_pack_verify */
    uint64_t keyring_version;           /* verify: the keyring verified under (0: --pub keys) */
    struct ota_certlist *payload_certs; /* [n_payloads]: certificates in trust payloads
                                         * (filled by ota_pack_inspect; empty for others) */
};

void ota_pack_info_free(struct ota_pack_info *info);

/* Verifies a whole package from fd: signatures (threshold distinct keys among keys), every
 * payload's sizes and digests, and the container layout to the last byte. Like a device
 * provisioned with these keys, it follows the keyrings the package carries (a version-0
 * keyring of keys, rotated) and verifies under the newest. */
enum ota_status ota_pack_verify(struct ota_pack_info *info, int fd, const struct ota_pubkey *keys,
                                size_t n_keys, unsigned threshold, struct ota_err *err) OTA_WUR;

/* Reads the manifest and signature block from fd without verifying signatures, and the
 * certificates of trust payloads (which otapack puts before the images, so the images are not
 * read). */
enum ota_status ota_pack_inspect(struct ota_pack_info *info, int fd, struct ota_err *err) OTA_WUR;

/* Air-gapped signing (packager/airgap.c): the signing key never meets the package.
 *
 * The bytes an Ed25519 manifest signature covers (formats/FORMAT.md, section 4): the domain
 * string "otapack/manifest/v1", its NUL, then the manifest bytes exactly as stored. Reads the
 * whole package from fd first, like ota_pack_sign: a package whose payloads do not match its
 * manifest, or whose container is malformed, is refused. *msg is malloc'd (the caller frees
 * it); on failure it is NULL and *msg_len 0. */
enum ota_status ota_pack_digest(uint8_t **msg, size_t *msg_len, int fd,
                                struct ota_err *err) OTA_WUR;

/* Decodes a detached Ed25519 signature as an offline signer wrote it: exactly 64 raw bytes,
 * or exactly 128 lowercase hex digits optionally followed by one newline. Anything else is
 * OTA_E_FORMAT, with sig zeroed. */
enum ota_status ota_pack_sig_parse_mem(uint8_t sig[OTA_ED25519_SIG_LEN], const void *buf,
                                       size_t len, struct ota_err *err) OTA_WUR;

/* Adds a signature made elsewhere by key. The signature is checked against key over the
 * manifest bytes (as ota_pack_digest gives them) before anything is written: one that does not
 * verify is OTA_E_SIGNATURE and nothing is written. Ed25519: 64 bytes; ECDSA P-256: a DER
 * signature over SHA-256; a CA key (alg OTA_KEY_X509_CA, ca set): a DER CMS SignedData whose
 * signer chains to that CA with codeSigning, filed under the signer's key id. Then the package is
 * rewritten like ota_pack_sign does: manifest bytes and payloads unchanged, each payload checked on
 * the way, a signature by the same key replaced; out_path NULL rewrites in_path atomically. */
enum ota_status ota_pack_attach_signature(const char *in_path, const char *out_path,
                                          const uint8_t *sig, size_t sig_len,
                                          const struct ota_pubkey *key,
                                          struct ota_err *err) OTA_WUR;

/* ---- keyrings (packager/keyring.c): making and signing root.json on the host ---- */

struct ota_keyring;

/* A new keyring document: version, expiry, root keys and release (targets) keys from key
 * files (see ota_pack_keyring_add_key), thresholds; snapshot and timestamp get the release
 * keys (otapack does not use them; TUF clients need them). Unsigned. */
struct ota_keyring_new_opts {
    uint64_t version;
    int64_t expires;
    const char *const *root_keys;
    size_t n_root;
    unsigned root_threshold; /* 0: 1 */
    const char *const *release_keys;
    size_t n_release;
    unsigned release_threshold; /* 0: 1 */
};
enum ota_status ota_pack_keyring_new(struct ota_keyring **kr, const struct ota_keyring_new_opts *o,
                                     struct ota_err *err) OTA_WUR;

/* The next version of prev: the same keys and roles, version + 1, the given expiry, no
 * signatures. */
enum ota_status ota_pack_keyring_next(struct ota_keyring **kr, const struct ota_keyring *prev,
                                      int64_t expires, struct ota_err *err) OTA_WUR;

/* Adds the key in a file to a role (root; targets: release keys): an otapack public key
 * (PREFIX.pub), a PEM public key (Ed25519 or ECDSA P-256, as 'otapack pubkey' or 'openssl
 * pkey -pubout' write it), or a PEM CA certificate (targets only: CMS signers chaining to
 * it). Drops the signatures (the signed part changed). *keyid gets the key's id. */
enum ota_status ota_pack_keyring_add_key(struct ota_keyring *kr, enum ota_role role,
                                         const char *path, char keyid[OTA_KEYID_HEX_LEN + 1],
                                         struct ota_err *err) OTA_WUR;

/* Removes a key (by key id, or the key in a file) from a role, and from the keyring when no
 * role holds it any more. Refuses to leave a role with fewer keys than its threshold.
 * Drops the signatures. */
enum ota_status ota_pack_keyring_remove_key(struct ota_keyring *kr, enum ota_role role,
                                            const char *key, struct ota_err *err) OTA_WUR;

/* Sets a role's threshold (1 to its key count). Drops the signatures. */
enum ota_status ota_pack_keyring_set_threshold(struct ota_keyring *kr, enum ota_role role,
                                               unsigned threshold, struct ota_err *err) OTA_WUR;

/* Signs the keyring (its canonical "signed" bytes, as TUF does) with an Ed25519 key. */
enum ota_status ota_pack_keyring_sign(struct ota_keyring *kr, const struct ota_seckey *key,
                                      struct ota_err *err) OTA_WUR;

/* The same with an OpenSSL key (osslsign.h: a PEM private key or a PKCS#11 key; Ed25519 or
 * ECDSA P-256): a root key kept in an HSM. */
struct ota_osskey;
enum ota_status ota_pack_keyring_sign_oss(struct ota_keyring *kr, struct ota_osskey *key,
                                          char keyid[OTA_KEYID_HEX_LEN + 1],
                                          struct ota_err *err) OTA_WUR;

/* Writes the document to path (temporary name, then rename; mode 0644). */
enum ota_status ota_pack_keyring_write(const struct ota_keyring *kr, const char *path,
                                       struct ota_err *err) OTA_WUR;

/* Checks keyrings to carry in a package, oldest first: each one after the first follows the
 * one before under the rotation rule, the first is signed by a threshold of its own root
 * keys, and the newest has not expired at t. */
enum ota_status ota_pack_keyring_chain_check(struct ota_keyring *const *chain, size_t n, int64_t t,
                                             struct ota_err *err) OTA_WUR;

/* Verifies a package under a keyring: follows the keyrings the package carries (as a device
 * does), then checks the manifest signatures under the newest one's release keys and
 * threshold, and every payload. *newest_version gets the version verified under. */
enum ota_status ota_pack_verify_keyring(struct ota_pack_info *info, uint64_t *newest_version,
                                        int fd, const struct ota_keyring *kr, int64_t now,
                                        struct ota_err *err) OTA_WUR;
/* Signing with OpenSSL keys (packager/sign_oss.c): PEM private keys and keys in an HSM
 * (include/otapack/osslsign.h), next to otapack's own key files. */
struct ota_osskey;

struct ota_sign_request {
    const struct ota_seckey *const *keys; /* otapack key files: "ed25519" */
    size_t n_keys;
    struct ota_osskey *const *raw;   /* raw signatures: "ed25519" or "ecdsa-sha2-nistp256", */
    size_t n_raw;                    /* under the key's TUF key id (ota_osskey_public) */
    struct ota_osskey *cms_key;      /* with cms_cert: a "cms" signature under the certificate's */
    const struct ota_cert *cms_cert; /* SPKI key id (ota_cms_signer_keyid); NULL: none */
    const struct ota_certlist *cms_chain; /* certificates carried with it; may be NULL */
};

/* What ota_pack_sign_with added, in order: keys, raw, cms. */
struct ota_sign_added {
    size_t n;
    struct {
        char keyid[OTA_KEYID_HEX_LEN + 1];
        char method[OTA_MAX_METHOD_LEN + 1];
    } v[OTA_MAX_SIGNATURES];
};

/* Like ota_pack_sign, with every kind of signature in req (at least one). Each signature is
 * made and checked before anything is written; a signature by the same key id is replaced. */
enum ota_status ota_pack_sign_with(struct ota_sign_added *added, const char *in_path,
                                   const char *out_path, const struct ota_sign_request *req,
                                   struct ota_err *err) OTA_WUR;

#endif
