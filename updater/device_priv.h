/* device_priv.h — private: the opened device and helpers shared by the updater modules. */
#ifndef OTAPACK_DEVICE_PRIV_H
#define OTAPACK_DEVICE_PRIV_H

#include <limits.h>

#include "otapack/device.h"

#define OTA_GEN_NAME_LEN 12 /* "gen-" + 8 digits */
#define OTA_GEN_DIR "generations"
#define OTA_STAGING "staging"
#define OTA_CURRENT "current"

struct ota_device {
    char root[PATH_MAX];
    char base[PATH_MAX]; /* root + "/" OTA_DEVICE_DIR, for messages and status paths */
    int rootfd, basefd, gensfd, lockfd;
    char product[OTA_MAX_STRING_LEN + 1];
    char hardware[OTA_MAX_STRING_LEN + 1];
    unsigned threshold;
    struct ota_pubkey keys[OTA_MAX_TRUSTED_KEYS];
    size_t n_keys;
    /* effective floors: max of state.json and the running generation */
    uint64_t sv_floor;
    int64_t time_floor;
    /* the running generation */
    unsigned cur_gen;
    int has_parent;
    unsigned parent_gen;
    int has_manifest;
    uint8_t cur_manifest_sha256[OTA_SHA256_LEN];
};

void ota_gen_name(char out[OTA_GEN_NAME_LEN + 1], unsigned gen);
int ota_gen_parse(unsigned *gen, const char *name);

/* Persists the floors in state.json (durably). */
enum ota_status ota_device_save_state(struct ota_device *d, struct ota_err *err);

/* Removes every generation other than keep_a and keep_b (pass the same twice to keep one). */
enum ota_status ota_device_gc(struct ota_device *d, unsigned keep_a, unsigned keep_b,
                              struct ota_err *err);

#endif
