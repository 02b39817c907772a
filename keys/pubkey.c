/* pubkey.c — public key files, key ids, and threshold verification of signature blocks.
 * Owns: deciding whether a document is signed by enough trusted keys. Must never hold or
 * touch secret key material; this file is linked into the device binary. */
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "otapack/cms.h"
#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/fsio.h"
#include "otapack/key.h"

enum ota_status ota_pubkey_from_ed25519(struct ota_pubkey *k, const uint8_t pk[OTA_ED25519_PK_LEN],
                                        struct ota_err *err)
{
    char hex[2 * OTA_ED25519_PK_LEN + 1];
    char canon[160];
    uint8_t id[OTA_SHA256_LEN];
    memset(k, 0, sizeof *k);
    ota_hex_encode(hex, pk, OTA_ED25519_PK_LEN);
    /* TUF canonical JSON of the key object: keys sorted, no whitespace. */
    int n = snprintf(
        canon, sizeof canon,
        "{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ed25519\"}", hex);
    enum ota_status rc = ota_sha256_mem(id, canon, (size_t)n, err);
    if (rc)
        return rc;
    k->alg = OTA_KEY_ED25519;
    memcpy(k->pk, pk, OTA_ED25519_PK_LEN);
    ota_hex_encode(k->keyid, id, OTA_SHA256_LEN);
    return OTA_OK;
}

enum ota_status ota_pubkey_parse_mem(struct ota_pubkey *k, const char *buf, size_t len,
                                     struct ota_err *err)
{
    static const char head[] = OTA_PUBKEY_HEADER " ed25519 ";
    const size_t hl = sizeof head - 1, kl = 2 * OTA_ED25519_PK_LEN;
    memset(k, 0, sizeof *k);
    if (len == hl + kl + 1 && buf[len - 1] == '\n')
        len--;
    if (len != hl + kl || memcmp(buf, head, hl) != 0)
        return ota_err_set(err, OTA_E_KEY,
                           "not an otapack public key (expected one line '%s<64 hex digits>')",
                           head);
    char hex[2 * OTA_ED25519_PK_LEN + 1];
    memcpy(hex, buf + hl, kl);
    hex[kl] = '\0';
    uint8_t pk[OTA_ED25519_PK_LEN];
    if (ota_hex_decode(pk, sizeof pk, hex) != 0)
        return ota_err_set(err, OTA_E_KEY, "public key is not 64 lowercase hex digits");
    return ota_pubkey_from_ed25519(k, pk, err);
}

enum ota_status ota_pubkey_load(struct ota_pubkey *k, const char *path, struct ota_err *err)
{
    char *buf;
    size_t len;
    memset(k, 0, sizeof *k);
    enum ota_status rc = ota_fs_read_small(&buf, &len, AT_FDCWD, path, OTA_MAX_KEYFILE_SIZE, err);
    if (rc)
        return rc;
    rc = ota_pubkey_parse_mem(k, buf, len, err);
    free(buf);
    if (rc)
        ota_err_prefix(err, "%s", path);
    return rc;
}

void ota_pubkey_format(char *out, size_t outsz, const struct ota_pubkey *k)
{
    char hex[2 * OTA_ED25519_PK_LEN + 1];
    ota_hex_encode(hex, k->pk, OTA_ED25519_PK_LEN);
    snprintf(out, outsz, "%s ed25519 %s\n", OTA_PUBKEY_HEADER, hex);
}

/* A named-curve P-256 SubjectPublicKeyInfo with an uncompressed point: 91 bytes, the point's
 * format byte (0x04) at offset 26. */
#define P256_SPKI_LEN 91
#define P256_POINT_AT 26

/* The SPKI of an ECDSA key on P-256, or NULL (with the OpenSSL error queue cleared). Only one
 * spelling of a key is accepted: a compressed or hybrid point is the same key under another
 * key id, and would let one key count twice toward a threshold. */
static EVP_PKEY *p256_from_spki(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    EVP_PKEY *pk =
        len == P256_SPKI_LEN && der[P256_POINT_AT] == 0x04 ? d2i_PUBKEY(NULL, &p, (long)len) : NULL;
    char curve[32];
    size_t cl = 0;
    unsigned char *re = NULL;
    int rl = pk ? i2d_PUBKEY(pk, &re) : -1;
    if (!pk || p != der + len || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
        !EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof curve, &cl) ||
        strcmp(curve, "prime256v1") != 0 || rl != (int)len || memcmp(re, der, len) != 0) {
        OPENSSL_free(re);
        EVP_PKEY_free(pk);
        ERR_clear_error();
        return NULL;
    }
    OPENSSL_free(re);
    return pk;
}

