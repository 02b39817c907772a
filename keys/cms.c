/* cms.c — CMS SignedData signatures over otapack documents: the verifying half (device side).
 * Owns: deciding whether a detached CMS signature over domain || NUL || document was made by a
 * code-signing certificate that chains to one of the caller's CAs (include/otapack/cms.h has
 * the rules and why dates are not checked). Must never: parse more than OTA_MAX_SIG_BYTES,
 * consult the system trust store, accept a signer without the codeSigning extended key usage,
 * let an OpenSSL error queue leak into later calls, or hold secret key material (this file is
 * linked into the device binary; signing lives in osslsign.c). */
#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "domain.h"
#include "otapack/cms.h"
#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/x509.h"

#define CMS_PREFIX "CMS signature"

/* The key id of a "cms" entry: SHA-256 of the certificate's SubjectPublicKeyInfo, DER, as it
 * is encoded in the certificate. */
static enum ota_status spki_keyid(char out[OTA_KEYID_HEX_LEN + 1], X509 *x, struct ota_err *err)
{
    unsigned char *spki = NULL;
    int sl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
    if (sl <= 0)
        return ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": signer public key cannot be encoded");
    uint8_t id[OTA_SHA256_LEN];
    enum ota_status rc = ota_sha256_mem(id, spki, (size_t)sl, err);
    OPENSSL_free(spki);
    if (!rc)
        ota_hex_encode(out, id, OTA_SHA256_LEN);
    return rc;
}

/* SHA-256 or stronger: a collision in the digest would be a forgery by whoever can get a
 * harmless document signed. */
static int digest_acceptable(const X509_ALGOR *alg)
{
    const ASN1_OBJECT *obj = NULL;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    int nid = OBJ_obj2nid(obj);
    return nid == NID_sha256 || nid == NID_sha384 || nid == NID_sha512;
}

/* Reads the TLV header at *p (bounded by end) and checks its tag and class; *p then points at
 * the contents, of *clen bytes, which lie within end. -1 if anything is off. */
static int der_enter(const unsigned char **p, const unsigned char *end, int tag, int cls,
                     long *clen)
{
    const unsigned char *q = *p;
    long len = 0;
    int t = 0, c = 0;
    if (q >= end)
        return -1;
    int r = ASN1_get_object(&q, &len, &t, &c, end - q);
    if ((r & 0x80) || t != tag || c != cls || len < 0 || len > end - q)
        return -1;
    *p = q;
    *clen = len;
    return 0;
}

/* Skips the TLV at *p if it has this tag and class (an OPTIONAL field); 0 either way, -1 on a
 * malformed header. */
static int der_skip(const unsigned char **p, const unsigned char *end, int tag, int cls,
                    int optional)
{
    const unsigned char *q = *p;
    long len = 0;
    if (der_enter(&q, end, tag, cls, &len) != 0)
        return optional ? 0 : -1;
    *p = q + len;
    return 0;
}

/* A one-byte INTEGER's value, or -1. */
static int der_small_int(const unsigned char **p, const unsigned char *end)
{
    long len = 0;
    if (der_enter(p, end, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, &len) != 0 || len != 1)
        return -1;
    int v = **p;
    *p += 1;
    return v > 0x7f ? -1 : v;
}

/* The version numbers of the SignedData and of its (only) SignerInfo, which OpenSSL parses but
 * never checks and no signature covers: read from the DER (already parsed once, so well
 * formed; every step is bounded all the same). */
static int der_versions(int *sd_version, int *si_version, const uint8_t *der, size_t len)
{
    const unsigned char *p = der, *end = der + len;
    long l = 0;
    if (der_enter(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &l) != 0) /* ContentInfo */
        return -1;
    end = p + l;
    if (der_skip(&p, end, V_ASN1_OBJECT, V_ASN1_UNIVERSAL, 0) != 0 ||
        der_enter(&p, end, 0, V_ASN1_CONTEXT_SPECIFIC, &l) != 0 ||
        der_enter(&p, p + l, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &l) != 0) /* SignedData */
        return -1;
    end = p + l;
    if ((*sd_version = der_small_int(&p, end)) < 0 ||
        der_skip(&p, end, V_ASN1_SET, V_ASN1_UNIVERSAL, 0) != 0 ||      /* digestAlgorithms */
        der_skip(&p, end, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, 0) != 0 || /* encapContentInfo */
        der_skip(&p, end, 0, V_ASN1_CONTEXT_SPECIFIC, 1) != 0 ||        /* certificates */
        der_skip(&p, end, 1, V_ASN1_CONTEXT_SPECIFIC, 1) != 0 ||        /* crls */
        der_enter(&p, end, V_ASN1_SET, V_ASN1_UNIVERSAL, &l) != 0 ||    /* signerInfos */
        der_enter(&p, p + l, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &l) != 0)
        return -1;
    return (*si_version = der_small_int(&p, p + l)) < 0 ? -1 : 0;
}

