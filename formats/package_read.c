/* package_read.c — the streaming package reader.
 *
 * Owns: turning an untrusted byte stream into (manifest bytes, signature block bytes) and
 * then, on request, verified payload bytes. libarchive parses the tar headers; beside it a
 * layout auditor ("shadow walk") sees every raw byte as it is read and enforces what
 * libarchive tolerates: only plain ustar regular-file headers with valid checksums, zero
 * padding after each entry, a two-block end-of-archive marker, and nothing but zeros (at
 * most OTA_MAX_TAR_TAIL bytes) after it. So a flipped bit anywhere in a package is caught:
 * in a header by the checksum, in padding or the tail by the auditor, in the manifest or
 * signature block by the signature, in a payload by its SHA-256.
 *
 * Must never: seek, allocate by an unchecked length, deliver more uncompressed bytes than
 * the manifest declares, or trust anything from the stream for more than its own layout.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "otapack/digest.h"
#include "otapack/limits.h"
#include "otapack/package.h"

#define TAR_BLOCK 512u

enum shadow_state { SH_HDR, SH_DATA, SH_PAD, SH_END };

struct ota_pkg_reader {
    struct archive *a;
    /* source: fd or memory */
    int fd;
    const uint8_t *mem;
    size_t memlen, mempos;
    uint64_t offset; /* raw bytes read from the source */
    uint8_t *rbuf;   /* read-callback buffer */
    uint8_t *dbuf;   /* payload data */
    uint8_t *zbuf;   /* inflate output */
    /* layout auditor */
    enum shadow_state sh;
    uint8_t hdr[TAR_BLOCK];
    size_t hdr_fill;
    uint64_t hdr_offset;
    char sh_name[101];
    uint64_t sh_left;
    uint64_t tail;
    int src_eof;
    struct ota_err sh_err; /* first layout error, preferred over libarchive's message */
    /* what has been read */
    char *manifest, *sigblock;
    size_t mlen, slen;
    int head_done;
    size_t next_payload;
};

/* ---- layout auditor ---------------------------------------------------------------- */

static int parse_octal(uint64_t *out, const uint8_t *f, size_t n)
{
    size_t i = 0;
    uint64_t v = 0;
    int digits = 0;
    while (i < n && f[i] == ' ')
        i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v > (UINT64_MAX >> 3))
            return -1;
        v = v << 3 | (uint64_t)(f[i] - '0');
    }
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != '\0')
            return -1;
    if (!digits)
        return -1;
    *out = v;
    return 0;
}

static const char *typeflag_name(uint8_t t)
{
    switch (t) {
    case '1':
        return "a hard link";
    case '2':
        return "a symbolic link";
    case '3':
        return "a character device";
    case '4':
        return "a block device";
    case '5':
        return "a directory";
    case '6':
        return "a FIFO";
    case '7':
        return "a contiguous file";
    case 'x':
        return "a pax extended header";
    case 'g':
        return "a pax global header";
    case 'L':
        return "a GNU long name";
    case 'K':
        return "a GNU long link name";
    case 'S':
        return "a GNU sparse file";
    default:
        return "an unknown entry type";
    }
}

static int shadow_fail(struct ota_pkg_reader *r, enum ota_status code, const char *msg,
                       uint64_t off)
{
    if (r->sh_err.code == OTA_OK)
        ota_err_set(&r->sh_err, code, "%s (offset %llu)", msg, (unsigned long long)off);
    return -1;
}