static enum ota_status spki_pem(char **out, size_t *len, EVP_PKEY *pk, struct ota_err *err)
{
    *out = NULL;
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long n;
    if (!b || !PEM_write_bio_PUBKEY(b, pk) || (n = BIO_get_mem_data(b, &data)) <= 0 ||
        !(*out = malloc((size_t)n + 1))) {
        BIO_free(b);
        ERR_clear_error();
        return ota_err_set(err, OTA_E_CRYPTO, "cannot write a PEM public key");
    }
    memcpy(*out, data, (size_t)n);
    (*out)[n] = '\0';
    *len = (size_t)n;
    BIO_free(b);
    return OTA_OK;
}

enum ota_status ota_pubkey_from_spki(struct ota_pubkey *k, const uint8_t *der, size_t len,
                                     struct ota_err *err)
{
    memset(k, 0, sizeof *k);
    EVP_PKEY *pk = p256_from_spki(der, len);
    if (!pk)
        return ota_err_set(err, OTA_E_KEY,
                           "public key is not an ECDSA P-256 key (named curve, uncompressed "
                           "point)");
    char *pem, *canon = NULL;
    size_t pl;
    enum ota_status rc = spki_pem(&pem, &pl, pk, err);
    EVP_PKEY_free(pk);
    if (rc)
        return rc;
    /* canonical JSON escapes only '"' and '\\', which PEM never holds: the text goes in raw */
    static const char head[] = "{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"",
                      tail[] = "\"},\"scheme\":\"ecdsa-sha2-nistp256\"}";
    size_t cl = sizeof head - 1 + pl + sizeof tail - 1;
    uint8_t id[OTA_SHA256_LEN];
    if (!(canon = malloc(cl))) {
        free(pem);
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    }
    memcpy(canon, head, sizeof head - 1);
    memcpy(canon + sizeof head - 1, pem, pl);
    memcpy(canon + sizeof head - 1 + pl, tail, sizeof tail - 1);
    rc = ota_sha256_mem(id, canon, cl, err);
    free(canon);
    free(pem);
    if (rc)
        return rc;
    k->alg = OTA_KEY_ECDSA_P256;
    memcpy(k->spki, der, len);
    k->spki_len = len;
    ota_hex_encode(k->keyid, id, OTA_SHA256_LEN);
    return OTA_OK;
}

enum ota_status ota_pubkey_pem(char **out, size_t *len, const struct ota_pubkey *k,
                               struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    if (k->alg != OTA_KEY_ECDSA_P256)
        return ota_err_set(err, OTA_E_KEY, "key %.16s is not an ECDSA key", k->keyid);
    EVP_PKEY *pk = p256_from_spki(k->spki, k->spki_len);
    if (!pk)
        return ota_err_set(err, OTA_E_KEY, "key %.16s is not an ECDSA P-256 key", k->keyid);
    enum ota_status rc = spki_pem(out, len, pk, err);
    EVP_PKEY_free(pk);
    return rc;
}

enum ota_status ota_pubkey_parse_pem(struct ota_pubkey *k, const char *buf, size_t len,
                                     struct ota_err *err)
{
    memset(k, 0, sizeof *k);
    if (len > OTA_MAX_KEYFILE_SIZE)
        return ota_err_set(err, OTA_E_LIMIT, "public key larger than %u bytes",
                           OTA_MAX_KEYFILE_SIZE);
    BIO *b = BIO_new_mem_buf(buf, (int)len);
    EVP_PKEY *pk = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    if (!pk)
        return ota_err_set(err, OTA_E_KEY, "not a PEM public key ('BEGIN PUBLIC KEY')");
    enum ota_status rc;
    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
        uint8_t raw[OTA_ED25519_PK_LEN];
        size_t rl = sizeof raw;
        rc = EVP_PKEY_get_raw_public_key(pk, raw, &rl) && rl == sizeof raw
                 ? ota_pubkey_from_ed25519(k, raw, err)
                 : ota_err_set(err, OTA_E_KEY, "unreadable Ed25519 public key");
    } else {
        unsigned char *der = NULL;
        int dl = i2d_PUBKEY(pk, &der);
        rc = dl > 0 ? ota_pubkey_from_spki(k, der, (size_t)dl, err)
                    : ota_err_set(err, OTA_E_KEY, "unreadable public key");
        OPENSSL_free(der);
    }
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return rc;
}

