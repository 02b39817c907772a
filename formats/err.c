/* err.c — the project-wide status enum, its strings, and the one status-to-exit-code mapping.
 * Owns: message formatting and prefixing for struct ota_err. Never prints, never exits. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "otapack/err.h"

void ota_err_clear(struct ota_err *err)
{
    if (err) {
        err->code = OTA_OK;
        err->msg[0] = '\0';
    }
}

OTA_PRINTF(3, 0)
static void vset(struct ota_err *err, enum ota_status code, const char *fmt, va_list ap)
{
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

enum ota_status ota_err_set(struct ota_err *err, enum ota_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vset(err, code, fmt, ap);
        va_end(ap);
    }
    return code;
}

static enum ota_status errno_status(int errnum)
{
    switch (errnum) {
    case ENOSPC:
    case EDQUOT:
        return OTA_E_NOSPC;
    case ENOMEM:
        return OTA_E_NOMEM;
    case EACCES:
    case EPERM:
    case EROFS:
        return OTA_E_PERM;
    default:
        return OTA_E_IO;
    }
}

enum ota_status ota_err_sys(struct ota_err *err, int errnum, const char *fmt, ...)
{
    enum ota_status code = errno_status(errnum);
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vset(err, code, fmt, ap);
        va_end(ap);
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
    }
    return code;
}

enum ota_status ota_err_prefix(struct ota_err *err, const char *fmt, ...)
{
    if (!err)
        return OTA_E_IO;
    char ctx[OTA_ERR_MSG_MAX];
    char old[OTA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t cl = strnlen(ctx, sizeof ctx), ol = strnlen(old, sizeof old);
    /* context first; the original message is cut at the end if the two do not fit */
    size_t pos = 0;
    for (size_t i = 0; i < cl && pos + 1 < sizeof err->msg; i++)
        err->msg[pos++] = ctx[i];
    for (size_t i = 0; i < 2 && pos + 1 < sizeof err->msg; i++)
        err->msg[pos++] = ": "[i];
    for (size_t i = 0; i < ol && pos + 1 < sizeof err->msg; i++)
        err->msg[pos++] = old[i];
    err->msg[pos] = '\0';
    return err->code;
}

const char *ota_printable(char *out, size_t outsz, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (outsz == 0)
        return out;
    for (size_t i = 0; i < max && s[i] && o + 5 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

const char *ota_strerror(enum ota_status code)
{
    switch (code) {
    case OTA_OK:
        return "success";
    case OTA_E_USAGE:
        return "usage error";
    case OTA_E_IO:
        return "input/output error";
    case OTA_E_NOMEM:
        return "out of memory";
    case OTA_E_NOSPC:
        return "no space left on device";
    case OTA_E_FORMAT:
        return "malformed input";
    case OTA_E_LIMIT:
        return "input exceeds a limit";
    case OTA_E_SIGNATURE:
        return "signature check failed";
    case OTA_E_DIGEST:
        return "digest mismatch";
    case OTA_E_PRODUCT:
        return "wrong product";
    case OTA_E_EXPIRED:
        return "expired";
    case OTA_E_ROLLBACK:
        return "rollback refused";
    case OTA_E_STATE:
        return "device state missing or inconsistent";
    case OTA_E_NOENT:
        return "not found";
    case OTA_E_EXISTS:
        return "already exists";
    case OTA_E_KEY:
        return "bad key";
    case OTA_E_CRYPTO:
        return "crypto library failure";
    case OTA_E_PERM:
        return "permission denied";
    case OTA_E_UNSUPPORTED:
        return "not supported";
    case OTA_E_BUSY:
        return "device busy";
    }
    return "unknown error";
}

int ota_exit_code(enum ota_status code)
{
    switch (code) {
    case OTA_OK:
        return 0;
    case OTA_E_USAGE:
        return 2;
    case OTA_E_IO:
    case OTA_E_NOMEM:
    case OTA_E_NOSPC:
    case OTA_E_CRYPTO:
    case OTA_E_PERM:
    case OTA_E_BUSY:
        return 3;
    default:
        return 1;
    }
}
