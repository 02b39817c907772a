/* verify.c — `otapack verify` and `otapack inspect`.
 * Owns: reading a package on the host. verify checks everything a device would check
 * except device policy (product, expiry, security version); inspect only parses the head. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/keyring.h"
#include "otapack/package.h"
#include "otapack/packager.h"

void ota_pack_info_free(struct ota_pack_info *info)
{
    for (size_t i = 0; info->payload_certs && i < info->manifest.n_payloads; i++)
        ota_certs_free(&info->payload_certs[i]);
    free(info->payload_certs);
    ota_manifest_free(&info->manifest);
    ota_sigblock_free(&info->sigblock);
    memset(info, 0, sizeof *info);
}

static enum ota_status read_head(struct ota_pack_info *info, struct ota_pkg_reader *r,
                                 const char **mj, size_t *ml, struct ota_err *err)
{
    const char *sj;
    size_t sl;
    enum ota_status rc = ota_pkg_reader_head(r, mj, ml, &sj, &sl, err);
    if (!rc)
        rc = ota_sigblock_parse_mem(&info->sigblock, sj, sl, err);
    if (!rc)
        rc = ota_sha256_mem(info->manifest_sha256, *mj, *ml, err);
    return rc;
}

enum ota_status ota_pack_verify(struct ota_pack_info *info, int fd, const struct ota_pubkey *keys,
                                size_t n_keys, unsigned threshold, struct ota_err *err)
{
    /* as a device provisioned with these keys (--trust-key) does: a version-0 keyring,
     * rotated by the keyrings the package carries */
    struct ota_keyring *v0;
    uint64_t version;
    memset(info, 0, sizeof *info);
    /* a keyring's threshold is at most its key count: a higher one is checked below */
    enum ota_status rc = ota_keyring_from_keys(
        &v0, keys, n_keys, threshold < n_keys ? threshold : (unsigned)n_keys, err);
    if (rc)
        return rc;
    rc = ota_pack_verify_keyring(info, &version, fd, v0, 0, err);
    ota_keyring_free(v0);
    if (!rc && info->verified.n_valid < threshold) {
        rc = ota_err_set(err, OTA_E_SIGNATURE, "%zu valid signature%s, %u required",
                         info->verified.n_valid, info->verified.n_valid == 1 ? "" : "s", threshold);
        ota_pack_info_free(info);
    }
    return rc;
}

static int is_cert_type(const char *t)
{
    return !strcmp(t, OTA_TYPE_TRUST_ADD) || !strcmp(t, OTA_TYPE_TRUST_REPLACE) ||
           !strcmp(t, OTA_TYPE_SERVER_CHAIN);
}

struct membuf {
    char *p;
    size_t len, cap;
};

static enum ota_status to_mem(void *ctx, const uint8_t *buf, size_t len, struct ota_err *err)
{
    struct membuf *m = ctx;
    if (len > m->cap - m->len)
        return ota_err_set(err, OTA_E_LIMIT, "certificate payload larger than %u bytes",
                           OTA_MAX_BUNDLE_SIZE);
    memcpy(m->p + m->len, buf, len);
    m->len += len;
    return OTA_OK;
}

/* Reads payloads up to the last certificate payload, parsing the certificates. */
static enum ota_status read_certs(struct ota_pack_info *info, struct ota_pkg_reader *r,
                                  struct ota_err *err)
{
    const struct ota_manifest *m = &info->manifest;
    size_t last = 0;
    int any = 0;
    for (size_t i = 0; i < m->n_payloads; i++)
        if (is_cert_type(m->payloads[i].type)) {
            last = i;
            any = 1;
        }
    info->payload_certs = calloc(m->n_payloads ? m->n_payloads : 1, sizeof *info->payload_certs);
    if (!info->payload_certs)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    if (!any)
        return OTA_OK;
    struct membuf mb = {malloc(OTA_MAX_BUNDLE_SIZE), 0, OTA_MAX_BUNDLE_SIZE};
    if (!mb.p)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    enum ota_status rc = OTA_OK;
    for (size_t i = 0; !rc && i <= last; i++) {
        int want = is_cert_type(m->payloads[i].type);
        mb.len = 0;
        rc = ota_pkg_reader_payload(r, m, i, OTA_SINK_RAW, want ? to_mem : NULL, &mb, err);
        if (!rc && want) {
            char what[OTA_MAX_NAME_LEN + 16];
            snprintf(what, sizeof what, "payload '%s'", m->payloads[i].name);
            rc = ota_certs_parse_mem(&info->payload_certs[i], mb.p, mb.len, what, err);
        }
    }
    free(mb.p);
    return rc;
}

enum ota_status ota_pack_inspect(struct ota_pack_info *info, int fd, struct ota_err *err)
{
    memset(info, 0, sizeof *info);
    struct ota_pkg_reader *r;
    enum ota_status rc = ota_pkg_reader_open_fd(&r, fd, err);
    if (rc)
        return rc;
    const char *mj;
    size_t ml;
    if (!(rc = read_head(info, r, &mj, &ml, err)))
        rc = ota_manifest_parse_mem(&info->manifest, mj, ml, err);
    if (!rc)
        rc = read_certs(info, r, err);
    ota_pkg_reader_free(r);
    if (rc)
        ota_pack_info_free(info);
    return rc;
}
