/* package_write.c — the package writer: plain ustar entries through libarchive.
 * Owns: the exact bytes of the container, which must be reproducible: fixed owner, mode and
 * mtime, no user or group names, no pax headers, the end-of-archive marker and no record
 * padding after it (64 KiB blocks for fewer write calls, with the last block cut short). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/limits.h"
#include "otapack/package.h"

struct ota_pkg_writer {
    struct archive *a;
    struct archive_entry *e;
    int64_t mtime;
    int in_entry;
    uint64_t declared, written;
    char name[OTA_MAX_NAME_LEN + 1];
};

static enum ota_status werr(struct ota_pkg_writer *w, struct ota_err *err, const char *what)
{
    int e = archive_errno(w->a);
    const char *m = archive_error_string(w->a);
    if (e == ENOSPC || e == EDQUOT || e == EIO || e == EPERM || e == EACCES)
        return ota_err_sys(err, e, "package: %s", what);
    return ota_err_set(err, OTA_E_IO, "package: %s: %s", what, m ? m : "libarchive error");
}

enum ota_status ota_pkg_writer_open(struct ota_pkg_writer **out, int fd, int64_t mtime,
                                    struct ota_err *err)
{
    *out = NULL;
    struct ota_pkg_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->a = archive_write_new()) || !(w->e = archive_entry_new())) {
        ota_pkg_writer_free(w);
        return ota_err_set(err, OTA_E_NOMEM, "package: out of memory");
    }
    w->mtime = mtime;
    if (archive_write_set_format_ustar(w->a) != ARCHIVE_OK ||
        archive_write_add_filter_none(w->a) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(w->a, 64 * 1024) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(w->a, fd) != ARCHIVE_OK) {
        enum ota_status rc = werr(w, err, "cannot start writing");
        ota_pkg_writer_free(w);
        return rc;
    }
    *out = w;
    return OTA_OK;
}

enum ota_status ota_pkg_writer_entry_begin(struct ota_pkg_writer *w, const char *name,
                                           uint64_t size, struct ota_err *err)
{
    if (w->in_entry)
        return ota_err_set(err, OTA_E_USAGE, "package: entry '%s' not finished", w->name);
    if (!ota_name_valid(name))
        return ota_err_set(err, OTA_E_USAGE, "package: invalid entry name '%.64s'", name);
    if (size > OTA_MAX_PAYLOAD_SIZE)
        return ota_err_set(err, OTA_E_LIMIT, "package: entry '%s' larger than %llu bytes", name,
                           (unsigned long long)OTA_MAX_PAYLOAD_SIZE);
    archive_entry_clear(w->e);
    archive_entry_set_pathname(w->e, name);
    archive_entry_set_filetype(w->e, AE_IFREG);
    archive_entry_set_perm(w->e, 0644);
    archive_entry_set_size(w->e, (la_int64_t)size);
    archive_entry_set_mtime(w->e, (time_t)w->mtime, 0);
    archive_entry_set_uid(w->e, 0);
    archive_entry_set_gid(w->e, 0);
    if (archive_write_header(w->a, w->e) != ARCHIVE_OK)
        return werr(w, err, name);
    snprintf(w->name, sizeof w->name, "%s", name);
    w->in_entry = 1;
    w->declared = size;
    w->written = 0;
    return OTA_OK;
}

enum ota_status ota_pkg_writer_entry_write(struct ota_pkg_writer *w, const void *buf, size_t len,
                                           struct ota_err *err)
{
    if (!w->in_entry || len > w->declared - w->written)
        return ota_err_set(err, OTA_E_USAGE, "package: entry '%s': more data than declared",
                           w->name);
    const char *p = buf;
    while (len > 0) {
        la_ssize_t n = archive_write_data(w->a, p, len);
        if (n <= 0)
            return werr(w, err, w->name);
        p += n;
        len -= (size_t)n;
        w->written += (uint64_t)n;
    }
    return OTA_OK;
}

enum ota_status ota_pkg_writer_entry_end(struct ota_pkg_writer *w, struct ota_err *err)
{
    if (!w->in_entry || w->written != w->declared)
        return ota_err_set(err, OTA_E_USAGE, "package: entry '%s': %llu of %llu bytes written",
                           w->name, (unsigned long long)w->written,
                           (unsigned long long)w->declared);
    if (archive_write_finish_entry(w->a) != ARCHIVE_OK)
        return werr(w, err, w->name);
    w->in_entry = 0;
    return OTA_OK;
}

enum ota_status ota_pkg_writer_entry_mem(struct ota_pkg_writer *w, const char *name,
                                         const void *buf, size_t len, struct ota_err *err)
{
    enum ota_status rc = ota_pkg_writer_entry_begin(w, name, len, err);
    if (!rc)
        rc = ota_pkg_writer_entry_write(w, buf, len, err);
    if (!rc)
        rc = ota_pkg_writer_entry_end(w, err);
    return rc;
}

enum ota_status ota_pkg_writer_close(struct ota_pkg_writer *w, struct ota_err *err)
{
    if (w->in_entry)
        return ota_err_set(err, OTA_E_USAGE, "package: entry '%s' not finished", w->name);
    if (archive_write_close(w->a) != ARCHIVE_OK)
        return werr(w, err, "cannot finish archive");
    return OTA_OK;
}

void ota_pkg_writer_free(struct ota_pkg_writer *w)
{
    if (!w)
        return;
    if (w->a)
        archive_write_free(w->a);
    if (w->e)
        archive_entry_free(w->e);
    free(w);
}
