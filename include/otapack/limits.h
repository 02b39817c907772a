/* otapack — every hard limit of the package format, in one place.
 *
 * Each length that comes from outside (a package, a key file, a command line) is checked
 * against one of these before anything is allocated for it. formats/FORMAT.md documents the
 * same numbers; change both together.
 */
#ifndef OTAPACK_LIMITS_H
#define OTAPACK_LIMITS_H

#include <stdint.h>

#define OTA_FORMAT_VERSION 1

#define OTA_MAX_MANIFEST_SIZE (1024u * 1024u) /* manifest.json, bytes */
#define OTA_MAX_SIGBLOCK_SIZE (1024u * 1024u) /* signatures.json, bytes (with keyrings) */
#define OTA_MAX_SIGNATURES 32u                /* entries in the signature block */
#define OTA_MAX_PAYLOADS 256u                 /* payloads in one package */
#define OTA_MAX_NAME_LEN 64u                  /* payload name, bytes */
#define OTA_MAX_STRING_LEN 128u               /* product, version, hardware revision */
#define OTA_MAX_HARDWARE 32u                  /* hardware revisions in a manifest */
/* ustar stores sizes in 11 octal digits: one payload is at most 8 GiB - 1 bytes. */
#define OTA_MAX_PAYLOAD_SIZE ((UINT64_C(1) << 33) - 1)
/* Zero bytes allowed after the end-of-archive marker (record padding). */
#define OTA_MAX_TAR_TAIL (64u * 1024u)
#define OTA_MAX_KEYFILE_SIZE 4096u /* a public or secret key file, bytes */
/* Encrypted secret key files (FORMAT.md section 6): the Argon2id cost a file may ask for. A
 * hostile file must not make the signer allocate or compute without bound: at most 1 GiB
 * (libsodium's MEMLIMIT_SENSITIVE) and 16 passes, a few seconds and 1 GiB at worst. */
#define OTA_MAX_PWHASH_OPSLIMIT 16u
#define OTA_MAX_PWHASH_MEMLIMIT (1024u * 1024u * 1024u) /* bytes */
#define OTA_MAX_PASSPHRASE_LEN 1024u /* a passphrase, and a passphrase file, bytes */
#define OTA_MAX_TRUSTED_KEYS 64u     /* keys a device or verifier trusts */
#define OTA_MAX_SECURITY_VERSION ((UINT64_C(1) << 63) - 1)
#define OTA_MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define OTA_MAX_EXPIRY_DAYS 36525u         /* --expires-in: at most 100 years */
/* Keyrings (FORMAT.md, "Keyring"): one root.json, the keys it lists, the text of one key
 * value (hex or PEM: a CA certificate of up to 16 KiB DER), the keyrings one package carries. */
#define OTA_MAX_KEYRING_SIZE (256u * 1024u) /* one root.json, bytes */
#define OTA_MAX_KEYRING_KEYS 64u            /* keys in one keyring */
#define OTA_MAX_KEYVAL_LEN (24u * 1024u)    /* one keyval text, bytes */
#define OTA_MAX_KEYRING_CHAIN 16u           /* keyrings carried in one signature block */
#define OTA_MAX_KEYRING_VERSION ((UINT64_C(1) << 53) - 1) /* exact in every JSON reader */
#define OTA_MAX_STATE_SIZE (64u * 1024u) /* device.json / state.json on the device */

#endif
