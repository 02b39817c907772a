/* otapack — signing with OpenSSL keys: PEM private key files and keys in an HSM (PKCS#11).
 * Host side only, in library otakeys_secret: the device binary never links this.
 *
 * A struct ota_osskey is a private key otapack does not hold in its own key file format:
 *   - a PEM private key file (PKCS #8 or traditional; ECDSA P-256, Ed25519 or RSA of at least
 *     2048 bits), optionally encrypted with a passphrase;
 *   - a PKCS#11 URI (RFC 7512) such as "pkcs11:token=ci;object=release;type=private", reached
 *     through libp11's OpenSSL engine "pkcs11" (libengine-pkcs11-openssl) and a PKCS#11 module
 *     (OTAPACK_PKCS11_MODULE, default OTA_PKCS11_DEFAULT_MODULE, SoftHSM 2 on Debian 12). The
 *     key never leaves the token.
 * It makes two kinds of signatures over domain || NUL || document (formats/FORMAT.md,
 * section 4): raw ("ed25519", "ecdsa-sha2-nistp256") and CMS ("cms", a detached SignedData
 * with the signer's certificate and chain; cms.h has the device's rules).
 *
 * Secrets: PEM buffers, passphrases and PINs are wiped (sodium_memzero / OPENSSL_cleanse)
 * on every path; no message ever holds a PIN, a passphrase or key material (a URI is shown
 * with its pin-value hidden).
 */
#ifndef OTAPACK_OSSLSIGN_H
#define OTAPACK_OSSLSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/sigblock.h"
#include "otapack/x509.h"

#define OTA_PKCS11_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define OTA_PKCS11_URI_MAX 1024u /* a PKCS#11 URI, bytes */
#define OTA_OSSKEY_MAX_SIG 512u  /* a raw signature: RSA-4096 would be 512, ECDSA is <= 72 */

/* The raw signature methods (signature block "method"). */
#define OTA_METHOD_ED25519 "ed25519"
#define OTA_METHOD_ECDSA_P256 "ecdsa-sha2-nistp256"

enum ota_osskey_alg {
    OTA_OSSKEY_ED25519 = 1,    /* raw: "ed25519"; CMS: not with OpenSSL 3.0 */
    OTA_OSSKEY_ECDSA_P256 = 2, /* raw: "ecdsa-sha2-nistp256"; CMS */
    OTA_OSSKEY_RSA = 3,        /* CMS only (PKCS #1 v1.5, SHA-256) */
};

struct ota_osskey;

/* Parses a PEM private key from memory. pass (pass_len bytes) decrypts an encrypted one and
 * is ignored otherwise; NULL means none. Errors: OTA_E_USAGE "encrypted key needs a
 * passphrase ..." when it is encrypted and pass is NULL; OTA_E_KEY for a wrong passphrase, a
 * damaged or non-PEM key; OTA_E_UNSUPPORTED for another key type or curve, or RSA under 2048
 * bits. what names the input in messages. */
enum ota_status ota_osskey_parse_pem(struct ota_osskey **key, const char *buf, size_t len,
                                     const char *pass, size_t pass_len, const char *what,
                                     struct ota_err *err) OTA_WUR;

/* Loads a PEM private key file (a regular file, not a symlink, at most OTA_MAX_KEYFILE_SIZE
 * bytes, not accessible by group or others). Messages are prefixed with path. */
enum ota_status ota_osskey_load_pem(struct ota_osskey **key, const char *path, const char *pass,
                                    size_t pass_len, struct ota_err *err) OTA_WUR;

/* Loads a private key from a PKCS#11 token through libp11's engine. uri is a "pkcs11:" URI of
 * at most OTA_PKCS11_URI_MAX bytes; module the PKCS#11 module (NULL: OTAPACK_PKCS11_MODULE,
 * else OTA_PKCS11_DEFAULT_MODULE); pin (pin_len bytes, NULL for none) is the user PIN, else
 * the URI's pin-value if any. Nothing prompts. Errors: OTA_E_USAGE for a malformed URI;
 * OTA_E_UNSUPPORTED when the engine is missing; OTA_E_NOENT when the module file is missing;
 * OTA_E_KEY when the key cannot be loaded (no such object, wrong PIN: libp11 does not tell
 * them apart) or is of a type otapack does not sign with. Messages show the URI with its
 * pin-value hidden. */
enum ota_status ota_osskey_load_pkcs11(struct ota_osskey **key, const char *uri, const char *module,
                                       const char *pin, size_t pin_len,
                                       struct ota_err *err) OTA_WUR;

/* Frees the key (OpenSSL wipes private key material; a token session is closed). NULL is
 * fine. */
void ota_osskey_free(struct ota_osskey *key);

enum ota_osskey_alg ota_osskey_alg(const struct ota_osskey *key);

/* Signs domain || NUL || msg (msg alone when domain is NULL: TUF metadata, a keyring's
 * canonical JSON) with a raw signature: Ed25519 gives method "ed25519" and 64
 * bytes (verifies with ota_sig_verify); ECDSA P-256 gives "ecdsa-sha2-nistp256" and a DER
 * ECDSA-Sig-Value over SHA-256. sig has room for sig_cap bytes (OTA_OSSKEY_MAX_SIG is
 * enough). The signature is verified with the public key before this returns, so a faulty
 * token cannot hand out a bad one. RSA is OTA_E_UNSUPPORTED (CMS only). */
enum ota_status ota_osskey_sign_raw(char method[OTA_MAX_METHOD_LEN + 1], uint8_t *sig,
                                    size_t *sig_len, size_t sig_cap, const char *domain,
                                    const uint8_t *msg, size_t msg_len, struct ota_osskey *key,
                                    struct ota_err *err) OTA_WUR;

/* The public half of a key, for a keyring. */
struct ota_osskey_pub {
    enum ota_osskey_alg alg;
    uint8_t *spki; /* SubjectPublicKeyInfo, DER; malloc'd */
    size_t spki_len;
    char *pem; /* the same as PEM ("-----BEGIN PUBLIC KEY-----" ... with a final newline);
                * malloc'd, NUL-terminated */
    size_t pem_len;
    /* The key id of its raw signatures: for Ed25519 the TUF id of key.h (the id of the same
     * key in an otapack .pub), for ECDSA P-256 its TUF id (key.h, ota_pubkey_from_spki); empty for
     * RSA */
    char keyid[OTA_KEYID_HEX_LEN + 1];
};

enum ota_status ota_osskey_public(struct ota_osskey_pub *pub, const struct ota_osskey *key,
                                  struct ota_err *err) OTA_WUR;
void ota_osskey_pub_free(struct ota_osskey_pub *pub);

/* Makes a CMS SignedData (DER, *der malloc'd) over domain || NUL || msg: detached, binary,
 * SHA-256, signed attributes, the signer certificate and every certificate of chain (may be
 * NULL) included. Refused before signing, so that CI fails instead of shipping what devices
 * refuse: a certificate whose public key is not key's; one without the codeSigning extended
 * key usage; one expired or not yet valid now (the host clock is trusted, unlike a device's);
 * an Ed25519 key (OpenSSL 3.0 cannot make CMS with it). The result must fit
 * OTA_MAX_SIG_BYTES (OTA_E_LIMIT otherwise) and is verified before this returns. On failure
 * *der is NULL and *len 0. */
enum ota_status ota_cms_sign(uint8_t **der, size_t *len, const char *domain, const uint8_t *msg,
                             size_t msg_len, struct ota_osskey *key, const struct ota_cert *signer,
                             const struct ota_certlist *chain, struct ota_err *err) OTA_WUR;

#endif
