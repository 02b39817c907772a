/* slots.c — raw A/B slots and the bootloader environment.
 * Owns: writing an image into one half of a slot (a block device or an image file), reading
 * it back to prove it, and telling the bootloader which halves the running generation uses.
 * The generation (through 'current') is the truth; the boot environment is derived from it
 * and re-synchronised at every open, so an interrupted write is repaired by the next call.
 * Must never write to the half the running generation uses. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device_priv.h"
#include "otapack/fsio.h"
#include "otapack/package.h"

extern char **environ;

struct ota_slot_writer {
    int fd;
    int is_block;
    uint64_t size, written;
    char path[4096];
};

enum ota_status ota_slot_open(struct ota_slot_writer **out, const char *path, uint64_t size,
                              struct ota_err *err)
{
    *out = NULL;
    struct ota_slot_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    snprintf(w->path, sizeof w->path, "%s", path);
    w->size = size;
    /* no O_CREAT, no O_TRUNC: a slot is provisioned, never conjured up by a package */
    w->fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (w->fd < 0) {
        enum ota_status rc = ota_err_sys(err, errno, "slot %s: cannot open", path);
        free(w);
        return rc;
    }
    struct stat st;
    if (fstat(w->fd, &st) != 0) {
        enum ota_status rc = ota_err_sys(err, errno, "slot %s: cannot stat", path);
        ota_slot_free(w);
        return rc;
    }
    uint64_t cap;
    if (S_ISBLK(st.st_mode)) {
        w->is_block = 1;
        if (ioctl(w->fd, BLKGETSIZE64, &cap) != 0) {
            enum ota_status rc = ota_err_sys(err, errno, "slot %s: cannot get size", path);
            ota_slot_free(w);
            return rc;
        }
        if (size > cap) {
            ota_slot_free(w);
            return ota_err_set(err, OTA_E_NOSPC, "slot %s: image of %llu bytes exceeds %llu", path,
                               (unsigned long long)size, (unsigned long long)cap);
        }
    } else if (!S_ISREG(st.st_mode)) {
        ota_slot_free(w);
        return ota_err_set(err, OTA_E_STATE, "slot %s: not a block device or regular file", path);
    }
    *out = w;
    return OTA_OK;
}

enum ota_status ota_slot_write(void *ctx, const uint8_t *buf, size_t len, struct ota_err *err)
{
    struct ota_slot_writer *w = ctx;
    if (len > w->size - w->written)
        return ota_err_set(err, OTA_E_DIGEST, "slot %s: more bytes than declared", w->path);
    enum ota_status rc = ota_fs_write_all(w->fd, buf, len, w->path, err);
    if (!rc)
        w->written += len;
    return rc;
}

enum ota_status ota_slot_finish(struct ota_slot_writer *w, const uint8_t sha256[OTA_SHA256_LEN],
                                struct ota_err *err)
{
    enum ota_status rc;
    /* an image file is exactly the image: cut what an older, longer image left behind */
    if (!w->is_block && ftruncate(w->fd, (off_t)w->written) != 0)
        return ota_err_sys(err, errno, "slot %s: cannot truncate", w->path);
    if ((rc = ota_fs_fsync(w->fd, w->path, err)))
        return rc;
    /* read back what the device holds, not what the page cache remembers */
    (void)posix_fadvise(w->fd, 0, 0, POSIX_FADV_DONTNEED);
    if (lseek(w->fd, 0, SEEK_SET) != 0)
        return ota_err_sys(err, errno, "slot %s: cannot seek", w->path);
    struct ota_sha256 *h;
    if ((rc = ota_sha256_new(&h, err)))
        return rc;
    uint8_t *buf = malloc(OTA_IO_CHUNK);
    uint64_t left = w->written;
    if (!buf)
        rc = ota_err_set(err, OTA_E_NOMEM, "out of memory");
    while (!rc && left > 0) {
        size_t want = left < OTA_IO_CHUNK ? (size_t)left : OTA_IO_CHUNK, got;
        if ((rc = ota_fs_read_full(w->fd, buf, want, &got, err)))
            break;
        if (got != want) {
            rc = ota_err_set(err, OTA_E_IO, "slot %s: short read-back", w->path);
            break;
        }
        rc = ota_sha256_update(h, buf, got, err);
        left -= got;
    }
    uint8_t d[OTA_SHA256_LEN];
    if (!rc && !(rc = ota_sha256_final(h, d, err)) && !ota_digest_equal(d, sha256, OTA_SHA256_LEN))
        rc = ota_err_set(err, OTA_E_IO, "slot %s: read-back does not match what was written",
                         w->path);
    free(buf);
    ota_sha256_free(h);
    return rc;
}

