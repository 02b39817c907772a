/* main.c — the otaupdate command: argument parsing, help pages, output. Each verb is a thin
 * layer over the device library. The only place that prints and exits. Links no signing
 * code: a device holds public keys only. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otapack/codec.h"
#include "otapack/device.h"
#include "otapack/fsio.h"
#include "otapack/x509.h"
#include "certs_cli.h"

#define PROG "otaupdate"

static const char HELP_MAIN[] =
    "NAME\n"
    "    otaupdate - verify and install otapack packages on a device, atomically\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] VERB [OPTIONS] ...\n"
    "    otaupdate VERB --help\n"
    "\n"
    "VERBS\n"
    "    init       provision a device: product, trusted keys, empty first generation\n"
    "    install    verify a package and switch to it atomically (pending until confirmed)\n"
    "    status     show what the device runs\n"
    "    trust      list | path | info: the Trusted Root Store of the running generation\n"
    "    certs      the device certificate store (EAP-TLS roots and client certificates)\n"
    "    boot       run once per boot, early: count a trial boot, roll back after too many\n"
    "    confirm    mark the running generation good\n"
    "    rollback   switch back to the previous generation now\n"
    "\n"
    "OPTIONS\n"
    "    --root DIR   device root (default /); state lives in DIR/var/lib/otapack\n"
    "\n"
    "EXIT STATUS\n"
    "    0 done; 1 rejected (signature, policy, corrupt or hostile input, a package file that\n"
    "    does not exist) with nothing changed; 2 usage error; 3 system failure (I/O, disk\n"
    "    full, permissions, device busy) with nothing changed. Failures print one line to\n"
    "    stderr; warnings (not failures) print lines starting 'otaupdate: warning:'.\n";

static const char HELP_INIT[] =
    "NAME\n"
    "    otaupdate init - provision a device\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] init --product P --trust-key PREFIX.pub...\n"
    "              [--hardware REV] [--threshold N] [--max-trials N]\n"
    "    otaupdate [--root DIR] init --product P --keyring ROOT.json [--hardware REV] ...\n"
    "              [--truststore PEM-or-DIR] [--server-chain PEM]\n"
    "              [--slot NAME=PATH_A,PATH_B]... [--bootenv file:PATH|uboot[:CONFIG]]\n"
    "\n"
    "DESCRIPTION\n"
    "    Creates DIR/var/lib/otapack with the device's product, its hardware revision, the\n"
    "    public keys it trusts for packages and an empty generation 0. Refuses a device that\n"
    "    is already initialised. Atomic: it either completes or leaves nothing.\n"
    "\n"
    "OPTIONS\n"
    "    --product P            product (compatibility string); packages must name it\n"
    "    --keyring ROOT.json    the device's keyring (TUF root metadata, made with 'otapack\n"
    "                           keyring'): its targets role signs packages, its root role\n"
    "                           signs the next keyring. It must be signed by a threshold of\n"
    "                           its own root keys and not have expired. Packages may rotate\n"
    "                           it (see 'otaupdate install --help')\n"
    "    --trust-key FILE.pub   trusted package-signing key; repeatable. The shortcut for a\n"
    "                           keyring of version 0 whose root and targets roles are these\n"
    "                           keys (with --threshold); a package can rotate it to a keyring\n"
    "    --hardware REV         this device's hardware revision; a package that lists\n"
    "                           revisions installs only on one of them\n"
    "    --threshold N          distinct trusted signatures a package needs (default 1)\n"
    "    --truststore PEM|DIR   the initial Trusted Root Store: a PEM bundle, or a folder of\n"
    "                           PEM/DER files (such as /usr/share/ca-certificates/mozilla);\n"
    "                           a certificate that is not a CA is an error; expired and\n"
    "                           not-yet-valid ones are left out, each with a warning\n"
    "    --server-chain PEM     the chain (leaf first) the update server presents; every\n"
    "                           later package must leave a trust store that validates it\n"
    "                           (or declare a new chain, or be built with --allow-lockout)\n"
    "    --max-trials N         trial boots of an unconfirmed generation before 'boot'\n"
    "                           rolls back to the previous one (default 3)\n"
    "    --slot NAME=A,B        image payload NAME goes to a raw A/B slot pair (block devices\n"
    "                           or image files, absolute paths): written to the half the\n"
    "                           running generation does not use, read back and verified\n"
    "                           before the switch. The device starts on A. Repeatable.\n"
    "    --bootenv file:PATH    tell the bootloader which halves to boot through a key=value\n"
    "                           file replaced atomically (for tests and simulations)\n"
    "    --bootenv uboot[:CFG]  through U-Boot's environment with fw_setenv (Debian package\n"
    "                           libubootenv-tool), optionally with fw_env.config CFG.\n"
    "                           Variables: otapack_gen, otapack_trial (1 while pending),\n"
    "                           otapack_slot_NAME=a|b\n";

static const char HELP_INSTALL[] =
    "NAME\n"
    "    otaupdate install - verify a package and install it atomically\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] install PKG|-\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the package once, as a stream ('-' is standard input, so a download can be\n"
    "    piped in). First follows the keyrings the package carries, if any: keyring N+1 is\n"
    "    accepted only when a threshold of the root keys of the device's keyring N and a\n"
    "    threshold of its own root keys signed it (older ones are skipped; one of the\n"
    "    device's version must be the device's). Then verifies the manifest signatures under\n"
    "    the newest keyring: its release threshold of distinct release keys (Ed25519, ECDSA,\n"
    "    or CMS signers with codeSigning chaining to a CA key of the keyring); and refuses\n"
    "    the package if that keyring has expired at the trusted time. All of this before\n"
    "    any payload byte is used; then checks: the product and hardware revision; the\n"
    "    security version is greater than the installed one; the package has not expired by\n"
    "    the trusted time (the later of the system clock and the creation time of the newest\n"
    "    package installed). Each payload is staged and checked against its size and SHA-256;\n"
    "    the new generation becomes current with one atomic rename, and the previous one is\n"
    "    kept. The new generation is pending: 'otaupdate boot' counts its trial boots and\n"
    "    'otaupdate confirm' marks it good (only then does its security version become the\n"
    "    floor). While a generation is pending, install refuses a different package.\n"
    "    Installing the identical package again does nothing and exits 0. Install refuses\n"
    "    early (exit 3) when the file system cannot hold the images.\n"
    "    A rejected package changes nothing and leaves no file behind, with one exception:\n"
    "    on a device with raw A/B slots, the inactive half is scratch space: just before\n"
    "    the first byte of a slot image is written there (after the trust checks the\n"
    "    package allows so far), the older generation that used that half stops being a\n"
    "    rollback target, and stays gone if the package is refused later.\n"
    "\n"
    "EXAMPLE\n"
    "    curl -fsS https://updates.example.com/acme-1.2.ota | otaupdate install -\n";

static const char HELP_STATUS[] =
    "NAME\n"
    "    otaupdate status - show what the device runs\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] status [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Prints product, version, security version, generation, and each installed image\n"
    "    with its size, SHA-256 and path. --json prints an object with 'product', 'version'\n"
    "    (null before the first install), 'security_version', 'generation',\n"
    "    'previous_generation', 'created', 'expires', 'trusted_time', 'state' (confirmed or\n"
    "    pending), 'trials', 'max_trials', 'trials_left', 'last_rollback' (null or an object\n"
    "    with 'from', 'to', 'time', 'reason'), 'slots' (each with 'name', 'active', 'path') and\n"
    "    'images' (each with 'name', 'size', 'sha256', 'path'). While another otaupdate holds\n"
    "    the lock, status reads the state without waiting.\n";

static const char HELP_BOOT[] =
    "NAME\n"
    "    otaupdate boot - count a trial boot; roll back a generation that never got confirmed\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] boot [--max-trials N]\n"
    "\n"
    "DESCRIPTION\n"
    "    Run once per boot, early (see examples/boot/ for a systemd unit and an init script).\n"
    "    If the running generation is pending, counts this boot as a trial. When a pending\n"
    "    generation has used up its trial boots without 'otaupdate confirm', switches back\n"
    "    to the previous generation (images, slots and everything else in the generation\n"
    "    together), records why ('status' shows it), and exits 0 with a message saying so;\n"
    "    the caller should then reboot into the restored generation.\n"
    "\n"
    "OPTIONS\n"
    "    --max-trials N   override the device's configured number of trial boots\n";

static const char HELP_CONFIRM[] =
    "NAME\n"
    "    otaupdate confirm - mark the running generation good\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] confirm\n"
    "\n"
    "DESCRIPTION\n"
    "    Run once the application has proven itself healthy. Ends the trial: the generation\n"
    "    stays, and its security version becomes the anti-rollback floor. A keyring its\n"
    "    package rotated to becomes the device's own (keys/root.json): no rollback undoes\n"
    "    it. Confirming a confirmed generation does nothing.\n";

static const char HELP_ROLLBACK[] =
    "NAME\n"
    "    otaupdate rollback - switch back to the previous generation now\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] rollback [--reason TEXT]\n"
    "\n"
    "DESCRIPTION\n"
    "    Abandons the running generation for the one before it, atomically, and records the\n"
    "    reason. Refused when there is no previous generation, and when the running\n"
    "    generation is confirmed and the previous one's security version is below the floor.\n";

static int fail(const struct ota_err *err)
{
    fprintf(stderr, PROG ": %s\n", err->msg[0] ? err->msg : ota_strerror(err->code));
    return ota_exit_code(err->code);
}

static int usage(const char *verb, const char *msg)
{
    fprintf(stderr, PROG " %s: %s (see 'otaupdate %s --help')\n", verb, msg, verb);
    return 2;
}

static int cmd_init(const char *root, int argc, char **argv)
{
    enum {
        O_PRODUCT = 256,
        O_KEY,
        O_HW,
        O_THRESHOLD,
        O_TRIALS,
        O_SLOT,
        O_BOOTENV,
        O_TRUST,
        O_CHAIN,
        O_KEYRING
    };
    static const struct option opts[] = {{"product", required_argument, 0, O_PRODUCT},
                                         {"trust-key", required_argument, 0, O_KEY},
                                         {"hardware", required_argument, 0, O_HW},
                                         {"threshold", required_argument, 0, O_THRESHOLD},
                                         {"max-trials", required_argument, 0, O_TRIALS},
                                         {"slot", required_argument, 0, O_SLOT},
                                         {"bootenv", required_argument, 0, O_BOOTENV},
                                         {"truststore", required_argument, 0, O_TRUST},
                                         {"server-chain", required_argument, 0, O_CHAIN},
                                         {"keyring", required_argument, 0, O_KEYRING},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static struct ota_pubkey keys[OTA_MAX_TRUSTED_KEYS];
    static struct ota_slot_config slots[OTA_MAX_SLOTS];
    struct ota_device_init_opts o;
    char *keyring = NULL;
    const char *keyring_path = NULL;
    memset(&o, 0, sizeof o);
    o.keys = keys;
    o.slots = slots;
    struct ota_err err;
    ota_err_clear(&err);
    uint64_t v;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_PRODUCT:
            o.product = optarg;
            break;
        case O_HW:
            o.hardware = optarg;
            break;
        case O_KEY:
            if (o.n_keys >= OTA_MAX_TRUSTED_KEYS)
                return usage("init", "--trust-key: too many keys");
            if (ota_pubkey_load(&keys[o.n_keys], optarg, &err))
                return fail(&err);
            for (size_t i = 0; i < o.n_keys; i++)
                if (!strcmp(keys[i].keyid, keys[o.n_keys].keyid))
                    return usage("init", "--trust-key: the same key given twice");
            o.n_keys++;
            break;
        case O_THRESHOLD:
            if (ota_parse_u64(&v, optarg, OTA_MAX_TRUSTED_KEYS) != 0 || v == 0)
                return usage("init", "--threshold: a number from 1 to 64");
            o.threshold = (unsigned)v;
            break;
        case O_TRIALS:
            if (ota_parse_u64(&v, optarg, 1000) != 0 || v == 0)
                return usage("init", "--max-trials: a number from 1 to 1000");
            o.max_trials = (unsigned)v;
            break;
        case O_SLOT: {
            if (o.n_slots >= OTA_MAX_SLOTS)
                return usage("init", "--slot: too many slots");
            struct ota_slot_config *sc = &slots[o.n_slots];
            char *eq = strchr(optarg, '='), *comma = eq ? strchr(eq + 1, ',') : NULL;
            if (!eq || !comma || eq == optarg || (size_t)(eq - optarg) > OTA_MAX_NAME_LEN ||
                comma == eq + 1 || !comma[1])
                return usage("init", "--slot: expected NAME=PATH_A,PATH_B");
            snprintf(sc->name, sizeof sc->name, "%.*s", (int)(eq - optarg), optarg);
            snprintf(sc->path[0], sizeof sc->path[0], "%.*s", (int)(comma - eq - 1), eq + 1);
            snprintf(sc->path[1], sizeof sc->path[1], "%s", comma + 1);
            o.n_slots++;
            break;
        }
        case O_BOOTENV:
            if (!strncmp(optarg, "file:", 5) && optarg[5] == '/') {
                o.bootenv.backend = OTA_BOOTENV_FILE;
                snprintf(o.bootenv.path, sizeof o.bootenv.path, "%s", optarg + 5);
            } else if (!strcmp(optarg, "uboot")) {
                o.bootenv.backend = OTA_BOOTENV_UBOOT;
            } else if (!strncmp(optarg, "uboot:", 6) && optarg[6] == '/') {
                o.bootenv.backend = OTA_BOOTENV_UBOOT;
                snprintf(o.bootenv.path, sizeof o.bootenv.path, "%s", optarg + 6);
            } else {
                return usage("init", "--bootenv: expected file:/ABS/PATH or uboot[:/ABS/CONFIG]");
            }
            break;
        case O_TRUST:
            o.truststore = optarg;
            break;
        case O_CHAIN:
            o.server_chain = optarg;
            break;
        case O_KEYRING:
            if (keyring_path)
                return usage("init", "--keyring: given twice");
            keyring_path = optarg;
            break;
        case 'h':
            return fputs(HELP_INIT, stdout), 0;
        default:
            return usage("init", "unknown option");
        }
    }
    if (optind != argc)
        return usage("init", "unexpected argument");
    if (!o.product || (!o.n_keys && !keyring_path))
        return usage("init", "--product and either --keyring or --trust-key are required");
    if (keyring_path && (o.n_keys || o.threshold))
        return usage("init",
                     "--keyring names the keys and threshold: no --trust-key or --threshold");
    if (keyring_path) { /* read after the usage checks, so that none of them leaks it */
        if (ota_fs_read_small(&keyring, &o.keyring_len, AT_FDCWD, keyring_path,
                              OTA_MAX_KEYRING_SIZE, &err)) {
            ota_err_prefix(&err, "--keyring %s", keyring_path);
            return fail(&err);
        }
        o.keyring = keyring;
    }
    o.now = (int64_t)time(NULL);
    struct ota_warnings w;
    memset(&w, 0, sizeof w);
    enum ota_status rc = ota_device_init(root, &o, &w, &err);
    free(keyring);
    if (rc) /* the failure is the one line; what was left out no longer matters */
        return fail(&err);
    for (size_t i = 0; i < w.n; i++)
        fprintf(stderr, PROG ": warning: %s\n", w.msg[i]);
    if (o.keyring)
        printf("initialised %s/" OTA_DEVICE_DIR ": product %s, keyring\n",
               strcmp(root, "/") ? root : "", o.product);
    else
        printf("initialised %s/" OTA_DEVICE_DIR ": product %s, %zu trusted key%s\n",
               strcmp(root, "/") ? root : "", o.product, o.n_keys, o.n_keys == 1 ? "" : "s");
    return 0;
}

