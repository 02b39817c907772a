/* otapack — the device updater library: provision a device root, install packages
 * atomically, report what runs. The otaupdate command is a thin layer over these functions;
 * device applications may link them too (pkg-config otapack).
 *
 * State lives under ROOT/var/lib/otapack (ROOT is "/" on a real device, any folder in tests):
 *   device.json          product, hardware revision, signature threshold (written at init)
 *   keys/<keyid>.pub     trusted package-signing keys
 *   state.json           monotonic floors: highest security version, trusted time
 *   generations/gen-N/   one installed generation: manifest.json, signatures.json, parent,
 *                        images/<name>
 *   current              symlink to the running generation: the single commit point
 *   staging/             the generation being installed; never survives a failed install
 *   lock                 flock'd by whoever changes the state
 * This library holds public keys only: it never links secret-key code.
 */
#ifndef OTAPACK_DEVICE_H
#define OTAPACK_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "otapack/err.h"
#include "otapack/key.h"
#include "otapack/manifest.h"

#define OTA_DEVICE_DIR "var/lib/otapack"

struct ota_device_init_opts {
    const char *product;
    const char *hardware; /* NULL: the device has no hardware revision */
    const struct ota_pubkey *keys;
    size_t n_keys;
    unsigned threshold; /* distinct valid signatures a package needs; 0 means 1 */
};

/* Provisions ROOT: creates the state folder with an empty generation 0. Refuses a device
 * that is already initialised. Atomic: on failure nothing is left behind. */
enum ota_status ota_device_init(const char *root, const struct ota_device_init_opts *o,
                                struct ota_err *err) OTA_WUR;

struct ota_device;

/* Opens ROOT's state, takes the lock, and finishes or undoes interrupted work (removes
 * staging leftovers and generations nothing refers to). */
enum ota_status ota_device_open(struct ota_device **d, const char *root, struct ota_err *err)
    OTA_WUR;
void ota_device_close(struct ota_device *d);

struct ota_install_result {
    int already_installed;   /* the identical manifest was already running: nothing done */
    unsigned generation;     /* the generation now running */
    char product[OTA_MAX_STRING_LEN + 1];
    char version[OTA_MAX_STRING_LEN + 1];
    uint64_t security_version;
};

/* Verifies and installs the package read from fd (a file or a pipe; read once, in order).
 * now is the system clock; the device uses the later of now and its trusted time floor.
 * On any failure the device state is unchanged and nothing is left behind. */
enum ota_status ota_device_install(struct ota_device *d, int fd, int64_t now,
                                   struct ota_install_result *res, struct ota_err *err) OTA_WUR;

struct ota_image_status {
    char name[OTA_MAX_NAME_LEN + 1];
    uint64_t size;
    uint8_t sha256[OTA_SHA256_LEN];
    char path[4096]; /* stable path through the 'current' link */
};

struct ota_device_status {
    char product[OTA_MAX_STRING_LEN + 1];
    char hardware[OTA_MAX_STRING_LEN + 1]; /* "" if none */
    unsigned generation;
    int has_previous;
    unsigned previous;
    int has_manifest; /* 0 on a freshly initialised device */
    struct ota_manifest manifest;
    uint8_t manifest_sha256[OTA_SHA256_LEN];
    uint64_t security_version; /* the anti-rollback floor */
    int64_t time_floor;        /* trusted time: newest creation time installed */
    size_t n_keys;
    unsigned threshold;
    size_t n_images;
    struct ota_image_status *images; /* owned */
};

enum ota_status ota_device_status(struct ota_device *d, struct ota_device_status *st,
                                  struct ota_err *err) OTA_WUR;
void ota_device_status_free(struct ota_device_status *st);

#endif
