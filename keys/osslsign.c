/* osslsign.c — signing with OpenSSL private keys (host side, library otakeys_secret).
 * Owns: PEM private keys (parsing, passphrases), raw ECDSA P-256 and Ed25519 signatures, the
 * public half and its key id, and making CMS SignedData signatures the device will accept
 * (keys/cms.c checks them). Keys in a token come from pkcs11.c and are used the same way.
 * Must never: print, exit, put a passphrase, PIN or key bytes in a message, leave a PEM or a
 * passphrase in memory unwiped, or hand out a signature it has not verified. */
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "osskey_int.h"
#include "secret_file.h"
#include "otapack/cms.h"
#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/fsio.h"
#include "otapack/key.h"
#include "otapack/limits.h"

enum ota_status ota_osskey_classify(enum ota_osskey_alg *alg, EVP_PKEY *pkey, const char *what,
                                    struct ota_err *err)
{
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_ED25519:
        *alg = OTA_OSSKEY_ED25519;
        return OTA_OK;
    case EVP_PKEY_EC: {
        char group[64] = "";
        size_t gl = 0;
        if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &gl) != 1 ||
            (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0))
            return ota_err_set(err, OTA_E_UNSUPPORTED,
                               "%s: an EC key on a curve other than P-256 (prime256v1)", what);
        *alg = OTA_OSSKEY_ECDSA_P256;
        return OTA_OK;
    }
    case EVP_PKEY_RSA:
        if (EVP_PKEY_get_bits(pkey) < 2048)
            return ota_err_set(err, OTA_E_UNSUPPORTED, "%s: an RSA key of %d bits (at least 2048)",
                               what, EVP_PKEY_get_bits(pkey));
        *alg = OTA_OSSKEY_RSA;
        return OTA_OK;
    default:
        return ota_err_set(
            err, OTA_E_UNSUPPORTED, "%s: a %s key; otapack signs with ECDSA P-256, Ed25519 or RSA",
            what, EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown");
    }
}

struct pass_cb {
    const char *pass;
    size_t len;
    int asked;
};

/* OpenSSL's PEM password callback: hands over the passphrase once, remembers it was asked. */
static int pem_pass(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    struct pass_cb *p = u;
    p->asked = 1;
    if (!p->pass || size < 0 || p->len > (size_t)size)
        return -1;
    memcpy(buf, p->pass, p->len);
    return (int)p->len;
}

enum ota_status ota_osskey_parse_pem(struct ota_osskey **key, const char *buf, size_t len,
                                     const char *pass, size_t pass_len, const char *what,
                                     struct ota_err *err)
{
    *key = NULL;
    if (len > OTA_MAX_KEYFILE_SIZE)
        return ota_err_set(err, OTA_E_LIMIT, "%s: larger than %u bytes", what,
                           OTA_MAX_KEYFILE_SIZE);
    ERR_clear_error();
    BIO *b = BIO_new_mem_buf(buf, (int)len);
    if (!b)
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", what);
    struct pass_cb cb = {pass, pass_len, 0};
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, pem_pass, &cb);
    BIO_free(b);
    ERR_clear_error();
    if (!pk) {
        if (cb.asked && !pass)
            return ota_err_set(err, OTA_E_USAGE,
                               "%s: encrypted key needs a passphrase (--passphrase-file or "
                               "OTAPACK_PASSPHRASE)",
                               what);
        if (cb.asked)
            return ota_err_set(err, OTA_E_KEY, "%s: wrong passphrase or damaged key file", what);
        return ota_err_set(err, OTA_E_KEY, "%s: not a PEM private key", what);
    }
    struct ota_osskey *k = calloc(1, sizeof *k);
    enum ota_status rc = k ? ota_osskey_classify(&k->alg, pk, what, err)
                           : ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", what);
    if (rc) {
        EVP_PKEY_free(pk);
        free(k);
        return rc;
    }
    k->pkey = pk;
    *key = k;
    return OTA_OK;
}

enum ota_status ota_osskey_load_pem(struct ota_osskey **key, const char *path, const char *pass,
                                    size_t pass_len, struct ota_err *err)
{
    *key = NULL;
    char *buf;
    size_t got;
    enum ota_status rc = ota_secret_file_read(&buf, &got, path, "private key", err);
    if (rc)
        return rc;
    rc = ota_osskey_parse_pem(key, buf, got, pass, pass_len, path, err);
    ota_secret_file_free(buf);
    return rc;
}

void ota_osskey_free(struct ota_osskey *key)
{
    if (!key)
        return;
    EVP_PKEY_free(key->pkey); /* before the engine that may back it */
    if (key->engine)
        ota_pkcs11_release(key->engine);
    free(key);
}

enum ota_osskey_alg ota_osskey_alg(const struct ota_osskey *key)
{
    return key->alg;
}

