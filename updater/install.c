/* install.c — the install engine: verify, check policy, stage, switch.
 *
 * Owns the order of an install (STYLE.md, "Durability"):
 *   1. read manifest.json and signatures.json from the stream; verify the signatures over
 *      the exact manifest bytes against the device's keys; only then parse the manifest;
 *   2. policy: product, hardware revision, identical-to-running (a no-op), security version
 *      strictly greater than the floor, expiry against the trusted time;
 *   3. stage: each payload streams through its type's handler into staging/, fsync'd;
 *      the whole stream is read to its last byte and audited;
 *   4. rename staging to generations/gen-N (fsync), then switch 'current' with one atomic
 *      symlink rename (fsync): the commit point; the new generation is pending until
 *      confirmed (boot.c);
 *   5. record the time floor, remove generations nothing refers to, sync the boot
 *      environment.
 * Raw A/B slots: an image whose name is a configured slot streams into the half the new
 * generation's parent does not use, then is read back and checked. Before that half is
 * written, a kept generation that used it is dropped ("mark the target unusable").
 * Any failure before 4 removes staging and leaves the device byte-for-byte as it was.
 * Must never: use a payload byte before the manifest signature checks out, write outside
 * staging before the commit, or follow a symlink inside the state folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "device_priv.h"
#include "otapack/codec.h"
#include "otapack/fsio.h"
#include "otapack/package.h"
#include "otapack/sigblock.h"
#include "otapack/certops.h"
#include "otapack/certstore.h"
#include "truststore.h"

struct stage {
    struct ota_device *d;
    int stagefd;                  /* staging/ */
    int imagesfd;                 /* staging/images/ */
    int outfd;                    /* the payload being written */
    struct ota_slot_writer *slot; /* or the slot half being written */
    const struct ota_payload *p;
    int target[OTA_MAX_SLOTS]; /* the half each slot of the new generation uses */
    /* small payloads (certificates, operations) are collected in memory, bounded */
    char *mem;
    size_t mem_len;
    struct ota_trust_changes trust;
    int trust_touched;
    struct ota_certops certops;
    int has_certops;
    int64_t t;                   /* trusted time for certificate checks */
    int drop_parent;             /* the parent uses a slot half we write: drop it before we do */
    struct ota_keyring *keyring; /* the keyring the package rotated to, or NULL */
};

static enum ota_status check_trust_so_far(struct stage *s, struct ota_err *err);

/* ---- payload handlers: one explicit table, one row per payload type ---------------- */

struct payload_handler {
    const char *type;
    enum ota_status (*begin)(struct stage *s, struct ota_err *err);
    ota_sink_fn write;
    enum ota_status (*end)(struct stage *s, struct ota_err *err);
};

