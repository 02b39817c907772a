/* pack_util.h — private helpers shared by the packager verbs. */
#ifndef OTAPACK_PACK_UTIL_H
#define OTAPACK_PACK_UTIL_H

#include "otapack/fsio.h"
#include "otapack/package.h"
#include "otapack/seckey.h"
#include "otapack/sigblock.h"

/* A package being written under a temporary name beside its final path. */
struct ota_pkg_out {
    int dirfd;
    struct ota_tmpfile tmp;
    struct ota_pkg_writer *w;
};

enum ota_status ota_pkg_out_open(struct ota_pkg_out *o, const char *path, int64_t mtime,
                                 struct ota_err *err);
/* Finishes the archive, fsyncs, renames into place, fsyncs the folder. Always releases. */
enum ota_status ota_pkg_out_commit(struct ota_pkg_out *o, struct ota_err *err);
/* Removes the temporary file. */
void ota_pkg_out_abort(struct ota_pkg_out *o);

/* Adds an Ed25519 signature by each key over the manifest bytes to the block. */
enum ota_status ota_pack_sign_manifest(struct ota_sigblock *b, const char *manifest, size_t mlen,
                                       const struct ota_seckey *const *keys, size_t n_keys,
                                       struct ota_err *err);

#endif