static int cmd_install(const char *root, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h')
            return fputs(HELP_INSTALL, stdout), 0;
        return usage("install", "unknown option");
    }
    if (optind + 1 != argc)
        return usage("install", "expected one package file or '-'");
    const char *path = argv[optind];
    struct ota_err err;
    ota_err_clear(&err);
    int fd = STDIN_FILENO;
    if (strcmp(path, "-") != 0 && ota_fs_open_regular(&fd, AT_FDCWD, path, &err))
        return fail(&err);
    struct ota_device *d;
    if (ota_device_open(&d, root, OTA_OPEN_WRITE, &err)) {
        if (fd != STDIN_FILENO)
            close(fd);
        return fail(&err);
    }
    struct ota_install_result res;
    enum ota_status rc = ota_device_install(d, fd, (int64_t)time(NULL), &res, &err);
    ota_device_close(d);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc) {
        ota_err_prefix(&err, "%s", strcmp(path, "-") ? path : "standard input");
        return fail(&err);
    }
    for (size_t i = 0; i < res.n_warnings; i++)
        fprintf(stderr, PROG ": warning: %s\n", res.warnings[i]);
    if (res.already_installed)
        printf("%s %s (security version %llu) is already installed; nothing to do\n", res.product,
               res.version, (unsigned long long)res.security_version);
    else
        printf("installed %s %s (security version %llu) as generation %u, pending until "
               "confirmed\n",
               res.product, res.version, (unsigned long long)res.security_version, res.generation);
    return 0;
}