static enum ota_status image_begin(struct stage *s, struct ota_err *err)
{
    int si = ota_device_slot_index(s->d, s->p->name);
    if (si >= 0) {
        if (s->drop_parent) {
            /* the last moment before the first byte goes into a half a kept generation
             * uses: refuse now what would be refused anyway, then drop that generation */
            enum ota_status rc = check_trust_so_far(s, err);
            char pname[OTA_GEN_NAME_LEN + 1];
            ota_gen_name(pname, s->d->parent_gen);
            if (!rc)
                rc = ota_fs_remove_tree(s->d->gensfd, pname, err);
            if (rc)
                return rc;
            s->d->has_parent = 0;
            s->drop_parent = 0;
        }
        return ota_slot_open(&s->slot, s->d->slots[si].path[s->target[si]], s->p->raw_size, err);
    }
    s->outfd =
        openat(s->imagesfd, s->p->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (s->outfd < 0)
        return ota_err_sys(err, errno, "payload '%s': cannot create staging file", s->p->name);
    return OTA_OK;
}

static enum ota_status image_write(void *ctx, const uint8_t *buf, size_t len, struct ota_err *err)
{
    struct stage *s = ctx;
    if (s->slot)
        return ota_slot_write(s->slot, buf, len, err);
    return ota_fs_write_all(s->outfd, buf, len, s->p->name, err);
}

static enum ota_status image_end(struct stage *s, struct ota_err *err)
{
    if (s->slot) {
        enum ota_status rc = ota_slot_finish(s->slot, s->p->raw_sha256, err);
        ota_slot_free(s->slot);
        s->slot = NULL;
        return rc ? ota_err_prefix(err, "payload '%s'", s->p->name) : OTA_OK;
    }
    enum ota_status rc = ota_fs_fsync(s->outfd, s->p->name, err);
    if (close(s->outfd) != 0 && !rc)
        rc = ota_err_sys(err, errno, "payload '%s': close failed", s->p->name);
    s->outfd = -1;
    return rc;
}

static enum ota_status mem_begin(struct stage *s, struct ota_err *err)
{
    /* attacker-controlled size, but signed and bounded before allocation */
    if (s->p->raw_size > OTA_MAX_BUNDLE_SIZE)
        return ota_err_set(err, OTA_E_LIMIT, "payload '%s': larger than %u bytes", s->p->name,
                           OTA_MAX_BUNDLE_SIZE);
    if (s->mem) /* may hold a client key of a certstore payload */
        OPENSSL_cleanse(s->mem, s->mem_len);
    free(s->mem);
    s->mem = malloc((size_t)s->p->raw_size + 1);
    s->mem_len = 0;
    if (!s->mem)
        return ota_err_set(err, OTA_E_NOMEM, "payload '%s': out of memory", s->p->name);
    return OTA_OK;
}

static enum ota_status mem_write(void *ctx, const uint8_t *buf, size_t len, struct ota_err *err)
{
    struct stage *s = ctx;
    if (len > s->p->raw_size - s->mem_len) /* the reader guarantees this; belt and braces */
        return ota_err_set(err, OTA_E_DIGEST, "payload '%s': more bytes than declared", s->p->name);
    memcpy(s->mem + s->mem_len, buf, len);
    s->mem_len += len;
    return OTA_OK;
}

static enum ota_status certs_into(struct ota_certlist *dst, struct stage *s, struct ota_err *err)
{
    struct ota_certlist got;
    char what[OTA_MAX_NAME_LEN + 16];
    snprintf(what, sizeof what, "payload '%s'", s->p->name);
    enum ota_status rc = ota_certs_parse_mem(&got, s->mem, s->mem_len, what, err);
    for (size_t i = 0; !rc && i < got.n; i++)
        if (ota_certs_find(dst, got.v[i].sha256) < 0)
            rc = ota_certs_append(dst, &got.v[i], err);
    ota_certs_free(&got);
    s->trust_touched = 1;
    return rc;
}

static enum ota_status trust_add_end(struct stage *s, struct ota_err *err)
{
    return certs_into(&s->trust.add, s, err);
}

static enum ota_status trust_replace_end(struct stage *s, struct ota_err *err)
{
    if (s->trust.has_replace)
        return ota_err_set(err, OTA_E_FORMAT, "payload '%s': a second trust-replace", s->p->name);
    s->trust.has_replace = 1;
    return certs_into(&s->trust.replace, s, err);
}

static enum ota_status server_chain_end(struct stage *s, struct ota_err *err)
{
    if (s->trust.has_chain)
        return ota_err_set(err, OTA_E_FORMAT, "payload '%s': a second server chain", s->p->name);
    s->trust.has_chain = 1;
    /* a chain keeps its order (leaf first) and may not repeat itself */
    char what[OTA_MAX_NAME_LEN + 16];
    snprintf(what, sizeof what, "payload '%s'", s->p->name);
    s->trust_touched = 1;
    return ota_certs_parse_mem(&s->trust.chain, s->mem, s->mem_len, what, err);
}

static enum ota_status trust_remove_end(struct stage *s, struct ota_err *err)
{
    s->trust_touched = 1;
    enum ota_status rc = ota_trust_parse_remove(&s->trust, s->mem, s->mem_len, err);
    return rc ? ota_err_prefix(err, "payload '%s'", s->p->name) : OTA_OK;
}

static enum ota_status certstore_end(struct stage *s, struct ota_err *err)
{
    if (s->has_certops)
        return ota_err_set(err, OTA_E_FORMAT, "payload '%s': a second certstore payload",
                           s->p->name);
    enum ota_status rc = ota_certops_parse_mem(&s->certops, s->mem, s->mem_len, err);
    if (rc)
        return ota_err_prefix(err, "payload '%s'", s->p->name);
    s->has_certops = 1;
    return OTA_OK;
}

static const struct payload_handler handlers[] = {
    {OTA_TYPE_IMAGE, image_begin, image_write, image_end},
    {OTA_TYPE_TRUST_ADD, mem_begin, mem_write, trust_add_end},
    {OTA_TYPE_TRUST_REPLACE, mem_begin, mem_write, trust_replace_end},
    {OTA_TYPE_TRUST_REMOVE, mem_begin, mem_write, trust_remove_end},
    {OTA_TYPE_SERVER_CHAIN, mem_begin, mem_write, server_chain_end},
    {OTA_TYPE_CERTSTORE, mem_begin, mem_write, certstore_end},
};

static const struct payload_handler *find_handler(const char *type)
{
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (!strcmp(handlers[i].type, type))
            return &handlers[i];
    return NULL;
}

/* ---- policy ------------------------------------------------------------------------ */

static enum ota_status check_policy(const struct ota_device *d, const struct ota_manifest *m,
                                    const uint8_t msha[OTA_SHA256_LEN], int64_t now, int *identical,
                                    struct ota_err *err)
{
    *identical = 0;
    if (strcmp(m->product, d->product) != 0)
        return ota_err_set(err, OTA_E_PRODUCT, "package is for product '%s', this device is '%s'",
                           m->product, d->product);
    if (m->n_hardware) {
        int ok = 0;
        for (size_t i = 0; i < m->n_hardware; i++)
            ok |= d->hardware[0] && !strcmp(m->hardware[i], d->hardware);
        if (!ok)
            return ota_err_set(err, OTA_E_PRODUCT,
                               "package is for hardware %s%s, this device is %s", m->hardware[0],
                               m->n_hardware > 1 ? " and others" : "",
                               d->hardware[0] ? d->hardware : "of no stated revision");
    }
    if (d->has_manifest && ota_digest_equal(msha, d->cur_manifest_sha256, OTA_SHA256_LEN)) {
        *identical = 1;
        return OTA_OK;
    }
    if (d->cur_state == OTA_GEN_PENDING)
        return ota_err_set(err, OTA_E_STATE,
                           "generation %u is still on trial; confirm it or roll back first",
                           d->cur_gen);
    if (m->security_version <= d->sv_floor && d->has_manifest)
        return ota_err_set(
            err, OTA_E_ROLLBACK, "security version %llu is not newer than installed %llu",
            (unsigned long long)m->security_version, (unsigned long long)d->sv_floor);
    if (m->security_version < d->sv_floor)
        return ota_err_set(err, OTA_E_ROLLBACK, "security version %llu is below the floor %llu",
                           (unsigned long long)m->security_version,
                           (unsigned long long)d->sv_floor);
    /* Trusted time: never earlier than the newest package this device installed, so a
     * device that boots with its clock at 1970 still refuses an expired package. */
    int64_t t = now > d->time_floor ? now : d->time_floor;
    if (t >= m->expires) {
        char e[OTA_TIME_STR_LEN];
        ota_time_format(e, m->expires);
        return ota_err_set(err, OTA_E_EXPIRED, "package expired at %s", e);
    }
    for (size_t i = 0; i < m->n_payloads; i++)
        if (!find_handler(m->payloads[i].type))
            return ota_err_set(err, OTA_E_UNSUPPORTED,
                               "payload '%s': type '%s' is not supported by this device",
                               m->payloads[i].name, m->payloads[i].type);
    return OTA_OK;
}

/* ---- staging ----------------------------------------------------------------------- */

/* Refuses early, with the numbers, when the file system cannot hold the new images. */
static enum ota_status check_space(struct ota_device *d, const struct ota_manifest *m,
                                   struct ota_err *err)
{
    uint64_t need = 64u * 1024u; /* manifest, signatures, metadata, folder blocks */
    for (size_t i = 0; i < m->n_payloads; i++)
        if (ota_device_slot_index(d, m->payloads[i].name) < 0)
            need += m->payloads[i].raw_size + 4096;
    struct statvfs vfs;
    if (fstatvfs(d->basefd, &vfs) != 0)
        return ota_err_sys(err, errno, "%s: cannot query free space", d->base);
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    if (need > avail)
        return ota_err_set(err, OTA_E_NOSPC,
                           "not enough space in %s: the package needs %llu bytes, %llu available",
                           d->base, (unsigned long long)need, (unsigned long long)avail);
    return OTA_OK;
}

/* Chooses the half of each slot the new generation writes (the one its parent, the running
 * generation, does not use) and drops a kept generation that still uses it. */
static enum ota_status prepare_slots(struct stage *s, const struct ota_manifest *m,
                                     struct ota_err *err)
{
    struct ota_device *d = s->d;
    int uses_target = 0;
    for (size_t i = 0; i < d->n_slots; i++)
        s->target[i] = d->cur_slot[i]; /* slots the package does not touch stay as they are */
    for (size_t i = 0; i < m->n_payloads; i++) {
        int si = ota_device_slot_index(d, m->payloads[i].name);
        if (si >= 0)
            s->target[si] = !d->cur_slot[si];
    }
    if (!d->has_parent)
        return OTA_OK;
    char pname[OTA_GEN_NAME_LEN + 1];
    int pfd, pslot[OTA_MAX_SLOTS];
    ota_gen_name(pname, d->parent_gen);
    enum ota_status rc = ota_fs_open_dir(&pfd, d->gensfd, pname, err);
    if (rc)
        return rc;
    rc = ota_gen_read_slots(d, pfd, pslot, err);
    close(pfd);
    if (rc)
        return rc;
    for (size_t i = 0; i < d->n_slots; i++)
        uses_target |= s->target[i] != d->cur_slot[i] && pslot[i] == s->target[i];
    /* the previous generation lives in a half we will overwrite: it stops being a rollback
     * target just before the first byte goes there (image_begin), not before */
    s->drop_parent = uses_target;
    return OTA_OK;
}

static enum ota_status stage_payloads(struct stage *s, struct ota_pkg_reader *r,
                                      const struct ota_manifest *m, struct ota_err *err)
{
    for (size_t i = 0; i < m->n_payloads; i++) {
        s->p = &m->payloads[i];
        const struct payload_handler *h = find_handler(s->p->type);
        enum ota_status rc = h->begin(s, err);
        if (!rc)
            rc = ota_pkg_reader_payload(r, m, i, OTA_SINK_RAW, h->write, s, err);
        if (!rc)
            rc = h->end(s, err);
        if (rc) {
            if (s->outfd >= 0) {
                close(s->outfd);
                s->outfd = -1;
            }
            ota_slot_free(s->slot);
            s->slot = NULL;
            return rc;
        }
    }
    return ota_pkg_reader_finish(r, m, err);
}

/* The new generation's trust store: the running one changed as the package says, checked
 * against every safety rule at the trusted time t. */
static enum ota_status stage_trust(struct stage *s, int64_t t, struct ota_install_result *res,
                                   struct ota_err *err)
{
    struct ota_device *d = s->d;
    char gname[OTA_GEN_NAME_LEN + 1];
    int gfd;
    ota_gen_name(gname, d->cur_gen);
    enum ota_status rc = ota_fs_open_dir(&gfd, d->gensfd, gname, err);
    if (rc)
        return rc;
    struct ota_certlist cur, chain, result, new_chain;
    rc = ota_trust_load(&cur, &chain, gfd, err);
    close(gfd);
    if (rc)
        return ota_err_prefix(err, "running trust store");
    if (!s->trust_touched && cur.n == 0 && chain.n == 0)
        return OTA_OK; /* a device without a trust store, and a package that adds none */
    struct ota_trust_warnings w;
    memset(&w, 0, sizeof w);
    rc = ota_trust_apply(&result, &new_chain, &cur, &chain, &s->trust, t, &w, err);
    if (!rc)
        rc = ota_trust_write(s->stagefd, &result, &new_chain, err);
    for (size_t i = 0; !rc && i < w.n && res->n_warnings < OTA_MAX_WARNINGS; i++)
        snprintf(res->warnings[res->n_warnings++], sizeof res->warnings[0], "%s", w.msg[i]);
    ota_certs_free(&cur);
    ota_certs_free(&chain);
    ota_certs_free(&result);
    ota_certs_free(&new_chain);
    return rc;
}

/* The new generation's certificate store: the running one, with the package's operations
 * applied all-or-nothing. */
static enum ota_status stage_certs(struct stage *s, struct ota_err *err)
{
    struct ota_device *d = s->d;
    char gname[OTA_GEN_NAME_LEN + 1];
    int gfd, cfd = -1;
    char *buf = NULL;
    size_t len = 0;
    ota_gen_name(gname, d->cur_gen);
    enum ota_status rc = ota_fs_open_dir(&gfd, d->gensfd, gname, err);
    if (rc)
        return rc;
    int have = 0;
    rc = ota_fs_open_dir(&cfd, gfd, OTA_CERTS_DIR, err);
    if (rc == OTA_OK) {
        rc = ota_fs_read_small(&buf, &len, cfd, "store.json", OTA_MAX_BUNDLE_SIZE, err);
        have = rc == OTA_OK;
        close(cfd);
    }
    if (rc == OTA_E_NOENT) /* no store yet: only the package can create one */
        rc = OTA_OK;
    close(gfd);
    if (rc || (!have && !s->has_certops)) {
        if (buf)
            OPENSSL_cleanse(buf, len);
        free(buf);
        return rc ? ota_err_prefix(err, "certificate store") : OTA_OK;
    }
    if (!(rc = ota_fs_mkdir(s->stagefd, OTA_CERTS_DIR, 0700, err)) &&
        !(rc = ota_fs_open_dir(&cfd, s->stagefd, OTA_CERTS_DIR, err))) {
        if (have)
            rc = ota_fs_write_atomic(cfd, "store.json", buf, len, 0600, err);
        if (!rc && s->has_certops) {
            struct ota_certstore *cs;
            if (!(rc = ota_certstore_open(&cs, cfd, 0, err))) {
                rc = ota_certstore_apply(cs, &s->certops, err);
                ota_certstore_close(cs);
            }
            if (rc)
                ota_err_prefix(err, "certificate store");
        }
        close(cfd);
    }
    if (buf)
        OPENSSL_cleanse(buf, len); /* private keys, unencrypted */
    free(buf);
    return rc;
}

/* The trust checks on what the package has said so far, without writing anything. */
static enum ota_status check_trust_so_far(struct stage *s, struct ota_err *err)
{
    if (!s->trust_touched)
        return OTA_OK;
    char gname[OTA_GEN_NAME_LEN + 1];
    int gfd;
    ota_gen_name(gname, s->d->cur_gen);
    enum ota_status rc = ota_fs_open_dir(&gfd, s->d->gensfd, gname, err);
    if (rc)
        return rc;
    struct ota_certlist cur, chain, result, new_chain;
    rc = ota_trust_load(&cur, &chain, gfd, err);
    close(gfd);
    if (rc)
        return rc;
    rc = ota_trust_apply(&result, &new_chain, &cur, &chain, &s->trust, s->t, NULL, err);
    if (!rc) {
        ota_certs_free(&result);
        ota_certs_free(&new_chain);
    }
    ota_certs_free(&cur);
    ota_certs_free(&chain);
    return rc;
}

/* The keyring the package rotated to, in the new generation: in force once the generation
 * runs, the device's own (keys/root.json) once it is confirmed. */
static enum ota_status write_keyring(struct stage *s, struct ota_err *err)
{
    char *text;
    size_t len;
    enum ota_status rc = ota_keyring_doc_serialize(&text, &len, &s->keyring->doc, err);
    if (!rc) {
        rc = ota_fs_write_atomic(s->stagefd, OTA_KEYRING_JSON, text, len, 0644, err);
        free(text);
    }
    return rc;
}

static enum ota_status write_generation_files(struct stage *s, const char *mj, size_t ml,
                                              const char *sj, size_t sl, struct ota_err *err)
{
    char parent[OTA_GEN_NAME_LEN + 2];
    ota_gen_name(parent, s->d->cur_gen);
    strcat(parent, "\n");
    enum ota_status rc;
    if ((rc = ota_fs_write_atomic(s->stagefd, OTA_MANIFEST_ENTRY, mj, ml, 0644, err)) ||
        (rc = ota_fs_write_atomic(s->stagefd, OTA_SIGBLOCK_ENTRY, sj, sl, 0644, err)) ||
        (rc = ota_fs_write_atomic(s->stagefd, "parent", parent, strlen(parent), 0644, err)) ||
        (s->keyring && (rc = write_keyring(s, err))) ||
        (rc = ota_gen_write_boot(s->stagefd, OTA_GEN_PENDING, 0, NULL, err)) ||
        (s->d->n_slots && (rc = ota_gen_write_slots(s->d, s->stagefd, s->target, err))) ||
        (rc = ota_fs_fsync(s->imagesfd, "staging/images", err)) ||
        (rc = ota_fs_fsync(s->stagefd, "staging", err)))
        return rc;
    return OTA_OK;
}

enum ota_status ota_device_install(struct ota_device *d, int fd, int64_t now,
                                   struct ota_install_result *res, struct ota_err *err)
{
    memset(res, 0, sizeof *res);
    struct ota_pkg_reader *r = NULL;
    struct ota_sigblock b;
    struct ota_manifest m;
    struct ota_verify_result vr;
    memset(&b, 0, sizeof b);
    memset(&m, 0, sizeof m);
    struct stage s = {.d = d, .stagefd = -1, .imagesfd = -1, .outfd = -1, .slot = NULL};
    int staged = 0, identical = 0;
    const char *mj, *sj;
    size_t ml, sl;
    uint8_t msha[OTA_SHA256_LEN];
    enum ota_status rc;

