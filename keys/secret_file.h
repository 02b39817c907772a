/* secret_file.h — private: reading a secret key file (seckey.c), shared by otapack's own key
 * files (seckey.c) and PEM private keys (osslsign.c), both in otakeys_secret. */
#ifndef OTAPACK_KEYS_SECRET_FILE_H
#define OTAPACK_KEYS_SECRET_FILE_H

#include <stddef.h>

#include "otapack/err.h"

/* Reads a secret key file: a regular file (not a symlink) that group and others cannot
 * access, of at most OTA_MAX_KEYFILE_SIZE bytes, into sodium_malloc'd memory. what names the
 * kind in messages ("secret key", "private key"). Free *buf with ota_secret_file_free (it
 * wipes). On failure *buf is NULL and the error names path. */
enum ota_status ota_secret_file_read(char **buf, size_t *len, const char *path, const char *what,
                                     struct ota_err *err) OTA_WUR;
void ota_secret_file_free(char *buf);

#endif
