/* build.c — `otapack build`: from images to a (signed or unsigned) package.
 * Owns: reading inputs, compressing, hashing, writing the container reproducibly. Two passes
 * per input: the first computes sizes and digests for the manifest (which comes first in
 * the stream), the second copies bytes and re-hashes them, so an input that changes while
 * we build is an error instead of a package whose payload does not match its manifest. */
#define _GNU_SOURCE /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "otapack/fsio.h"
#include "otapack/package.h"
#include "otapack/keyring.h"
#include "otapack/packager.h"
#include "otapack/x509.h"
#include "otapack/codec.h"
#include "pack_util.h"

/* Hashes fd from its start: size and SHA-256. */
static enum ota_status hash_fd(int fd, uint64_t *size, uint8_t sha[OTA_SHA256_LEN], uint8_t *buf,
                               const char *what, struct ota_err *err)
{
    struct ota_sha256 *h;
    enum ota_status rc = ota_sha256_new(&h, err);
    if (rc)
        return rc;
    *size = 0;
    if (lseek(fd, 0, SEEK_SET) != 0) {
        ota_sha256_free(h);
        return ota_err_sys(err, errno, "%s: cannot seek", what);
    }
    for (;;) {
        size_t got;
        if ((rc = ota_fs_read_full(fd, buf, OTA_IO_CHUNK, &got, err))) {
            ota_err_prefix(err, "%s", what);
            break;
        }
        if (got == 0)
            break;
        *size += got;
        if (*size > OTA_MAX_PAYLOAD_SIZE) {
            rc = ota_err_set(err, OTA_E_LIMIT, "%s: larger than %llu bytes", what,
                             (unsigned long long)OTA_MAX_PAYLOAD_SIZE);
            break;
        }
        if ((rc = ota_sha256_update(h, buf, got, err)))
            break;
    }
    if (!rc)
        rc = ota_sha256_final(h, sha, err);
    ota_sha256_free(h);
    return rc;
}

/* An unnamed temporary file beside the output (so it lands on the same file system). */
static enum ota_status anon_tmp(int *fd, int dirfd, struct ota_err *err)
{
    *fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (*fd >= 0)
        return OTA_OK;
    char name[64];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, ".otapack-z.%ld.%d", (long)getpid(), i);
        *fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (*fd >= 0) {
            (void)unlinkat(dirfd, name, 0);
            return OTA_OK;
        }
        if (errno != EEXIST)
            break;
    }
    return ota_err_sys(err, errno, "cannot create a temporary file");
}

/* Deflates src into a new temporary file; returns the temp fd. */
static enum ota_status compress_fd(int *out, int src, int dirfd, uint8_t *ibuf, uint8_t *obuf,
                                   const char *what, struct ota_err *err)
{
    int tfd;
    enum ota_status rc = anon_tmp(&tfd, dirfd, err);
    if (rc)
        return rc;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit(&zs, Z_DEFAULT_COMPRESSION) !=
        Z_OK) { /* level 6: ~1% larger, much faster than 9 */
        close(tfd);
        return ota_err_set(err, OTA_E_NOMEM, "%s: cannot start zlib", what);
    }
    if (lseek(src, 0, SEEK_SET) != 0)
        rc = ota_err_sys(err, errno, "%s: cannot seek", what);
    int flush = Z_NO_FLUSH;
    while (!rc && flush != Z_FINISH) {
        size_t got;
        if ((rc = ota_fs_read_full(src, ibuf, OTA_IO_CHUNK, &got, err)))
            break;
        flush = got < OTA_IO_CHUNK ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = ibuf;
        zs.avail_in = (uInt)got;
        do {
            zs.next_out = obuf;
            zs.avail_out = OTA_IO_CHUNK;
            int zr = deflate(&zs, flush);
            if (zr == Z_STREAM_ERROR) {
                rc = ota_err_set(err, OTA_E_CRYPTO, "%s: zlib deflate failed", what);
                break;
            }
            rc = ota_fs_write_all(tfd, obuf, OTA_IO_CHUNK - zs.avail_out, "temporary file", err);
        } while (!rc && zs.avail_out == 0);
    }
    deflateEnd(&zs);
    if (rc) {
        close(tfd);
        return rc;
    }
    *out = tfd;
    return OTA_OK;
}