    /* 1. verify before anything else is believed */
    /* keyrings the package carries are followed first (each signs itself): the manifest
     * must verify under the newest one */
    if ((rc = ota_pkg_reader_open_fd(&r, fd, err)) ||
        (rc = ota_pkg_reader_head(r, &mj, &ml, &sj, &sl, err)) ||
        (rc = ota_sigblock_parse_mem(&b, sj, sl, err)) ||
        (rc = ota_keyring_advance(&s.keyring, ota_device_keyring(d), &b, err)))
        goto done;
    const struct ota_keyring *kr = s.keyring ? s.keyring : ota_device_keyring(d);
    if ((rc = ota_keyring_verify_manifest(&vr, kr, mj, ml, &b, err)) ||
        (rc = ota_manifest_parse_mem(&m, mj, ml, err)) || (rc = ota_sha256_mem(msha, mj, ml, err)))
        goto done;
    /* an expired keyring refuses every package but one that brings a newer, valid keyring;
     * judged at the trusted time, which this verified package's creation time raises */
    int64_t t = now > d->time_floor ? now : d->time_floor;
    if (m.created > t)
        t = m.created;
    if ((rc = ota_keyring_check_expiry(kr, t, err)))
        goto done;

    /* 2. policy */
    if ((rc = check_policy(d, &m, msha, now, &identical, err)))
        goto done;
    snprintf(res->product, sizeof res->product, "%s", m.product);
    snprintf(res->version, sizeof res->version, "%s", m.version);
    res->security_version = m.security_version;
    if (identical) {
        /* the same release again: nothing to do, but only for an intact copy of it */
        for (size_t i = 0; !rc && i < m.n_payloads; i++)
            rc = ota_pkg_reader_payload(r, &m, i, OTA_SINK_RAW, NULL, NULL, err);
        if (!rc)
            rc = ota_pkg_reader_finish(r, &m, err);
        if (rc)
            goto done;
        res->already_installed = 1;
        res->generation = d->cur_gen;
        goto done;
    }