static int shadow_header(struct ota_pkg_reader *r)
{
    const uint8_t *h = r->hdr;
    int zero = 1;
    for (size_t i = 0; i < TAR_BLOCK; i++)
        if (h[i]) {
            zero = 0;
            break;
        }
    if (zero) {
        r->sh = SH_END;
        r->tail = TAR_BLOCK;
        return 0;
    }
    char msg[256];
    ota_printable(r->sh_name, sizeof r->sh_name, (const char *)h, 100);
    uint64_t sum_stored;
    /* exactly six octal digits, NUL, space: the checksum field is outside its own sum, so
     * a lenient parse would let a flipped bit there go unnoticed */
    int strict = h[154] == '\0' && h[155] == ' ';
    for (int k = 148; k < 154; k++)
        strict &= h[k] >= '0' && h[k] <= '7';
    if (!strict || parse_octal(&sum_stored, h + 148, 6) != 0) {
        snprintf(msg, sizeof msg, "tar header '%s': malformed checksum field", r->sh_name);
        return shadow_fail(r, OTA_E_FORMAT, msg, r->hdr_offset);
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < TAR_BLOCK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    if (sum != sum_stored) {
        snprintf(msg, sizeof msg, "tar header '%s': checksum mismatch", r->sh_name);
        return shadow_fail(r, OTA_E_FORMAT, msg, r->hdr_offset);
    }
    if (memcmp(h + 257,
               "ustar\0"
               "00",
               8) != 0) {
        snprintf(msg, sizeof msg, "tar header '%s': not a POSIX ustar header", r->sh_name);
        return shadow_fail(r, OTA_E_FORMAT, msg, r->hdr_offset);
    }
    if (h[156] != '0') {
        snprintf(msg, sizeof msg, "tar entry '%s' is %s; only regular files are allowed",
                 r->sh_name, typeflag_name(h[156]));
        return shadow_fail(r, OTA_E_FORMAT, msg, r->hdr_offset);
    }
    /* after the name's NUL, and in the link name, only zeros: a name field is one name */
    size_t nl = strnlen((const char *)h, 100);
    for (size_t k = nl; k < 100; k++)
        if (h[k]) {
            snprintf(msg, sizeof msg, "tar header '%s': bytes after the end of the name",
                     r->sh_name);
            return shadow_fail(r, OTA_E_FORMAT, msg, r->hdr_offset);
        }
    for (size_t k = 157; k < 257; k++)
        if (h[k]) {
            snprintf(msg, sizeof msg, "tar header '%s': a link name on a regular file", r->sh_name);
            return shadow_fail(r, OTA_E_FORMAT, msg, r->hdr_offset);
        }
    if (h[345] != '\0') { /* ustar prefix: our names are short, so a prefix is a trick */
        snprintf(msg, sizeof msg, "tar entry '%s' uses a path prefix", r->sh_name);
        return shadow_fail(r, OTA_E_FORMAT, msg, r->hdr_offset);
    }
    uint64_t size;
    if (h[124] & 0x80 || parse_octal(&size, h + 124, 12) != 0) { /* base-256 or garbage */
        snprintf(msg, sizeof msg, "tar entry '%s': malformed size field", r->sh_name);
        return shadow_fail(r, OTA_E_FORMAT, msg, r->hdr_offset);
    }
    if (size > OTA_MAX_PAYLOAD_SIZE) {
        snprintf(msg, sizeof msg, "tar entry '%s': size %llu exceeds the limit", r->sh_name,
                 (unsigned long long)size);
        return shadow_fail(r, OTA_E_LIMIT, msg, r->hdr_offset);
    }
    r->sh_left = size;
    r->sh = SH_DATA;
    return 0;
}

/* Feeds raw bytes in stream order. Returns 0, or -1 with r->sh_err set. */
static int shadow_feed(struct ota_pkg_reader *r, const uint8_t *p, size_t n)
{
    uint64_t base = r->offset - n; /* offset of p[0] */
    size_t i = 0;
    while (i < n) {
        switch (r->sh) {
        case SH_HDR: {
            size_t take = TAR_BLOCK - r->hdr_fill;
            if (take > n - i)
                take = n - i;
            if (r->hdr_fill == 0)
                r->hdr_offset = base + i;
            memcpy(r->hdr + r->hdr_fill, p + i, take);
            r->hdr_fill += take;
            i += take;
            if (r->hdr_fill == TAR_BLOCK) {
                r->hdr_fill = 0;
                if (shadow_header(r) != 0)
                    return -1;
            }
            break;
        }
        case SH_DATA: {
            uint64_t take = r->sh_left < n - i ? r->sh_left : n - i;
            /* the padding length depends on the full entry size, computed once at the end */
            i += take;
            r->sh_left -= take;
            if (r->sh_left == 0) {
                uint64_t end = base + i;
                r->sh_left = (TAR_BLOCK - end % TAR_BLOCK) % TAR_BLOCK;
                r->sh = r->sh_left ? SH_PAD : SH_HDR;
            }
            break;
        }
        case SH_PAD:
            if (p[i] != 0) {
                char msg[200];
                snprintf(msg, sizeof msg, "tar padding after '%s' is not zero", r->sh_name);
                return shadow_fail(r, OTA_E_FORMAT, msg, base + i);
            }
            i++;
            if (--r->sh_left == 0)
                r->sh = SH_HDR;
            break;
        case SH_END:
            if (p[i] != 0) {
                if (r->tail < 2 * TAR_BLOCK)
                    return shadow_fail(r, OTA_E_FORMAT,
                                       "data after a zero block: broken end-of-archive marker",
                                       base + i);
                return shadow_fail(r, OTA_E_FORMAT, "trailing data after end-of-archive", base + i);
            }
            i++;
            if (++r->tail > OTA_MAX_TAR_TAIL + 2 * TAR_BLOCK)
                return shadow_fail(r, OTA_E_LIMIT, "too many bytes after end-of-archive", base + i);
            break;
        }
    }
    return 0;
}

static int shadow_eof(struct ota_pkg_reader *r)
{
    if (r->sh != SH_END || r->tail < 2 * TAR_BLOCK)
        return shadow_fail(r, OTA_E_FORMAT,
                           r->sh == SH_END ? "package truncated: incomplete end-of-archive marker"
                                           : "package truncated",
                           r->offset);
    if (r->tail % TAR_BLOCK)
        return shadow_fail(r, OTA_E_FORMAT, "package length is not a multiple of 512 bytes",
                           r->offset);
    return 0;
}

/* ---- source ------------------------------------------------------------------------ */

static ssize_t src_read(struct ota_pkg_reader *r, uint8_t *buf, size_t cap)
{
    if (r->mem) {
        size_t n = r->memlen - r->mempos < cap ? r->memlen - r->mempos : cap;
        memcpy(buf, r->mem + r->mempos, n);
        r->mempos += n;
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t n = read(r->fd, buf, cap);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

/* Reads raw bytes through the auditor. Returns bytes read, 0 at end, -1 on error (sh_err
 * set). */
static ssize_t audited_read(struct ota_pkg_reader *r, uint8_t *buf, size_t cap)
{
    if (r->sh_err.code)
        return -1;
    ssize_t n = src_read(r, buf, cap);
    if (n < 0) {
        ota_err_sys(&r->sh_err, errno, "package: read failed");
        return -1;
    }
    if (n == 0) {
        r->src_eof = 1;
        if (r->sh != SH_END) { /* libarchive will fail too; ours names the place */
            char msg[200];
            if (r->offset == 0)
                snprintf(msg, sizeof msg, "package is empty");
            else
                snprintf(msg, sizeof msg, "package truncated %s '%s'",
                         r->sh == SH_HDR ? "after" : "inside", r->sh_name);
            shadow_fail(r, OTA_E_FORMAT, msg, r->offset);
        }
        return 0;
    }
    r->offset += (uint64_t)n;
    if (shadow_feed(r, buf, (size_t)n) != 0)
        return -1;
    return n;
}

static la_ssize_t read_cb(struct archive *a, void *ud, const void **buf)
{
    struct ota_pkg_reader *r = ud;
    ssize_t n = audited_read(r, r->rbuf, OTA_IO_CHUNK);
    if (n < 0) {
        archive_set_error(a, EINVAL, "%s", r->sh_err.msg);
        return -1;
    }
    *buf = r->rbuf;
    return n;
}

/* The error to report after libarchive failed: the auditor's if it saw one first. */
static enum ota_status arc_error(struct ota_pkg_reader *r, struct ota_err *err, const char *ctx)
{
    if (r->sh_err.code) {
        ota_err_set(err, r->sh_err.code, "%s", r->sh_err.msg);
        if (ctx)
            ota_err_prefix(err, "%s", ctx);
        return err ? err->code : r->sh_err.code;
    }
    const char *m = archive_error_string(r->a);
    if (ctx)
        return ota_err_set(err, OTA_E_FORMAT, "%s: %s", ctx, m ? m : "corrupt tar stream");
    return ota_err_set(err, OTA_E_FORMAT, "%s", m ? m : "corrupt tar stream");
}

/* ---- setup ------------------------------------------------------------------------- */

static enum ota_status reader_new(struct ota_pkg_reader **out, struct ota_err *err)
{
    *out = NULL;
    struct ota_pkg_reader *r = calloc(1, sizeof *r);
    if (!r)
        return ota_err_set(err, OTA_E_NOMEM, "package: out of memory");
    r->fd = -1;
    r->rbuf = malloc(OTA_IO_CHUNK);
    r->dbuf = malloc(OTA_IO_CHUNK);
    r->zbuf = malloc(OTA_IO_CHUNK);
    r->a = archive_read_new();
    if (!r->rbuf || !r->dbuf || !r->zbuf || !r->a) {
        ota_pkg_reader_free(r);
        return ota_err_set(err, OTA_E_NOMEM, "package: out of memory");
    }
    /* Only tar, no compression filters: the container is a plain ustar stream. */
    if (archive_read_support_format_tar(r->a) != ARCHIVE_OK ||
        archive_read_support_filter_none(r->a) != ARCHIVE_OK) {
        ota_pkg_reader_free(r);
        return ota_err_set(err, OTA_E_CRYPTO, "package: libarchive setup failed");
    }
    *out = r;
    return OTA_OK;
}

static enum ota_status reader_start(struct ota_pkg_reader *r, struct ota_err *err)
{
    if (archive_read_open(r->a, r, NULL, read_cb, NULL) != ARCHIVE_OK)
        return arc_error(r, err, "package");
    return OTA_OK;
}

enum ota_status ota_pkg_reader_open_fd(struct ota_pkg_reader **out, int fd, struct ota_err *err)
{
    enum ota_status rc = reader_new(out, err);
    if (rc)
        return rc;
    (*out)->fd = fd;
    if ((rc = reader_start(*out, err))) {
        ota_pkg_reader_free(*out);
        *out = NULL;
    }
    return rc;
}

enum ota_status ota_pkg_reader_open_mem(struct ota_pkg_reader **out, const void *buf, size_t len,
                                        struct ota_err *err)
{
    enum ota_status rc = reader_new(out, err);
    if (rc)
        return rc;
    (*out)->mem = buf ? buf : (const uint8_t *)"";
    (*out)->memlen = len;
    if ((rc = reader_start(*out, err))) {
        ota_pkg_reader_free(*out);
        *out = NULL;
    }
    return rc;
}

void ota_pkg_reader_free(struct ota_pkg_reader *r)
{
    if (!r)
        return;
    if (r->a)
        archive_read_free(r->a);
    free(r->rbuf);
    free(r->dbuf);
    free(r->zbuf);
    free(r->manifest);
    free(r->sigblock);
    free(r);
}

uint64_t ota_pkg_reader_offset(const struct ota_pkg_reader *r)
{
    return r->offset;
}

/* ---- entries ----------------------------------------------------------------------- */

/* Reads the next header. Returns OTA_OK with *e set, OTA_E_NOENT at end of archive. */
static enum ota_status next_entry(struct ota_pkg_reader *r, struct archive_entry **e,
                                  struct ota_err *err)
{
    int ar = archive_read_next_header(r->a, e);
    if (ar == ARCHIVE_EOF && r->sh_err.code) /* libarchive saw an end, we saw a truncation */
        return arc_error(r, err, "package");
    if (ar == ARCHIVE_EOF)
        return OTA_E_NOENT;
    if (ar != ARCHIVE_OK)
        return arc_error(r, err, "package");
    const char *name = archive_entry_pathname(*e);
    char shown[100];
    ota_printable(shown, sizeof shown, name ? name : "", 64);
    if (archive_format(r->a) != ARCHIVE_FORMAT_TAR_USTAR)
        return ota_err_set(err, OTA_E_FORMAT, "package: entry '%s' is not a plain ustar entry",
                           shown);
    if (!name || !ota_name_valid(name))
        return ota_err_set(err, OTA_E_FORMAT,
                           "package: entry '%s': invalid name (no '/', '..' or leading dot)",
                           shown);
    if (archive_entry_filetype(*e) != AE_IFREG || archive_entry_hardlink(*e) ||
        archive_entry_symlink(*e) || archive_entry_sparse_count(*e) > 0)
        return ota_err_set(err, OTA_E_FORMAT, "package: entry '%s' is not a regular file", name);
    if (!archive_entry_size_is_set(*e) || archive_entry_size(*e) < 0 ||
        (uint64_t)archive_entry_size(*e) > OTA_MAX_PAYLOAD_SIZE)
        return ota_err_set(err, OTA_E_FORMAT, "package: entry '%s' has an invalid size", name);
    return OTA_OK;
}

static enum ota_status read_small_entry(struct ota_pkg_reader *r, const char *expect, size_t max,
                                        char **out, size_t *outlen, struct ota_err *err)
{
    struct archive_entry *e;
    enum ota_status rc = next_entry(r, &e, err);
    if (rc == OTA_E_NOENT)
        return ota_err_set(err, OTA_E_FORMAT, "package: missing %s", expect);
    if (rc)
        return rc;
    const char *name = archive_entry_pathname(e);
    if (strcmp(name, expect) != 0)
        return ota_err_set(err, OTA_E_FORMAT, "package: entry '%s' where %s was expected", name,
                           expect);
    /* attacker-controlled: the tar header size, bounded before allocation */
    uint64_t size = (uint64_t)archive_entry_size(e);
    if (size > max)
        return ota_err_set(err, OTA_E_LIMIT, "package: %s is %llu bytes, limit %zu", expect,
                           (unsigned long long)size, max);
    char *buf = malloc((size_t)size + 1);
    if (!buf)
        return ota_err_set(err, OTA_E_NOMEM, "package: out of memory");
    size_t got = 0;
    while (got < size) {
        la_ssize_t n = archive_read_data(r->a, buf + got, (size_t)size - got);
        if (n < 0) {
            free(buf);
            return arc_error(r, err, expect);
        }
        if (n == 0) {
            free(buf);
            return ota_err_set(err, OTA_E_FORMAT, "%s: truncated", expect);
        }
        got += (size_t)n;
    }
    buf[size] = '\0';
    *out = buf;
    *outlen = (size_t)size;
    return OTA_OK;
}

enum ota_status ota_pkg_reader_head(struct ota_pkg_reader *r, const char **manifest, size_t *mlen,
                                    const char **sigblock, size_t *slen, struct ota_err *err)
{
    *manifest = *sigblock = NULL;
    *mlen = *slen = 0;
    if (!r->head_done) {
        enum ota_status rc = read_small_entry(r, OTA_MANIFEST_ENTRY, OTA_MAX_MANIFEST_SIZE,
                                              &r->manifest, &r->mlen, err);
        if (!rc)
            rc = read_small_entry(r, OTA_SIGBLOCK_ENTRY, OTA_MAX_SIGBLOCK_SIZE, &r->sigblock,
                                  &r->slen, err);
        if (rc)
            return rc;
        r->head_done = 1;
    }
    *manifest = r->manifest;
    *mlen = r->mlen;
    *sigblock = r->sigblock;
    *slen = r->slen;
    return OTA_OK;
}

/* Explains why an entry named name is not the one expected at this point. */
static enum ota_status unexpected_entry(const struct ota_manifest *m, size_t idx, const char *name,
                                        struct ota_err *err)
{
    long at = ota_manifest_find(m, name);
    if (!strcmp(name, OTA_MANIFEST_ENTRY) || !strcmp(name, OTA_SIGBLOCK_ENTRY) ||
        (at >= 0 && (size_t)at < idx))
        return ota_err_set(err, OTA_E_FORMAT, "package: duplicate entry '%s'", name);
    if (at < 0)
        return ota_err_set(err, OTA_E_FORMAT, "package: entry '%s' is not named in the manifest",
                           name);
    return ota_err_set(err, OTA_E_FORMAT, "package: entry '%s' out of order, expected '%s'", name,
                       m->payloads[idx].name);
}

struct stream {
    struct ota_pkg_reader *r;
    const struct ota_payload *p;
    ota_sink_fn sink;
    void *ctx;
    struct ota_sha256 *raw_sha;
    uint64_t raw_count;
    z_stream zs;
    int z_live, z_end;
};

static enum ota_status emit(struct stream *s, const uint8_t *buf, size_t len, struct ota_err *err)
{
    enum ota_status rc;
    if (len > s->p->raw_size - s->raw_count)
        return ota_err_set(err, OTA_E_DIGEST,
                           "payload '%s': decompresses to more than the declared %llu bytes",
                           s->p->name, (unsigned long long)s->p->raw_size);
    s->raw_count += len;
    /* uncompressed: raw bytes are the stored bytes, already hashed (and the manifest
     * parser guarantees both declared digests are equal) */
    if (s->z_live && (rc = ota_sha256_update(s->raw_sha, buf, len, err)))
        return rc;
    if (s->sink && (rc = s->sink(s->ctx, buf, len, err)))
        return rc;
    return OTA_OK;
}

static enum ota_status inflate_chunk(struct stream *s, const uint8_t *in, size_t len,
                                     struct ota_err *err)
{
    s->zs.next_in = (Bytef *)in;
    s->zs.avail_in = (uInt)len;
    do {
        if (s->z_end)
            return ota_err_set(err, OTA_E_FORMAT,
                               "payload '%s': data after the end of its zlib stream", s->p->name);
        /* Ask for at most one byte more than the declared size allows, so that a stream that
         * inflates past it is caught without ever producing the excess. */
        uint64_t room = s->p->raw_size - s->raw_count;
        uInt cap = room < OTA_IO_CHUNK ? (uInt)room + 1 : OTA_IO_CHUNK;
        s->zs.next_out = s->r->zbuf;
        s->zs.avail_out = cap;
        uInt in_before = s->zs.avail_in;
        int zr = inflate(&s->zs, Z_NO_FLUSH);
        size_t produced = cap - s->zs.avail_out;
        if (zr == Z_STREAM_END)
            s->z_end = 1;
        else if (zr == Z_BUF_ERROR && produced == 0 && in_before == s->zs.avail_in)
            break; /* needs more input */
        else if (zr != Z_OK)
            return ota_err_set(err, OTA_E_FORMAT, "payload '%s': corrupt zlib stream (%s)",
                               s->p->name, s->zs.msg ? s->zs.msg : "inflate failed");
        enum ota_status rc = emit(s, s->r->zbuf, produced, err);
        if (rc)
            return rc;
        if (s->z_end && s->zs.avail_in > 0)
            return ota_err_set(err, OTA_E_FORMAT,
                               "payload '%s': data after the end of its zlib stream", s->p->name);
    } while (!s->z_end && (s->zs.avail_in > 0 || s->zs.avail_out == 0));
    /* after the end of the stream, input left in this chunk was caught above, and input in
     * a later chunk is caught at the top of the loop */
    return OTA_OK;
}

enum ota_status ota_pkg_reader_payload(struct ota_pkg_reader *r, const struct ota_manifest *m,
                                       size_t idx, enum ota_sink_kind kind, ota_sink_fn sink,
                                       void *ctx, struct ota_err *err)
{
    if (!r->head_done || idx != r->next_payload || idx >= m->n_payloads)
        return ota_err_set(err, OTA_E_USAGE, "package: payloads must be read in order");
    const struct ota_payload *p = &m->payloads[idx];
    struct archive_entry *e;
    enum ota_status rc = next_entry(r, &e, err);
    if (rc == OTA_E_NOENT)
        return ota_err_set(err, OTA_E_FORMAT, "payload '%s': missing from the package", p->name);
    if (rc)
        return rc;
    const char *name = archive_entry_pathname(e);
    if (strcmp(name, p->name) != 0)
        return unexpected_entry(m, idx, name, err);
    if ((uint64_t)archive_entry_size(e) != p->size)
        return ota_err_set(
            err, OTA_E_DIGEST, "payload '%s': archive holds %llu bytes, manifest declares %llu",
            p->name, (unsigned long long)archive_entry_size(e), (unsigned long long)p->size);

    struct stream s = {.r = r, .p = p, .sink = kind == OTA_SINK_RAW ? sink : NULL, .ctx = ctx};
    struct ota_sha256 *stored_sha = NULL;
    if ((rc = ota_sha256_new(&stored_sha, err)) || (rc = ota_sha256_new(&s.raw_sha, err)))
        goto out;
    if (p->compression == OTA_COMP_ZLIB) {
        if (inflateInit(&s.zs) != Z_OK) {
            rc = ota_err_set(err, OTA_E_NOMEM, "payload '%s': cannot start zlib", p->name);
            goto out;
        }
        s.z_live = 1;
    }
    uint64_t left = p->size;
    while (left > 0) {
        size_t want = left < OTA_IO_CHUNK ? (size_t)left : OTA_IO_CHUNK;
        la_ssize_t n = archive_read_data(r->a, r->dbuf, want);
        if (n < 0) {
            char ctxname[OTA_MAX_NAME_LEN + 16];
            snprintf(ctxname, sizeof ctxname, "payload '%s'", p->name);
            rc = arc_error(r, err, ctxname);
            goto out;
        }
        if (n == 0) {
            rc = ota_err_set(err, OTA_E_FORMAT, "payload '%s': truncated", p->name);
            goto out;
        }
        left -= (uint64_t)n;
        if ((rc = ota_sha256_update(stored_sha, r->dbuf, (size_t)n, err)))
            goto out;
        if (kind == OTA_SINK_STORED && sink && (rc = sink(ctx, r->dbuf, (size_t)n, err)))
            goto out;
        rc = s.z_live ? inflate_chunk(&s, r->dbuf, (size_t)n, err)
                      : emit(&s, r->dbuf, (size_t)n, err);
        if (rc)
            goto out;
    }
    if (s.z_live && !s.z_end) {
        rc = ota_err_set(err, OTA_E_FORMAT, "payload '%s': zlib stream is incomplete", p->name);
        goto out;
    }
    uint8_t d[OTA_SHA256_LEN];
    if ((rc = ota_sha256_final(stored_sha, d, err)))
        goto out;
    if (!ota_digest_equal(d, p->sha256, OTA_SHA256_LEN)) {
        rc = ota_err_set(err, OTA_E_DIGEST, "payload '%s': sha256 mismatch", p->name);
        goto out;
    }
    if (s.raw_count != p->raw_size) {
        rc = ota_err_set(err, OTA_E_DIGEST,
                         "payload '%s': decompresses to %llu bytes, manifest declares %llu",
                         p->name, (unsigned long long)s.raw_count, (unsigned long long)p->raw_size);
        goto out;
    }
    if (s.z_live && (rc = ota_sha256_final(s.raw_sha, d, err)))
        goto out;
    if (!ota_digest_equal(d, p->raw_sha256, OTA_SHA256_LEN)) {
        rc = ota_err_set(err, OTA_E_DIGEST, "payload '%s': uncompressed sha256 mismatch", p->name);
        goto out;
    }
    r->next_payload++;
    rc = OTA_OK;
out:
    if (s.z_live)
        inflateEnd(&s.zs);
    ota_sha256_free(stored_sha);
    ota_sha256_free(s.raw_sha);
    return rc;
}

enum ota_status ota_pkg_reader_finish(struct ota_pkg_reader *r, const struct ota_manifest *m,
                                      struct ota_err *err)
{
    if (!r->head_done || r->next_payload != m->n_payloads)
        return ota_err_set(err, OTA_E_USAGE, "package: finish before all payloads were read");
    struct archive_entry *e;
    enum ota_status rc = next_entry(r, &e, err);
    if (rc == OTA_OK)
        return unexpected_entry(m, m->n_payloads, archive_entry_pathname(e), err);
    if (rc != OTA_E_NOENT)
        return rc;
    /* libarchive stops at the end-of-archive marker; the rest of the stream must be zero
     * padding, read through the auditor to its end. */
    while (!r->src_eof) {
        ssize_t n = audited_read(r, r->rbuf, OTA_IO_CHUNK);
        if (n < 0)
            return ota_err_set(err, r->sh_err.code, "package: %s", r->sh_err.msg);
    }
    if (shadow_eof(r) != 0)
        return ota_err_set(err, r->sh_err.code, "package: %s", r->sh_err.msg);
    return OTA_OK;
}
