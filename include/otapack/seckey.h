/* otapack — secret keys and signing. Host side only: the device binary never links this.
 *
 * A secret key file (PREFIX.key, mode 0600) is one line, plain:
 *   "otapack-seckey-v1 ed25519 <64 hex digits of the Ed25519 seed>"
 * or encrypted with a passphrase (Argon2id, then XSalsa20-Poly1305 over the seed):
 *   "otapack-seckey-v1 ed25519-encrypted argon2id13 <opslimit> <memlimit> <salt> <nonce> <box>"
 * formats/FORMAT.md section 6 is the exact spec. Secret material, passphrases included, lives in
 * sodium_malloc'd memory (guard pages, mlock'd where allowed) and is wiped with sodium_memzero
 * on every path.
 */
#ifndef OTAPACK_SECKEY_H
#define OTAPACK_SECKEY_H

#include "otapack/key.h"
#include "otapack/limits.h"

#define OTA_SECKEY_HEADER "otapack-seckey-v1"

/* Argon2id cost of the encrypted key files otapack writes: libsodium's OPSLIMIT_MODERATE and
 * MEMLIMIT_MODERATE (3 passes over 256 MiB, about a second). A key is unlocked once per
 * signing run, never on a device, and a stolen file is attacked offline, so this spends a
 * second of the signer's time to make each guess cost the attacker the same; SENSITIVE (1 GiB)
 * would not fit small CI runners. The cost is recorded in each file, so it can change later
 * without breaking old files (up to OTA_MAX_PWHASH_OPSLIMIT / OTA_MAX_PWHASH_MEMLIMIT). */
#define OTA_SECKEY_OPSLIMIT_DEFAULT 3u
#define OTA_SECKEY_MEMLIMIT_DEFAULT (256u * 1024u * 1024u)
/* Smallest cost a file may record: libsodium's Argon2id minimum (1 pass, 8 KiB). */
#define OTA_SECKEY_OPSLIMIT_MIN 1u
#define OTA_SECKEY_MEMLIMIT_MIN 8192u
/* Length of an encrypted key line without its newline; a buffer for it with the newline and a
 * NUL needs OTA_SECKEY_ENC_LINE_LEN + 2 bytes. */
#define OTA_SECKEY_ENC_LINE_LEN 259u

struct ota_seckey;

/* Creates a fresh random key pair. */
enum ota_status ota_seckey_generate(struct ota_seckey **sk, struct ota_err *err) OTA_WUR;

/* Parses the one-line secret key format from memory (for tests and fuzzing). An encrypted key
 * is OTA_E_USAGE ("encrypted key needs a passphrase ..."): use ota_seckey_parse_mem_pass. */
enum ota_status ota_seckey_parse_mem(struct ota_seckey **sk, const char *buf, size_t len,
                                     struct ota_err *err) OTA_WUR;

/* Parses either form. pass (pass_len bytes, any bytes) unlocks an encrypted key and is ignored
 * for a plain one; pass == NULL means "no passphrase". Errors: OTA_E_KEY for a malformed line
 * and for "wrong passphrase or damaged key file" (the two cannot be told apart: that is what
 * the MAC is for); OTA_E_LIMIT for an Argon2id cost outside the bounds above, refused before
 * anything is allocated for it; OTA_E_USAGE for an encrypted key and pass == NULL;
 * OTA_E_NOMEM if the key derivation cannot get its memory. */
enum ota_status ota_seckey_parse_mem_pass(struct ota_seckey **sk, const char *buf, size_t len,
                                          const char *pass, size_t pass_len,
                                          struct ota_err *err) OTA_WUR;

/* Formats sk as an encrypted key line (with its final newline, NUL-terminated) into line (cap
 * at least OTA_SECKEY_ENC_LINE_LEN + 2 bytes), with a fresh random salt and nonce and the given
 * Argon2id cost, which must be one a reader accepts. The passphrase is 1 to
 * OTA_MAX_PASSPHRASE_LEN bytes. *len is the line's length. The line holds no secret in the
 * clear; every intermediate secret is wiped. */
enum ota_status ota_seckey_encrypt_mem(char *line, size_t cap, size_t *len,
                                       const struct ota_seckey *sk, const char *pass,
                                       size_t pass_len, uint64_t opslimit, uint64_t memlimit,
                                       struct ota_err *err) OTA_WUR;

/* Loads a secret key file. Refuses a symlink, a non-regular file, and a file that group or
 * others may access (like ssh, so a leaked permission is noticed). An encrypted key is
 * OTA_E_USAGE "PATH: encrypted key needs a passphrase (--passphrase-file or
 * OTAPACK_PASSPHRASE)". */
enum ota_status ota_seckey_load(struct ota_seckey **sk, const char *path,
                                struct ota_err *err) OTA_WUR;

/* Like ota_seckey_load, with a passphrase for an encrypted key (NULL: none; ignored for a plain
 * key). A wrong one is OTA_E_KEY "PATH: wrong passphrase or damaged key file". */
enum ota_status ota_seckey_load_pass(struct ota_seckey **sk, const char *path, const char *pass,
                                     size_t pass_len, struct ota_err *err) OTA_WUR;

/* Writes PREFIX.key (mode 0600) and PREFIX.pub (0644) durably. Refuses to overwrite either. */
enum ota_status ota_seckey_write_files(const struct ota_seckey *sk, const char *prefix,
                                       struct ota_err *err) OTA_WUR;

/* Like ota_seckey_write_files, with PREFIX.key encrypted under pass (1 to
 * OTA_MAX_PASSPHRASE_LEN bytes) at the default cost. The line is decrypted again in memory
 * before anything is written, so a file that would not open is never created. */
enum ota_status ota_seckey_write_files_encrypted(const struct ota_seckey *sk, const char *prefix,
                                                 const char *pass, size_t pass_len,
                                                 struct ota_err *err) OTA_WUR;

/* Passphrases for the commands, in sodium_malloc'd memory; free with
 * ota_seckey_passphrase_free, which wipes. ota_seckey_passphrase_read takes the first line of
 * a regular file (without its "\n" or "\r\n"; not a symlink; at most OTA_MAX_PASSPHRASE_LEN
 * bytes in all, else OTA_E_LIMIT; an empty first line is OTA_E_USAGE).
 * ota_seckey_passphrase_copy copies len bytes (1 to OTA_MAX_PASSPHRASE_LEN). On failure *pass
 * is NULL. Messages name the file, never its contents. */
enum ota_status ota_seckey_passphrase_read(char **pass, size_t *len, const char *path,
                                           struct ota_err *err) OTA_WUR;
enum ota_status ota_seckey_passphrase_copy(char **pass, const char *src, size_t len,
                                           struct ota_err *err) OTA_WUR;
/* Wipes and frees. NULL is fine. */
void ota_seckey_passphrase_free(char *pass);

const struct ota_pubkey *ota_seckey_public(const struct ota_seckey *sk);

/* Signs domain || NUL || msg; with domain NULL, msg alone (TUF metadata: canonical JSON). */
enum ota_status ota_seckey_sign(uint8_t sig[OTA_ED25519_SIG_LEN], const char *domain,
                                const uint8_t *msg, size_t msg_len, const struct ota_seckey *sk,
                                struct ota_err *err) OTA_WUR;

/* Wipes and frees. NULL is fine. */
void ota_seckey_free(struct ota_seckey *sk);

#endif