    /* 3. stage */
    if (!d->writable) {
        rc = ota_err_set(err, OTA_E_BUSY, "%s: another otaupdate is running", d->base);
        goto done;
    }
    /* a confirmed rotation whose keys/root.json write was lost is finished first: the new
     * generation carries no keyring.json of its own unless its package rotates again */
    if ((rc = ota_device_keyring_settle(d, err)))
        goto done;
    s.t = t; /* certificates are judged at the trusted time too */
    s.trust.allow_lockout = m.allow_lockout;
    if ((rc = check_space(d, &m, err)) || (rc = prepare_slots(&s, &m, err)))
        goto done;
    if ((rc = ota_fs_mkdir(d->basefd, OTA_STAGING, 0755, err)))
        goto done;
    staged = 1;
    if ((rc = ota_fs_open_dir(&s.stagefd, d->basefd, OTA_STAGING, err)) ||
        (rc = ota_fs_mkdir(s.stagefd, "images", 0755, err)) ||
        (rc = ota_fs_open_dir(&s.imagesfd, s.stagefd, "images", err)) ||
        (rc = stage_payloads(&s, r, &m, err)))
        goto done;
    if ((rc = stage_trust(&s, s.t, res, err)) || (rc = stage_certs(&s, err)) ||
        (rc = write_generation_files(&s, mj, ml, sj, sl, err)))
        goto done;

