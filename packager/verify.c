/* verify.c — `otapack verify` and `otapack inspect`.
 * Owns: reading a package on the host. verify checks everything a device would check
 * except device policy (product, expiry, security version); inspect only parses the head. */
#include <string.h>

#include "otapack/package.h"
#include "otapack/packager.h"

void ota_pack_info_free(struct ota_pack_info *info)
{
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
    memset(info, 0, sizeof *info);
    struct ota_pkg_reader *r;
    enum ota_status rc = ota_pkg_reader_open_fd(&r, fd, err);
    if (rc)
        return rc;
    const char *mj;
    size_t ml;
    if (!(rc = read_head(info, r, &mj, &ml, err)))
        rc = ota_verify_threshold(&info->verified, OTA_DOMAIN_MANIFEST, (const uint8_t *)mj, ml,
                                  &info->sigblock, keys, n_keys, threshold, err);
    /* only now, with the signature checked, is the manifest parsed */
    if (!rc)
        rc = ota_manifest_parse_mem(&info->manifest, mj, ml, err);
    for (size_t i = 0; !rc && i < info->manifest.n_payloads; i++)
        rc = ota_pkg_reader_payload(r, &info->manifest, i, OTA_SINK_RAW, NULL, NULL, err);
    if (!rc)
        rc = ota_pkg_reader_finish(r, &info->manifest, err);
    info->package_size = ota_pkg_reader_offset(r);
    ota_pkg_reader_free(r);
    if (rc)
        ota_pack_info_free(info);
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
    ota_pkg_reader_free(r);
    if (rc)
        ota_pack_info_free(info);
    return rc;
}
