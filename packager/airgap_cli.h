/* airgap_cli.h — private: the command-line halves of `otapack digest` and
 * `otapack attach-signature` (airgap_cli.c), called from main.c's verb table with argv[0]
 * the verb. Each returns the exit code. */
#ifndef OTAPACK_AIRGAP_CLI_H
#define OTAPACK_AIRGAP_CLI_H

int ota_cli_digest(int argc, char **argv);
int ota_cli_attach_signature(int argc, char **argv);

#endif
