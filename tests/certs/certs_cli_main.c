/* certs_cli_main.c — test harness for the 'otaupdate certs' verb: `certs-cli DIR certs VERB ...`
 * runs updater/certs_cli.c on the certificate store in folder DIR (ota_cli_certs_dir), with
 * no device around it. certs_cli.sh drives it, and drives `otaupdate --root R certs` too once
 * otaupdate dispatches the verb. Prints and exits like otaupdate. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "certs_cli.h"
#include "otapack/device.h"

/* certs_cli.c reaches the device through ota_device_certstore, which the device library
 * provides (device.c). Until it does, this weak stand-in lets the harness link; it is never
 * called here, and the real definition replaces it at link time once it exists. */
__attribute__((weak)) enum ota_status
ota_device_certstore(struct ota_device *d, struct ota_certstore **cs, struct ota_err *err)
{
    (void)d;
    *cs = NULL;
    return ota_err_set(err, OTA_E_UNSUPPORTED, "ota_device_certstore is not available");
}

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[2], "certs") != 0) {
        fprintf(stderr, "otaupdate certs: usage: certs-cli DIR certs VERB [ARGS...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "otaupdate certs: %s: cannot open the store folder\n", argv[1]);
        return 3;
    }
    opterr = 0;
    optind = 1;
    int rc = ota_cli_certs_dir(fd, argc - 2, argv + 2);
    close(fd);
    return rc;
}
