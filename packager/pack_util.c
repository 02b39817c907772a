/* pack_util.c — output files and manifest signing shared by build and sign. */
#include <unistd.h>

#include "pack_util.h"

enum ota_status ota_pkg_out_open(struct ota_pkg_out *o, const char *path, int64_t mtime,
                                 struct ota_err *err)
{
    char name[256];
    o->w = NULL;
    o->tmp.fd = -1;
    o->tmp.tmpname[0] = '\0';
    enum ota_status rc = ota_fs_open_parent(&o->dirfd, name, sizeof name, path, err);
    if (rc)
        return rc;
    if ((rc = ota_fs_tmp_create(&o->tmp, o->dirfd, name, 0644, err))) {
        close(o->dirfd);
        return rc;
    }
    if ((rc = ota_pkg_writer_open(&o->w, o->tmp.fd, mtime, err))) {
        ota_fs_tmp_abort(&o->tmp);
        close(o->dirfd);
        return rc;
    }
    return OTA_OK;
}

enum ota_status ota_pkg_out_commit(struct ota_pkg_out *o, struct ota_err *err)
{
    enum ota_status rc = ota_pkg_writer_close(o->w, err);
    ota_pkg_writer_free(o->w);
    o->w = NULL;
    if (rc)
        ota_fs_tmp_abort(&o->tmp);
    else
        rc = ota_fs_tmp_commit(&o->tmp, err);
    close(o->dirfd);
    return rc;
}

void ota_pkg_out_abort(struct ota_pkg_out *o)
{
    ota_pkg_writer_free(o->w);
    o->w = NULL;
    ota_fs_tmp_abort(&o->tmp);
    close(o->dirfd);
}

enum ota_status ota_pack_sign_manifest(struct ota_sigblock *b, const char *manifest, size_t mlen,
                                       const struct ota_seckey *const *keys, size_t n_keys,
                                       struct ota_err *err)
{
    for (size_t i = 0; i < n_keys; i++) {
        uint8_t sig[OTA_ED25519_SIG_LEN];
        enum ota_status rc = ota_seckey_sign(sig, OTA_DOMAIN_MANIFEST, (const uint8_t *)manifest,
                                             mlen, keys[i], err);
        if (!rc)
            rc = ota_sigblock_put(b, ota_seckey_public(keys[i])->keyid, "ed25519", sig,
                                  sizeof sig, err);
        if (rc)
            return rc;
    }
    return OTA_OK;
}
