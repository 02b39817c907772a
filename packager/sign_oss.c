/* sign_oss.c — `otapack sign` with OpenSSL keys: PEM private keys, keys in an HSM (PKCS#11),
 * and CMS signatures with a certificate. The library half (the CLI is sign_oss_cli.c).
 * Owns: adding raw ("ed25519", "ecdsa-sha2-nistp256") and "cms" signatures, filed under the
 * right key ids, in one rewrite of the package (sign.c's ota_pack_rewrite). Must never: write
 * a signature that was not checked, or anything at all when one signature fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/cms.h"
#include "otapack/osslsign.h"
#include "otapack/packager.h"
#include "pack_util.h"
#include "rewrite.h"

struct oss_ctx {
    const struct ota_sign_request *req;
    struct ota_sign_added *added;
};

static void note(struct ota_sign_added *a, const char *keyid, const char *method)
{
    if (a->n >= OTA_MAX_SIGNATURES)
        return;
    snprintf(a->v[a->n].keyid, sizeof a->v[a->n].keyid, "%s", keyid);
    snprintf(a->v[a->n].method, sizeof a->v[a->n].method, "%s", method);
    a->n++;
}

static enum ota_status oss_edit(void *ctx, struct ota_sigblock *b, const char *manifest,
                                size_t mlen, struct ota_err *err)
{
    const struct oss_ctx *c = ctx;
    const struct ota_sign_request *r = c->req;
    const uint8_t *m = (const uint8_t *)manifest;
    enum ota_status rc = OTA_OK;
    if (r->n_keys) {
        if ((rc = ota_pack_sign_manifest(b, manifest, mlen, r->keys, r->n_keys, err)))
            return rc;
        for (size_t i = 0; i < r->n_keys; i++)
            note(c->added, ota_seckey_public(r->keys[i])->keyid, "ed25519");
    }
    for (size_t i = 0; i < r->n_raw; i++) {
        struct ota_osskey_pub pub;
        char method[OTA_MAX_METHOD_LEN + 1];
        uint8_t sig[OTA_OSSKEY_MAX_SIG];
        size_t n = 0;
        if ((rc = ota_osskey_public(&pub, r->raw[i], err)))
            return rc;
        if (!pub.keyid[0]) {
            ota_osskey_pub_free(&pub);
            return ota_err_set(err, OTA_E_UNSUPPORTED,
                               "an RSA key signs only CMS (give its certificate with --cert)");
        }
        rc = ota_osskey_sign_raw(method, sig, &n, sizeof sig, OTA_DOMAIN_MANIFEST, m, mlen,
                                 r->raw[i], err);
        if (!rc)
            rc = ota_sigblock_put(b, pub.keyid, method, sig, n, err);
        if (!rc)
            note(c->added, pub.keyid, method);
        ota_osskey_pub_free(&pub);
        if (rc)
            return rc;
    }
    if (r->cms_key) {
        char keyid[OTA_KEYID_HEX_LEN + 1];
        uint8_t *der = NULL;
        size_t n = 0;
        if ((rc = ota_cms_signer_keyid(keyid, r->cms_cert, err)) ||
            (rc = ota_cms_sign(&der, &n, OTA_DOMAIN_MANIFEST, m, mlen, r->cms_key, r->cms_cert,
                               r->cms_chain, err)))
            return rc;
        rc = ota_sigblock_put(b, keyid, OTA_CMS_METHOD, der, n, err);
        free(der);
        if (!rc)
            note(c->added, keyid, OTA_CMS_METHOD);
    }
    return rc;
}

enum ota_status ota_pack_sign_with(struct ota_sign_added *added, const char *in_path,
                                   const char *out_path, const struct ota_sign_request *req,
                                   struct ota_err *err)
{
    memset(added, 0, sizeof *added);
    if (req->n_keys + req->n_raw + (req->cms_key ? 1 : 0) == 0)
        return ota_err_set(err, OTA_E_USAGE, "sign: no key given");
    if (!req->cms_key != !req->cms_cert)
        return ota_err_set(err, OTA_E_USAGE, "sign: a CMS signature needs a key and a certificate");
    struct oss_ctx c = {req, added};
    enum ota_status rc = ota_pack_rewrite(in_path, out_path, oss_edit, &c, err);
    if (rc)
        memset(added, 0, sizeof *added);
    return rc;
}