/* One-shot sign and verify of m with pkey: md NULL for Ed25519, SHA-256 otherwise. */
static enum ota_status sign_verify(uint8_t *sig, size_t *sig_len, size_t cap, const uint8_t *m,
                                   size_t mlen, EVP_PKEY *pkey, const EVP_MD *md,
                                   struct ota_err *err)
{
    enum ota_status rc = OTA_OK;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t n = cap;
    if (!ctx)
        return ota_err_set(err, OTA_E_NOMEM, "sign: out of memory");
    if (EVP_DigestSignInit(ctx, NULL, md, NULL, pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &n, m, mlen) != 1 || n > cap ||
        EVP_DigestSign(ctx, sig, &n, m, mlen) != 1) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "sign: the key did not sign");
        goto out;
    }
    EVP_MD_CTX_free(ctx);
    /* check what the key (perhaps a token) made, with its public half, before handing it out */
    if (!(ctx = EVP_MD_CTX_new())) {
        rc = ota_err_set(err, OTA_E_NOMEM, "sign: out of memory");
        goto out;
    }
    if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) != 1 ||
        EVP_DigestVerify(ctx, sig, n, m, mlen) != 1) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "sign: the key made a signature that does not verify");
        goto out;
    }
    *sig_len = n;
out:
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

enum ota_status ota_osskey_sign_raw(char method[OTA_MAX_METHOD_LEN + 1], uint8_t *sig,
                                    size_t *sig_len, size_t sig_cap, const char *domain,
                                    const uint8_t *msg, size_t msg_len, struct ota_osskey *key,
                                    struct ota_err *err)
{
    method[0] = '\0';
    *sig_len = 0;
    const EVP_MD *md = NULL;
    const char *name = NULL;
    if (key->alg == OTA_OSSKEY_ED25519) {
        name = OTA_METHOD_ED25519;
    } else if (key->alg == OTA_OSSKEY_ECDSA_P256) {
        name = OTA_METHOD_ECDSA_P256;
        md = EVP_sha256();
    } else {
        return ota_err_set(err, OTA_E_UNSUPPORTED,
                           "sign: an RSA key signs only CMS (give its certificate with --cert)");
    }
    size_t mlen = msg_len;
    uint8_t *m = domain ? ota_domain_message(domain, msg, msg_len, &mlen) : NULL;
    if (domain && !m)
        return ota_err_set(err, OTA_E_NOMEM, "sign: out of memory");
    enum ota_status rc =
        sign_verify(sig, sig_len, sig_cap, domain ? m : msg, mlen, key->pkey, md, err);
    free(m);
    if (rc) {
        OPENSSL_cleanse(sig, sig_cap);
        *sig_len = 0;
        return rc;
    }
    snprintf(method, OTA_MAX_METHOD_LEN + 1, "%s", name);
    return OTA_OK;
}

void ota_osskey_pub_free(struct ota_osskey_pub *pub)
{
    if (!pub)
        return;
    free(pub->spki);
    free(pub->pem);
    memset(pub, 0, sizeof *pub);
}

enum ota_status ota_osskey_public(struct ota_osskey_pub *pub, const struct ota_osskey *key,
                                  struct ota_err *err)
{
    memset(pub, 0, sizeof *pub);
    struct ota_osskey_pub p;
    memset(&p, 0, sizeof p);
    p.alg = key->alg;
    enum ota_status rc = OTA_OK;
    unsigned char *der = NULL;
    BIO *b = NULL;
    int dl = i2d_PUBKEY(key->pkey, &der);
    if (dl <= 0 || !(p.spki = malloc((size_t)dl))) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "public key: cannot be encoded");
        goto out;
    }
    memcpy(p.spki, der, (size_t)dl);
    p.spki_len = (size_t)dl;
    char *text;
    if (!(b = BIO_new(BIO_s_mem())) || PEM_write_bio_PUBKEY(b, key->pkey) != 1) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "public key: cannot be encoded as PEM");
        goto out;
    }
    long tl = BIO_get_mem_data(b, &text);
    if (tl <= 0 || !(p.pem = malloc((size_t)tl + 1))) {
        rc = ota_err_set(err, OTA_E_NOMEM, "public key: out of memory");
        goto out;
    }
    memcpy(p.pem, text, (size_t)tl);
    p.pem[tl] = '\0';
    p.pem_len = (size_t)tl;
    if (key->alg == OTA_OSSKEY_ED25519) {
        uint8_t raw[OTA_ED25519_PK_LEN];
        size_t rl = sizeof raw;
        struct ota_pubkey k;
        if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &rl) != 1 || rl != sizeof raw) {
            rc = ota_err_set(err, OTA_E_CRYPTO, "public key: no raw Ed25519 key");
            goto out;
        }
        if ((rc = ota_pubkey_from_ed25519(&k, raw, err)))
            goto out;
        memcpy(p.keyid, k.keyid, sizeof p.keyid);
    } else if (key->alg == OTA_OSSKEY_ECDSA_P256) {
        struct ota_pubkey k;
        if ((rc = ota_pubkey_from_spki(&k, p.spki, p.spki_len, err)))
            goto out;
        memcpy(p.keyid, k.keyid, sizeof p.keyid);
    }
    *pub = p;
    memset(&p, 0, sizeof p);
