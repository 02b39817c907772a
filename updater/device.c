/* device.c — device state: provisioning, opening with recovery, floors, status.
 * Owns: the on-device layout under ROOT/var/lib/otapack and its invariants: 'current' always
 * names a complete generation; anything not reachable from it (staging, orphaned
 * generations, temporary files) is garbage that the next open removes. Never links secret
 * keys; never trusts a file here that a package could have written without verification. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "device_priv.h"
#include "json_util.h"
#include "otapack/codec.h"
#include "otapack/fsio.h"
#include "otapack/x509.h"
#include "otapack/certstore.h"
#include "truststore.h"

#define DEVICE_JSON "device.json"
#define STATE_JSON "state.json"

void ota_gen_name(char out[OTA_GEN_NAME_LEN + 1], unsigned gen)
{
    snprintf(out, OTA_GEN_NAME_LEN + 1, "gen-%08u", gen % 100000000u);
}

int ota_gen_parse(unsigned *gen, const char *name)
{
    uint64_t v;
    if (strncmp(name, "gen-", 4) != 0 || strlen(name) != OTA_GEN_NAME_LEN ||
        ota_parse_u64(&v, name + 4, 99999999u) != 0)
        return -1;
    *gen = (unsigned)v;
    return 0;
}

/* mkdir -p for the folders above the state folder (root itself must exist). */
static enum ota_status mkdirs(int rootfd, const char *rel, struct ota_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", rel);
    for (char *p = path;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdirat(rootfd, path, 0755) != 0 && errno != EEXIST)
                return ota_err_sys(err, errno, "%s: cannot create folder", path);
            *p = c;
            if (!c)
                break;
        }
    }
    return OTA_OK;
}

static enum ota_status write_device_json(int dirfd, const struct ota_device_init_opts *o,
                                         struct ota_err *err)
{
    json_t *j = json_object();
    json_object_set_new(j, "format", json_integer(1));
    json_object_set_new(j, "product", json_string(o->product));
    if (o->hardware)
        json_object_set_new(j, "hardware", json_string(o->hardware));
    json_object_set_new(j, "threshold", json_integer(o->threshold ? o->threshold : 1));
    json_object_set_new(j, "max_trials",
                        json_integer(o->max_trials ? o->max_trials : OTA_DEFAULT_MAX_TRIALS));
    if (o->n_slots) {
        json_t *sl = json_object();
        for (size_t i = 0; i < o->n_slots; i++) {
            json_t *pair = json_array();
            json_array_append_new(pair, json_string(o->slots[i].path[0]));
            json_array_append_new(pair, json_string(o->slots[i].path[1]));
            json_object_set_new(sl, o->slots[i].name, pair);
        }
        json_object_set_new(j, "slots", sl);
    }
    if (o->bootenv.backend != OTA_BOOTENV_NONE) {
        json_t *be = json_object();
        json_object_set_new(be, "backend",
                            json_string(o->bootenv.backend == OTA_BOOTENV_FILE ? "file" : "uboot"));
        json_object_set_new(be, "path", json_string(o->bootenv.path));
        json_object_set_new(j, "bootenv", be);
    }
    char *s;
    size_t n;
    enum ota_status rc = ota_json_dump(&s, &n, j, DEVICE_JSON, err);
    json_decref(j);
    if (rc)
        return rc;
    rc = ota_fs_write_atomic(dirfd, DEVICE_JSON, s, n, 0644, err);
    free(s);
    return rc;
}

struct last_rollback {
    int valid;
    unsigned from, to;
    int64_t time;
    const char *reason;
};

static enum ota_status write_state_json(int dirfd, uint64_t sv, int64_t tfloor,
                                        const struct last_rollback *rb, struct ota_err *err)
{
    char t[OTA_TIME_STR_LEN];
    ota_time_format(t, tfloor);
    json_t *j = json_object();
    json_object_set_new(j, "format", json_integer(1));
    json_object_set_new(j, "security_version", json_integer((json_int_t)sv));
    json_object_set_new(j, "time_floor", json_string(t));
    if (rb && rb->valid) {
        json_t *r = json_object();
        json_object_set_new(r, "from", json_integer(rb->from));
        json_object_set_new(r, "to", json_integer(rb->to));
        ota_time_format(t, rb->time);
        json_object_set_new(r, "time", json_string(t));
        json_object_set_new(r, "reason", json_string(rb->reason));
        json_object_set_new(j, "last_rollback", r);
    }
    char *s;
    size_t n;
    enum ota_status rc = ota_json_dump(&s, &n, j, STATE_JSON, err);
    json_decref(j);
    if (rc)
        return rc;
    rc = ota_fs_write_atomic(dirfd, STATE_JSON, s, n, 0644, err);
    free(s);
    return rc;
}

static enum ota_status populate(int dirfd, const struct ota_device_init_opts *o,
                                const struct ota_certlist *trust, const struct ota_certlist *chain,
                                struct ota_err *err)
{
    enum ota_status rc;
    int fd;
    char g0[OTA_GEN_NAME_LEN + 1], link[64];
    ota_gen_name(g0, 0);
    snprintf(link, sizeof link, OTA_GEN_DIR "/%s", g0);
    if ((rc = write_device_json(dirfd, o, err)) || (rc = write_state_json(dirfd, 0, 0, NULL, err)))
        return rc;
    if ((rc = ota_fs_mkdir(dirfd, "keys", 0755, err)))
        return rc;
    if ((rc = ota_fs_open_dir(&fd, dirfd, "keys", err)))
        return rc;
    for (size_t i = 0; !rc && i < o->n_keys; i++) {
        char name[OTA_KEYID_HEX_LEN + 8], line[OTA_PUBKEY_LINE_MAX];
        snprintf(name, sizeof name, "%s.pub", o->keys[i].keyid);
        ota_pubkey_format(line, sizeof line, &o->keys[i]);
        rc = ota_fs_write_atomic(fd, name, line, strlen(line), 0644, err);
    }
    if (!rc && o->keyring)
        rc = ota_fs_write_atomic(fd, OTA_ROOT_JSON, o->keyring, o->keyring_len, 0644, err);
    close(fd);
    if (rc)
        return rc;
    if ((rc = ota_fs_mkdir(dirfd, OTA_GEN_DIR, 0755, err)) ||
        (rc = ota_fs_open_dir(&fd, dirfd, OTA_GEN_DIR, err)))
        return rc;
    rc = ota_fs_mkdir(fd, g0, 0755, err);
    int gfd = -1;
    if (!rc && !(rc = ota_fs_open_dir(&gfd, fd, g0, err))) {
        rc = ota_fs_mkdir(gfd, "images", 0755, err);
        if (!rc)
            rc = ota_gen_write_boot(gfd, OTA_GEN_CONFIRMED, 0, NULL, err);
        if (!rc && (trust->n || chain->n))
            rc = ota_trust_write(gfd, trust, chain, err);
        close(gfd);
    }
    close(fd);
    if (rc)
        return rc;
    if ((rc = ota_fs_write_atomic(dirfd, "lock", "", 0, 0600, err)))
        return rc;
    return ota_fs_symlink_replace(dirfd, OTA_CURRENT, link, err);
}

