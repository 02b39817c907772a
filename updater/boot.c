/* boot.c — the boot flow: trial boots, confirm, rollback (MCUboot's test/confirm, RAUC's
 * mark-good/mark-bad).
 * Owns: the life of a generation after install: pending -> confirmed, or pending -> switched
 * back to its parent. Each of these is one atomic rename (of boot.json, or of 'current');
 * the bookkeeping after it is redone by the next open if it is interrupted. Must never:
 * switch to a generation that is not complete, or let a rollback lower the anti-rollback
 * floor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "device_priv.h"
#include "json_util.h"
#include "otapack/codec.h"
#include "otapack/fsio.h"

static enum ota_status open_gen(int *fd, struct ota_device *d, unsigned gen, struct ota_err *err)
{
    char name[OTA_GEN_NAME_LEN + 1];
    ota_gen_name(name, gen);
    return ota_fs_open_dir(fd, d->gensfd, name, err);
}

static enum ota_status need_writable(struct ota_device *d, struct ota_err *err)
{
    if (!d->writable)
        return ota_err_set(err, OTA_E_BUSY, "%s: another otaupdate is running", d->base);
    return OTA_OK;
}

#define ROLLBACK_JSON "rollback.json"

static enum ota_status write_rollback_record(int genfd, unsigned from, unsigned to, int64_t now,
                                             const char *reason, struct ota_err *err)
{
    char t[OTA_TIME_STR_LEN];
    ota_time_format(t, now);
    json_t *j = json_object();
    json_object_set_new(j, "from", json_integer(from));
    json_object_set_new(j, "to", json_integer(to));
    json_object_set_new(j, "time", json_string(t));
    json_object_set_new(j, "reason", json_string(reason));
    char *s;
    size_t n;
    enum ota_status rc = ota_json_dump(&s, &n, j, ROLLBACK_JSON, err);
    json_decref(j);
    if (rc)
        return rc;
    rc = ota_fs_write_atomic(genfd, ROLLBACK_JSON, s, n, 0644, err);
    free(s);
    return rc;
}

/* Reloads what describes the running generation after 'current' moved to gen. */
static enum ota_status reload_current(struct ota_device *d, unsigned gen, struct ota_err *err)
{
    int gfd;
    enum ota_status rc = open_gen(&gfd, d, gen, err);
    if (rc)
        return rc;
    char *buf;
    size_t len;
    d->cur_gen = gen;
    d->has_parent = 0;
    if (ota_fs_read_small(&buf, &len, gfd, "parent", 64, NULL) == OTA_OK) {
        if (len && buf[len - 1] == '\n')
            buf[len - 1] = '\0';
        unsigned p;
        char pname[OTA_GEN_NAME_LEN + 1];
        int pfd;
        if (ota_gen_parse(&p, buf) == 0) {
            ota_gen_name(pname, p);
            if (ota_fs_open_dir(&pfd, d->gensfd, pname, NULL) == OTA_OK) {
                close(pfd);
                d->has_parent = 1;
                d->parent_gen = p;
            }
        }
        free(buf);
    }
    if (!(rc = ota_gen_read_boot(d, gfd, err)) &&
        !(rc = ota_gen_read_slots(d, gfd, d->cur_slot, err)))
        rc = ota_gen_read_keyring(d, gfd, err);
    d->has_manifest = 0;
    if (!rc && ota_fs_read_small(&buf, &len, gfd, OTA_MANIFEST_ENTRY, OTA_MAX_MANIFEST_SIZE,
                                 NULL) == OTA_OK) {
        struct ota_manifest m;
        if (ota_manifest_parse_mem(&m, buf, len, NULL) == OTA_OK) {
            d->has_manifest = ota_sha256_mem(d->cur_manifest_sha256, buf, len, NULL) == OTA_OK;
            d->cur_sv = m.security_version;
            d->cur_created = m.created;
            ota_manifest_free(&m);
        }
        free(buf);
    }
    close(gfd);
    return rc;
}