out:
    ota_osskey_pub_free(&p);
    BIO_free(b);
    OPENSSL_free(der);
    ERR_clear_error();
    return rc;
}

/* What the device will check (cms.c), checked here first, plus the dates the device cannot. */
static enum ota_status check_signer_cert(X509 *x, EVP_PKEY *pkey, const char *name,
                                         struct ota_err *err)
{
    if (X509_check_private_key(x, pkey) != 1)
        return ota_err_set(err, OTA_E_KEY,
                           "certificate %s: its public key is not the signing key's", name);
    uint32_t xf = X509_get_extension_flags(x);
    if ((xf & EXFLAG_INVALID) || !(xf & EXFLAG_XKUSAGE) ||
        !(X509_get_extended_key_usage(x) & XKU_CODE_SIGN))
        return ota_err_set(err, OTA_E_KEY,
                           "certificate %s: no codeSigning extended key usage (devices refuse "
                           "its signatures)",
                           name);
    if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0)
        return ota_err_set(err, OTA_E_EXPIRED, "certificate %s: not yet valid", name);
    if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
        return ota_err_set(err, OTA_E_EXPIRED, "certificate %s: expired", name);
    return OTA_OK;
}

enum ota_status ota_cms_sign(uint8_t **der, size_t *len, const char *domain, const uint8_t *msg,
                             size_t msg_len, struct ota_osskey *key, const struct ota_cert *signer,
                             const struct ota_certlist *chain, struct ota_err *err)
{
    *der = NULL;
    *len = 0;
    char name[200];
    ota_cert_describe(name, sizeof name, signer);
    if (key->alg == OTA_OSSKEY_ED25519)
        return ota_err_set(err, OTA_E_UNSUPPORTED,
                           "CMS with an Ed25519 key: OpenSSL 3.0 cannot make it (sign raw, "
                           "without --cert)");
    ERR_clear_error();
    enum ota_status rc = check_signer_cert(signer->x509, key->pkey, name, err);
    if (rc) {
        ERR_clear_error();
        return rc;
    }
    STACK_OF(X509) *certs = sk_X509_new_null();
    CMS_ContentInfo *cms = NULL;
    BIO *in = NULL;
    unsigned char *out = NULL;
    size_t cl = 0;
    uint8_t *content = ota_domain_message(domain, msg, msg_len, &cl);
    if (!certs || !content) {
        rc = ota_err_set(err, OTA_E_NOMEM, "CMS: out of memory");
        goto done;
    }
    for (size_t i = 0; chain && i < chain->n; i++) {
        if (!sk_X509_push(certs, chain->v[i].x509)) {
            rc = ota_err_set(err, OTA_E_NOMEM, "CMS: out of memory");
            goto done;
        }
    }
    if (cl > INT_MAX || !(in = BIO_new_mem_buf(content, (int)cl))) {
        rc = ota_err_set(err, OTA_E_NOMEM, "CMS: out of memory");
        goto done;
    }
    const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP;
    if (!(cms = CMS_sign(NULL, NULL, certs, NULL, flags | CMS_PARTIAL)) ||
        !CMS_add1_signer(cms, signer->x509, key->pkey, EVP_sha256(), flags) ||
        CMS_final(cms, in, NULL, flags) != 1) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "CMS: signing with %s failed", name);
        goto done;
    }
    int n = i2d_CMS_ContentInfo(cms, &out);
    if (n <= 0) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "CMS: cannot encode the signature");
        goto done;
    }
    if ((size_t)n > OTA_MAX_SIG_BYTES) {
        rc = ota_err_set(err, OTA_E_LIMIT,
                         "CMS signature of %d bytes: more than the %u a signature holds (fewer "
                         "or smaller chain certificates?)",
                         n, OTA_MAX_SIG_BYTES);
        goto done;
    }
    /* the signature over the content, as the device checks it (the chain is the device's) */
    BIO_free(in);
    if (!(in = BIO_new_mem_buf(content, (int)cl)) ||
        CMS_verify(cms, NULL, NULL, in, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "CMS: the signature made does not verify");
        goto done;
    }
    if (!(*der = malloc((size_t)n))) {
        rc = ota_err_set(err, OTA_E_NOMEM, "CMS: out of memory");
        goto done;
    }
    memcpy(*der, out, (size_t)n);
    *len = (size_t)n;
    rc = OTA_OK;
done:
    OPENSSL_free(out);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    free(content);
    sk_X509_free(certs); /* references only: the certificates belong to the caller */
    ERR_clear_error();
    return rc;
}