/* Loads the initial trust store (a bundle, or every regular file of a folder) and server
 * chain, and checks them as a package's would be checked. */
static enum ota_status init_trust(struct ota_certlist *trust, struct ota_certlist *chain,
                                  const struct ota_device_init_opts *o, struct ota_warnings *w,
                                  struct ota_err *err)
{
    int64_t now = (int64_t)time(NULL);
    enum ota_status rc = OTA_OK;
    if (o->truststore) {
        int dfd;
        if (ota_fs_open_dir(&dfd, AT_FDCWD, o->truststore, NULL) == OTA_OK) {
            DIR *dir = fdopendir(dfd);
            struct dirent *de;
            char(*names)[256] = NULL;
            size_t n = 0;
            while (dir && (de = readdir(dir)) != NULL) {
                if (de->d_name[0] == '.')
                    continue;
                void *t = realloc(names, (n + 1) * sizeof *names);
                if (!t) {
                    rc = ota_err_set(err, OTA_E_NOMEM, "out of memory");
                    break;
                }
                names = t;
                snprintf(names[n++], 256, "%s", de->d_name);
            }
            for (size_t i = 0; !rc && i < n; i++) {
                char path[4096 + 256];
                struct stat st;
                snprintf(path, sizeof path, "%s/%s", o->truststore, names[i]);
                if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
                    continue; /* symlinks (a rehashed folder's hash names), folders */
                struct ota_certlist one;
                if ((rc = ota_certs_load(&one, path, err)))
                    break;
                for (size_t j = 0; !rc && j < one.n; j++)
                    if (ota_certs_find(trust, one.v[j].sha256) < 0)
                        rc = ota_certs_append(trust, &one.v[j], err);
                ota_certs_free(&one);
            }
            free(names);
            if (dir)
                closedir(dir);
            else
                close(dfd);
        } else {
            rc = ota_certs_load(trust, o->truststore, err);
        }
        for (size_t i = 0; !rc && i < trust->n;) {
            const struct ota_cert *c = &trust->v[i];
            char d[256];
            ota_cert_describe(d, sizeof d, c);
            if (!c->is_ca) {
                rc = ota_err_set(err, OTA_E_FORMAT, "--truststore: %s is not a CA", d);
            } else if (now >= c->not_after || now < c->not_before) {
                if (w && w->n < OTA_MAX_WARNINGS)
                    snprintf(w->msg[w->n++], sizeof w->msg[0], "--truststore: left out %s: %s", d,
                             now >= c->not_after ? "expired" : "not yet valid");
                ota_certs_remove(trust, i);
                continue;
            }
            i++;
        }
        if (!rc && trust->n == 0) /* say why, since the warnings are not printed on failure */
            rc = ota_err_set(err, OTA_E_FORMAT, "--truststore %s: no valid CA certificate%s%.300s",
                             o->truststore, w && w->n ? "; " : "",
                             w && w->n ? w->msg[w->n - 1] + strlen("--truststore: ") : "");
        if (!rc)
            ota_certs_sort(trust);
    }
    if (!rc && o->server_chain) {
        rc = ota_certs_load(chain, o->server_chain, err);
        if (!rc && (rc = ota_chain_verify(chain, trust, now, err)) != OTA_OK)
            ota_err_prefix(err, "--server-chain %s: the trust store does not validate it",
                           o->server_chain);
    }
    if (rc) {
        ota_certs_free(trust);
        ota_certs_free(chain);
    }
    return rc;
}

/* A keyring a device is provisioned with is signed by a threshold of its own root keys and
 * has not expired: a factory mistake caught here, not after the first release. */
static enum ota_status init_keyring(const struct ota_device_init_opts *o, struct ota_err *err)
{
    struct ota_keyring *kr;
    size_t n;
    enum ota_status rc = ota_keyring_parse_mem(&kr, o->keyring, o->keyring_len, err);
    if (!rc)
        rc = ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, err);
    if (!rc)
        rc = ota_keyring_check_expiry(kr, o->now, err);
    ota_keyring_free(kr);
    return rc ? ota_err_prefix(err, "--keyring") : OTA_OK;
}

