/* otapack — the device updater library: provision a device root, install packages
 * atomically, report what runs. The otaupdate command is a thin layer over these functions;
 * device applications may link them too (pkg-config otapack).
 *
 * State lives under ROOT/var/lib/otapack (ROOT is "/" on a real device, any folder in tests):
 *   device.json          product, hardware revision, signature threshold (written at init)
 *   keys/<keyid>.pub     trusted package-signing keys (init --trust-key), or
 *   keys/root.json       the keyring (init --keyring; later the newest confirmed rotation)
 *   state.json           monotonic floors: highest security version, trusted time
 *   generations/gen-N/   one installed generation: manifest.json, signatures.json, parent,
 *                        boot.json (pending/confirmed, trial count), rollback.json (why the
 *                        device came back to this generation), slots.json (which
 *                        half of each A/B slot it uses), images/<name>
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
#define OTA_MAX_SLOTS 8
#define OTA_DEFAULT_MAX_TRIALS 3

/* A raw A/B slot pair: an image payload of this name is written to the inactive half. */
struct ota_slot_config {
    char name[OTA_MAX_NAME_LEN + 1];
    char path[2][4096]; /* [0] is A, [1] is B: block devices or image files */
};

/* Where the bootloader learns which half of each slot to boot. */
enum ota_bootenv_backend {
    OTA_BOOTENV_NONE = 0,  /* no bootloader integration */
    OTA_BOOTENV_FILE = 1,  /* a key=value file, replaced atomically (tests, simulations) */
    OTA_BOOTENV_UBOOT = 2, /* U-Boot's environment through fw_setenv (libubootenv-tool) */
};

struct ota_bootenv_config {
    enum ota_bootenv_backend backend;
    char path[4096]; /* FILE: the file; UBOOT: fw_env.config ("" for the default) */
};

struct ota_device_init_opts {
    const char *truststore;   /* PEM bundle file or folder of PEM/DER files, or NULL */
    const char *server_chain; /* PEM: the update server's chain, leaf first, or NULL */
    const char *product;
    const char *hardware;          /* NULL: the device has no hardware revision */
    const struct ota_pubkey *keys; /* the one-key shortcut: a version-0 keyring of these */
    size_t n_keys;
    unsigned threshold;  /* distinct valid signatures a package needs; 0 means 1 */
    const char *keyring; /* or a keyring (root.json bytes): signed by its own root keys, not
                          * expired at now; exclusive with keys */
    size_t keyring_len;
    int64_t now;         /* the clock, for the keyring's expiry */
    unsigned max_trials; /* trial boots before an unconfirmed generation is rolled back; 0: 3 */
    const struct ota_slot_config *slots;
    size_t n_slots;
    struct ota_bootenv_config bootenv;
};

#define OTA_MAX_WARNINGS 16

/* Things the caller should tell the user that are not failures. */
struct ota_warnings {
    size_t n;
    char msg[OTA_MAX_WARNINGS][384];
};

/* Provisions ROOT: creates the state folder with an empty generation 0. Refuses a device
 * that is already initialised. Atomic: on failure nothing is left behind. Certificates of
 * the initial trust store that have expired or are not yet valid are left out, each with a
 * warning (a system CA folder often holds a few); one that is not a CA is an error. */
enum ota_status ota_device_init(const char *root, const struct ota_device_init_opts *o,
                                struct ota_warnings *w, struct ota_err *err) OTA_WUR;

struct ota_device;

enum ota_open_mode {
    OTA_OPEN_WRITE = 0,        /* take the lock, then finish or undo interrupted work */
    OTA_OPEN_READONLY = 1,     /* no lock, no recovery: for status while an install runs */
    OTA_OPEN_PREFER_WRITE = 2, /* as WRITE, but fall back to READONLY if the lock is busy */
};

/* Opens ROOT's state. In WRITE mode it takes the lock and finishes or undoes interrupted
 * work: removes staging leftovers and generations nothing refers to, completes a rollback
 * that was decided but not switched, and brings the bootloader environment in line with
 * the running generation. */
enum ota_status ota_device_open(struct ota_device **d, const char *root, enum ota_open_mode mode,
                                struct ota_err *err) OTA_WUR;
void ota_device_close(struct ota_device *d);

struct ota_install_result {
    int already_installed; /* the identical manifest was already running: nothing done */
    size_t n_warnings;     /* things the caller should tell the user (not failures) */
    char warnings[OTA_MAX_WARNINGS][384];
    unsigned generation; /* the generation now running */
    char product[OTA_MAX_STRING_LEN + 1];
    char version[OTA_MAX_STRING_LEN + 1];
    uint64_t security_version;
};