/* Copies fd into the current entry, re-hashing to prove it still matches the manifest. */
static enum ota_status copy_fd(struct ota_pkg_writer *w, int fd, const struct ota_payload *p,
                               uint8_t *buf, struct ota_err *err)
{
    struct ota_sha256 *h;
    enum ota_status rc = ota_sha256_new(&h, err);
    if (rc)
        return rc;
    uint64_t left = p->size;
    if (lseek(fd, 0, SEEK_SET) != 0)
        rc = ota_err_sys(err, errno, "image '%s': cannot seek", p->name);
    while (!rc && left > 0) {
        size_t want = left < OTA_IO_CHUNK ? (size_t)left : OTA_IO_CHUNK, got;
        if ((rc = ota_fs_read_full(fd, buf, want, &got, err)))
            break;
        if (got != want) {
            rc = ota_err_set(err, OTA_E_IO, "image '%s': input shrank while building", p->name);
            break;
        }
        left -= got;
        if (!(rc = ota_sha256_update(h, buf, got, err)))
            rc = ota_pkg_writer_entry_write(w, buf, got, err);
    }
    uint8_t d[OTA_SHA256_LEN];
    if (!rc && !(rc = ota_sha256_final(h, d, err))) {
        size_t extra = 0;
        if (!(rc = ota_fs_read_full(fd, buf, 1, &extra, err)) &&
            (extra || !ota_digest_equal(d, p->sha256, OTA_SHA256_LEN)))
            rc = ota_err_set(err, OTA_E_IO, "image '%s': input changed while building", p->name);
    }
    ota_sha256_free(h);
    return rc;
}

/* One payload to be: a file read twice (images) or bytes generated here (certificates). */
struct source {
    char name[OTA_MAX_NAME_LEN + 1];
    const char *type;
    const char *path; /* for messages */
    enum ota_compression compression;
    int src_fd; /* the input, or a temporary file holding generated bytes */
    int fd;     /* what gets copied: src_fd, or a compressed temporary */
};

static enum ota_status check_opts(const struct ota_build_opts *o, struct ota_err *err)
{
    if (!o->product || !ota_ident_valid(o->product))
        return ota_err_set(err, OTA_E_USAGE,
                           "--product: 1 to %u characters from A-Z a-z 0-9 . _ + : -",
                           OTA_MAX_STRING_LEN);
    if (!o->version || !*o->version)
        return ota_err_set(err, OTA_E_USAGE, "--version is required");
    if (o->n_images + o->n_trust_add + 4 > OTA_MAX_PAYLOADS)
        return ota_err_set(err, OTA_E_USAGE, "more than %u payloads", OTA_MAX_PAYLOADS);
    if (o->n_hardware > OTA_MAX_HARDWARE)
        return ota_err_set(err, OTA_E_USAGE, "more than %u --hardware", OTA_MAX_HARDWARE);
    if (o->expires_in_days < 1 || o->expires_in_days > OTA_MAX_EXPIRY_DAYS)
        return ota_err_set(err, OTA_E_USAGE, "--expires-in: 1 to %u days", OTA_MAX_EXPIRY_DAYS);
    for (size_t i = 0; i < o->n_images; i++) {
        const char *n = o->images[i].name;
        if (!ota_name_valid(n) || !strcmp(n, OTA_MANIFEST_ENTRY) || !strcmp(n, OTA_SIGBLOCK_ENTRY))
            return ota_err_set(err, OTA_E_USAGE,
                               "--image '%.64s': name must be 1 to %u characters from "
                               "A-Z a-z 0-9 . _ - and not start with '.'",
                               n, OTA_MAX_NAME_LEN);
        if (!strncmp(n, "trust-", 6) || !strcmp(n, "server-chain.pem") ||
            !strcmp(n, "certstore.json"))
            return ota_err_set(err, OTA_E_USAGE,
                               "--image '%s': names starting with 'trust-', and server-chain.pem "
                               "and certstore.json, are reserved",
                               n);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(n, o->images[j].name))
                return ota_err_set(err, OTA_E_USAGE, "--image '%s' given twice", n);
    }
    uint8_t fp[OTA_SHA256_LEN];
    for (size_t i = 0; i < o->n_trust_remove; i++)
        if (ota_fingerprint_parse(fp, o->trust_remove[i]) != 0)
            return ota_err_set(err, OTA_E_USAGE,
                               "--trust-remove '%.100s': expected a SHA-256 fingerprint (64 hex "
                               "digits, colons allowed)",
                               o->trust_remove[i]);
    return OTA_OK;
}