enum ota_status ota_device_init(const char *root, const struct ota_device_init_opts *o,
                                struct ota_warnings *w, struct ota_err *err)
{
    if (!o->product || !ota_ident_valid(o->product))
        return ota_err_set(err, OTA_E_USAGE,
                           "--product: 1 to %u characters of A-Z a-z 0-9 . _ + : -",
                           OTA_MAX_STRING_LEN);
    if (o->hardware && !ota_ident_valid(o->hardware))
        return ota_err_set(err, OTA_E_USAGE,
                           "--hardware: 1 to %u characters of A-Z a-z 0-9 . _ + : -",
                           OTA_MAX_STRING_LEN);
    if (o->keyring && (o->n_keys || o->threshold))
        return ota_err_set(err, OTA_E_USAGE,
                           "a keyring and trusted keys are exclusive: the keyring names the keys");
    if (!o->keyring && (o->n_keys == 0 || o->n_keys > OTA_MAX_TRUSTED_KEYS))
        return ota_err_set(err, OTA_E_USAGE, "a device needs 1 to %u trusted keys, or a keyring",
                           OTA_MAX_TRUSTED_KEYS);
    if (o->threshold > o->n_keys)
        return ota_err_set(err, OTA_E_USAGE, "threshold %u is more than the %zu trusted keys",
                           o->threshold, o->n_keys);
    if (o->n_slots > OTA_MAX_SLOTS)
        return ota_err_set(err, OTA_E_USAGE, "at most %u slots", OTA_MAX_SLOTS);
    for (size_t i = 0; i < o->n_slots; i++) {
        if (!ota_name_valid(o->slots[i].name))
            return ota_err_set(err, OTA_E_USAGE, "--slot '%.64s': invalid name", o->slots[i].name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(o->slots[i].name, o->slots[j].name))
                return ota_err_set(err, OTA_E_USAGE, "--slot '%s' given twice", o->slots[i].name);
        for (int h = 0; h < 2; h++)
            if (o->slots[i].path[h][0] != '/')
                return ota_err_set(err, OTA_E_USAGE, "--slot '%s': paths must be absolute",
                                   o->slots[i].name);
        if (!strcmp(o->slots[i].path[0], o->slots[i].path[1]))
            return ota_err_set(err, OTA_E_USAGE, "--slot '%s': A and B are the same path",
                               o->slots[i].name);
    }
    enum ota_status rc;
    if (o->keyring && (rc = init_keyring(o, err)))
        return rc;
    struct ota_certlist trust, chain;
    memset(&trust, 0, sizeof trust);
    memset(&chain, 0, sizeof chain);
    if ((rc = init_trust(&trust, &chain, o, w, err)))
        return rc;
    int rootfd, libfd;
    rc = ota_fs_open_dir(&rootfd, AT_FDCWD, root, err);
    if (rc) {
        ota_certs_free(&trust);
        ota_certs_free(&chain);
        return ota_err_prefix(err, "device root");
    }
    if ((rc = mkdirs(rootfd, "var/lib", err)) ||
        (rc = ota_fs_open_dir(&libfd, rootfd, "var/lib", err))) {
        close(rootfd);
        ota_certs_free(&trust);
        ota_certs_free(&chain);
        return rc;
    }
    struct stat st;
    if (fstatat(libfd, "otapack", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        close(libfd);
        close(rootfd);
        ota_certs_free(&trust);
        ota_certs_free(&chain);
        return ota_err_set(err, OTA_E_EXISTS, "%s/" OTA_DEVICE_DIR ": device already initialised",
                           root);
    }
    /* Build the whole state folder under a temporary name, then rename it into place. */
    char tmp[64];
    snprintf(tmp, sizeof tmp, ".otapack.init.%ld", (long)getpid());
    (void)ota_fs_remove_tree(libfd, tmp, NULL);
    int dirfd = -1;
    if (!(rc = ota_fs_mkdir(libfd, tmp, 0755, err)) &&
        !(rc = ota_fs_open_dir(&dirfd, libfd, tmp, err))) {
        rc = populate(dirfd, o, &trust, &chain, err);
        if (!rc)
            rc = ota_fs_fsync(dirfd, "state folder", err);
        close(dirfd);
    }
    if (!rc)
        rc = ota_fs_rename(libfd, tmp, libfd, "otapack", err);
    if (rc)
        (void)ota_fs_remove_tree(libfd, tmp, NULL);
    close(libfd);
    close(rootfd);
    ota_certs_free(&trust);
    ota_certs_free(&chain);
    return rc;
}

/* ---- open ------------------------------------------------------------------------ */

/* A malformed file of our own is inconsistent device state, not hostile input. */
static enum ota_status as_state(struct ota_err *err)
{
    if (err)
        err->code = OTA_E_STATE;
    return OTA_E_STATE;
}

static enum ota_status load_device_json(struct ota_device *d, struct ota_err *err)
{
    static const char *const keys[] = {"format",     "product", "hardware", "threshold",
                                       "max_trials", "slots",   "bootenv",  NULL};
    char *buf;
    size_t len;
    enum ota_status rc =
        ota_fs_read_small(&buf, &len, d->basefd, DEVICE_JSON, OTA_MAX_STATE_SIZE, err);
    if (rc == OTA_E_NOENT)
        return ota_err_set(err, OTA_E_STATE, "%s: device not initialised (run 'otaupdate init')",
                           d->base);
    if (rc)
        return rc;
    json_t *j;
    uint64_t v;
    rc = ota_json_load_object(&j, buf, len, DEVICE_JSON, err);
    free(buf);
    if (rc)
        return as_state(err);
    if (!(rc = ota_json_only_keys(j, keys, DEVICE_JSON, err)) &&
        !(rc = ota_json_get_str(d->product, OTA_MAX_STRING_LEN, j, "product", DEVICE_JSON, err)) &&
        !(rc = ota_json_get_u64(&v, OTA_MAX_TRUSTED_KEYS, j, "threshold", DEVICE_JSON, err))) {
        d->threshold = v ? (unsigned)v : 1;
        if (json_object_get(j, "hardware"))
            rc = ota_json_get_str(d->hardware, OTA_MAX_STRING_LEN, j, "hardware", DEVICE_JSON, err);
    }
    d->max_trials = OTA_DEFAULT_MAX_TRIALS;
    if (!rc && json_object_get(j, "max_trials") &&
        !(rc = ota_json_get_u64(&v, 1000, j, "max_trials", DEVICE_JSON, err)))
        d->max_trials = v ? (unsigned)v : OTA_DEFAULT_MAX_TRIALS;
    json_t *sl = json_object_get(j, "slots");
    if (!rc && sl) {
        const char *name;
        json_t *pair;
        if (!json_is_object(sl) || json_object_size(sl) > OTA_MAX_SLOTS)
            rc = ota_err_set(err, OTA_E_STATE, DEVICE_JSON ": bad 'slots'");
        json_object_foreach(sl, name, pair)
        {
            if (rc)
                break;
            struct ota_slot_config *c = &d->slots[d->n_slots];
            json_t *a = json_array_get(pair, 0), *b = json_array_get(pair, 1);
            if (!ota_name_valid(name) || !json_is_array(pair) || json_array_size(pair) != 2 ||
                !json_is_string(a) || !json_is_string(b) ||
                json_string_length(a) >= sizeof c->path[0] ||
                json_string_length(b) >= sizeof c->path[1]) {
                rc = ota_err_set(err, OTA_E_STATE, DEVICE_JSON ": bad slot '%.64s'", name);
                break;
            }
            snprintf(c->name, sizeof c->name, "%s", name);
            snprintf(c->path[0], sizeof c->path[0], "%s", json_string_value(a));
            snprintf(c->path[1], sizeof c->path[1], "%s", json_string_value(b));
            d->n_slots++;
        }
    }
    json_t *be = json_object_get(j, "bootenv");
    if (!rc && be) {
        char backend[16];
        if (!(rc =
                  ota_json_get_str(backend, sizeof backend - 1, be, "backend", DEVICE_JSON, err)) &&
            !(rc = ota_json_get_str(d->bootenv.path, sizeof d->bootenv.path - 1, be, "path",
                                    DEVICE_JSON, err))) {
            if (!strcmp(backend, "file"))
                d->bootenv.backend = OTA_BOOTENV_FILE;
            else if (!strcmp(backend, "uboot"))
                d->bootenv.backend = OTA_BOOTENV_UBOOT;
            else
                rc = ota_err_set(err, OTA_E_STATE, DEVICE_JSON ": unknown bootenv backend");
        }
    }
    json_decref(j);
    if (rc)
        return as_state(err);
    return OTA_OK;
}

static enum ota_status load_state_json(struct ota_device *d, struct ota_err *err)
{
    char *buf;
    size_t len;
    enum ota_status rc =
        ota_fs_read_small(&buf, &len, d->basefd, STATE_JSON, OTA_MAX_STATE_SIZE, err);
    if (rc == OTA_E_NOENT)
        return OTA_OK; /* floors then come from the running generation alone */
    if (rc)
        return rc;
    json_t *j;
    rc = ota_json_load_object(&j, buf, len, STATE_JSON, err);
    free(buf);
    if (rc)
        return as_state(err);
    uint64_t sv;
    char t[OTA_TIME_STR_LEN + 4];
    int64_t tf;
    if (!(rc = ota_json_get_u64(&sv, OTA_MAX_SECURITY_VERSION, j, "security_version", STATE_JSON,
                                err)) &&
        !(rc = ota_json_get_str(t, sizeof t - 1, j, "time_floor", STATE_JSON, err))) {
        if (ota_time_parse(&tf, t) != 0)
            rc = ota_err_set(err, OTA_E_STATE, STATE_JSON ": bad time_floor");
    }
    json_t *rb = json_object_get(j, "last_rollback");
    if (!rc && rb) {
        uint64_t from, to;
        if (!(rc = ota_json_get_u64(&from, 99999999, rb, "from", STATE_JSON, err)) &&
            !(rc = ota_json_get_u64(&to, 99999999, rb, "to", STATE_JSON, err)) &&
            !(rc = ota_json_get_str(d->rb_reason, sizeof d->rb_reason - 1, rb, "reason", STATE_JSON,
                                    err)) &&
            !(rc = ota_json_get_str(t, sizeof t - 1, rb, "time", STATE_JSON, err))) {
            if (ota_time_parse(&d->rb_time, t) != 0)
                rc = ota_err_set(err, OTA_E_STATE, STATE_JSON ": bad rollback time");
            d->rb_from = (unsigned)from;
            d->rb_to = (unsigned)to;
            d->has_last_rollback = 1;
        }
    }
    json_decref(j);
    if (rc)
        return as_state(err);
    if (sv > d->sv_floor)
        d->sv_floor = sv;
    if (tf > d->time_floor)
        d->time_floor = tf;
    return OTA_OK;
}

static enum ota_status load_keys(struct ota_device *d, struct ota_err *err)
{
    int fd;
    enum ota_status rc = ota_fs_open_dir(&fd, d->basefd, "keys", err);
    if (rc)
        return ota_err_set(err, OTA_E_STATE, "%s/keys: missing", d->base);
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return ota_err_sys(err, errno, "%s/keys: cannot read", d->base);
    }
    struct dirent *de;
    while (!rc && (de = readdir(dir)) != NULL) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 5 || strcmp(de->d_name + n - 4, ".pub") != 0)
            continue;
        if (d->n_keys >= OTA_MAX_TRUSTED_KEYS) {
            rc = ota_err_set(err, OTA_E_STATE, "%s/keys: more than %u keys", d->base,
                             OTA_MAX_TRUSTED_KEYS);
            break;
        }
        char *buf;
        size_t len;
        rc = ota_fs_read_small(&buf, &len, fd, de->d_name, OTA_MAX_KEYFILE_SIZE, err);
        if (!rc) {
            rc = ota_pubkey_parse_mem(&d->keys[d->n_keys], buf, len, err);
            free(buf);
        }
        if (rc)
            ota_err_prefix(err, "%s/keys/%s", d->base, de->d_name);
        else
            d->n_keys++;
    }
    closedir(dir);
    if (rc)
        return rc;
    char *kbuf;
    size_t klen;
    int kfd;
    if ((rc = ota_fs_open_dir(&kfd, d->basefd, "keys", err)))
        return rc;
    rc = ota_fs_read_small(&kbuf, &klen, kfd, OTA_ROOT_JSON, OTA_MAX_KEYRING_SIZE, err);
    close(kfd);
    if (rc == OTA_OK) {
        rc = ota_keyring_parse_mem(&d->keyring_base, kbuf, klen, err);
        free(kbuf);
        if (rc) { /* the device's own file: damaged state, not a rejected input */
            ota_err_prefix(err, "%s/keys/" OTA_ROOT_JSON, d->base);
            return as_state(err);
        }
        return OTA_OK;
    }
    if (rc != OTA_E_NOENT)
        return rc;
    ota_err_clear(err);
    if (d->n_keys == 0)
        return ota_err_set(err, OTA_E_STATE, "%s/keys: no trusted key", d->base);
    if (d->threshold > d->n_keys)
        return ota_err_set(err, OTA_E_STATE, "%s: threshold %u but only %zu trusted keys", d->base,
                           d->threshold, d->n_keys);
    return ota_keyring_from_keys(&d->keyring_base, d->keys, d->n_keys, d->threshold, err);
}

