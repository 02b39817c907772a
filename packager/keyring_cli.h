/* keyring_cli.h — private: the command line of `otapack keyring` (keyring_cli.c), called from
 * main.c's verb table with argv[0] the verb. */
#ifndef OTAPACK_KEYRING_CLI_H
#define OTAPACK_KEYRING_CLI_H

int ota_cli_keyring(int argc, char **argv);

#endif
