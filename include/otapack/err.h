/* otapack — project-wide status codes and the error context that carries a message to the user.
 *
 * Every library function returns an enum ota_status and, on failure, fills a caller-owned
 * struct ota_err with a one-line message. Each layer may prefix the message with its own
 * context as the error travels up ("payload 'app.img': sha256 mismatch"). Library code never
 * prints and never exits: only the commands' main() turn a status into an exit code, through
 * ota_exit_code(), the one place where that mapping lives.
 */
#ifndef OTAPACK_ERR_H
#define OTAPACK_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define OTA_WUR __attribute__((warn_unused_result))
#define OTA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OTA_WUR
#define OTA_PRINTF(a, b)
#endif

/* Values are part of the C API: never renumber, only append. */
enum ota_status {
    OTA_OK = 0,             /* success */
    OTA_E_USAGE = 1,        /* the caller asked for something malformed (bad flag, bad argument) */
    OTA_E_IO = 2,           /* a system call failed: read, write, fsync, rename, ... */
    OTA_E_NOMEM = 3,        /* out of memory */
    OTA_E_NOSPC = 4,        /* not enough space on the device */
    OTA_E_FORMAT = 5,       /* input is malformed, corrupt or hostile */
    OTA_E_LIMIT = 6,        /* input exceeds a hard limit of the format */
    OTA_E_SIGNATURE = 7,    /* no valid signature, or a signature that does not verify */
    OTA_E_DIGEST = 8,       /* a payload's size or SHA-256 does not match the manifest */
    OTA_E_PRODUCT = 9,      /* package is for another product or hardware revision */
    OTA_E_EXPIRED = 10,     /* package or metadata has expired */
    OTA_E_ROLLBACK = 11,    /* security version not newer than the installed one */
    OTA_E_STATE = 12,       /* device state is missing, not initialised, or inconsistent */
    OTA_E_NOENT = 13,       /* a named thing does not exist */
    OTA_E_EXISTS = 14,      /* a named thing already exists */
    OTA_E_KEY = 15,         /* a key file is malformed or of the wrong kind */
    OTA_E_CRYPTO = 16,      /* the crypto library failed internally */
    OTA_E_PERM = 17,        /* permission denied by the system */
    OTA_E_UNSUPPORTED = 18, /* valid input that this version does not support */
    OTA_E_BUSY = 19,        /* another otaupdate holds the device lock */
};

#define OTA_ERR_MSG_MAX 512

struct ota_err {
    enum ota_status code;
    char msg[OTA_ERR_MSG_MAX];
};

/* Clears an error context to OTA_OK with an empty message. */
void ota_err_clear(struct ota_err *err);

/* Sets code and message; returns code so that `return ota_err_set(...)` reads naturally.
 * err may be NULL. */
enum ota_status ota_err_set(struct ota_err *err, enum ota_status code, const char *fmt, ...)
    OTA_PRINTF(3, 4);

/* Like ota_err_set, appending ": strerror(errnum)". */
enum ota_status ota_err_sys(struct ota_err *err, int errnum, const char *fmt, ...) OTA_PRINTF(3, 4);

/* Prefixes the current message with "<context>: ". Returns err->code. */
enum ota_status ota_err_prefix(struct ota_err *err, const char *fmt, ...) OTA_PRINTF(2, 3);

/* Copies at most max input bytes of s into out (size outsz) for use in a message, escaping
 * every byte that is not printable ASCII (and the backslash) as \xNN, so a hostile string
 * can neither break the one-line rule nor send terminal escapes. Returns out. */
const char *ota_printable(char *out, size_t outsz, const char *s, size_t max);

/* A short, static description of a status code. */
const char *ota_strerror(enum ota_status code);

/* The documented exit code for a status: 0 done, 1 rejected, 2 usage, 3 system failure. */
int ota_exit_code(enum ota_status code);

#endif