const struct ota_keyring *ota_device_keyring(const struct ota_device *d)
{
    if (d->keyring_gen && d->keyring_gen->doc.version > d->keyring_base->doc.version)
        return d->keyring_gen;
    return d->keyring_base;
}

enum ota_status ota_gen_read_keyring(struct ota_device *d, int genfd, struct ota_err *err)
{
    ota_keyring_free(d->keyring_gen);
    d->keyring_gen = NULL;
    char *buf;
    size_t len;
    enum ota_status rc =
        ota_fs_read_small(&buf, &len, genfd, OTA_KEYRING_JSON, OTA_MAX_KEYRING_SIZE, err);
    if (rc == OTA_E_NOENT) {
        ota_err_clear(err);
        return OTA_OK;
    }
    if (rc)
        return rc;
    rc = ota_keyring_parse_mem(&d->keyring_gen, buf, len, err);
    free(buf);
    if (rc) {
        ota_err_prefix(err, OTA_KEYRING_JSON);
        return as_state(err);
    }
    return OTA_OK;
}

enum ota_status ota_device_keyring_settle(struct ota_device *d, struct ota_err *err)
{
    const struct ota_keyring *kr = ota_device_keyring(d);
    if (kr == d->keyring_base || d->cur_state != OTA_GEN_CONFIRMED || !d->writable)
        return OTA_OK;
    char *text;
    size_t len;
    int kfd;
    enum ota_status rc = ota_keyring_doc_serialize(&text, &len, &kr->doc, err);
    if (rc)
        return rc;
    if (!(rc = ota_fs_open_dir(&kfd, d->basefd, "keys", err))) {
        rc = ota_fs_write_atomic(kfd, OTA_ROOT_JSON, text, len, 0644, err);
        close(kfd);
    }
    free(text);
    if (rc)
        return ota_err_prefix(err, "%s/keys/" OTA_ROOT_JSON, d->base);
    /* the confirmed keyring is now the base: a rollback no longer takes it back */
    ota_keyring_free(d->keyring_base);
    d->keyring_base = d->keyring_gen;
    d->keyring_gen = NULL;
    return OTA_OK;
}