const char *ota_pubkey_method(const struct ota_pubkey *k)
{
    switch (k->alg) {
    case OTA_KEY_ED25519:
        return OTA_METHOD_ED25519;
    case OTA_KEY_ECDSA_P256:
        return OTA_METHOD_ECDSA_P256;
    case OTA_KEY_X509_CA:
        return OTA_METHOD_CMS;
    }
    return "";
}

static int ecdsa_verify(const struct ota_pubkey *k, const uint8_t *sig, size_t sig_len,
                        const uint8_t *m, size_t mlen)
{
    EVP_PKEY *pk = p256_from_spki(k->spki, k->spki_len);
    EVP_MD_CTX *c = pk ? EVP_MD_CTX_new() : NULL;
    int ok = c && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pk) == 1 &&
             EVP_DigestVerify(c, sig, sig_len, m, mlen) == 1;
    EVP_MD_CTX_free(c);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return ok ? 0 : -1;
}

int ota_pubkey_verify(const struct ota_pubkey *k, const uint8_t *sig, size_t sig_len,
                      const char *domain, const uint8_t *msg, size_t msg_len)
{
    if (sodium_init() < 0 || (k->alg != OTA_KEY_ED25519 && k->alg != OTA_KEY_ECDSA_P256))
        return -1;
    if (k->alg == OTA_KEY_ED25519 && sig_len != OTA_ED25519_SIG_LEN)
        return -1;
    size_t mlen = msg_len;
    uint8_t *m = domain ? ota_domain_message(domain, msg, msg_len, &mlen) : NULL;
    if (domain && !m)
        return -1;
    const uint8_t *signed_bytes = domain ? m : msg;
    int ok = k->alg == OTA_KEY_ED25519 ? crypto_sign_verify_detached(sig, signed_bytes, mlen, k->pk)
                                       : ecdsa_verify(k, sig, sig_len, signed_bytes, mlen);
    free(m);
    return ok == 0 ? 0 : -1;
}

int ota_sig_verify(const uint8_t *sig, size_t sig_len, const char *domain, const uint8_t *msg,
                   size_t msg_len, const struct ota_pubkey *k)
{
    return ota_pubkey_verify(k, sig, sig_len, domain, msg, msg_len);
}

static const struct ota_pubkey *find_key(const struct ota_pubkey *keys, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(keys[i].keyid, id))
            return &keys[i];
    return NULL;
}

static int seen(const struct ota_verify_result *r, const char *id)
{
    for (size_t j = 0; j < r->n_valid; j++)
        if (!strcmp(r->valid[j], id))
            return 1;
    return 0;
}

static int seen_material(char m[][OTA_KEYID_HEX_LEN + 1], size_t n, const char *id)
{
    for (size_t j = 0; j < n; j++)
        if (!strcmp(m[j], id))
            return 1;
    return 0;
}

/* SHA-256 of an ECDSA key's SubjectPublicKeyInfo: how a CMS signer's key is named. */
static enum ota_status spki_keyid(char out[OTA_KEYID_HEX_LEN + 1], const struct ota_pubkey *k,
                                  struct ota_err *err)
{
    uint8_t h[OTA_SHA256_LEN];
    enum ota_status rc = ota_sha256_mem(h, k->spki, k->spki_len, err);
    if (!rc)
        ota_hex_encode(out, h, OTA_SHA256_LEN);
    return rc;
}

