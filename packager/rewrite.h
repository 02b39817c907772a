/* rewrite.h — private: re-writing a package with an edited signature block (sign.c), shared
 * by `otapack sign` and `otapack attach-signature` (airgap.c). */
#ifndef OTAPACK_REWRITE_H
#define OTAPACK_REWRITE_H

#include <stddef.h>

#include "otapack/err.h"
#include "otapack/sigblock.h"

/* Changes the signature block read from a package, given the manifest bytes as stored. It
 * runs before anything is written: a failure here leaves no output at all. */
typedef enum ota_status (*ota_sigblock_edit_fn)(void *ctx, struct ota_sigblock *b,
                                                const char *manifest, size_t mlen,
                                                struct ota_err *err);

/* Reads the package at in_path, lets edit change its signature block, then writes the
 * package with the new block; the manifest bytes and payloads are copied unchanged and each
 * payload is checked against the manifest on the way (a mismatch leaves nothing written).
 * The output goes to a temporary name, renamed into place; out_path NULL replaces in_path. */
enum ota_status ota_pack_rewrite(const char *in_path, const char *out_path,
                                 ota_sigblock_edit_fn edit, void *ctx, struct ota_err *err);

#endif
