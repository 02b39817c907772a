/* otapack — CMS (PKCS #7) signatures over otapack documents: the device-side check.
 *
 * A "cms" entry of the signature block (formats/FORMAT.md, section 4) holds a DER CMS
 * SignedData (RFC 5652) with detached content: the content is domain || NUL || document,
 * exactly the bytes a raw signature covers. Exactly one signer; its certificate and any
 * intermediates travel in the SignedData. It is trusted when:
 *   - the signature verifies over domain || NUL || document (signed attributes, if present,
 *     carry the message digest; SHA-256 or stronger);
 *   - the signer certificate chains to one of the caller's trust anchors, the certificates in
 *     the SignedData serving as intermediates only; every intermediate is a CA
 *     (basicConstraints CA:TRUE); the system trust store is never consulted; the top of the
 *     path must be one of the anchors (no partial chains through an anchored intermediate);
 *   - the signer certificate carries an extendedKeyUsage extension that lists codeSigning.
 *     A certificate without the extension is refused, as is anyExtendedKeyUsage alone: a
 *     TLS server certificate issued by the same CA must not be able to sign firmware.
 *
 * Dates are NOT checked (X509_V_FLAG_NO_CHECK_TIME), neither the signer's nor the CAs':
 * devices may have no trustworthy clock (no RTC battery, no network time before the update
 * that fixes it), and fleets have been stranded when the certificate that signed their
 * updates expired (RAUC deployments whose signing certificates ran out could no longer
 * install the update that would replace them). Freshness comes from elsewhere: the
 * manifest's expiry and security version, and keyring expiry and rotation, which retire a
 * CA. The host side (osslsign.h, ota_cms_sign) refuses to sign with a certificate that is
 * expired or not yet valid, where the clock can be trusted.
 *
 * This header has no signing operation: the device links it; signing is in osslsign.h.
 */
#ifndef OTAPACK_CMS_H
#define OTAPACK_CMS_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/sigblock.h"
#include "otapack/x509.h"

/* The signature block method of a CMS signature. */
#define OTA_CMS_METHOD "cms"

struct ota_cms_result {
    /* SHA-256, lowercase hex, of the signer certificate's SubjectPublicKeyInfo DER: the key id
     * of a "cms" signature block entry */
    char signer_keyid[OTA_KEYID_HEX_LEN + 1];
    size_t anchor;            /* index into cas of the CA the signer chains to */
    char signer_subject[256]; /* one line, RFC 2253, non-printable bytes escaped */
};

/* The key id of a "cms" signature by certificate c: SHA-256, lowercase hex, of its
 * SubjectPublicKeyInfo DER (as encoded in the certificate). What ota_cms_verify reports as
 * signer_keyid and what a signer files the signature under. */
enum ota_status ota_cms_signer_keyid(char out[OTA_KEYID_HEX_LEN + 1], const struct ota_cert *c,
                                     struct ota_err *err) OTA_WUR;

/* Verifies a detached CMS SignedData (DER, der_len at most OTA_MAX_SIG_BYTES, checked before
 * anything is parsed) over domain || NUL || msg against the trust anchors cas[0..n_cas).
 * The DER must be exactly one ContentInfo with nothing after it, in canonical DER (what it
 * re-encodes to), of type signedData with content type id-data and absent (detached)
 * content. Errors, each one line starting "CMS signature":
 *   OTA_E_LIMIT      larger than OTA_MAX_SIG_BYTES
 *   OTA_E_FORMAT     not a DER SignedData, content attached, not exactly one signer, the
 *                    signer certificate not included
 *   OTA_E_SIGNATURE  "CMS signature does not verify"; "CMS signature: signer does not chain
 *                    to a CA in the keyring (<OpenSSL's reason>)"; "CMS signature: signer
 *                    certificate has no codeSigning extended key usage"; a digest weaker
 *                    than SHA-256; no trust anchor given
 *   OTA_E_NOMEM, OTA_E_CRYPTO
 * On failure *res is zeroed. The OpenSSL error queue is left empty. */
enum ota_status ota_cms_verify(struct ota_cms_result *res, const uint8_t *der, size_t der_len,
                               const char *domain, const uint8_t *msg, size_t msg_len,
                               const struct ota_cert *cas, size_t n_cas,
                               struct ota_err *err) OTA_WUR;

#endif