/* Writes bytes into an unnamed temporary file and makes it the source's input. */
static enum ota_status source_from_mem(struct source *s, int dirfd, const char *data, size_t len,
                                       struct ota_err *err)
{
    enum ota_status rc = anon_tmp(&s->src_fd, dirfd, err);
    if (!rc)
        rc = ota_fs_write_all(s->src_fd, data, len, "temporary file", err);
    return rc;
}

/* Parses certificate files and re-encodes them as one canonical PEM payload. */
static enum ota_status source_from_certs(struct source *s, int dirfd, const char *const *paths,
                                         size_t n, struct ota_err *err)
{
    struct ota_certlist all;
    memset(&all, 0, sizeof all);
    enum ota_status rc = OTA_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        struct ota_certlist one;
        if ((rc = ota_certs_load(&one, paths[i], err)))
            break;
        for (size_t j = 0; !rc && j < one.n; j++)
            if (ota_certs_find(&all, one.v[j].sha256) < 0)
                rc = ota_certs_append(&all, &one.v[j], err);
        ota_certs_free(&one);
    }
    char *pem = NULL;
    size_t len = 0;
    if (!rc)
        rc = ota_certs_pem(&pem, &len, &all, err);
    if (!rc)
        rc = source_from_mem(s, dirfd, pem, len, err);
    free(pem);
    ota_certs_free(&all);
    return rc;
}