enum ota_status ota_verify_threshold(struct ota_verify_result *res, const char *domain,
                                     const uint8_t *doc, size_t doc_len,
                                     const struct ota_sigblock *block,
                                     const struct ota_pubkey *keys, size_t n_keys,
                                     unsigned threshold, struct ota_err *err)
{
    struct ota_verify_result r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    if (threshold < 1)
        return ota_err_set(err, OTA_E_USAGE, "signature threshold must be at least 1");
    if (block->n == 0)
        return ota_err_set(err, OTA_E_SIGNATURE, "package is unsigned");
    /* CA keys: a CMS signature counts for the CA its signer chains to */
    size_t n_cas = 0;
    for (size_t i = 0; i < n_keys; i++)
        n_cas += keys[i].alg == OTA_KEY_X509_CA && keys[i].ca;
    struct ota_cert *cas = NULL;
    size_t *ca_key = NULL;
    if (n_cas) {
        cas = calloc(n_cas, sizeof *cas);
        ca_key = calloc(n_cas, sizeof *ca_key);
        if (!cas || !ca_key) {
            free(cas);
            free(ca_key);
            return ota_err_set(err, OTA_E_NOMEM, "out of memory");
        }
        for (size_t i = 0, c = 0; i < n_keys; i++)
            if (keys[i].alg == OTA_KEY_X509_CA && keys[i].ca) {
                cas[c] = *keys[i].ca; /* a borrowed view: the keyring owns the certificate */
                ca_key[c++] = i;
            }
    }
    enum ota_status rc = OTA_OK;
    char material[OTA_MAX_SIGNATURES][OTA_KEYID_HEX_LEN + 1]; /* SPKI hashes credited */
    size_t n_material = 0;
    for (size_t i = 0; !rc && i < block->n; i++) {
        const struct ota_signature *s = &block->sigs[i];
        if (!strcmp(s->method, OTA_METHOD_CMS)) {
            struct ota_cms_result cr;
            if (!n_cas) { /* no CA trusted: as a signature by an unknown key */
                r.n_untrusted++;
                continue;
            }
            if ((rc = ota_cms_verify(&cr, s->sig, s->sig_len, domain, doc, doc_len, cas, n_cas,
                                     err))) {
                ota_err_prefix(err, "signature %.16s", s->keyid);
                break;
            }
            if (strcmp(cr.signer_keyid, s->keyid) != 0) {
                rc = ota_err_set(err, OTA_E_SIGNATURE,
                                 "CMS signature filed under key id %.16s, its signer's is %.16s",
                                 s->keyid, cr.signer_keyid);
                break;
            }
            /* one signing key counts once: two signers under one CA count once, and one
             * signer reaching two CAs (a cross-signed intermediate) or also listed as an
             * ECDSA key counts once */
            const char *ca_id = keys[ca_key[cr.anchor]].keyid;
            if (!seen(&r, ca_id) && !seen_material(material, n_material, cr.signer_keyid)) {
                memcpy(r.valid[r.n_valid++], ca_id, OTA_KEYID_HEX_LEN + 1);
                memcpy(material[n_material++], cr.signer_keyid, OTA_KEYID_HEX_LEN + 1);
            }
            continue;
        }
        const struct ota_pubkey *k = find_key(keys, n_keys, s->keyid);
        if (!k) {
            r.n_untrusted++;
            continue;
        }
        if (strcmp(s->method, ota_pubkey_method(k)) != 0) {
            char shown[4 * OTA_MAX_METHOD_LEN + 8];
            rc = ota_err_set(err, OTA_E_SIGNATURE,
                             "signature by key %.16s uses method '%s', key is %s", s->keyid,
                             ota_printable(shown, sizeof shown, s->method, OTA_MAX_METHOD_LEN),
                             ota_pubkey_method(k));
        } else if (ota_pubkey_verify(k, s->sig, s->sig_len, domain, doc, doc_len) != 0) {
            rc = ota_err_set(err, OTA_E_SIGNATURE, "signature by key %.16s does not verify",
                             s->keyid);
        } else {
            /* the block parser rejects a key id listed twice, and a key has one key id (one
             * spelling), so valid keys are distinct; an ECDSA key also used as a CMS signer
             * counts once */
            char spki_id[OTA_KEYID_HEX_LEN + 1] = "";
            if (k->alg == OTA_KEY_ECDSA_P256 && (rc = spki_keyid(spki_id, k, err)))
                break;
            if (!spki_id[0] || !seen_material(material, n_material, spki_id)) {
                memcpy(r.valid[r.n_valid++], s->keyid, OTA_KEYID_HEX_LEN + 1);
                if (spki_id[0])
                    memcpy(material[n_material++], spki_id, OTA_KEYID_HEX_LEN + 1);
            }
        }
    }
    free(cas);
    free(ca_key);
    if (rc)
        return rc;
    if (r.n_valid < threshold) {
        if (r.n_valid == 0)
            return ota_err_set(err, OTA_E_SIGNATURE,
                               "no signature by a trusted key (signed by %.16s%s)",
                               block->sigs[0].keyid, block->n > 1 ? " and others" : "");
        return ota_err_set(err, OTA_E_SIGNATURE, "%zu valid signature%s, %u required", r.n_valid,
                           r.n_valid == 1 ? "" : "s", threshold);
    }
    *res = r;
    return OTA_OK;
}