/* The parts of a SignerInfo that OpenSSL reads without authenticating them must have the one
 * value a signer writes, so that no bit of a signature can change and leave it valid (the bit
 * flip test holds this): the versions (RFC 5652: SignedData 1 and SignerInfo 1 with an issuer
 * and serial number, 3 and 3 with a subject key identifier), the signer identifier byte for
 * byte (OpenSSL matches issuer names case-insensitively), and the signature algorithm, which
 * must name the signer's key type and the digest algorithm (OpenSSL uses the key and the
 * digest algorithm and ignores the rest). Algorithm parameters: absent, or NULL where RSA
 * PKCS #1 v1.5 allows it; RSA-PSS parameters are used by the verification itself. */
static int signer_info_exact(CMS_SignerInfo *si, X509 *signer, int sd_version, int si_version)
{
    ASN1_OCTET_STRING *skid = NULL;
    X509_NAME *issuer = NULL;
    ASN1_INTEGER *serial = NULL;
    if (CMS_SignerInfo_get0_signer_id(si, &skid, &issuer, &serial) != 1)
        return 0;
    if (skid) {
        const ASN1_OCTET_STRING *cert_skid = X509_get0_subject_key_id(signer);
        if (si_version != 3 || sd_version != 3 || !cert_skid ||
            ASN1_STRING_length(skid) != ASN1_STRING_length(cert_skid) ||
            CRYPTO_memcmp(ASN1_STRING_get0_data(skid), ASN1_STRING_get0_data(cert_skid),
                          (size_t)ASN1_STRING_length(skid)) != 0)
            return 0;
    } else {
        if (si_version != 1 || sd_version != 1 || !issuer || !serial)
            return 0;
        unsigned char *a = NULL, *b = NULL;
        int al = i2d_X509_NAME(issuer, &a), bl = i2d_X509_NAME(X509_get_issuer_name(signer), &b);
        int same = al > 0 && al == bl && CRYPTO_memcmp(a, b, (size_t)al) == 0;
        OPENSSL_free(a);
        OPENSSL_free(b);
        if (!same || ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(signer)) != 0)
            return 0;
    }
    X509_ALGOR *dig = NULL, *sig = NULL;
    EVP_PKEY *pk = NULL;
    CMS_SignerInfo_get0_algs(si, &pk, NULL, &dig, &sig);
    if (!dig || !sig || !pk)
        return 0;
    const ASN1_OBJECT *dobj = NULL, *sobj = NULL;
    int dptype = V_ASN1_UNDEF, sptype = V_ASN1_UNDEF;
    X509_ALGOR_get0(&dobj, &dptype, NULL, dig);
    X509_ALGOR_get0(&sobj, &sptype, NULL, sig);
    int dnid = OBJ_obj2nid(dobj), snid = OBJ_obj2nid(sobj);
    if (dptype != V_ASN1_UNDEF && dptype != V_ASN1_NULL)
        return 0;
    int pknid = EVP_PKEY_get_base_id(pk);
    int md = NID_undef, sigpk = NID_undef;
    if (pknid == EVP_PKEY_ED25519)
        return snid == NID_ED25519 && sptype == V_ASN1_UNDEF;
    if (pknid == EVP_PKEY_RSA && snid == NID_rsassaPss)
        return 1;
    if (pknid == EVP_PKEY_RSA && snid == NID_rsaEncryption)
        return sptype == V_ASN1_UNDEF || sptype == V_ASN1_NULL;
    if (!OBJ_find_sigid_algs(snid, &md, &sigpk) || md != dnid)
        return 0;
    if (pknid == EVP_PKEY_RSA)
        return sigpk == NID_rsaEncryption && (sptype == V_ASN1_UNDEF || sptype == V_ASN1_NULL);
    if (pknid == EVP_PKEY_EC)
        return sigpk == NID_X9_62_id_ecPublicKey && sptype == V_ASN1_UNDEF;
    return 0;
}