/* ---- generation files ----------------------------------------------------------- */

enum ota_status ota_gen_write_boot(int genfd, enum ota_boot_state state, unsigned trials,
                                   const char *reason, struct ota_err *err)
{
    static const char *const names[] = {"confirmed", "pending"};
    json_t *j = json_object();
    json_object_set_new(j, "state", json_string(names[state]));
    json_object_set_new(j, "trials", json_integer(trials));
    if (reason && *reason)
        json_object_set_new(j, "reason", json_string(reason));
    char *s;
    size_t n;
    enum ota_status rc = ota_json_dump(&s, &n, j, OTA_BOOT_JSON, err);
    json_decref(j);
    if (rc)
        return rc;
    rc = ota_fs_write_atomic(genfd, OTA_BOOT_JSON, s, n, 0644, err);
    free(s);
    return rc;
}

enum ota_status ota_gen_read_boot(struct ota_device *d, int genfd, struct ota_err *err)
{
    static const char *const keys[] = {"state", "trials", "reason", NULL};
    char *buf;
    size_t len;
    d->cur_state = OTA_GEN_CONFIRMED;
    d->cur_trials = 0;
    d->cur_reason[0] = '\0';
    enum ota_status rc =
        ota_fs_read_small(&buf, &len, genfd, OTA_BOOT_JSON, OTA_MAX_STATE_SIZE, err);
    if (rc == OTA_E_NOENT)
        return OTA_OK;
    if (rc)
        return rc;
    json_t *j;
    rc = ota_json_load_object(&j, buf, len, OTA_BOOT_JSON, err);
    free(buf);
    if (rc)
        return as_state(err);
    char st[16];
    uint64_t trials;
    if (!(rc = ota_json_only_keys(j, keys, OTA_BOOT_JSON, err)) &&
        !(rc = ota_json_get_str(st, sizeof st - 1, j, "state", OTA_BOOT_JSON, err)) &&
        !(rc = ota_json_get_u64(&trials, 1000000, j, "trials", OTA_BOOT_JSON, err))) {
        if (!strcmp(st, "confirmed"))
            d->cur_state = OTA_GEN_CONFIRMED;
        else if (!strcmp(st, "pending"))
            d->cur_state = OTA_GEN_PENDING;
        else
            rc = ota_err_set(err, OTA_E_STATE, OTA_BOOT_JSON ": unknown state '%s'", st);
        d->cur_trials = (unsigned)trials;
        if (!rc && json_object_get(j, "reason"))
            rc = ota_json_get_str(d->cur_reason, sizeof d->cur_reason - 1, j, "reason",
                                  OTA_BOOT_JSON, err);
    }
    json_decref(j);
    return rc ? as_state(err) : OTA_OK;
}

/* The record of the rollback that brought the device back to this generation, if any. It
 * is authoritative over state.json's copy, which is only written after the switch. */
static enum ota_status read_rollback_record(struct ota_device *d, int genfd, struct ota_err *err)
{
    static const char *const keys[] = {"from", "to", "time", "reason", NULL};
    char *buf;
    size_t len;
    enum ota_status rc =
        ota_fs_read_small(&buf, &len, genfd, "rollback.json", OTA_MAX_STATE_SIZE, err);
    if (rc == OTA_E_NOENT)
        return OTA_OK;
    if (rc)
        return rc;
    json_t *j;
    rc = ota_json_load_object(&j, buf, len, "rollback.json", err);
    free(buf);
    if (rc)
        return as_state(err);
    uint64_t from, to;
    char t[OTA_TIME_STR_LEN + 4];
    if (!(rc = ota_json_only_keys(j, keys, "rollback.json", err)) &&
        !(rc = ota_json_get_u64(&from, 99999999, j, "from", "rollback.json", err)) &&
        !(rc = ota_json_get_u64(&to, 99999999, j, "to", "rollback.json", err)) &&
        !(rc = ota_json_get_str(t, sizeof t - 1, j, "time", "rollback.json", err)) &&
        !(rc = ota_json_get_str(d->rb_reason, sizeof d->rb_reason - 1, j, "reason", "rollback.json",
                                err))) {
        if (ota_time_parse(&d->rb_time, t) != 0)
            rc = ota_err_set(err, OTA_E_STATE, "rollback.json: bad time");
        d->rb_from = (unsigned)from;
        d->rb_to = (unsigned)to;
        d->has_last_rollback = 1;
    }
    json_decref(j);
    return rc ? as_state(err) : OTA_OK;
}

int ota_device_slot_index(const struct ota_device *d, const char *name)
{
    for (size_t i = 0; i < d->n_slots; i++)
        if (!strcmp(d->slots[i].name, name))
            return (int)i;
    return -1;
}

