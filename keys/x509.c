/* x509.c — certificate parsing and description over OpenSSL.
 * Owns: turning untrusted PEM/DER bytes into bounded, described certificates, and chain
 * verification at a given time. Must never: accept a bundle larger than the limits, let an
 * OpenSSL error queue leak into later calls, or trust a certificate because it parsed. */
#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otapack/codec.h"
#include "otapack/fsio.h"
#include "otapack/x509.h"

static int64_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    char s[64];
    snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    int64_t v = 0;
    if (ota_time_parse(&v, s) != 0)
        return tm.tm_year + 1900 < 1970 ? 0 : INT64_C(253402300799);
    return v;
}

void ota_x509_name_line(char *out, size_t outsz, const struct X509_name_st *n)
{
    out[0] = '\0';
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return;
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char raw[1024];
    int len = BIO_read(b, raw, sizeof raw - 1);
    BIO_free(b);
    if (len < 0)
        len = 0;
    raw[len] = '\0';
    ota_printable(out, outsz, raw, (size_t)len); /* names come from outside */
}

static enum ota_status describe(struct ota_cert *c, X509 *x, struct ota_err *err)
{
    memset(c, 0, sizeof *c);
    unsigned char *der = NULL;
    int dl = i2d_X509(x, &der);
    if (dl <= 0)
        return ota_err_set(err, OTA_E_FORMAT, "certificate cannot be encoded");
    if ((size_t)dl > OTA_MAX_CERT_DER) {
        OPENSSL_free(der);
        return ota_err_set(err, OTA_E_LIMIT, "certificate larger than %u bytes", OTA_MAX_CERT_DER);
    }
    enum ota_status rc = ota_sha256_mem(c->sha256, der, (size_t)dl, err);
    OPENSSL_free(der);
    if (rc)
        return rc;
    ota_hex_encode(c->fingerprint, c->sha256, OTA_SHA256_LEN);
    ota_x509_name_line(c->subject, sizeof c->subject, X509_get_subject_name(x));
    ota_x509_name_line(c->issuer, sizeof c->issuer, X509_get_issuer_name(x));
    c->not_before = asn1_time(X509_get0_notBefore(x));
    c->not_after = asn1_time(X509_get0_notAfter(x));
    /* X509_check_ca: 1 for a v3 CA with basicConstraints CA:TRUE (other values cover
     * legacy cases we do not accept as a CA) */
    c->is_ca = X509_check_ca(x) == 1;
    c->self_signed = X509_check_issued(x, x) == X509_V_OK;
    c->subject_hash = X509_subject_name_hash(x);
    EVP_PKEY *pk = X509_get0_pubkey(x);
    if (pk) {
        c->key_bits = EVP_PKEY_get_bits(pk);
        const char *t = EVP_PKEY_get0_type_name(pk);
        snprintf(c->key_type, sizeof c->key_type, "%s", t ? t : "unknown");
    }
    int nid = X509_get_signature_nid(x);
    snprintf(c->sig_alg, sizeof c->sig_alg, "%s", nid != NID_undef ? OBJ_nid2ln(nid) : "unknown");
    int md = NID_undef, pknid = NID_undef;
    if (OBJ_find_sigid_algs(nid, &md, &pknid))
        c->sha1_signature = md == NID_sha1 || md == NID_md5 || md == NID_md2 || md == NID_md4;
    X509_up_ref(x);
    c->x509 = x;
    return OTA_OK;
}