/* The keyring has expired by the trusted time: the later of the clock and the floor. */
static int64_t trusted_now(const struct ota_device_status *st)
{
    int64_t now = (int64_t)time(NULL);
    return st->time_floor > now ? st->time_floor : now;
}

static int keyring_expired(const struct ota_device_status *st)
{
    return st->keyring_version && trusted_now(st) >= st->keyring_expires;
}

/* Whole days until the keyring expires (0 once expired; -1 for version 0, which never does). */
static long long keyring_days_left(const struct ota_device_status *st)
{
    if (!st->keyring_version)
        return -1;
    int64_t left = st->keyring_expires - trusted_now(st);
    return left > 0 ? (long long)(left / 86400) : 0;
}

static int status_json(const struct ota_device_status *st)
{
    char t[OTA_TIME_STR_LEN], h[OTA_SHA256_HEX_LEN];
    json_t *o = json_object(), *imgs = json_array();
    json_object_set_new(o, "product", json_string(st->product));
    json_object_set_new(o, "hardware", st->hardware[0] ? json_string(st->hardware) : json_null());
    json_object_set_new(o, "version",
                        st->has_manifest ? json_string(st->manifest.version) : json_null());
    json_object_set_new(o, "security_version", json_integer((json_int_t)st->security_version));
    json_object_set_new(o, "generation", json_integer(st->generation));
    json_object_set_new(o, "previous_generation",
                        st->has_previous ? json_integer(st->previous) : json_null());
    if (st->has_manifest) {
        ota_time_format(t, st->manifest.created);
        json_object_set_new(o, "created", json_string(t));
        ota_time_format(t, st->manifest.expires);
        json_object_set_new(o, "expires", json_string(t));
        ota_hex_encode(h, st->manifest_sha256, OTA_SHA256_LEN);
        json_object_set_new(o, "manifest_sha256", json_string(h));
    } else {
        json_object_set_new(o, "created", json_null());
        json_object_set_new(o, "expires", json_null());
        json_object_set_new(o, "manifest_sha256", json_null());
    }
    ota_time_format(t, st->time_floor);
    json_object_set_new(o, "trusted_time", json_string(t));
    json_object_set_new(o, "state",
                        json_string(st->boot_state == OTA_GEN_PENDING ? "pending" : "confirmed"));
    json_object_set_new(o, "trials", json_integer(st->trials));
    json_object_set_new(o, "max_trials", json_integer(st->max_trials));
    json_object_set_new(
        o, "trials_left",
        json_integer(st->boot_state == OTA_GEN_PENDING && st->max_trials > st->trials
                         ? st->max_trials - st->trials
                         : 0));
    if (st->has_last_rollback) {
        json_t *r = json_object();
        json_object_set_new(r, "from", json_integer(st->rollback_from));
        json_object_set_new(r, "to", json_integer(st->rollback_to));
        ota_time_format(t, st->rollback_time);
        json_object_set_new(r, "time", json_string(t));
        json_object_set_new(r, "reason", json_string(st->rollback_reason));
        json_object_set_new(o, "last_rollback", r);
    } else {
        json_object_set_new(o, "last_rollback", json_null());
    }
    json_t *sl = json_array();
    for (size_t i = 0; i < st->n_slots; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "name", json_string(st->slots[i].name));
        json_object_set_new(e, "active", json_string(st->slots[i].active ? "b" : "a"));
        json_object_set_new(e, "path", json_string(st->slots[i].path));
        json_array_append_new(sl, e);
    }
    json_object_set_new(o, "slots", sl);
    json_object_set_new(o, "trusted_keys", json_integer((json_int_t)st->n_keys));
    json_object_set_new(o, "threshold", json_integer(st->threshold));
    json_t *kr = json_object();
    json_object_set_new(kr, "version", json_integer((json_int_t)st->keyring_version));
    json_object_set_new(kr, "confirmed_version",
                        json_integer((json_int_t)st->keyring_confirmed_version));
    if (st->keyring_version) {
        ota_time_format(t, st->keyring_expires);
        json_object_set_new(kr, "expires", json_string(t));
    } else {
        json_object_set_new(kr, "expires", json_null());
    }
    json_object_set_new(kr, "expired", json_boolean(keyring_expired(st)));
    json_object_set_new(kr, "release_keys", json_integer((json_int_t)st->n_keys));
    json_object_set_new(kr, "release_threshold", json_integer(st->threshold));
    json_object_set_new(kr, "root_keys", json_integer((json_int_t)st->n_root_keys));
    json_object_set_new(kr, "root_threshold", json_integer(st->root_threshold));
    json_object_set_new(o, "keyring", kr);
    for (size_t i = 0; i < st->n_images; i++) {
        const struct ota_image_status *im = &st->images[i];
        json_t *e = json_object();
        json_object_set_new(e, "name", json_string(im->name));
        json_object_set_new(e, "size", json_integer((json_int_t)im->size));
        ota_hex_encode(h, im->sha256, OTA_SHA256_LEN);
        json_object_set_new(e, "sha256", json_string(h));
        json_object_set_new(e, "path", json_string(im->path));
        json_array_append_new(imgs, e);
    }
    json_object_set_new(o, "images", imgs);
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("\n");
    json_decref(o);
    return rc == 0 ? 0 : 3;
}

