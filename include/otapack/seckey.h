/* otapack — secret keys and signing. Host side only: the device binary never links this.
 *
 * A secret key file (PREFIX.key, mode 0600) is one line:
 *   "otapack-seckey-v1 ed25519 <64 hex digits of the Ed25519 seed>"
 * Secret material lives in sodium_malloc'd memory (guard pages, mlock'd where allowed) and is
 * wiped with sodium_memzero on every path.
 */
#ifndef OTAPACK_SECKEY_H
#define OTAPACK_SECKEY_H

#include "otapack/key.h"

#define OTA_SECKEY_HEADER "otapack-seckey-v1"

struct ota_seckey;

/* Creates a fresh random key pair. */
enum ota_status ota_seckey_generate(struct ota_seckey **sk, struct ota_err *err) OTA_WUR;

/* Parses the one-line secret key format from memory (for tests and fuzzing). */
enum ota_status ota_seckey_parse_mem(struct ota_seckey **sk, const char *buf, size_t len,
                                     struct ota_err *err) OTA_WUR;

/* Loads a secret key file. Refuses a symlink, a non-regular file, and a file that group or
 * others may access (like ssh, so a leaked permission is noticed). */
enum ota_status ota_seckey_load(struct ota_seckey **sk, const char *path, struct ota_err *err)
    OTA_WUR;

/* Writes PREFIX.key (mode 0600) and PREFIX.pub (0644) durably. Refuses to overwrite either. */
enum ota_status ota_seckey_write_files(const struct ota_seckey *sk, const char *prefix,
                                       struct ota_err *err) OTA_WUR;

const struct ota_pubkey *ota_seckey_public(const struct ota_seckey *sk);

/* Signs domain || NUL || msg. */
enum ota_status ota_seckey_sign(uint8_t sig[OTA_ED25519_SIG_LEN], const char *domain,
                                const uint8_t *msg, size_t msg_len, const struct ota_seckey *sk,
                                struct ota_err *err) OTA_WUR;

/* Wipes and frees. NULL is fine. */
void ota_seckey_free(struct ota_seckey *sk);

#endif