void ota_slot_free(struct ota_slot_writer *w)
{
    if (w) {
        if (w->fd >= 0)
            close(w->fd);
        free(w);
    }
}

/* ---- boot environment ---------------------------------------------------------------- */

/* The variables, one "name=value" per line: otapack_gen, otapack_trial (1 while pending),
 * and otapack_slot_<name>=a|b per slot. */
static size_t env_text(struct ota_device *d, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "otapack_gen=%u\notapack_trial=%d\n", d->cur_gen,
                                d->cur_state == OTA_GEN_PENDING);
    for (size_t i = 0; i < d->n_slots && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "otapack_slot_%s=%c\n", d->slots[i].name,
                              d->cur_slot[i] ? 'b' : 'a');
    return n < cap ? n : cap;
}

#define UBOOT_SYNCED "bootenv.synced"

static enum ota_status uboot_set(struct ota_device *d, const char *text, size_t len,
                                 struct ota_err *err)
{
    /* fw_setenv flashes the environment: skip it when nothing changed since the last sync */
    char *old;
    size_t oldlen;
    if (ota_fs_read_small(&old, &oldlen, d->basefd, UBOOT_SYNCED, 4096, NULL) == OTA_OK) {
        int same = oldlen == len && memcmp(old, text, len) == 0;
        free(old);
        if (same)
            return OTA_OK;
    }
    /* libubootenv's fw_setenv -s takes a script of "name=value" lines (our text as it is)
     * and writes them in one go: with a redundant environment, one atomic flip */
    char script[] = "/tmp/otapack-fwenv.XXXXXX";
    int fd = mkstemp(script);
    if (fd < 0)
        return ota_err_sys(err, errno, "boot environment: cannot create script");
    enum ota_status rc = ota_fs_write_all(fd, text, len, "fw_setenv script", err);
    close(fd);
    if (!rc) {
        char *argv[6];
        int a = 0;
        argv[a++] = "fw_setenv";
        if (d->bootenv.path[0]) {
            argv[a++] = "-c";
            argv[a++] = d->bootenv.path;
        }
        argv[a++] = "-s";
        argv[a++] = script;
        argv[a] = NULL;
        pid_t pid;
        int status = 0, e = posix_spawnp(&pid, "fw_setenv", NULL, NULL, argv, environ);
        if (e != 0)
            rc = ota_err_sys(err, e, "boot environment: cannot run fw_setenv");
        else if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = ota_err_set(err, OTA_E_IO, "boot environment: fw_setenv failed (status %d)",
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    unlink(script);
    if (!rc)
        rc = ota_fs_write_atomic(d->basefd, UBOOT_SYNCED, text, len, 0644, err);
    return rc;
}

enum ota_status ota_bootenv_sync(struct ota_device *d, struct ota_err *err)
{
    char text[4096];
    size_t len;
    switch (d->bootenv.backend) {
    case OTA_BOOTENV_NONE:
        return OTA_OK;
    case OTA_BOOTENV_FILE: {
        len = env_text(d, text, sizeof text);
        /* unchanged: do not rewrite (keeps the durable-step count of a no-op at zero) */
        char *old;
        size_t oldlen;
        int dirfd;
        char name[256];
        enum ota_status rc = ota_fs_open_parent(&dirfd, name, sizeof name, d->bootenv.path, err);
        if (rc)
            return ota_err_prefix(err, "boot environment");
        if (ota_fs_read_small(&old, &oldlen, dirfd, name, sizeof text, NULL) == OTA_OK) {
            int same = oldlen == len && memcmp(old, text, len) == 0;
            free(old);
            if (same) {
                close(dirfd);
                return OTA_OK;
            }
        }
        rc = ota_fs_write_atomic(dirfd, name, text, len, 0644, err);
        close(dirfd);
        return rc;
    }
    case OTA_BOOTENV_UBOOT:
        len = env_text(d, text, sizeof text);
        return uboot_set(d, text, len, err);
    }
    return OTA_OK;
}