/* Builds the path from signer to one of cas, with the SignedData's certificates as untrusted
 * intermediates, dates ignored; every certificate above the signer must be a CA. */
static enum ota_status check_chain(size_t *anchor, X509 *signer, STACK_OF(X509) * untrusted,
                                   const struct ota_cert *cas, size_t n_cas, struct ota_err *err)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    enum ota_status rc = OTA_E_SIGNATURE;
    if (!store || !ctx) {
        rc = ota_err_set(err, OTA_E_NOMEM, CMS_PREFIX ": out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_cas; i++) {
        if (!cas[i].x509 || X509_STORE_add_cert(store, cas[i].x509) != 1) {
            rc = ota_err_set(err, OTA_E_CRYPTO, CMS_PREFIX ": cannot use CA %zu", i);
            goto out;
        }
    }
    if (X509_STORE_CTX_init(ctx, store, signer, untrusted) != 1) {
        rc = ota_err_set(err, OTA_E_CRYPTO, CMS_PREFIX ": cannot set up chain verification");
        goto out;
    }
    /* OpenSSL 3.0 has no code-signing purpose: "any" here, and the extended key usage is
     * checked by the caller. No dates (cms.h says why); no partial chains (the flag is off by
     * default and stays off): the top of the path is one of cas. */
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_NO_CHECK_TIME);
    X509_VERIFY_PARAM_clear_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        rc = ota_err_set(err, OTA_E_SIGNATURE,
                         CMS_PREFIX ": signer does not chain to a CA in the keyring (%s)",
                         X509_verify_cert_error_string(e));
        goto out;
    }
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    int n = path ? sk_X509_num(path) : 0;
    if (n < 1) {
        rc = ota_err_set(err, OTA_E_SIGNATURE,
                         CMS_PREFIX ": signer does not chain to a CA in the keyring (no path)");
        goto out;
    }
    /* OpenSSL checks this as well; it is the rule, so it is stated here too */
    for (int i = 1; i < n; i++) {
        if (X509_check_ca(sk_X509_value(path, i)) != 1) {
            rc = ota_err_set(err, OTA_E_SIGNATURE,
                             CMS_PREFIX ": signer does not chain to a CA in the keyring "
                                        "(certificate %d of the path is not a CA)",
                             i);
            goto out;
        }
    }
    X509 *top = sk_X509_value(path, n - 1);
    for (size_t i = 0; i < n_cas; i++) {
        if (X509_cmp(cas[i].x509, top) == 0) {
            *anchor = i;
            rc = OTA_OK;
            goto out;
        }
    }
    rc =
        ota_err_set(err, OTA_E_SIGNATURE,
                    CMS_PREFIX ": signer does not chain to a CA in the keyring (anchor not found)");
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}

enum ota_status ota_cms_signer_keyid(char out[OTA_KEYID_HEX_LEN + 1], const struct ota_cert *c,
                                     struct ota_err *err)
{
    memset(out, 0, OTA_KEYID_HEX_LEN + 1);
    enum ota_status rc = spki_keyid(out, c->x509, err);
    ERR_clear_error();
    return rc;
}

