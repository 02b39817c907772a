/* sign.c — `otapack sign`: add signatures to a built package (the CI signing step).
 * Owns: re-writing a package with a new signature block while the manifest bytes and
 * payloads pass through unchanged. Every payload is checked against the manifest on the way,
 * so a signer never vouches for a package whose payloads do not match what it signs.
 * ota_pack_rewrite (rewrite.h) is that rewrite given a change to the signature block; sign
 * adds signatures made here, attach-signature (airgap.c) one made elsewhere. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otapack/package.h"
#include "otapack/packager.h"
#include "pack_util.h"
#include "rewrite.h"

static enum ota_status to_writer(void *ctx, const uint8_t *buf, size_t len, struct ota_err *err)
{
    return ota_pkg_writer_entry_write(ctx, buf, len, err);
}

enum ota_status ota_pack_rewrite(const char *in_path, const char *out_path,
                                 ota_sigblock_edit_fn edit, void *ctx, struct ota_err *err)
{
    int fd;
    enum ota_status rc = ota_fs_open_regular(&fd, AT_FDCWD, in_path, err);
    if (rc)
        return rc;
    struct ota_pkg_reader *r = NULL;
    struct ota_manifest m;
    struct ota_sigblock b;
    memset(&m, 0, sizeof m);
    memset(&b, 0, sizeof b);
    char *sjson = NULL;
    size_t slen = 0;
    struct ota_pkg_out out;
    int out_open = 0;
    const char *mj, *sj;
    size_t ml, sl;

    if ((rc = ota_pkg_reader_open_fd(&r, fd, err)) ||
        (rc = ota_pkg_reader_head(r, &mj, &ml, &sj, &sl, err)) ||
        (rc = ota_sigblock_parse_mem(&b, sj, sl, err)) ||
        (rc = ota_manifest_parse_mem(&m, mj, ml, err)))
        goto done;
    if ((rc = edit(ctx, &b, mj, ml, err)) || (rc = ota_sigblock_serialize(&sjson, &slen, &b, err)))
        goto done;
    if ((rc = ota_pkg_out_open(&out, out_path ? out_path : in_path, m.created, err)))
        goto done;
    out_open = 1;
    if ((rc = ota_pkg_writer_entry_mem(out.w, OTA_MANIFEST_ENTRY, mj, ml, err)) ||
        (rc = ota_pkg_writer_entry_mem(out.w, OTA_SIGBLOCK_ENTRY, sjson, slen, err)))
        goto done;
    for (size_t i = 0; i < m.n_payloads; i++) {
        if ((rc = ota_pkg_writer_entry_begin(out.w, m.payloads[i].name, m.payloads[i].size, err)) ||
            (rc = ota_pkg_reader_payload(r, &m, i, OTA_SINK_STORED, to_writer, out.w, err)) ||
            (rc = ota_pkg_writer_entry_end(out.w, err)))
            goto done;
    }
    if ((rc = ota_pkg_reader_finish(r, &m, err)))
        goto done;
    rc = ota_pkg_out_commit(&out, err);
    out_open = 0;
done:
    if (out_open)
        ota_pkg_out_abort(&out);
    ota_pkg_reader_free(r);
    ota_manifest_free(&m);
    ota_sigblock_free(&b);
    free(sjson);
    close(fd);
    return rc;
}

struct sign_ctx {
    const struct ota_seckey *const *keys;
    size_t n_keys;
};

static enum ota_status sign_edit(void *ctx, struct ota_sigblock *b, const char *manifest,
                                 size_t mlen, struct ota_err *err)
{
    const struct sign_ctx *c = ctx;
    return ota_pack_sign_manifest(b, manifest, mlen, c->keys, c->n_keys, err);
}

enum ota_status ota_pack_sign(const char *in_path, const char *out_path,
                              const struct ota_seckey *const *keys, size_t n_keys,
                              struct ota_err *err)
{
    if (n_keys == 0)
        return ota_err_set(err, OTA_E_USAGE, "sign: no key given");
    struct sign_ctx c = {keys, n_keys};
    return ota_pack_rewrite(in_path, out_path, sign_edit, &c, err);
}
