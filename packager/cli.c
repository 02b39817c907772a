/* cli.c — what every verb of the otapack command shares (cli.h). Owns: the shape of failure
 * and usage lines, and where secrets come from (a file or the environment, never argv). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "otapack/limits.h"

int ota_cli_fail(const char *prog, const struct ota_err *err)
{
    fprintf(stderr, "%s: %s\n", prog, err->msg[0] ? err->msg : ota_strerror(err->code));
    return ota_exit_code(err->code);
}

int ota_cli_usage(const char *verb, const char *msg)
{
    fprintf(stderr, "otapack %s: %s (see 'otapack %s --help')\n", verb, msg, verb);
    return 2;
}

enum ota_status ota_cli_secret(char **s, size_t *len, const char *file, const char *env,
                               struct ota_err *err)
{
    *s = NULL;
    *len = 0;
    if (file)
        return ota_seckey_passphrase_read(s, len, file, err);
    const char *v = getenv(env);
    if (!v || !*v)
        return OTA_OK;
    size_t n = strnlen(v, OTA_MAX_PASSPHRASE_LEN + 1);
    if (ota_seckey_passphrase_copy(s, v, n, err))
        return ota_err_prefix(err, "%s", env);
    *len = n;
    return OTA_OK;
}

enum ota_status ota_cli_load_seckeys(struct ota_seckey **keys, size_t *n, const char *const *paths,
                                     size_t n_paths, const char *passfile, struct ota_err *err)
{
    if (passfile && n_paths == 0)
        return ota_err_set(err, OTA_E_USAGE, "--passphrase-file: there is no --key to unlock");
    char *pass = NULL;
    size_t pass_len = 0;
    enum ota_status rc =
        n_paths ? ota_cli_secret(&pass, &pass_len, passfile, "OTAPACK_PASSPHRASE", err) : OTA_OK;
    for (size_t i = 0; !rc && i < n_paths; i++)
        if (!(rc = ota_seckey_load_pass(&keys[*n], paths[i], pass, pass_len, err)))
            (*n)++;
    ota_seckey_passphrase_free(pass);
    return rc;
}