enum ota_status ota_cms_verify(struct ota_cms_result *res, const uint8_t *der, size_t der_len,
                               const char *domain, const uint8_t *msg, size_t msg_len,
                               const struct ota_cert *cas, size_t n_cas, struct ota_err *err)
{
    struct ota_cms_result r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    /* der_len comes from the signature block (attacker-controlled): bounded before parsing */
    if (der_len > OTA_MAX_SIG_BYTES)
        return ota_err_set(err, OTA_E_LIMIT, CMS_PREFIX ": %zu bytes, more than the %u allowed",
                           der_len, OTA_MAX_SIG_BYTES);
    if (!der || der_len == 0)
        return ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": empty");
    if (!cas || n_cas == 0)
        return ota_err_set(err, OTA_E_SIGNATURE, CMS_PREFIX ": no CA to check it against");

    ERR_clear_error();
    enum ota_status rc = OTA_E_SIGNATURE;
    CMS_ContentInfo *cms = NULL;
    STACK_OF(X509) *certs = NULL;
    unsigned char *re = NULL;
    uint8_t *content = NULL;
    BIO *cbio = NULL;

    const unsigned char *p = der;
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
    if (!cms || p != der + der_len) {
        rc = ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": not one DER CMS structure");
        goto out;
    }
    /* one encoding per signature: a BER variant that parses to the same thing is refused */
    int rl = i2d_CMS_ContentInfo(cms, &re);
    if (rl <= 0 || (size_t)rl != der_len || CRYPTO_memcmp(re, der, der_len) != 0) {
        rc = ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": not in canonical DER");
        goto out;
    }
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        rc = ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": not a SignedData");
        goto out;
    }
    if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
        rc = ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": content type is not id-data");
        goto out;
    }
    ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
    if (!pos || *pos) {
        rc = ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": content is attached, expected detached");
        goto out;
    }
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    int n_si = sis ? sk_CMS_SignerInfo_num(sis) : 0;
    if (n_si != 1) {
        rc = ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": %d signers, expected exactly one",
                         n_si < 0 ? 0 : n_si);
        goto out;
    }
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
    /* finds the signer among the SignedData's own certificates (the only ones there are) */
    if (CMS_set1_signers_certs(cms, NULL, 0) < 0) {
        rc = ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": malformed signer identifier");
        goto out;
    }
    X509 *signer = NULL;
    X509_ALGOR *dig = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, &signer, &dig, NULL);
    if (!signer) {
        rc = ota_err_set(err, OTA_E_FORMAT, CMS_PREFIX ": signer certificate not included");
        goto out;
    }
    if (!dig || !digest_acceptable(dig)) {
        rc = ota_err_set(err, OTA_E_SIGNATURE,
                         CMS_PREFIX ": digest algorithm is not SHA-256, SHA-384 or SHA-512");
        goto out;
    }

    int sd_version = -1, si_version = -1;
    if (der_versions(&sd_version, &si_version, der, der_len) != 0 ||
        !signer_info_exact(si, signer, sd_version, si_version)) {
        rc = ota_err_set(err, OTA_E_FORMAT,
                         CMS_PREFIX ": signer information is not in the form a signer writes "
                                    "(version, signer identifier or signature algorithm)");
        goto out;
    }

    /* the signer certificate must say it signs code: not merely chain to the CA */
    uint32_t xf = X509_get_extension_flags(signer);
    if ((xf & EXFLAG_INVALID) || !(xf & EXFLAG_XKUSAGE) ||
        !(X509_get_extended_key_usage(signer) & XKU_CODE_SIGN)) {
        rc = ota_err_set(err, OTA_E_SIGNATURE,
                         CMS_PREFIX ": signer certificate has no codeSigning extended key usage");
        goto out;
    }

    certs = CMS_get1_certs(cms);
    if ((rc = check_chain(&r.anchor, signer, certs, cas, n_cas, err)))
        goto out;

    size_t cl = 0;
    content = ota_domain_message(domain, msg, msg_len, &cl);
    if (!content) {
        rc = ota_err_set(err, OTA_E_NOMEM, CMS_PREFIX ": out of memory");
        goto out;
    }
    if (cl > INT_MAX) {
        rc = ota_err_set(err, OTA_E_LIMIT, CMS_PREFIX ": document too large");
        goto out;
    }
    if (!(cbio = BIO_new_mem_buf(content, (int)cl))) {
        rc = ota_err_set(err, OTA_E_NOMEM, CMS_PREFIX ": out of memory");
        goto out;
    }
    /* the chain was checked above, with our own rules */
    if (CMS_verify(cms, NULL, NULL, cbio, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
        rc = ota_err_set(err, OTA_E_SIGNATURE, CMS_PREFIX " does not verify");
        goto out;
    }

    if ((rc = spki_keyid(r.signer_keyid, signer, err)))
        goto out;
    ota_x509_name_line(r.signer_subject, sizeof r.signer_subject, X509_get_subject_name(signer));
    *res = r;
    rc = OTA_OK;
out:
    BIO_free(cbio);
    free(content);
    OPENSSL_free(re);
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return rc;
}
