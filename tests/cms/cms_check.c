/* cms_check.c — a test program: checks a CMS signature file with ota_cms_verify (the device's
 * check) over what `otapack digest` wrote, against CA certificates. For the interop tests:
 * what OpenSSL's command signs, the device accepts.
 *
 *   cms_check SIG.der DIGEST CAFILE
 *
 * DIGEST is "domain NUL document" (otapack digest's output): split at its first NUL. Prints
 * "OK <signer key id> <anchor index> <subject>" and exits 0, or one line and exits 1. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/cms.h"
#include "otapack/fsio.h"
#include "otapack/limits.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: cms_check SIG.der DIGEST CAFILE\n");
        return 2;
    }
    struct ota_err err;
    ota_err_clear(&err);
    char *sig = NULL, *dig = NULL;
    size_t sl = 0, dl = 0;
    struct ota_certlist cas = {0, NULL};
    struct ota_cms_result res;
    enum ota_status rc = ota_fs_read_small(&sig, &sl, AT_FDCWD, argv[1], 1u << 20, &err);
    if (!rc)
        rc = ota_fs_read_small(&dig, &dl, AT_FDCWD, argv[2], OTA_MAX_MANIFEST_SIZE + 64, &err);
    if (!rc)
        rc = ota_certs_load(&cas, argv[3], &err);
    const char *nul = !rc ? memchr(dig, '\0', dl) : NULL;
    if (!rc && !nul)
        rc = ota_err_set(&err, OTA_E_FORMAT, "%s: no NUL after the domain", argv[2]);
    if (!rc) {
        size_t off = (size_t)(nul - dig) + 1;
        rc = ota_cms_verify(&res, (const uint8_t *)sig, sl, dig, (const uint8_t *)dig + off,
                            dl - off, cas.v, cas.n, &err);
    }
    if (rc)
        fprintf(stderr, "cms_check: %s\n", err.msg);
    else
        printf("OK %s %zu %s\n", res.signer_keyid, res.anchor, res.signer_subject);
    free(sig);
    free(dig);
    ota_certs_free(&cas);
    return rc ? 1 : 0;
}