enum ota_status ota_gen_read_slots(struct ota_device *d, int genfd, int slot[OTA_MAX_SLOTS],
                                   struct ota_err *err)
{
    for (size_t i = 0; i < OTA_MAX_SLOTS; i++)
        slot[i] = 0;
    char *buf;
    size_t len;
    enum ota_status rc =
        ota_fs_read_small(&buf, &len, genfd, OTA_SLOTS_JSON, OTA_MAX_STATE_SIZE, err);
    if (rc == OTA_E_NOENT)
        return OTA_OK;
    if (rc)
        return rc;
    json_t *j;
    rc = ota_json_load_object(&j, buf, len, OTA_SLOTS_JSON, err);
    free(buf);
    if (rc)
        return as_state(err);
    const char *name;
    json_t *v;
    json_object_foreach(j, name, v)
    {
        int i = ota_device_slot_index(d, name);
        const char *half = json_is_string(v) ? json_string_value(v) : "";
        if (i < 0)
            continue; /* a slot this device no longer has */
        if (strcmp(half, "a") && strcmp(half, "b")) {
            rc = ota_err_set(err, OTA_E_STATE, OTA_SLOTS_JSON ": bad value for '%s'", name);
            break;
        }
        slot[i] = half[0] == 'b';
    }
    json_decref(j);
    return rc;
}

enum ota_status ota_gen_write_slots(struct ota_device *d, int genfd, const int slot[OTA_MAX_SLOTS],
                                    struct ota_err *err)
{
    json_t *j = json_object();
    for (size_t i = 0; i < d->n_slots; i++)
        json_object_set_new(j, d->slots[i].name, json_string(slot[i] ? "b" : "a"));
    char *s;
    size_t n;
    enum ota_status rc = ota_json_dump(&s, &n, j, OTA_SLOTS_JSON, err);
    json_decref(j);
    if (rc)
        return rc;
    rc = ota_fs_write_atomic(genfd, OTA_SLOTS_JSON, s, n, 0644, err);
    free(s);
    return rc;
}

/* Reads 'current' and the running generation: manifest, parent, boot state, slots. */
static enum ota_status load_current(struct ota_device *d, struct ota_err *err)
{
    char target[128];
    ssize_t n = readlinkat(d->basefd, OTA_CURRENT, target, sizeof target - 1);
    if (n < 0)
        return ota_err_sys(err, errno, "%s/" OTA_CURRENT ": cannot read", d->base);
    target[n] = '\0';
    const char *prefix = OTA_GEN_DIR "/";
    if (strncmp(target, prefix, strlen(prefix)) != 0 ||
        ota_gen_parse(&d->cur_gen, target + strlen(prefix)) != 0)
        return ota_err_set(err, OTA_E_STATE, "%s/" OTA_CURRENT ": unexpected target '%s'", d->base,
                           target);
    char gname[OTA_GEN_NAME_LEN + 1];
    ota_gen_name(gname, d->cur_gen);
    int gfd;
    enum ota_status rc = ota_fs_open_dir(&gfd, d->gensfd, gname, err);
    if (rc)
        return ota_err_set(err, OTA_E_STATE, "%s: running generation %s is missing", d->base,
                           gname);
    char *buf;
    size_t len;
    d->has_parent = 0;
    rc = ota_fs_read_small(&buf, &len, gfd, "parent", 64, err);
    if (rc == OTA_OK) {
        if (len && buf[len - 1] == '\n')
            buf[--len] = '\0';
        if (ota_gen_parse(&d->parent_gen, buf) == 0) {
            /* a parent whose folder is gone (its slot was reused) is no rollback target */
            char pname[OTA_GEN_NAME_LEN + 1];
            struct stat st;
            ota_gen_name(pname, d->parent_gen);
            d->has_parent =
                fstatat(d->gensfd, pname, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        free(buf);
    } else if (rc != OTA_E_NOENT) {
        close(gfd);
        return rc;
    }
    if ((rc = ota_gen_read_boot(d, gfd, err)) ||
        (rc = ota_gen_read_slots(d, gfd, d->cur_slot, err)) ||
        (rc = read_rollback_record(d, gfd, err)) || (rc = ota_gen_read_keyring(d, gfd, err))) {
        close(gfd);
        return ota_err_prefix(err, "%s: running generation", d->base);
    }
    rc = ota_fs_read_small(&buf, &len, gfd, OTA_MANIFEST_ENTRY, OTA_MAX_MANIFEST_SIZE, err);
    close(gfd);
    if (rc == OTA_E_NOENT)
        return OTA_OK; /* generation 0: nothing installed yet */
    if (rc)
        return rc;
    struct ota_manifest m;
    rc = ota_manifest_parse_mem(&m, buf, len, err);
    if (!rc)
        rc = ota_sha256_mem(d->cur_manifest_sha256, buf, len, err);
    free(buf);
    if (rc)
        return ota_err_prefix(err, "%s: running generation", d->base);
    d->has_manifest = 1;
    d->cur_sv = m.security_version;
    d->cur_created = m.created;
    /* a confirmed generation's security version is the floor; a pending one's becomes the
     * floor only when it is confirmed (so a rollback from it stays possible) */
    if (d->cur_state == OTA_GEN_CONFIRMED && m.security_version > d->sv_floor)
        d->sv_floor = m.security_version;
    if (d->cur_state == OTA_GEN_CONFIRMED && m.created > d->time_floor)
        d->time_floor = m.created;
    ota_manifest_free(&m);
    return OTA_OK;
}

enum ota_status ota_device_gc(struct ota_device *d, unsigned keep_a, unsigned keep_b,
                              struct ota_err *err)
{
    int fd = dup(d->gensfd);
    if (fd < 0)
        return ota_err_sys(err, errno, "generations: cannot read");
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return ota_err_sys(err, errno, "generations: cannot read");
    }
    rewinddir(dir);
    enum ota_status rc = OTA_OK;
    struct dirent *de;
    /* collect first, then remove: deleting while iterating is unspecified */
    char(*victims)[256] = NULL;
    size_t nv = 0, cap = 0;
    while ((de = readdir(dir)) != NULL) {
        unsigned g;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (ota_gen_parse(&g, de->d_name) == 0 && (g == keep_a || g == keep_b))
            continue;
        if (nv == cap) {
            cap = cap ? cap * 2 : 8;
            void *t = realloc(victims, cap * sizeof *victims);
            if (!t) {
                rc = ota_err_set(err, OTA_E_NOMEM, "out of memory");
                break;
            }
            victims = t;
        }
        snprintf(victims[nv++], 256, "%s", de->d_name);
    }
    closedir(dir);
    for (size_t i = 0; !rc && i < nv; i++)
        rc = ota_fs_remove_tree(d->gensfd, victims[i], err);
    free(victims);
    return rc;
}

/* Unlinks the temporary files an interrupted durable write left in a folder: names that
 * start with '.' and hold ".tmp." (fsio's naming); with only, just those of that file. */
static void remove_tmp_files(int dirfd, const char *only)
{
    int fd = dup(dirfd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(dir);
    char prefix[300];
    snprintf(prefix, sizeof prefix, ".%s.tmp.", only ? only : "");
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] != '.' || !strstr(de->d_name, ".tmp."))
            continue;
        if (only && strncmp(de->d_name, prefix, strlen(prefix)) != 0)
            continue;
        (void)unlinkat(dirfd, de->d_name, 0);
    }
    closedir(dir);
}

