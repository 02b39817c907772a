/* truststore.c — the Trusted Root Store of a generation.
 * Owns: how trust payloads change the set of roots, the safety rules that keep a device
 * able to reach its update server, and the on-disk form: an OpenSSL CApath folder with the
 * names `openssl rehash` gives (subject hash, then .0, .1, ... on collisions) plus one PEM
 * bundle for CAfile users, both sorted by fingerprint so the same set always gives the same
 * bytes. Must never: accept a root that is not a CA or not valid now, leave the store empty,
 * or cut the device off from its update server without the package saying so. */
#define _GNU_SOURCE /* syncfs */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otapack/codec.h"
#include "otapack/fsio.h"
#include "truststore.h"

void ota_trust_changes_free(struct ota_trust_changes *c)
{
    ota_certs_free(&c->replace);
    ota_certs_free(&c->add);
    ota_certs_free(&c->chain);
    free(c->remove);
    memset(c, 0, sizeof *c);
}

enum ota_status ota_trust_parse_remove(struct ota_trust_changes *c, const char *buf, size_t len,
                                       struct ota_err *err)
{
    const size_t line = 2 * OTA_SHA256_LEN + 1;
    if (len % line != 0 || len / line > OTA_MAX_CERTS)
        return ota_err_set(err, OTA_E_FORMAT,
                           "trust-remove: not a list of SHA-256 fingerprints, one a line");
    size_t n = len / line;
    uint8_t(*v)[OTA_SHA256_LEN] = realloc(c->remove, (c->n_remove + n + 1) * sizeof *v);
    if (!v)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    c->remove = v;
    for (size_t i = 0; i < n; i++) {
        char hex[2 * OTA_SHA256_LEN + 1];
        memcpy(hex, buf + i * line, 2 * OTA_SHA256_LEN);
        hex[2 * OTA_SHA256_LEN] = '\0';
        if (buf[i * line + line - 1] != '\n' ||
            ota_hex_decode(c->remove[c->n_remove], OTA_SHA256_LEN, hex) != 0)
            return ota_err_set(err, OTA_E_FORMAT, "trust-remove: line %zu is not a fingerprint",
                               i + 1);
        c->n_remove++;
    }
    return OTA_OK;
}

static enum ota_status load_file(struct ota_certlist *out, int dirfd, const char *name,
                                 struct ota_err *err)
{
    char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    enum ota_status rc = ota_fs_read_small(&buf, &len, dirfd, name, OTA_MAX_BUNDLE_SIZE, err);
    if (rc == OTA_E_NOENT)
        return OTA_OK;
    if (rc)
        return rc;
    if (len)
        rc = ota_certs_parse_mem(out, buf, len, name, err);
    free(buf);
    return rc;
}

enum ota_status ota_trust_load(struct ota_certlist *set, struct ota_certlist *chain, int genfd,
                               struct ota_err *err)
{
    memset(set, 0, sizeof *set);
    if (chain)
        memset(chain, 0, sizeof *chain);
    int tfd;
    enum ota_status rc = ota_fs_open_dir(&tfd, genfd, OTA_TRUST_DIR, err);
    if (rc == OTA_E_NOENT)
        return OTA_OK;
    if (rc)
        return rc;
    rc = load_file(set, tfd, OTA_TRUST_BUNDLE, err);
    if (!rc && chain)
        rc = load_file(chain, tfd, OTA_TRUST_CHAIN, err);
    close(tfd);
    if (rc) {
        ota_certs_free(set);
        if (chain)
            ota_certs_free(chain);
    }
    return rc;
}

/* The rules every certificate that enters the store must pass. */
static enum ota_status check_entering(const struct ota_cert *c, int64_t t, const char *what,
                                      struct ota_err *err)
{
    char d[256], when[OTA_TIME_STR_LEN];
    ota_cert_describe(d, sizeof d, c);
    if (!c->is_ca)
        return ota_err_set(err, OTA_E_FORMAT, "%s: %s is not a CA (basicConstraints)", what, d);
    if (t >= c->not_after) {
        ota_time_format(when, c->not_after);
        return ota_err_set(err, OTA_E_EXPIRED, "%s: %s expired at %s", what, d, when);
    }
    if (t < c->not_before) {
        ota_time_format(when, c->not_before);
        return ota_err_set(err, OTA_E_FORMAT, "%s: %s is not valid before %s", what, d, when);
    }
    return OTA_OK;
}

enum ota_status ota_trust_check_new(const struct ota_certlist *set, int64_t t, const char *what,
                                    struct ota_err *err)
{
    for (size_t i = 0; i < set->n; i++) {
        enum ota_status rc = check_entering(&set->v[i], t, what, err);
        if (rc)
            return rc;
    }
    return OTA_OK;
}

static void warn(struct ota_trust_warnings *w, const char *what, const char *arg)
{
    if (w && w->n < OTA_MAX_TRUST_WARNINGS)
        snprintf(w->msg[w->n++], sizeof w->msg[0], "%s%.200s", what, arg);
}

static enum ota_status copy_list(struct ota_certlist *dst, const struct ota_certlist *src,
                                 struct ota_err *err)
{
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->n; i++) {
        enum ota_status rc = ota_certs_append(dst, &src->v[i], err);
        if (rc) {
            ota_certs_free(dst);
            return rc;
        }
    }
    return OTA_OK;
}