/* Switches back to the parent generation. The one commit point is the rename of 'current';
 * the record of why is written into the parent's folder before it (invisible until the
 * switch, removed by recovery if the switch never happens) and copied into state.json after
 * it, as history. */
static enum ota_status switch_to_parent(struct ota_device *d, const char *reason, int64_t now,
                                        struct ota_boot_result *res, struct ota_err *err)
{
    unsigned from = d->cur_gen, to = d->parent_gen;
    int pfd;
    enum ota_status rc = open_gen(&pfd, d, to, err);
    if (rc)
        return rc;
    rc = write_rollback_record(pfd, from, to, now, reason, err);
    close(pfd);
    if (rc)
        return rc;
    char name[OTA_GEN_NAME_LEN + 1], link[64];
    ota_gen_name(name, to);
    snprintf(link, sizeof link, OTA_GEN_DIR "/%s", name);
    if ((rc = ota_fs_symlink_replace(d->basefd, OTA_CURRENT, link, err))) {
        char t[64];
        ssize_t n = readlinkat(d->basefd, OTA_CURRENT, t, sizeof t - 1);
        if (n < 0 || (size_t)n != strlen(link) || memcmp(t, link, (size_t)n) != 0)
            return rc;      /* not switched: nothing changed that anyone can see */
        ota_err_clear(err); /* switched; only the folder fsync is in doubt */
    }
    /* committed: what follows is bookkeeping that the next open redoes if it fails */
    d->has_last_rollback = 1;
    d->rb_from = from;
    d->rb_to = to;
    d->rb_time = now;
    snprintf(d->rb_reason, sizeof d->rb_reason, "%s", reason);
    if (reload_current(d, to, NULL) == OTA_OK) {
        (void)ota_device_save_state(d, NULL);
        (void)ota_device_gc(d, d->cur_gen, d->has_parent ? d->parent_gen : d->cur_gen, NULL);
        (void)ota_bootenv_sync(d, NULL);
    }
    res->action = OTA_BOOT_ROLLED_BACK;
    res->generation = to;
    res->from_generation = from;
    snprintf(res->reason, sizeof res->reason, "%s", reason);
    return OTA_OK;
}

/* Writes boot.json as a commit point. If the write reports an error after its rename (a
 * failing folder fsync), the new file is in place and the step happened: read it back. */
static enum ota_status commit_boot(struct ota_device *d, int gfd, enum ota_boot_state state,
                                   unsigned trials, struct ota_err *err)
{
    enum ota_status rc = ota_gen_write_boot(gfd, state, trials, NULL, err);
    if (!rc)
        return OTA_OK;
    enum ota_boot_state old_state = d->cur_state;
    unsigned old_trials = d->cur_trials;
    if (ota_gen_read_boot(d, gfd, NULL) == OTA_OK && d->cur_state == state &&
        d->cur_trials == trials) {
        ota_err_clear(err);
        return OTA_OK;
    }
    d->cur_state = old_state;
    d->cur_trials = old_trials;
    return rc;
}

enum ota_status ota_device_boot(struct ota_device *d, unsigned max_trials, int64_t now,
                                struct ota_boot_result *res, struct ota_err *err)
{
    memset(res, 0, sizeof *res);
    enum ota_status rc = need_writable(d, err);
    if (rc)
        return rc;
    res->max_trials = max_trials ? max_trials : d->max_trials;
    res->generation = d->cur_gen;
    if (d->cur_state != OTA_GEN_PENDING) {
        res->action = OTA_BOOT_CONFIRMED;
        return OTA_OK;
    }
    if (d->cur_trials >= res->max_trials) {
        char reason[160];
        snprintf(reason, sizeof reason, "generation %u not confirmed after %u trial boot%s",
                 d->cur_gen, d->cur_trials, d->cur_trials == 1 ? "" : "s");
        if (!d->has_parent)
            return ota_err_set(err, OTA_E_STATE, "%s, and there is no previous generation", reason);
        rc = switch_to_parent(d, reason, now, res, err);
        res->max_trials = max_trials ? max_trials : d->max_trials;
        return rc;
    }
    int gfd;
    if ((rc = open_gen(&gfd, d, d->cur_gen, err)))
        return rc;
    rc = commit_boot(d, gfd, OTA_GEN_PENDING, d->cur_trials + 1, err);
    close(gfd);
    if (rc)
        return rc;
    d->cur_trials++;
    res->action = OTA_BOOT_TRIAL;
    res->trial = d->cur_trials;
    return OTA_OK;
}