/* Removes what an interrupted run left: staging, temporary files, orphaned generations. */
static enum ota_status recover(struct ota_device *d, struct ota_err *err)
{
    enum ota_status rc = ota_fs_remove_tree(d->basefd, OTA_STAGING, err);
    if (rc)
        return rc;
    remove_tmp_files(d->basefd, NULL);
    remove_tmp_files(d->gensfd, NULL);
    unsigned gens[2] = {d->cur_gen, d->parent_gen};
    for (int i = 0; i < 1 + d->has_parent; i++) {
        char name[OTA_GEN_NAME_LEN + 1];
        int gfd;
        ota_gen_name(name, gens[i]);
        if (ota_fs_open_dir(&gfd, d->gensfd, name, NULL) == OTA_OK) {
            remove_tmp_files(gfd, NULL);
            close(gfd);
        }
    }
    if (d->bootenv.backend == OTA_BOOTENV_FILE) {
        int bfd;
        char bname[256];
        if (ota_fs_open_parent(&bfd, bname, sizeof bname, d->bootenv.path, NULL) == OTA_OK) {
            remove_tmp_files(bfd, bname);
            close(bfd);
        }
    }
    if (d->has_parent) { /* a rollback record in a generation we do not run is stray */
        char pname[OTA_GEN_NAME_LEN + 1];
        int pfd;
        ota_gen_name(pname, d->parent_gen);
        if (ota_fs_open_dir(&pfd, d->gensfd, pname, NULL) == OTA_OK) {
            (void)unlinkat(pfd, "rollback.json", 0);
            close(pfd);
        }
    }
    if ((rc = ota_device_gc(d, d->cur_gen, d->has_parent ? d->parent_gen : d->cur_gen, err)) ||
        (rc = ota_device_keyring_settle(d, err)))
        return rc;
    return ota_bootenv_sync(d, err);
}

enum ota_status ota_device_open(struct ota_device **out, const char *root, enum ota_open_mode mode,
                                struct ota_err *err)
{
    *out = NULL;
    struct ota_device *d = calloc(1, sizeof *d);
    if (!d)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    d->rootfd = d->basefd = d->gensfd = d->lockfd = -1;
    /* status reports absolute paths, whatever the caller's working folder */
    char *abs = realpath(root, NULL);
    if (abs) {
        snprintf(d->root, sizeof d->root, "%s", abs);
        root = d->root;
        free(abs);
    } else {
        snprintf(d->root, sizeof d->root, "%s", root);
    }
    enum ota_status rc;
    if (strlen(root) + sizeof "/" OTA_DEVICE_DIR > sizeof d->base) {
        rc = ota_err_set(err, OTA_E_USAGE, "device root path too long");
        goto fail;
    }
    memcpy(d->base, root, strlen(root) + 1);
    if (!root[0] || root[strlen(root) - 1] != '/')
        strcat(d->base, "/");
    strcat(d->base, OTA_DEVICE_DIR);
    rc = ota_fs_open_dir(&d->rootfd, AT_FDCWD, root, err);
    if (rc) {
        ota_err_prefix(err, "device root");
        goto fail;
    }
    if ((rc = ota_fs_open_dir(&d->basefd, d->rootfd, OTA_DEVICE_DIR, err))) {
        if (rc == OTA_E_NOENT)
            rc = ota_err_set(err, OTA_E_STATE, "%s: device not initialised (run 'otaupdate init')",
                             d->base);
        goto fail;
    }
    if (mode != OTA_OPEN_READONLY) {
        d->lockfd = openat(d->basefd, "lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (d->lockfd < 0) {
            rc = ota_err_sys(err, errno, "%s/lock: cannot open", d->base);
            goto fail;
        }
        if (flock(d->lockfd, LOCK_EX | LOCK_NB) == 0) {
            d->writable = 1;
        } else if (errno != EWOULDBLOCK || mode == OTA_OPEN_WRITE) {
            rc = errno == EWOULDBLOCK
                     ? ota_err_set(err, OTA_E_BUSY, "%s: another otaupdate is running", d->base)
                     : ota_err_sys(err, errno, "%s/lock: cannot lock", d->base);
            goto fail;
        }
    }
    if ((rc = ota_fs_open_dir(&d->gensfd, d->basefd, OTA_GEN_DIR, err)) ||
        (rc = load_device_json(d, err)) || (rc = load_keys(d, err)) ||
        (rc = load_state_json(d, err)) || (rc = load_current(d, err)) ||
        (d->writable && (rc = recover(d, err))))
        goto fail;
    *out = d;
    return OTA_OK;
fail:
    ota_device_close(d);
    return rc;
}

void ota_device_close(struct ota_device *d)
{
    if (!d)
        return;
    if (d->gensfd >= 0)
        close(d->gensfd);
    if (d->lockfd >= 0)
        close(d->lockfd); /* releases the flock */
    if (d->basefd >= 0)
        close(d->basefd);
    if (d->rootfd >= 0)
        close(d->rootfd);
    ota_keyring_free(d->keyring_base);
    ota_keyring_free(d->keyring_gen);
    free(d);
}

enum ota_status ota_device_save_state(struct ota_device *d, struct ota_err *err)
{
    struct last_rollback rb = {d->has_last_rollback, d->rb_from, d->rb_to, d->rb_time,
                               d->rb_reason};
    return write_state_json(d->basefd, d->sv_floor, d->time_floor, &rb, err);
}

/* ---- certificate store ------------------------------------------------------------ */