/* Verifies and installs the package read from fd (a file or a pipe; read once, in order).
 * now is the system clock; the device uses the later of now and its trusted time floor.
 * On any failure the device state is unchanged and nothing is left behind. */
enum ota_status ota_device_install(struct ota_device *d, int fd, int64_t now,
                                   struct ota_install_result *res, struct ota_err *err) OTA_WUR;

enum ota_boot_state {
    OTA_GEN_CONFIRMED = 0, /* known good */
    OTA_GEN_PENDING = 1,   /* installed, on trial until confirmed */
};

/* Boot flow (MCUboot test/confirm, RAUC mark-good). Run ota_device_boot once per boot,
 * early: it counts trial boots of a pending generation and, after max_trials boots without
 * ota_device_confirm, switches back to the previous generation (images, slots, everything in
 * the generation together) and records why. */
enum ota_boot_action {
    OTA_BOOT_CONFIRMED = 0,   /* running a confirmed generation: nothing to do */
    OTA_BOOT_TRIAL = 1,       /* counted a trial boot of a pending generation */
    OTA_BOOT_ROLLED_BACK = 2, /* switched back to the previous generation */
};

struct ota_boot_result {
    enum ota_boot_action action;
    unsigned generation;      /* running now */
    unsigned from_generation; /* for ROLLED_BACK: the generation abandoned */
    unsigned trial, max_trials;
    char reason[256];
};

/* max_trials 0 uses the device's configured number. */
enum ota_status ota_device_boot(struct ota_device *d, unsigned max_trials, int64_t now,
                                struct ota_boot_result *res, struct ota_err *err) OTA_WUR;
/* Marks the running generation good and raises the anti-rollback floor to it. Confirming a
 * confirmed generation is a no-op. */
enum ota_status ota_device_confirm(struct ota_device *d, struct ota_boot_result *res,
                                   struct ota_err *err) OTA_WUR;
/* Switches back to the previous generation now. Refused when there is none, and when the
 * running generation is confirmed and the previous one's security version is below the
 * floor (that would be a rollback attack by other means). */
enum ota_status ota_device_rollback(struct ota_device *d, const char *reason, int64_t now,
                                    struct ota_boot_result *res, struct ota_err *err) OTA_WUR;

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
    size_t n_keys;             /* release keys: the keyring's targets role */
    unsigned threshold;        /* its threshold */
    size_t n_root_keys;        /* keys that may sign the next keyring */
    unsigned root_threshold;
    uint64_t keyring_version;           /* 0: the keys given at init, no keyring document */
    int64_t keyring_expires;            /* 0 for version 0 */
    uint64_t keyring_confirmed_version; /* keys/root.json: what a rollback cannot undo */
    size_t n_images;
    struct ota_image_status *images; /* owned */
    enum ota_boot_state boot_state;
    unsigned trials, max_trials;
    int has_last_rollback;
    unsigned rollback_from, rollback_to;
    int64_t rollback_time;
    char rollback_reason[256];
    size_t n_slots;
    struct {
        char name[OTA_MAX_NAME_LEN + 1];
        int active; /* 0 = A, 1 = B */
        char path[4096];
    } slots[OTA_MAX_SLOTS];
};

enum ota_status ota_device_status(struct ota_device *d, struct ota_device_status *st,
                                  struct ota_err *err) OTA_WUR;

/* The device certificate store of the running generation (certstore.h): named root CA and
 * client certificates, for example for EAP-TLS. Opened with the device lock held when d was
 * opened for writing; changes made through it apply to the running generation (and are not
 * carried back by a rollback to an earlier generation). Packages change it with 'certstore'
 * payloads, in the generation switch. Close it with ota_certstore_close before
 * ota_device_close. */
struct ota_certstore;
enum ota_status ota_device_certstore(struct ota_device *d, struct ota_certstore **cs,
                                     struct ota_err *err) OTA_WUR;

/* The Trusted Root Store of the running generation: the CApath folder and the PEM bundle
 * (stable paths through 'current'), and its certificates. */
struct ota_certlist;
enum ota_status ota_device_trust_paths(struct ota_device *d, char *capath, size_t capath_sz,
                                       char *bundle, size_t bundle_sz, struct ota_err *err) OTA_WUR;
enum ota_status ota_device_trust_list(struct ota_device *d, struct ota_certlist *out,
                                      struct ota_err *err) OTA_WUR;
void ota_device_status_free(struct ota_device_status *st);

#endif
