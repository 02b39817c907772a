/* device_priv.h — private: the opened device and helpers shared by the updater modules. */
#ifndef OTAPACK_DEVICE_PRIV_H
#define OTAPACK_DEVICE_PRIV_H

#include <limits.h>

#include "otapack/device.h"
#include "otapack/keyring.h"

#define OTA_GEN_NAME_LEN 12 /* "gen-" + 8 digits */
#define OTA_GEN_DIR "generations"
#define OTA_STAGING "staging"
#define OTA_CURRENT "current"
#define OTA_BOOT_JSON "boot.json"
#define OTA_SLOTS_JSON "slots.json"
#define OTA_CERTS_DIR "certs"           /* the device certificate store: certs/store.json */
#define OTA_KEYRING_JSON "keyring.json" /* in a generation: the keyring its package rotated to */
#define OTA_ROOT_JSON "root.json"       /* in keys/: the keyring of the confirmed state */

struct ota_device {
    char root[PATH_MAX];
    char base[PATH_MAX]; /* root + "/" OTA_DEVICE_DIR, for messages and status paths */
    int rootfd, basefd, gensfd, lockfd;
    int writable; /* opened with the lock held */
    /* device.json */
    char product[OTA_MAX_STRING_LEN + 1];
    char hardware[OTA_MAX_STRING_LEN + 1];
    unsigned threshold, max_trials;
    size_t n_slots;
    struct ota_slot_config slots[OTA_MAX_SLOTS];
    struct ota_bootenv_config bootenv;
    struct ota_pubkey keys[OTA_MAX_TRUSTED_KEYS];
    size_t n_keys;
    /* keyrings: keys/root.json (or version 0 made of the .pub files), and the one the running
     * generation's package rotated to, if any; the newer of the two is in force */
    struct ota_keyring *keyring_base, *keyring_gen;
    /* state.json, merged with the running generation: the effective floors */
    uint64_t sv_floor;
    int64_t time_floor;
    int has_last_rollback;
    unsigned rb_from, rb_to;
    int64_t rb_time;
    char rb_reason[256];
    /* the running generation */
    unsigned cur_gen;
    int has_parent; /* the parent generation exists on disk */
    unsigned parent_gen;
    int has_manifest;
    uint8_t cur_manifest_sha256[OTA_SHA256_LEN];
    uint64_t cur_sv;
    int64_t cur_created;
    enum ota_boot_state cur_state;
    unsigned cur_trials;
    char cur_reason[256];
    int cur_slot[OTA_MAX_SLOTS]; /* 0 = A, 1 = B, per configured slot */
};

void ota_gen_name(char out[OTA_GEN_NAME_LEN + 1], unsigned gen);
int ota_gen_parse(unsigned *gen, const char *name);

/* Persists the floors and the last rollback in state.json (durably). */
enum ota_status ota_device_save_state(struct ota_device *d, struct ota_err *err);

/* Removes every generation other than keep_a and keep_b (pass the same twice to keep one). */
enum ota_status ota_device_gc(struct ota_device *d, unsigned keep_a, unsigned keep_b,
                              struct ota_err *err);

/* Writes boot.json of a generation folder (durably). */
enum ota_status ota_gen_write_boot(int genfd, enum ota_boot_state state, unsigned trials,
                                   const char *reason, struct ota_err *err);
/* Reads a generation's boot.json into d->cur_state, cur_trials, cur_reason (missing: a
 * confirmed generation). */
enum ota_status ota_gen_read_boot(struct ota_device *d, int genfd, struct ota_err *err);
/* Reads a generation's slot choices into slot[] (0 = A, 1 = B); missing file: all A. */
enum ota_status ota_gen_read_slots(struct ota_device *d, int genfd, int slot[OTA_MAX_SLOTS],
                                   struct ota_err *err);
/* Writes a generation's slot choices (durably). */
enum ota_status ota_gen_write_slots(struct ota_device *d, int genfd, const int slot[OTA_MAX_SLOTS],
                                    struct ota_err *err);

/* The keyring in force: the running generation's if it is newer than keys/root.json. */
const struct ota_keyring *ota_device_keyring(const struct ota_device *d);

/* Reads the generation's keyring.json into d->keyring_gen (missing: none). */
enum ota_status ota_gen_read_keyring(struct ota_device *d, int genfd, struct ota_err *err);

/* Once the running generation is confirmed, its newer keyring becomes keys/root.json
 * (durably). Called by confirm and, to finish an interrupted confirm, at every open. */
enum ota_status ota_device_keyring_settle(struct ota_device *d, struct ota_err *err);

/* Writes the boot environment so that the bootloader boots the running generation's slots. */
enum ota_status ota_bootenv_sync(struct ota_device *d, struct ota_err *err);

/* Finds a configured slot by name; -1 if none. */
int ota_device_slot_index(const struct ota_device *d, const char *name);

/* Writes (streaming) into one half of a slot, then reads it back and checks the digest. */
struct ota_slot_writer;
enum ota_status ota_slot_open(struct ota_slot_writer **w, const char *path, uint64_t size,
                              struct ota_err *err);
enum ota_status ota_slot_write(void *w, const uint8_t *buf, size_t len, struct ota_err *err);
enum ota_status ota_slot_finish(struct ota_slot_writer *w, const uint8_t sha256[OTA_SHA256_LEN],
                                struct ota_err *err);
void ota_slot_free(struct ota_slot_writer *w);

#endif