static enum ota_status add_generated(struct source *src, size_t *n, const char *name,
                                     const char *type, const char *path)
{
    struct source *s = &src[(*n)++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->type = type;
    s->path = path;
    s->compression = OTA_COMP_NONE;
    return OTA_OK;
}

/* Lays out every payload source in package order and prepares generated ones. */
static enum ota_status plan_sources(struct source *src, size_t *n, const struct ota_build_opts *o,
                                    int dirfd, struct ota_err *err)
{
    enum ota_status rc = OTA_OK;
    *n = 0;
    if (o->server_chain) {
        add_generated(src, n, "server-chain.pem", OTA_TYPE_SERVER_CHAIN, o->server_chain);
        if ((rc = source_from_certs(&src[*n - 1], dirfd, &o->server_chain, 1, err)))
            return rc;
    }
    if (o->trust_replace) {
        add_generated(src, n, "trust-replace.pem", OTA_TYPE_TRUST_REPLACE, o->trust_replace);
        if ((rc = source_from_certs(&src[*n - 1], dirfd, &o->trust_replace, 1, err)))
            return rc;
    }
    if (o->n_trust_add) {
        add_generated(src, n, "trust-add.pem", OTA_TYPE_TRUST_ADD, "--trust-add");
        if ((rc = source_from_certs(&src[*n - 1], dirfd, o->trust_add, o->n_trust_add, err)))
            return rc;
    }
    if (o->n_trust_remove) {
        /* one lowercase fingerprint a line, sorted, no duplicates: one spelling */
        char(*fps)[OTA_SHA256_HEX_LEN] = calloc(o->n_trust_remove, sizeof *fps);
        char *text = calloc(o->n_trust_remove, OTA_SHA256_HEX_LEN);
        if (!fps || !text) {
            free(fps);
            free(text);
            return ota_err_set(err, OTA_E_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < o->n_trust_remove; i++) {
            uint8_t fp[OTA_SHA256_LEN];
            if (ota_fingerprint_parse(fp, o->trust_remove[i]) != 0) {
                free(fps);
                free(text);
                return ota_err_set(err, OTA_E_USAGE, "--trust-remove: bad fingerprint");
            }
            ota_hex_encode(fps[i], fp, OTA_SHA256_LEN);
        }
        qsort(fps, o->n_trust_remove, sizeof *fps, (int (*)(const void *, const void *))strcmp);
        size_t len = 0;
        for (size_t i = 0; i < o->n_trust_remove; i++) {
            if (i && !strcmp(fps[i], fps[i - 1]))
                continue;
            memcpy(text + len, fps[i], OTA_SHA256_HEX_LEN - 1);
            len += OTA_SHA256_HEX_LEN - 1;
            text[len++] = '\n';
        }
        add_generated(src, n, "trust-remove.txt", OTA_TYPE_TRUST_REMOVE, "--trust-remove");
        rc = source_from_mem(&src[*n - 1], dirfd, text, len, err);
        free(fps);
        free(text);
        if (rc)
            return rc;
    }
    if (o->certstore_ops) {
        char *buf;
        size_t len;
        add_generated(src, n, "certstore.json", OTA_TYPE_CERTSTORE, o->certstore_ops);
        if ((rc = ota_fs_read_small(&buf, &len, AT_FDCWD, o->certstore_ops, OTA_MAX_MANIFEST_SIZE,
                                    err)))
            return rc;
        rc = source_from_mem(&src[*n - 1], dirfd, buf, len, err);
        free(buf);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < o->n_images; i++) {
        struct source *s = &src[(*n)++];
        snprintf(s->name, sizeof s->name, "%s", o->images[i].name);
        s->type = OTA_TYPE_IMAGE;
        s->path = o->images[i].path;
        s->compression = o->compression;
        if ((rc = ota_fs_open_regular(&s->src_fd, AT_FDCWD, s->path, err)))
            return rc;
    }
    return OTA_OK;
}

static int by_version(const void *a, const void *b)
{
    const struct ota_keyring *x = *(struct ota_keyring *const *)a,
                             *y = *(struct ota_keyring *const *)b;
    return x->doc.version < y->doc.version ? -1 : x->doc.version > y->doc.version;
}

/* Reads the --keyring files, checks they form a chain every device can follow, that the
 * newest is valid at the package's creation, and that the signing keys are its release keys;
 * puts them in the signature block, oldest first. */
static enum ota_status attach_keyrings(struct ota_sigblock *sb, const struct ota_build_opts *o,
                                       struct ota_err *err)
{
    size_t n = o->n_keyrings;
    if (n == 0)
        return OTA_OK;
    if (n > OTA_MAX_KEYRING_CHAIN)
        return ota_err_set(err, OTA_E_USAGE, "--keyring: at most %u", OTA_MAX_KEYRING_CHAIN);
    struct ota_keyring *kr[OTA_MAX_KEYRING_CHAIN] = {0};
    char *text[OTA_MAX_KEYRING_CHAIN] = {0};
    size_t len[OTA_MAX_KEYRING_CHAIN];
    enum ota_status rc = OTA_OK;
    for (size_t i = 0; !rc && i < n; i++)
        rc = ota_keyring_load(&kr[i], o->keyrings[i], err);
    if (!rc) {
        qsort(kr, n, sizeof kr[0], by_version);
        if ((rc = ota_pack_keyring_chain_check(kr, n, o->created, err)))
            ota_err_prefix(err, "--keyring");
    }
    const struct ota_keyring *newest = kr[n - 1];
    const struct ota_kr_role *rel = newest ? &newest->doc.roles[OTA_ROLE_TARGETS] : NULL;
    for (size_t i = 0; !rc && i < o->n_keys; i++) {
        const char *id = ota_seckey_public(o->keys[i])->keyid;
        long k = ota_keyring_find(newest, id);
        int release = 0;
        for (size_t j = 0; k >= 0 && j < rel->n; j++)
            release |= rel->key[j] == (size_t)k;
        if (!release)
            rc = ota_err_set(err, OTA_E_KEY,
                             "--key %.16s is not a release key of keyring v%llu: every device "
                             "would refuse the package",
                             id, (unsigned long long)newest->doc.version);
    }
    for (size_t i = 0; !rc && i < n; i++)
        rc = ota_keyring_doc_serialize(&text[i], &len[i], &kr[i]->doc, err);
    if (!rc)
        rc = ota_sigblock_set_keyrings(sb, (const char *const *)text, len, n, err);
    for (size_t i = 0; i < n; i++) {
        ota_keyring_free(kr[i]);
        free(text[i]);
    }
    return rc;
}

enum ota_status ota_pack_build(const char *out_path, const struct ota_build_opts *o,
                               struct ota_err *err)
{
    enum ota_status rc = check_opts(o, err);
    if (rc)
        return rc;
    struct ota_manifest m;
    memset(&m, 0, sizeof m);
    size_t cap = o->n_images + 5, n_src = 0;
    struct source *src = calloc(cap, sizeof *src);
    uint8_t *buf = malloc(OTA_IO_CHUNK), *zbuf = malloc(OTA_IO_CHUNK);
    m.payloads = calloc(cap, sizeof *m.payloads);
    char *mjson = NULL, *sjson = NULL;
    size_t mlen = 0, slen = 0;
    struct ota_pkg_out out;
    int out_open = 0;
    if (!src || !buf || !zbuf || !m.payloads) {
        rc = ota_err_set(err, OTA_E_NOMEM, "build: out of memory");
        goto done;
    }
    for (size_t i = 0; i < cap; i++)
        src[i].fd = src[i].src_fd = -1;
    if ((rc = ota_pkg_out_open(&out, out_path, o->created, err)))
        goto done;
    out_open = 1;

    m.format = OTA_FORMAT_VERSION;
    snprintf(m.product, sizeof m.product, "%s", o->product);
    if (strlen(o->version) > OTA_MAX_STRING_LEN) {
        rc = ota_err_set(err, OTA_E_USAGE, "--version longer than %u bytes", OTA_MAX_STRING_LEN);
        goto done;
    }
    snprintf(m.version, sizeof m.version, "%s", o->version);
    m.n_hardware = o->n_hardware;
    for (size_t i = 0; i < o->n_hardware; i++) {
        if (strlen(o->hardware[i]) > OTA_MAX_STRING_LEN) {
            rc = ota_err_set(err, OTA_E_USAGE, "--hardware longer than %u bytes",
                             OTA_MAX_STRING_LEN);
            goto done;
        }
        snprintf(m.hardware[i], sizeof m.hardware[i], "%s", o->hardware[i]);
    }
    m.security_version = o->security_version;
    m.created = o->created;
    m.expires = o->created + (int64_t)o->expires_in_days * 86400;
    m.allow_lockout = o->allow_lockout;

    if ((rc = plan_sources(src, &n_src, o, out.dirfd, err)))
        goto done;
    m.n_payloads = n_src;
    for (size_t i = 0; i < n_src; i++) {
        struct ota_payload *p = &m.payloads[i];
        struct source *s = &src[i];
        snprintf(p->name, sizeof p->name, "%s", s->name);
        snprintf(p->type, sizeof p->type, "%s", s->type);
        p->compression = s->compression;
        if ((rc = hash_fd(s->src_fd, &p->raw_size, p->raw_sha256, buf, s->path, err)))
            goto done;
        if (s->compression == OTA_COMP_ZLIB) {
            if ((rc = compress_fd(&s->fd, s->src_fd, out.dirfd, buf, zbuf, s->path, err)) ||
                (rc = hash_fd(s->fd, &p->size, p->sha256, buf, s->path, err)))
                goto done;
        } else {
            s->fd = s->src_fd;
            p->size = p->raw_size;
            memcpy(p->sha256, p->raw_sha256, OTA_SHA256_LEN);
        }
    }
    if ((rc = ota_manifest_serialize(&mjson, &mlen, &m, err)))
        goto done;
    struct ota_sigblock sb;
    memset(&sb, 0, sizeof sb);
    rc = attach_keyrings(&sb, o, err);
    if (!rc)
        rc = ota_pack_sign_manifest(&sb, mjson, mlen, o->keys, o->n_keys, err);
    if (!rc)
        rc = ota_sigblock_serialize(&sjson, &slen, &sb, err);
    ota_sigblock_free(&sb);
    if (rc)
        goto done;

    if ((rc = ota_pkg_writer_entry_mem(out.w, OTA_MANIFEST_ENTRY, mjson, mlen, err)) ||
        (rc = ota_pkg_writer_entry_mem(out.w, OTA_SIGBLOCK_ENTRY, sjson, slen, err)))
        goto done;
    for (size_t i = 0; i < m.n_payloads; i++) {
        const struct ota_payload *p = &m.payloads[i];
        if ((rc = ota_pkg_writer_entry_begin(out.w, p->name, p->size, err)) ||
            (rc = copy_fd(out.w, src[i].fd, p, buf, err)) ||
            (rc = ota_pkg_writer_entry_end(out.w, err)))
            goto done;
        if (p->compression == OTA_COMP_ZLIB) {
            /* a compressed temp was copied; prove the input still matches what we hashed */
            uint64_t sz;
            uint8_t d[OTA_SHA256_LEN];
            if ((rc = hash_fd(src[i].src_fd, &sz, d, buf, src[i].path, err)))
                goto done;
            if (sz != p->raw_size || !ota_digest_equal(d, p->raw_sha256, OTA_SHA256_LEN)) {
                rc =
                    ota_err_set(err, OTA_E_IO, "image '%s': input changed while building", p->name);
                goto done;
            }
        }
    }
    rc = ota_pkg_out_commit(&out, err);
    out_open = 0;
done:
    if (out_open)
        ota_pkg_out_abort(&out);
    for (size_t i = 0; src && i < cap; i++) {
        if (src[i].fd >= 0 && src[i].fd != src[i].src_fd)
            close(src[i].fd);
        if (src[i].src_fd >= 0)
            close(src[i].src_fd);
    }
    free(src);
    free(buf);
    free(zbuf);
    free(mjson);
    free(sjson);
    ota_manifest_free(&m);
    return rc;
}