    /* 4. commit: the generation becomes complete under its final name, then current */
    /* never reuse a number: rollback records and logs name generations */
    unsigned gen = d->cur_gen + 1;
    if (d->has_parent && d->parent_gen >= gen)
        gen = d->parent_gen + 1;
    if (d->has_last_rollback && d->rb_from >= gen)
        gen = d->rb_from + 1;
    char gname[OTA_GEN_NAME_LEN + 1], link[64];
    ota_gen_name(gname, gen);
    snprintf(link, sizeof link, OTA_GEN_DIR "/%s", gname);
    (void)ota_fs_remove_tree(d->gensfd, gname, NULL); /* recovery removed it; be certain */
    if ((rc = ota_fs_rename(d->basefd, OTA_STAGING, d->gensfd, gname, err)))
        goto done;
    staged = 0;
    if ((rc = ota_fs_symlink_replace(d->basefd, OTA_CURRENT, link, err))) {
        /* if the rename happened and only its fsync failed, the switch is done: report
         * the state as it is (a power cut now may still bring back the old one, which is
         * consistent too); otherwise the new generation is garbage */
        char now_target[64];
        ssize_t n = readlinkat(d->basefd, OTA_CURRENT, now_target, sizeof now_target - 1);
        if (n < 0 || (size_t)n != strlen(link) || memcmp(now_target, link, (size_t)n) != 0) {
            (void)ota_fs_remove_tree(d->gensfd, gname, NULL);
            goto done;
        }
        ota_err_clear(err);
    }

