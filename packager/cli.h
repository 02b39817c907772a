/* cli.h — private: what every verb of the otapack command shares (cli.c): the one-line
 * failure and usage messages, secrets from a file or the environment, loading key files. */
#ifndef OTAPACK_PACKAGER_CLI_H
#define OTAPACK_PACKAGER_CLI_H

#include <stddef.h>

#include "otapack/err.h"
#include "otapack/seckey.h"

/* Prints "PROG: message" to stderr; returns the exit code of err. */
int ota_cli_fail(const char *prog, const struct ota_err *err);

/* Prints "otapack VERB: msg (see 'otapack VERB --help')" to stderr; returns 2. */
int ota_cli_usage(const char *verb, const char *msg);

/* A secret (passphrase or PIN) in wiped memory: the first line of file if given, else the
 * environment variable env (empty counts as unset). *s is NULL when there is none; free it
 * with ota_seckey_passphrase_free. */
enum ota_status ota_cli_secret(char **s, size_t *len, const char *file, const char *env,
                               struct ota_err *err) OTA_WUR;

/* Loads otapack secret key files into keys[*n...]: one passphrase (passfile or
 * OTAPACK_PASSPHRASE), read once and wiped before this returns, unlocks every encrypted key;
 * plain keys ignore it. */
enum ota_status ota_cli_load_seckeys(struct ota_seckey **keys, size_t *n, const char *const *paths,
                                     size_t n_paths, const char *passfile,
                                     struct ota_err *err) OTA_WUR;

#endif