enum ota_status ota_trust_apply(struct ota_certlist *result, struct ota_certlist *chain_out,
                                const struct ota_certlist *current,
                                const struct ota_certlist *recorded_chain,
                                const struct ota_trust_changes *c, int64_t t,
                                struct ota_trust_warnings *w, struct ota_err *err)
{
    memset(result, 0, sizeof *result);
    memset(chain_out, 0, sizeof *chain_out);
    enum ota_status rc;
    int touched = c->has_replace || c->add.n || c->n_remove;
    /* 1. the base: the whole declared set, or what the device has */
    if (c->has_replace) {
        if ((rc = ota_trust_check_new(&c->replace, t, "trust-replace", err)))
            return rc;
        rc = copy_list(result, &c->replace, err);
    } else {
        rc = copy_list(result, current, err);
    }
    if (rc)
        return rc;
    /* 2. additions: idempotent, so every release may carry them */
    for (size_t i = 0; i < c->add.n; i++) {
        if ((rc = check_entering(&c->add.v[i], t, "trust-add", err)))
            goto fail;
        if (ota_certs_find(result, c->add.v[i].sha256) < 0 &&
            (rc = ota_certs_append(result, &c->add.v[i], err)))
            goto fail;
    }
    /* 3. removals: one already gone is what a device that missed releases sees */
    for (size_t i = 0; i < c->n_remove; i++) {
        long at = ota_certs_find(result, c->remove[i]);
        if (at < 0) {
            char hex[OTA_SHA256_HEX_LEN];
            ota_hex_encode(hex, c->remove[i], OTA_SHA256_LEN);
            warn(w, "trust-remove: not in the trust store, nothing to remove: ", hex);
            continue;
        }
        ota_certs_remove(result, (size_t)at);
    }
    if (touched && result->n == 0) {
        char d[256] = "";
        if (current->n == 1)
            ota_cert_describe(d, sizeof d, &current->v[0]);
        rc = ota_err_set(err, OTA_E_FORMAT,
                         "trust: the update would leave the trust store empty%s%s%s",
                         d[0] ? " (it removes " : "", d, d[0] ? ", the last root)" : "");
        goto fail;
    }
    /* 4. the device must still reach its update server: the chain it will present from
     * this release on (the package's), or the one recorded before */
    const struct ota_certlist *chain = c->has_chain ? &c->chain : recorded_chain;
    if (chain && chain->n) {
        struct ota_err verr;
        ota_err_clear(&verr);
        if (ota_chain_verify(chain, result, t, &verr) != OTA_OK) {
            char d[256];
            ota_cert_describe(d, sizeof d, &chain->v[0]);
            if (!c->allow_lockout) {
                rc = ota_err_set(err, OTA_E_FORMAT,
                                 "trust: the new trust store would not validate the update "
                                 "server %s: %s (build with --allow-lockout to override)",
                                 d, verr.msg);
                goto fail;
            }
            /* a chain the store cannot anchor is not kept: it would refuse every later
             * package; the next one that matters declares the new chain */
            warn(w,
                 "trust: allowed by --allow-lockout; no server chain is recorded from now on: "
                 "the new trust store does not anchor ",
                 d);
        } else if ((rc = copy_list(chain_out, chain, err))) {
            goto fail;
        }
    }
    ota_certs_sort(result);
    return OTA_OK;
fail:
    ota_certs_free(result);
    return rc;
}

enum ota_status ota_trust_write(int genfd, const struct ota_certlist *set,
                                const struct ota_certlist *chain, struct ota_err *err)
{
    int tfd = -1, cfd = -1;
    enum ota_status rc = ota_fs_mkdir(genfd, OTA_TRUST_DIR, 0755, err);
    if (!rc)
        rc = ota_fs_open_dir(&tfd, genfd, OTA_TRUST_DIR, err);
    if (!rc)
        rc = ota_fs_mkdir(tfd, OTA_TRUST_CAPATH, 0755, err);
    if (!rc)
        rc = ota_fs_open_dir(&cfd, tfd, OTA_TRUST_CAPATH, err);
    char *pem = NULL;
    size_t len;
    /* set is sorted by fingerprint, so collisions number in fingerprint order */
    for (size_t i = 0; !rc && i < set->n; i++) {
        unsigned idx = 0;
        for (size_t j = 0; j < i; j++)
            idx += set->v[j].subject_hash == set->v[i].subject_hash;
        char name[32];
        snprintf(name, sizeof name, "%08lx.%u", set->v[i].subject_hash, idx);
        if ((rc = ota_cert_pem(&pem, &len, &set->v[i], err)))
            break;
        int fd = openat(cfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            rc = ota_err_sys(err, errno, "trust store: cannot create %s", name);
        } else {
            rc = ota_fs_write_all(fd, pem, len, name, err);
            if (close(fd) != 0 && !rc)
                rc = ota_err_sys(err, errno, "trust store: close %s", name);
        }
        free(pem);
        pem = NULL;
    }
    if (!rc && !(rc = ota_certs_pem(&pem, &len, set, err))) {
        rc = ota_fs_write_atomic(tfd, OTA_TRUST_BUNDLE, pem, len, 0644, err);
        free(pem);
        pem = NULL;
    }
    if (!rc && chain && chain->n && !(rc = ota_certs_pem(&pem, &len, chain, err))) {
        rc = ota_fs_write_atomic(tfd, OTA_TRUST_CHAIN, pem, len, 0644, err);
        free(pem);
    }
    /* one flush for the many small files of certs/, instead of an fsync each */
    if (!rc && cfd >= 0 && syncfs(cfd) != 0)
        rc = ota_err_sys(err, errno, "trust store: syncfs failed");
    if (!rc && cfd >= 0)
        rc = ota_fs_fsync(cfd, "trust store", err);
    if (cfd >= 0)
        close(cfd);
    if (tfd >= 0)
        close(tfd);
    return rc;
}
