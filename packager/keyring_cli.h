/* keyring_cli.h — private: the command line of `otapack keyring` (keyring_cli.c), called from
 * main.c's verb table with argv[0] the verb; and the key loading both share (main.c). */
#ifndef OTAPACK_KEYRING_CLI_H
#define OTAPACK_KEYRING_CLI_H

#include <stddef.h>

#include "otapack/seckey.h"

int ota_cli_keyring(int argc, char **argv);

/* Loads secret key files into keys[*n...]: one passphrase (passfile or OTAPACK_PASSPHRASE),
 * read once and wiped before this returns, unlocks every encrypted key. */
enum ota_status ota_cli_load_seckeys(struct ota_seckey **keys, size_t *n, const char *const *paths,
                                     size_t n_paths, const char *passfile, struct ota_err *err);

#endif