static void status_text(const struct ota_device_status *st)
{
    char t[OTA_TIME_STR_LEN], h[OTA_SHA256_HEX_LEN];
    printf("product:           %s\n", st->product);
    if (st->hardware[0])
        printf("hardware:          %s\n", st->hardware);
    printf("version:           %s\n",
           st->has_manifest ? st->manifest.version : "(nothing installed)");
    printf("security version:  %llu\n", (unsigned long long)st->security_version);
    printf("generation:        %u", st->generation);
    if (st->has_previous)
        printf(" (previous %u kept for rollback)", st->previous);
    printf("\n");
    if (st->has_manifest) {
        ota_time_format(t, st->manifest.created);
        printf("created:           %s\n", t);
        ota_time_format(t, st->manifest.expires);
        printf("expires:           %s\n", t);
    }
    if (st->boot_state == OTA_GEN_PENDING)
        printf("state:             pending: trial boot %u of %u; run 'otaupdate confirm' once "
               "healthy\n",
               st->trials, st->max_trials);
    else
        printf("state:             confirmed\n");
    if (st->has_last_rollback) {
        ota_time_format(t, st->rollback_time);
        printf("last rollback:     %s: generation %u -> %u: %s\n", t, st->rollback_from,
               st->rollback_to, st->rollback_reason);
    }
    for (size_t i = 0; i < st->n_slots; i++)
        printf("slot %-12s  %c  %s\n", st->slots[i].name, st->slots[i].active ? 'B' : 'A',
               st->slots[i].path);
    if (st->keyring_version) {
        ota_time_format(t, st->keyring_expires);
        printf("keyring:           version %llu, expires %s",
               (unsigned long long)st->keyring_version, t);
        if (keyring_expired(st))
            printf(" (EXPIRED: only a package with a newer keyring installs)");
        else
            printf(" (in %lld day%s)", keyring_days_left(st),
                   keyring_days_left(st) == 1 ? "" : "s");
        if (st->keyring_confirmed_version != st->keyring_version)
            printf(" (pending; confirmed: version %llu)",
                   (unsigned long long)st->keyring_confirmed_version);
        printf("\n");
        printf("root keys:         %zu (threshold %u)\n", st->n_root_keys, st->root_threshold);
    } else {
        printf("keyring:           none (keys given at init)\n");
    }
    printf("release keys:      %zu (threshold %u)\n", st->n_keys, st->threshold);
    printf("images:            %zu\n", st->n_images);
    for (size_t i = 0; i < st->n_images; i++) {
        ota_hex_encode(h, st->images[i].sha256, OTA_SHA256_LEN);
        printf("  %-20s %12llu bytes  sha256 %s\n  %-20s %s\n", st->images[i].name,
               (unsigned long long)st->images[i].size, h, "", st->images[i].path);
    }
}

