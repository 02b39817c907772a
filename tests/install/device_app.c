/* device_app.c — a device application built against the installed library through pkg-config:
 * opens the device read-only and reports its certificate store. */
#include <stdio.h>
#include <otapack/device.h>
#include <otapack/certstore.h>
int main(int argc, char **argv)
{
    struct ota_err err;
    ota_err_clear(&err);
    struct ota_device *d;
    if (ota_device_open(&d, argc > 1 ? argv[1] : "/", OTA_OPEN_READONLY, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return ota_exit_code(err.code);
    }
    struct ota_certstore *cs;
    if (ota_device_certstore(d, &cs, &err) == OTA_OK) {
        printf("certs: %zu, %zu bytes free\n", ota_certstore_count(cs),
               ota_certstore_available(cs));
        ota_certstore_close(cs);
    }
    ota_device_close(d);
    return 0;
}
