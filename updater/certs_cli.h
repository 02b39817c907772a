/* certs_cli.h — the 'otaupdate certs' verb: list, inspect and change the device certificate
 * store (certstore.h) from the command line. Part of the otaupdate command (it prints and
 * returns exit codes), not of the device library. */
#ifndef OTAPACK_CERTS_CLI_H
#define OTAPACK_CERTS_CLI_H

#include "otapack/certstore.h"
#include "otapack/err.h"

struct ota_device;

/* Runs `otaupdate --root ROOT certs ...`. argv[0] is "certs", argv[1] the sub-verb (list, info,
 * install-root, install-client, delete, move, space) or --help. Reaches the store of the
 * running generation through ota_device_certstore. Prints results on stdout and one line on
 * stderr for a failure; returns the exit code: 0 done, 1 rejected or not found, 2 usage
 * error, 3 system failure (ota_exit_code). */
int ota_cli_certs(const char *root, int argc, char **argv);

/* The same verbs on the store in the folder dirfd, without a device: for tests, and for tools
 * that provision a store folder directly. */
int ota_cli_certs_dir(int dirfd, int argc, char **argv);

#endif