/* Options of the read verbs: --json and --help. Returns -1 to go on, else an exit code. */
static int parse_json_opts(int argc, char **argv, const char *verb, const char *help, int *as_json)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            *as_json = 1;
        else if (c == 'h')
            return fputs(help, stdout), 0;
        else
            return usage(verb, "unknown option");
    }
    return -1;
}

static int cmd_status(const char *root, int argc, char **argv)
{
    int as_json = 0, done = parse_json_opts(argc, argv, "status", HELP_STATUS, &as_json);
    if (done >= 0)
        return done;
    if (optind != argc)
        return usage("status", "unexpected argument");
    struct ota_err err;
    ota_err_clear(&err);
    struct ota_device *d;
    if (ota_device_open(&d, root, OTA_OPEN_PREFER_WRITE, &err))
        return fail(&err);
    struct ota_device_status st;
    enum ota_status rc = ota_device_status(d, &st, &err);
    ota_device_close(d);
    if (rc)
        return fail(&err);
    int ret = 0;
    if (as_json)
        ret = status_json(&st);
    else
        status_text(&st);
    ota_device_status_free(&st);
    return ret;
}

static const char HELP_TRUST[] =
    "NAME\n"
    "    otaupdate trust - the Trusted Root Store of the running generation\n"
    "\n"
    "SYNOPSIS\n"
    "    otaupdate [--root DIR] trust list [--json]\n"
    "    otaupdate [--root DIR] trust path\n"
    "    otaupdate [--root DIR] trust info SHA256 [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    The CA roots the device validates its servers with. They change only through\n"
    "    packages (--trust-add, --trust-remove, --trust-replace), atomically with the images,\n"
    "    and roll back with them.\n"
    "    list   every root: SHA-256 fingerprint, subject, validity. --json prints an array of\n"
    "           objects with 'sha256' (lowercase hex, no colons), 'subject', 'issuer',\n"
    "           'not_before', 'not_after' (RFC 3339, UTC)\n"
    "    path   two lines: the OpenSSL CApath folder (hashed names, as 'openssl rehash' makes\n"
    "           them), then the single PEM bundle for CAfile users (curl --cacert, wolfSSL).\n"
    "           Both paths go through 'current', so they stay valid across updates\n"
    "    info   one root in detail; the fingerprint may be given with colons\n";