enum ota_status ota_device_certstore(struct ota_device *d, struct ota_certstore **cs,
                                     struct ota_err *err)
{
    *cs = NULL;
    char gname[OTA_GEN_NAME_LEN + 1];
    int gfd, cfd;
    ota_gen_name(gname, d->cur_gen);
    enum ota_status rc = ota_fs_open_dir(&gfd, d->gensfd, gname, err);
    if (rc)
        return rc;
    rc = ota_fs_open_dir(&cfd, gfd, OTA_CERTS_DIR, err);
    if (rc == OTA_E_NOENT && d->writable) {
        if (!(rc = ota_fs_mkdir(gfd, OTA_CERTS_DIR, 0700, err)))
            rc = ota_fs_open_dir(&cfd, gfd, OTA_CERTS_DIR, err);
    } else if (rc == OTA_E_NOENT) {
        /* read-only and never written: an empty store (the generation folder holds no
         * store.json) */
        cfd = dup(gfd);
        rc = cfd < 0 ? ota_err_sys(err, errno, "certificate store: cannot open") : OTA_OK;
    }
    close(gfd);
    if (rc)
        return rc;
    rc = ota_certstore_open(cs, cfd, 0, err);
    close(cfd);
    return rc;
}

/* ---- trust store ------------------------------------------------------------------ */

enum ota_status ota_device_trust_paths(struct ota_device *d, char *capath, size_t capath_sz,
                                       char *bundle, size_t bundle_sz, struct ota_err *err)
{
    if ((size_t)snprintf(capath, capath_sz,
                         "%s/" OTA_CURRENT "/" OTA_TRUST_DIR "/" OTA_TRUST_CAPATH,
                         d->base) >= capath_sz ||
        (size_t)snprintf(bundle, bundle_sz,
                         "%s/" OTA_CURRENT "/" OTA_TRUST_DIR "/" OTA_TRUST_BUNDLE,
                         d->base) >= bundle_sz)
        return ota_err_set(err, OTA_E_USAGE, "device root path too long");
    return OTA_OK;
}

enum ota_status ota_device_trust_list(struct ota_device *d, struct ota_certlist *out,
                                      struct ota_err *err)
{
    char gname[OTA_GEN_NAME_LEN + 1];
    int gfd;
    ota_gen_name(gname, d->cur_gen);
    enum ota_status rc = ota_fs_open_dir(&gfd, d->gensfd, gname, err);
    if (rc)
        return rc;
    rc = ota_trust_load(out, NULL, gfd, err);
    close(gfd);
    return rc;
}

/* ---- status ---------------------------------------------------------------------- */

void ota_device_status_free(struct ota_device_status *st)
{
    ota_manifest_free(&st->manifest);
    free(st->images);
    memset(st, 0, sizeof *st);
}

enum ota_status ota_device_status(struct ota_device *d, struct ota_device_status *st,
                                  struct ota_err *err)
{
    memset(st, 0, sizeof *st);
    snprintf(st->product, sizeof st->product, "%s", d->product);
    snprintf(st->hardware, sizeof st->hardware, "%s", d->hardware);
    st->generation = d->cur_gen;
    st->has_previous = d->has_parent;
    st->previous = d->parent_gen;
    st->security_version = d->sv_floor;
    st->time_floor = d->time_floor;
    const struct ota_keyring *kr = ota_device_keyring(d);
    st->n_keys = kr->doc.roles[OTA_ROLE_TARGETS].n;
    st->threshold = kr->doc.roles[OTA_ROLE_TARGETS].threshold;
    st->n_root_keys = kr->doc.roles[OTA_ROLE_ROOT].n;
    st->root_threshold = kr->doc.roles[OTA_ROLE_ROOT].threshold;
    st->keyring_version = kr->doc.version;
    st->keyring_expires = kr->doc.expires;
    st->keyring_confirmed_version = d->keyring_base->doc.version;
    st->boot_state = d->cur_state;
    st->trials = d->cur_trials;
    st->max_trials = d->max_trials;
    st->has_last_rollback = d->has_last_rollback;
    st->rollback_from = d->rb_from;
    st->rollback_to = d->rb_to;
    st->rollback_time = d->rb_time;
    snprintf(st->rollback_reason, sizeof st->rollback_reason, "%s", d->rb_reason);
    st->n_slots = d->n_slots;
    for (size_t i = 0; i < d->n_slots; i++) {
        snprintf(st->slots[i].name, sizeof st->slots[i].name, "%s", d->slots[i].name);
        st->slots[i].active = d->cur_slot[i];
        snprintf(st->slots[i].path, sizeof st->slots[i].path, "%s",
                 d->slots[i].path[d->cur_slot[i]]);
    }
    if (!d->has_manifest)
        return OTA_OK;
    char *buf;
    size_t len;
    int gfd;
    char gname[OTA_GEN_NAME_LEN + 1];
    ota_gen_name(gname, d->cur_gen);
    enum ota_status rc = ota_fs_open_dir(&gfd, d->gensfd, gname, err);
    if (rc)
        return rc;
    rc = ota_fs_read_small(&buf, &len, gfd, OTA_MANIFEST_ENTRY, OTA_MAX_MANIFEST_SIZE, err);
    close(gfd);
    if (rc)
        return rc;
    rc = ota_manifest_parse_mem(&st->manifest, buf, len, err);
    free(buf);
    if (rc)
        return ota_err_prefix(err, "%s: running generation", d->base);
    st->has_manifest = 1;
    memcpy(st->manifest_sha256, d->cur_manifest_sha256, OTA_SHA256_LEN);
    st->images = calloc(st->manifest.n_payloads ? st->manifest.n_payloads : 1, sizeof *st->images);
    if (!st->images) {
        ota_device_status_free(st);
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < st->manifest.n_payloads; i++) {
        const struct ota_payload *p = &st->manifest.payloads[i];
        if (strcmp(p->type, "image") != 0 || ota_device_slot_index(d, p->name) >= 0)
            continue; /* slot images are reported under slots */
        struct ota_image_status *im = &st->images[st->n_images++];
        snprintf(im->name, sizeof im->name, "%s", p->name);
        im->size = p->raw_size;
        memcpy(im->sha256, p->raw_sha256, OTA_SHA256_LEN);
        if (snprintf(im->path, sizeof im->path, "%s/" OTA_CURRENT "/images/%s", d->base, p->name) >=
            (int)sizeof im->path) {
            ota_device_status_free(st);
            return ota_err_set(err, OTA_E_USAGE, "device root path too long");
        }
    }
    return OTA_OK;
}