void ota_certs_free(struct ota_certlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        X509_free(l->v[i].x509);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static enum ota_status push(struct ota_certlist *l, X509 *x, const char *what, struct ota_err *err)
{
    if (l->n >= OTA_MAX_CERTS)
        return ota_err_set(err, OTA_E_LIMIT, "%s: more than %u certificates", what, OTA_MAX_CERTS);
    struct ota_cert *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", what);
    l->v = v;
    enum ota_status rc = describe(&l->v[l->n], x, err);
    if (rc)
        return ota_err_prefix(err, "%s: certificate %zu", what, l->n + 1);
    l->n++;
    return OTA_OK;
}

enum ota_status ota_certs_append(struct ota_certlist *l, const struct ota_cert *c,
                                 struct ota_err *err)
{
    return push(l, c->x509, "certificate list", err);
}

static int looks_pem(const char *buf, size_t len)
{
    const char *tag = "-----BEGIN ";
    size_t tl = strlen(tag);
    for (size_t i = 0; i + tl <= len; i++)
        if (!memcmp(buf + i, tag, tl))
            return 1;
    return 0;
}

enum ota_status ota_certs_parse_mem(struct ota_certlist *out, const void *buf, size_t len,
                                    const char *what, struct ota_err *err)
{
    memset(out, 0, sizeof *out);
    if (len > OTA_MAX_BUNDLE_SIZE)
        return ota_err_set(err, OTA_E_LIMIT, "%s: larger than %u bytes", what, OTA_MAX_BUNDLE_SIZE);
    if (len == 0)
        return ota_err_set(err, OTA_E_FORMAT, "%s: empty, no certificate", what);
    ERR_clear_error();
    enum ota_status rc = OTA_OK;
    if (!looks_pem(buf, len)) {
        if (len > OTA_MAX_CERT_DER)
            return ota_err_set(err, OTA_E_LIMIT, "%s: DER certificate larger than %u bytes", what,
                               OTA_MAX_CERT_DER);
        const unsigned char *p = buf;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        if (!x || p != (const unsigned char *)buf + len) {
            X509_free(x);
            ERR_clear_error();
            return ota_err_set(err, OTA_E_FORMAT, "%s: not a PEM or DER certificate", what);
        }
        rc = push(out, x, what, err);
        X509_free(x);
    } else {
        BIO *b = BIO_new_mem_buf(buf, (int)len);
        if (!b)
            return ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", what);
        for (;;) {
            char *name = NULL, *header = NULL;
            unsigned char *data = NULL;
            long dl = 0;
            if (PEM_read_bio(b, &name, &header, &data, &dl) != 1) {
                unsigned long e = ERR_peek_last_error();
                if (ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
                    rc = ota_err_set(err, OTA_E_FORMAT, "%s: malformed PEM after certificate %zu",
                                     what, out->n);
                break;
            }
            if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "TRUSTED CERTIFICATE") != 0) {
                char shown[64];
                rc = ota_err_set(err, OTA_E_FORMAT,
                                 "%s: a PEM '%s' block where certificates were expected", what,
                                 ota_printable(shown, sizeof shown, name, 32));
            } else if ((size_t)dl > OTA_MAX_CERT_DER) {
                rc = ota_err_set(err, OTA_E_LIMIT, "%s: certificate %zu larger than %u bytes", what,
                                 out->n + 1, OTA_MAX_CERT_DER);
            } else {
                const unsigned char *p = data;
                X509 *x = !strcmp(name, "CERTIFICATE") ? d2i_X509(NULL, &p, dl)
                                                       : d2i_X509_AUX(NULL, &p, dl);
                if (!x || p != data + dl)
                    rc = ota_err_set(err, OTA_E_FORMAT, "%s: certificate %zu does not parse", what,
                                     out->n + 1);
                else
                    rc = push(out, x, what, err);
                X509_free(x);
            }
            OPENSSL_free(name);
            OPENSSL_free(header);
            OPENSSL_free(data);
            if (rc)
                break;
        }
        BIO_free(b);
        if (!rc && out->n == 0)
            rc = ota_err_set(err, OTA_E_FORMAT, "%s: no certificate found", what);
    }
    ERR_clear_error();
    if (rc)
        ota_certs_free(out);
    return rc;
}

enum ota_status ota_certs_load(struct ota_certlist *out, const char *path, struct ota_err *err)
{
    char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    enum ota_status rc = ota_fs_read_small(&buf, &len, AT_FDCWD, path, OTA_MAX_BUNDLE_SIZE, err);
    if (rc)
        return rc;
    rc = ota_certs_parse_mem(out, buf, len, path, err);
    free(buf);
    return rc;
}

long ota_certs_find(const struct ota_certlist *l, const uint8_t sha256[OTA_SHA256_LEN])
{
    for (size_t i = 0; i < l->n; i++)
        if (!memcmp(l->v[i].sha256, sha256, OTA_SHA256_LEN))
            return (long)i;
    return -1;
}

void ota_certs_remove(struct ota_certlist *l, size_t i)
{
    if (i >= l->n)
        return;
    X509_free(l->v[i].x509);
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof l->v[0]);
    l->n--;
}

