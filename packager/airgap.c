/* airgap.c — air-gapped signing: `otapack digest` and `otapack attach-signature`.
 * Owns: handing an offline signer the exact bytes an Ed25519 manifest signature covers
 * (FORMAT.md section 4: "otapack/manifest/v1", a NUL, then the manifest bytes as stored),
 * decoding a signature made elsewhere, and adding it to a package once it verifies.
 * Must never: hand out bytes of a package whose payloads do not match its manifest, or write
 * a signature that does not verify with the key it is filed under. Rewriting the package is
 * sign.c's (ota_pack_rewrite); this file holds no secret key. */
#include <stdlib.h>
#include <string.h>

#include "otapack/codec.h"
#include "otapack/package.h"
#include "otapack/cms.h"
#include "otapack/packager.h"
#include "rewrite.h"

enum ota_status ota_pack_digest(uint8_t **msg, size_t *msg_len, int fd, struct ota_err *err)
{
    *msg = NULL;
    *msg_len = 0;
    struct ota_pkg_reader *r = NULL;
    struct ota_manifest m;
    struct ota_sigblock b;
    memset(&m, 0, sizeof m);
    memset(&b, 0, sizeof b);
    const char *mj, *sj;
    size_t ml, sl;
    uint8_t *out = NULL;
    size_t dl = sizeof OTA_DOMAIN_MANIFEST; /* the domain string and its NUL */

    /* the same reading as sign: head, both documents parsed, every payload checked against
     * the manifest, the container audited to its last byte */
    enum ota_status rc = ota_pkg_reader_open_fd(&r, fd, err);
    if (rc)
        return rc;
    if ((rc = ota_pkg_reader_head(r, &mj, &ml, &sj, &sl, err)) ||
        (rc = ota_sigblock_parse_mem(&b, sj, sl, err)) ||
        (rc = ota_manifest_parse_mem(&m, mj, ml, err)))
        goto done;
    for (size_t i = 0; i < m.n_payloads; i++)
        if ((rc = ota_pkg_reader_payload(r, &m, i, OTA_SINK_STORED, NULL, NULL, err)))
            goto done;
    if ((rc = ota_pkg_reader_finish(r, &m, err)))
        goto done;
    /* ml is bounded by OTA_MAX_MANIFEST_SIZE in the reader: dl + ml cannot overflow */
    if (!(out = malloc(dl + ml))) {
        rc = ota_err_set(err, OTA_E_NOMEM, "out of memory");
        goto done;
    }
    memcpy(out, OTA_DOMAIN_MANIFEST, dl);
    memcpy(out + dl, mj, ml);
    *msg = out;
    *msg_len = dl + ml;
    rc = OTA_OK;
done:
    ota_pkg_reader_free(r);
    ota_manifest_free(&m);
    ota_sigblock_free(&b);
    return rc;
}

static int is_lower_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

enum ota_status ota_pack_sig_parse_mem(uint8_t sig[OTA_ED25519_SIG_LEN], const void *buf,
                                       size_t len, struct ota_err *err)
{
    const uint8_t *p = buf;
    char hex[2 * OTA_ED25519_SIG_LEN + 1];
    memset(sig, 0, OTA_ED25519_SIG_LEN);
    /* len is the size of a file from outside: one of exactly three lengths, or nothing */
    if (len == OTA_ED25519_SIG_LEN) { /* raw, as `openssl pkeyutl -sign` writes it */
        memcpy(sig, p, OTA_ED25519_SIG_LEN);
        return OTA_OK;
    }
    if (len == 2 * OTA_ED25519_SIG_LEN + 1 && p[len - 1] == '\n')
        len--;
    if (len == 2 * OTA_ED25519_SIG_LEN) {
        if (!is_lower_hex(p, len))
            return ota_err_set(err, OTA_E_FORMAT,
                               "hex signature: expected 128 lowercase hex digits");
        memcpy(hex, p, len);
        hex[len] = '\0';
        if (ota_hex_decode(sig, OTA_ED25519_SIG_LEN, hex) != 0)
            return ota_err_set(err, OTA_E_FORMAT,
                               "hex signature: expected 128 lowercase hex digits");
        return OTA_OK;
    }
    return ota_err_set(err, OTA_E_FORMAT,
                       "expected a 64-byte Ed25519 signature or 128 lowercase hex digits, "
                       "got %zu bytes",
                       len);
}

struct attach_ctx {
    const uint8_t *sig;
    size_t sig_len;
    const struct ota_pubkey *key;
};

/* Runs on the manifest bytes as read from the package, before anything is written. */
static enum ota_status attach_edit(void *ctx, struct ota_sigblock *b, const char *manifest,
                                   size_t mlen, struct ota_err *err)
{
    const struct attach_ctx *c = ctx;
    if (c->key->alg == OTA_KEY_X509_CA) {
        /* a CMS signature: its signer must chain to this CA with codeSigning, as on a device
         * whose keyring holds the CA */
        struct ota_cms_result cr;
        enum ota_status rc = ota_cms_verify(&cr, c->sig, c->sig_len, OTA_DOMAIN_MANIFEST,
                                            (const uint8_t *)manifest, mlen, c->key->ca, 1, err);
        return rc ? rc
                  : ota_sigblock_put(b, cr.signer_keyid, OTA_METHOD_CMS, c->sig, c->sig_len, err);
    }
    if (ota_pubkey_verify(c->key, c->sig, c->sig_len, OTA_DOMAIN_MANIFEST,
                          (const uint8_t *)manifest, mlen) != 0)
        return ota_err_set(err, OTA_E_SIGNATURE, "signature does not verify with key %.16s",
                           c->key->keyid);
    /* replaces a signature by the same key (for Ed25519, deterministic: the same bytes) */
    return ota_sigblock_put(b, c->key->keyid, ota_pubkey_method(c->key), c->sig, c->sig_len, err);
}

enum ota_status ota_pack_attach_signature(const char *in_path, const char *out_path,
                                          const uint8_t *sig, size_t sig_len,
                                          const struct ota_pubkey *key, struct ota_err *err)
{
    if (key->alg == OTA_KEY_X509_CA && !key->ca)
        return ota_err_set(err, OTA_E_USAGE, "a CA key without its certificate");
    if (key->alg == OTA_KEY_ED25519 && sig_len != OTA_ED25519_SIG_LEN)
        return ota_err_set(err, OTA_E_FORMAT, "an Ed25519 signature is %u bytes, got %zu",
                           OTA_ED25519_SIG_LEN, sig_len);
    if (sig_len < 1 || sig_len > OTA_MAX_SIG_BYTES)
        return ota_err_set(err, OTA_E_LIMIT, "a signature of %zu bytes (at most %u)", sig_len,
                           OTA_MAX_SIG_BYTES);
    struct attach_ctx c = {sig, sig_len, key};
    return ota_pack_rewrite(in_path, out_path, attach_edit, &c, err);
}