    /* 5. after the commit nothing can fail the install: floors are recomputed from the
     * running generation at every open, garbage is collected at every open */
    unsigned old = d->cur_gen;
    d->has_parent = 1;
    d->parent_gen = old;
    d->cur_gen = gen;
    d->has_manifest = 1;
    d->cur_sv = m.security_version;
    d->cur_created = m.created;
    d->cur_state = OTA_GEN_PENDING;
    d->cur_trials = 0;
    memcpy(d->cur_slot, s.target, sizeof d->cur_slot);
    memcpy(d->cur_manifest_sha256, msha, OTA_SHA256_LEN);
    ota_keyring_free(d->keyring_gen);
    d->keyring_gen = s.keyring;
    s.keyring = NULL;
    /* both floors (security version, trusted time) rise when the generation is confirmed:
     * a package with a wrong, far-future creation time that is rolled back must not leave
     * the device refusing every later package as expired */
    (void)ota_device_gc(d, gen, old, NULL);
    (void)ota_bootenv_sync(d, NULL);
    res->generation = gen;
    rc = OTA_OK;
done:
    if (s.outfd >= 0)
        close(s.outfd);
    ota_slot_free(s.slot);
    if (s.mem)
        OPENSSL_cleanse(s.mem, s.mem_len);
    free(s.mem);
    ota_trust_changes_free(&s.trust);
    if (s.has_certops)
        ota_certops_free(&s.certops);
    if (s.imagesfd >= 0)
        close(s.imagesfd);
    if (s.stagefd >= 0)
        close(s.stagefd);
    if (staged)
        (void)ota_fs_remove_tree(d->basefd, OTA_STAGING, NULL);
    ota_pkg_reader_free(r);
    ota_sigblock_free(&b);
    ota_manifest_free(&m);
    ota_keyring_free(s.keyring);
    return rc;
}