static int by_fp(const void *a, const void *b)
{
    return memcmp(((const struct ota_cert *)a)->sha256, ((const struct ota_cert *)b)->sha256,
                  OTA_SHA256_LEN);
}

void ota_certs_sort(struct ota_certlist *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof l->v[0], by_fp);
}

enum ota_status ota_cert_pem(char **out, size_t *len, const struct ota_cert *c, struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || PEM_write_bio_X509(b, c->x509) != 1) {
        BIO_free(b);
        return ota_err_set(err, OTA_E_CRYPTO, "cannot encode certificate as PEM");
    }
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *s = malloc((size_t)n + 1);
    if (!s) {
        BIO_free(b);
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    }
    memcpy(s, p, (size_t)n);
    s[n] = '\0';
    BIO_free(b);
    *out = s;
    *len = (size_t)n;
    return OTA_OK;
}

enum ota_status ota_certs_pem(char **out, size_t *len, const struct ota_certlist *l,
                              struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    size_t cap = 1, used = 0;
    char *all = malloc(1);
    if (!all)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    all[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        char *p;
        size_t n;
        enum ota_status rc = ota_cert_pem(&p, &n, &l->v[i], err);
        if (rc) {
            free(all);
            return rc;
        }
        if (used + n + 1 > cap) {
            cap = (used + n + 1) * 2;
            char *t = realloc(all, cap);
            if (!t) {
                free(p);
                free(all);
                return ota_err_set(err, OTA_E_NOMEM, "out of memory");
            }
            all = t;
        }
        memcpy(all + used, p, n + 1);
        used += n;
        free(p);
    }
    *out = all;
    *len = used;
    return OTA_OK;
}

int ota_fingerprint_parse(uint8_t out[OTA_SHA256_LEN], const char *s)
{
    char hex[2 * OTA_SHA256_LEN + 1];
    size_t n = 0, len = strlen(s);
    int colons = len == 3 * OTA_SHA256_LEN - 1;
    if (!colons && len != 2 * OTA_SHA256_LEN)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (colons && i % 3 == 2) {
            if (c != ':')
                return -1;
            continue;
        }
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (n >= 2 * OTA_SHA256_LEN)
            return -1;
        hex[n++] = c;
    }
    hex[n] = '\0';
    return ota_hex_decode(out, OTA_SHA256_LEN, hex);
}

void ota_cert_describe(char *out, size_t outsz, const struct ota_cert *c)
{
    snprintf(out, outsz, "%.160s (sha256 %.16s)", c->subject, c->fingerprint);
}

enum ota_status ota_chain_verify(const struct ota_certlist *chain, const struct ota_certlist *roots,
                                 int64_t t, struct ota_err *err)
{
    if (chain->n == 0)
        return ota_err_set(err, OTA_E_FORMAT, "server chain is empty");
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    enum ota_status rc = OTA_OK;
    if (!store || !untrusted || !ctx) {
        rc = ota_err_set(err, OTA_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < roots->n; i++)
        X509_STORE_add_cert(store, roots->v[i].x509);
    for (size_t i = 1; i < chain->n; i++)
        sk_X509_push(untrusted, chain->v[i].x509);
    if (X509_STORE_CTX_init(ctx, store, chain->v[0].x509, untrusted) != 1) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "cannot set up chain verification");
        goto out;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)t);
    /* The question is whether the store holds a root that anchors this chain: the server's
     * own certificates get renewed without a release, so their dates are not checked
     * here; the anchor's are (below). Roots are trust anchors, intermediates come from the
     * server, no partial chains (pinning an intermediate is what broke devices). */
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_NO_CHECK_TIME);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        rc = ota_err_set(err, OTA_E_SIGNATURE, "%s", X509_verify_cert_error_string(e));
        goto out;
    }
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    X509 *anchor =
        path && sk_X509_num(path) > 0 ? sk_X509_value(path, sk_X509_num(path) - 1) : NULL;
    time_t tt = (time_t)t;
    if (!anchor || X509_cmp_time(X509_get0_notAfter(anchor), &tt) <= 0 ||
        X509_cmp_time(X509_get0_notBefore(anchor), &tt) > 0)
        rc = ota_err_set(err, OTA_E_SIGNATURE, "the root that anchors it is not valid now");
out:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    ERR_clear_error();
    return rc;
}
