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
#include "otapack/packager.h"
#include "pack_util.h"

struct input {
    int fd;       /* what gets copied into the package: the input, or a compressed temp */
    int src_fd;   /* the input file */
};

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
    if (deflateInit(&zs, Z_DEFAULT_COMPRESSION) != Z_OK) { /* level 6: ~1% larger, much faster than 9 */
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
            rc = ota_err_set(err, OTA_E_IO, "image '%s': input changed while building",
                             p->name);
    }
    ota_sha256_free(h);
    return rc;
}

static enum ota_status check_opts(const struct ota_build_opts *o, struct ota_err *err)
{
    if (!o->product || !ota_ident_valid(o->product))
        return ota_err_set(err, OTA_E_USAGE,
                           "--product: 1 to %u characters from A-Z a-z 0-9 . _ + : -",
                           OTA_MAX_STRING_LEN);
    if (!o->version || !*o->version)
        return ota_err_set(err, OTA_E_USAGE, "--version is required");
    if (o->n_images > OTA_MAX_PAYLOADS)
        return ota_err_set(err, OTA_E_USAGE, "more than %u images", OTA_MAX_PAYLOADS);
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
        for (size_t j = 0; j < i; j++)
            if (!strcmp(n, o->images[j].name))
                return ota_err_set(err, OTA_E_USAGE, "--image '%s' given twice", n);
    }
    return OTA_OK;
}

enum ota_status ota_pack_build(const char *out_path, const struct ota_build_opts *o,
                               struct ota_err *err)
{
    enum ota_status rc = check_opts(o, err);
    if (rc)
        return rc;
    struct ota_manifest m;
    memset(&m, 0, sizeof m);
    struct input *in = calloc(o->n_images ? o->n_images : 1, sizeof *in);
    uint8_t *buf = malloc(OTA_IO_CHUNK), *zbuf = malloc(OTA_IO_CHUNK);
    m.payloads = calloc(o->n_images ? o->n_images : 1, sizeof *m.payloads);
    char *mjson = NULL, *sjson = NULL;
    size_t mlen = 0, slen = 0;
    struct ota_pkg_out out;
    int out_open = 0;
    if (!in || !buf || !zbuf || !m.payloads) {
        rc = ota_err_set(err, OTA_E_NOMEM, "build: out of memory");
        goto done;
    }
    for (size_t i = 0; i < o->n_images; i++)
        in[i].fd = in[i].src_fd = -1;
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
    m.n_payloads = o->n_images;

    for (size_t i = 0; i < o->n_images; i++) {
        struct ota_payload *p = &m.payloads[i];
        const char *path = o->images[i].path;
        snprintf(p->name, sizeof p->name, "%s", o->images[i].name);
        snprintf(p->type, sizeof p->type, "image");
        p->compression = o->compression;
        if ((rc = ota_fs_open_regular(&in[i].src_fd, AT_FDCWD, path, err)))
            goto done;
        if ((rc = hash_fd(in[i].src_fd, &p->raw_size, p->raw_sha256, buf, path, err)))
            goto done;
        if (o->compression == OTA_COMP_ZLIB) {
            if ((rc = compress_fd(&in[i].fd, in[i].src_fd, out.dirfd, buf, zbuf, path, err)) ||
                (rc = hash_fd(in[i].fd, &p->size, p->sha256, buf, path, err)))
                goto done;
        } else {
            in[i].fd = in[i].src_fd;
            p->size = p->raw_size;
            memcpy(p->sha256, p->raw_sha256, OTA_SHA256_LEN);
        }
    }
    if ((rc = ota_manifest_serialize(&mjson, &mlen, &m, err)))
        goto done;
    struct ota_sigblock sb;
    memset(&sb, 0, sizeof sb);
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
            (rc = copy_fd(out.w, in[i].fd, p, buf, err)) ||
            (rc = ota_pkg_writer_entry_end(out.w, err)))
            goto done;
        if (p->compression == OTA_COMP_ZLIB) {
            /* a compressed temp was copied; prove the input still matches what we hashed */
            uint64_t sz;
            uint8_t d[OTA_SHA256_LEN];
            if ((rc = hash_fd(in[i].src_fd, &sz, d, buf, o->images[i].path, err)))
                goto done;
            if (sz != p->raw_size || !ota_digest_equal(d, p->raw_sha256, OTA_SHA256_LEN)) {
                rc = ota_err_set(err, OTA_E_IO, "image '%s': input changed while building",
                                 p->name);
                goto done;
            }
        }
    }
    rc = ota_pkg_out_commit(&out, err);
    out_open = 0;
done:
    if (out_open)
        ota_pkg_out_abort(&out);
    for (size_t i = 0; in && i < o->n_images; i++) {
        if (in[i].fd >= 0 && in[i].fd != in[i].src_fd)
            close(in[i].fd);
        if (in[i].src_fd >= 0)
            close(in[i].src_fd);
    }
    free(in);
    free(buf);
    free(zbuf);
    free(mjson);
    free(sjson);
    ota_manifest_free(&m);
    return rc;
}
