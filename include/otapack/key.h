/* otapack — public keys, key ids and signature verification (device side and host side).
 *
 * A public key file (PREFIX.pub) is one line: "otapack-pubkey-v1 ed25519 <64 hex digits>".
 * A key id is the SHA-256, in lowercase hex, of the key's canonical JSON form in The Update
 * Framework's key format: {"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"},
 * so the same id names the key in a TUF root.json.
 * This header has no secret-key operation: those live in seckey.h, which the device binary
 * does not link.
 */
#ifndef OTAPACK_KEY_H
#define OTAPACK_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/sigblock.h"

struct ota_cert;

#define OTA_ED25519_PK_LEN 32
#define OTA_ED25519_SIG_LEN 64
#define OTA_PUBKEY_HEADER "otapack-pubkey-v1"
#define OTA_PUBKEY_LINE_MAX 128

#define OTA_MAX_SPKI_DER 128 /* an ECDSA P-256 SubjectPublicKeyInfo is 91 bytes */

/* Signature methods of the signature block, one per key kind (FORMAT.md, "Signature block"). */
#define OTA_METHOD_ED25519 "ed25519"
#define OTA_METHOD_ECDSA_P256 "ecdsa-sha2-nistp256"
#define OTA_METHOD_CMS "cms"

enum ota_key_alg {
    OTA_KEY_ED25519 = 1,    /* Ed25519 (libsodium) */
    OTA_KEY_ECDSA_P256 = 2, /* ECDSA on P-256 with SHA-256, DER signatures (OpenSSL) */
    OTA_KEY_X509_CA = 3,    /* a CA certificate: CMS signers that chain to it, keyrings only */
};

struct ota_pubkey {
    enum ota_key_alg alg;
    uint8_t pk[OTA_ED25519_PK_LEN]; /* Ed25519 */
    uint8_t spki[OTA_MAX_SPKI_DER]; /* ECDSA P-256: SubjectPublicKeyInfo, DER */
    size_t spki_len;
    const struct ota_cert *ca; /* X.509 CA: borrowed from the keyring that holds it */
    char keyid[OTA_KEYID_HEX_LEN + 1];
};

/* Fills a key from raw Ed25519 public key bytes and computes its key id. */
enum ota_status ota_pubkey_from_ed25519(struct ota_pubkey *k, const uint8_t pk[OTA_ED25519_PK_LEN],
                                        struct ota_err *err) OTA_WUR;

/* Parses the one-line public key format (a final newline is allowed, nothing else). */
enum ota_status ota_pubkey_parse_mem(struct ota_pubkey *k, const char *buf, size_t len,
                                     struct ota_err *err) OTA_WUR;

/* Loads a public key file (regular file, not a symlink). */
enum ota_status ota_pubkey_load(struct ota_pubkey *k, const char *path,
                                struct ota_err *err) OTA_WUR;

/* Writes the one-line form with a final newline into out (at least OTA_PUBKEY_LINE_MAX). */
void ota_pubkey_format(char *out, size_t outsz, const struct ota_pubkey *k);

/* Fills an ECDSA P-256 key from its SubjectPublicKeyInfo (DER) and computes its TUF key id,
 * the SHA-256 of {"keytype":"ecdsa","keyval":{"public":"<PEM>"},"scheme":"ecdsa-sha2-nistp256"}
 * in canonical JSON, where PEM is the key's "BEGIN PUBLIC KEY" text as OpenSSL writes it. */
enum ota_status ota_pubkey_from_spki(struct ota_pubkey *k, const uint8_t *der, size_t len,
                                     struct ota_err *err) OTA_WUR;

/* Parses a PEM public key ("BEGIN PUBLIC KEY": Ed25519 or ECDSA P-256), as `openssl pkey
 * -pubout` and `otapack pubkey` write it. */
enum ota_status ota_pubkey_parse_pem(struct ota_pubkey *k, const char *buf, size_t len,
                                     struct ota_err *err) OTA_WUR;

/* The canonical PEM text of an ECDSA key (malloc'd, NUL-terminated): what its key id hashes. */
enum ota_status ota_pubkey_pem(char **out, size_t *len, const struct ota_pubkey *k,
                               struct ota_err *err) OTA_WUR;

/* The signature method a signature by k uses in a signature block. */
const char *ota_pubkey_method(const struct ota_pubkey *k);

/* 0 when sig is a valid raw signature by k (Ed25519 or ECDSA P-256) over domain || NUL || msg,
 * or over msg alone when domain is NULL (TUF metadata: canonical JSON, no prefix); -1
 * otherwise, and always -1 for a CA key. */
int ota_pubkey_verify(const struct ota_pubkey *k, const uint8_t *sig, size_t sig_len,
                      const char *domain, const uint8_t *msg, size_t msg_len) OTA_WUR;

/* 0 when sig is a valid signature by k over domain || NUL || msg; -1 otherwise. */
int ota_sig_verify(const uint8_t *sig, size_t sig_len, const char *domain, const uint8_t *msg,
                   size_t msg_len, const struct ota_pubkey *k) OTA_WUR;

/* The outcome of checking a signature block against a set of trusted keys. */
struct ota_verify_result {
    size_t n_valid;                                        /* distinct trusted keys, valid */
    char valid[OTA_MAX_SIGNATURES][OTA_KEYID_HEX_LEN + 1]; /* their key ids */
    size_t n_untrusted;                                    /* signatures by other keys */
};

/* Checks the block's signatures over doc (with the given domain) against keys. Succeeds
 * only when at least threshold distinct trusted keys signed validly and no signature by a
 * trusted key is invalid. A signature's method must be its key's. CMS signatures count for
 * the CA key they chain to (two signers under one CA count once); when keys hold a CA, every
 * CMS signature in the block must verify. The error names the key ids involved. */
enum ota_status ota_verify_threshold(struct ota_verify_result *res, const char *domain,
                                     const uint8_t *doc, size_t doc_len,
                                     const struct ota_sigblock *block,
                                     const struct ota_pubkey *keys, size_t n_keys,
                                     unsigned threshold, struct ota_err *err) OTA_WUR;

#endif