enum ota_status ota_device_confirm(struct ota_device *d, struct ota_boot_result *res,
                                   struct ota_err *err)
{
    memset(res, 0, sizeof *res);
    enum ota_status rc = need_writable(d, err);
    if (rc)
        return rc;
    res->generation = d->cur_gen;
    res->action = OTA_BOOT_CONFIRMED;
    if (d->cur_state == OTA_GEN_CONFIRMED)
        return OTA_OK;
    int gfd;
    if ((rc = open_gen(&gfd, d, d->cur_gen, err)))
        return rc;
    rc = commit_boot(d, gfd, OTA_GEN_CONFIRMED, d->cur_trials, err);
    close(gfd);
    if (rc)
        return rc;
    d->cur_state = OTA_GEN_CONFIRMED;
    res->trial = d->cur_trials;
    if (d->has_manifest && d->cur_sv > d->sv_floor)
        d->sv_floor = d->cur_sv;
    if (d->has_manifest && d->cur_created > d->time_floor)
        d->time_floor = d->cur_created;
    /* the floor is also recomputed from the confirmed generation at every open, so a crash
     * before this write loses nothing */
    (void)ota_device_save_state(d, NULL);
    (void)ota_bootenv_sync(d, NULL); /* the bootloader's trial flag ends too */
    /* a rotated keyring becomes the device's for good; if this write is lost, the next open
     * finishes it (the generation is confirmed and holds it) */
    (void)ota_device_keyring_settle(d, NULL);
    return OTA_OK;
}

enum ota_status ota_device_rollback(struct ota_device *d, const char *reason, int64_t now,
                                    struct ota_boot_result *res, struct ota_err *err)
{
    memset(res, 0, sizeof *res);
    enum ota_status rc = need_writable(d, err);
    if (rc)
        return rc;
    if (!d->has_parent)
        return ota_err_set(err, OTA_E_STATE,
                           "generation %u has no previous generation to roll back to", d->cur_gen);
    if (d->cur_state == OTA_GEN_CONFIRMED) {
        /* leaving a confirmed generation must not go below the floor it set */
        int gfd;
        char *buf;
        size_t len;
        uint64_t psv = 0;
        if ((rc = open_gen(&gfd, d, d->parent_gen, err)))
            return rc;
        rc = ota_fs_read_small(&buf, &len, gfd, OTA_MANIFEST_ENTRY, OTA_MAX_MANIFEST_SIZE, err);
        close(gfd);
        if (rc == OTA_OK) {
            struct ota_manifest m;
            rc = ota_manifest_parse_mem(&m, buf, len, err);
            free(buf);
            if (rc)
                return rc;
            psv = m.security_version;
            ota_manifest_free(&m);
        } else if (rc != OTA_E_NOENT) {
            return rc;
        }
        if (psv < d->sv_floor)
            return ota_err_set(err, OTA_E_ROLLBACK,
                               "generation %u is confirmed; its previous generation has security "
                               "version %llu, below the floor %llu",
                               d->cur_gen, (unsigned long long)psv,
                               (unsigned long long)d->sv_floor);
    }
    return switch_to_parent(d, reason && *reason ? reason : "rollback requested", now, res, err);
}