static json_t *cert_json(const struct ota_cert *c)
{
    char t[OTA_TIME_STR_LEN];
    json_t *e = json_object();
    json_object_set_new(e, "sha256", json_string(c->fingerprint));
    json_object_set_new(e, "subject", json_string(c->subject));
    json_object_set_new(e, "issuer", json_string(c->issuer));
    ota_time_format(t, c->not_before);
    json_object_set_new(e, "not_before", json_string(t));
    ota_time_format(t, c->not_after);
    json_object_set_new(e, "not_after", json_string(t));
    return e;
}

static int cmd_trust(const char *root, int argc, char **argv)
{
    int as_json = 0, done = parse_json_opts(argc, argv, "trust", HELP_TRUST, &as_json);
    if (done >= 0)
        return done;
    const char *sub = optind < argc ? argv[optind] : NULL;
    if (!sub || (strcmp(sub, "list") && strcmp(sub, "path") && strcmp(sub, "info")))
        return usage("trust", "expected list, path or info");
    if (!strcmp(sub, "info") ? optind + 2 != argc : optind + 1 != argc)
        return usage("trust", "wrong number of arguments");
    uint8_t fp[OTA_SHA256_LEN];
    if (!strcmp(sub, "info") && ota_fingerprint_parse(fp, argv[optind + 1]) != 0)
        return usage("trust", "info: expected a SHA-256 fingerprint");
    struct ota_err err;
    ota_err_clear(&err);
    struct ota_device *d;
    if (ota_device_open(&d, root, OTA_OPEN_PREFER_WRITE, &err))
        return fail(&err);
    int ret = 0;
    if (!strcmp(sub, "path")) {
        char capath[4200], bundle[4200];
        struct ota_certlist l;
        if (ota_device_trust_paths(d, capath, sizeof capath, bundle, sizeof bundle, &err) ||
            ota_device_trust_list(d, &l, &err)) {
            ret = fail(&err);
        } else {
            if (l.n == 0) {
                fprintf(stderr,
                        PROG ": trust path: the running generation has no trust store "
                             "(provision one with init --truststore, or ship --trust-add)\n");
                ret = 1;
            } else {
                printf("%s\n%s\n", capath, bundle);
            }
            ota_certs_free(&l);
        }
        ota_device_close(d);
        return ret;
    }
    struct ota_certlist l;
    enum ota_status rc = ota_device_trust_list(d, &l, &err);
    ota_device_close(d);
    if (rc)
        return fail(&err);
    char t1[OTA_TIME_STR_LEN], t2[OTA_TIME_STR_LEN];
    if (!strcmp(sub, "list")) {
        if (as_json) {
            json_t *a = json_array();
            for (size_t i = 0; i < l.n; i++)
                json_array_append_new(a, cert_json(&l.v[i]));
            json_dumpf(a, stdout, JSON_INDENT(2));
            printf("\n");
            json_decref(a);
        } else {
            for (size_t i = 0; i < l.n; i++) {
                ota_time_format(t1, l.v[i].not_before);
                ota_time_format(t2, l.v[i].not_after);
                printf("%s  %s .. %s  %s\n", l.v[i].fingerprint, t1, t2, l.v[i].subject);
            }
            printf("%zu root%s\n", l.n, l.n == 1 ? "" : "s");
        }
    } else {
        long at = ota_certs_find(&l, fp);
        if (at < 0) {
            char hex[OTA_SHA256_HEX_LEN];
            ota_hex_encode(hex, fp, OTA_SHA256_LEN);
            fprintf(stderr, PROG ": trust info: %s is not in the trust store\n", hex);
            ret = 1;
        } else if (as_json) {
            const struct ota_cert *ce = &l.v[at];
            json_t *e = cert_json(ce);
            json_object_set_new(e, "is_ca", json_boolean(ce->is_ca));
            json_object_set_new(e, "key_type", json_string(ce->key_type));
            json_object_set_new(e, "key_bits", json_integer(ce->key_bits));
            json_object_set_new(e, "signature_algorithm", json_string(ce->sig_alg));
            json_dumpf(e, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
            printf("\n");
            json_decref(e);
        } else {
            const struct ota_cert *ce = &l.v[at];
            ota_time_format(t1, ce->not_before);
            ota_time_format(t2, ce->not_after);
            printf("sha256:      %s\nsubject:     %s\nissuer:      %s\nnot before:  %s\n"
                   "not after:   %s\nCA:          %s\nkey:         %s %d bits\n"
                   "signature:   %s\n",
                   ce->fingerprint, ce->subject, ce->issuer, t1, t2, ce->is_ca ? "yes" : "no",
                   ce->key_type, ce->key_bits, ce->sig_alg);
        }
    }
    ota_certs_free(&l);
    return ret;
}

static void print_boot(const struct ota_boot_result *r)
{
    switch (r->action) {
    case OTA_BOOT_CONFIRMED:
        printf("generation %u is confirmed\n", r->generation);
        break;
    case OTA_BOOT_TRIAL:
        printf("trial boot %u of %u for generation %u; run 'otaupdate confirm' once healthy\n",
               r->trial, r->max_trials, r->generation);
        break;
    case OTA_BOOT_ROLLED_BACK:
        printf("rolled back from generation %u to %u: %s\n", r->from_generation, r->generation,
               r->reason);
        break;
    }
}

static int cmd_boot_flow(const char *root, int argc, char **argv)
{
    enum { O_TRIALS = 256, O_REASON };
    static const struct option opts[] = {{"max-trials", required_argument, 0, O_TRIALS},
                                         {"reason", required_argument, 0, O_REASON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *verb = argv[0], *reason = NULL;
    const char *help = !strcmp(verb, "boot")      ? HELP_BOOT
                       : !strcmp(verb, "confirm") ? HELP_CONFIRM
                                                  : HELP_ROLLBACK;
    uint64_t trials = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h')
            return fputs(help, stdout), 0;
        if (c == O_TRIALS && !strcmp(verb, "boot")) {
            if (ota_parse_u64(&trials, optarg, 1000) != 0 || trials == 0)
                return usage(verb, "--max-trials: a number from 1 to 1000");
        } else if (c == O_REASON && !strcmp(verb, "rollback")) {
            if (strlen(optarg) > 200)
                return usage(verb, "--reason: at most 200 characters");
            reason = optarg;
        } else {
            return usage(verb, "unknown option");
        }
    }
    if (optind != argc)
        return usage(verb, "unexpected argument");
    struct ota_err err;
    ota_err_clear(&err);
    struct ota_device *d;
    if (ota_device_open(&d, root, OTA_OPEN_WRITE, &err))
        return fail(&err);
    struct ota_boot_result r;
    enum ota_status rc;
    int64_t now = (int64_t)time(NULL);
    if (!strcmp(verb, "boot"))
        rc = ota_device_boot(d, (unsigned)trials, now, &r, &err);
    else if (!strcmp(verb, "confirm"))
        rc = ota_device_confirm(d, &r, &err);
    else
        rc = ota_device_rollback(d, reason, now, &r, &err);
    ota_device_close(d);
    if (rc)
        return fail(&err);
    print_boot(&r);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(const char *, int, char **);
    } verbs[] = {{"init", cmd_init},      {"install", cmd_install},   {"status", cmd_status},
                 {"boot", cmd_boot_flow}, {"confirm", cmd_boot_flow}, {"rollback", cmd_boot_flow},
                 {"trust", cmd_trust},    {"certs", ota_cli_certs}};
    const char *root = "/";
    int i = 1;
    signal(SIGPIPE, SIG_IGN);
    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "--root") && i + 1 < argc) {
            root = argv[i + 1];
            i += 2;
        } else if (!strncmp(argv[i], "--root=", 7)) {
            root = argv[i] + 7;
            i++;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            return fputs(HELP_MAIN, stdout), 0;
        } else if (!strcmp(argv[i], "--version")) {
            return printf("otaupdate %s\n", OTA_VERSION), 0;
        } else {
            fprintf(stderr, PROG ": unknown option '%s' (see 'otaupdate --help')\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, PROG ": missing verb (see 'otaupdate --help')\n");
        return 2;
    }
    if (!*root) {
        fprintf(stderr, PROG ": --root: empty path\n");
        return 2;
    }
    if (!strcmp(argv[i], "help"))
        return fputs(HELP_MAIN, stdout), 0;
    for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
        if (!strcmp(argv[i], verbs[v].name)) {
            opterr = 0;
            optind = 1;
            return verbs[v].fn(root, argc - i, argv + i);
        }
    }
    fprintf(stderr, PROG ": unknown verb '%s' (see 'otaupdate --help')\n", argv[i]);
    return 2;
}
