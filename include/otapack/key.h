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

#define OTA_ED25519_PK_LEN 32
#define OTA_ED25519_SIG_LEN 64
#define OTA_PUBKEY_HEADER "otapack-pubkey-v1"
#define OTA_PUBKEY_LINE_MAX 128

enum ota_key_alg {
    OTA_KEY_ED25519 = 1,
};

struct ota_pubkey {
    enum ota_key_alg alg;
    uint8_t pk[OTA_ED25519_PK_LEN];
    char keyid[OTA_KEYID_HEX_LEN + 1];
};

/* Fills a key from raw Ed25519 public key bytes and computes its key id. */
enum ota_status ota_pubkey_from_ed25519(struct ota_pubkey *k, const uint8_t pk[OTA_ED25519_PK_LEN],
                                        struct ota_err *err) OTA_WUR;

/* Parses the one-line public key format (a final newline is allowed, nothing else). */
enum ota_status ota_pubkey_parse_mem(struct ota_pubkey *k, const char *buf, size_t len,
                                     struct ota_err *err) OTA_WUR;

/* Loads a public key file (regular file, not a symlink). */
enum ota_status ota_pubkey_load(struct ota_pubkey *k, const char *path, struct ota_err *err)
    OTA_WUR;

/* Writes the one-line form with a final newline into out (at least OTA_PUBKEY_LINE_MAX). */
void ota_pubkey_format(char *out, size_t outsz, const struct ota_pubkey *k);

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
 * trusted key is invalid. The error names the key ids involved. */
enum ota_status ota_verify_threshold(struct ota_verify_result *res, const char *domain,
                                     const uint8_t *doc, size_t doc_len,
                                     const struct ota_sigblock *block,
                                     const struct ota_pubkey *keys, size_t n_keys,
                                     unsigned threshold, struct ota_err *err) OTA_WUR;

#endif
