/* fsio.c — the one durable-write path of otapack (temp name, fsync, rename, fsync folder) and
 * race-free file opening. Owns: every open/write/fsync/rename/unlink that must survive a crash.
 * Must never follow a symlink in a last path component or leave a temporary file behind on
 * an error path it controls. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otapack/fsio.h"

enum ota_status ota_fs_open_regular(int *out, int dirfd, const char *path, struct ota_err *err)
{
    *out = -1;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; cleared once we know it is a
     * regular file */
    int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            return ota_err_set(err, OTA_E_FORMAT, "%s: is a symbolic link", path);
        if (errno == ENOENT)
            return ota_err_set(err, OTA_E_NOENT, "%s: no such file", path);
        return ota_err_sys(err, errno, "%s: cannot open", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ota_err_sys(err, e, "%s: cannot stat", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ota_err_set(err, OTA_E_FORMAT, "%s: not a regular file", path);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return ota_err_sys(err, e, "%s: cannot set flags", path);
    }
    *out = fd;
    return OTA_OK;
}

enum ota_status ota_fs_read_full(int fd, void *buf, size_t len, size_t *got, struct ota_err *err)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = read(fd, (char *)buf + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *got = off;
            return ota_err_sys(err, errno, "read failed");
        }
        if (n == 0)
            break;
        off += (size_t)n;
    }
    *got = off;
    return OTA_OK;
}

enum ota_status ota_fs_read_small(char **out, size_t *outlen, int dirfd, const char *path,
                                  size_t max, struct ota_err *err)
{
    *out = NULL;
    *outlen = 0;
    int fd;
    enum ota_status rc = ota_fs_open_regular(&fd, dirfd, path, err);
    if (rc)
        return rc;
    char *buf = malloc(max + 2);
    if (!buf) {
        close(fd);
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", path);
    }
    size_t got = 0;
    /* Read one byte more than allowed to tell "exactly max" from "too large". */
    rc = ota_fs_read_full(fd, buf, max + 1, &got, err);
    close(fd);
    if (rc) {
        free(buf);
        return ota_err_prefix(err, "%s", path);
    }
    if (got > max) {
        free(buf);
        return ota_err_set(err, OTA_E_LIMIT, "%s: larger than %zu bytes", path, max);
    }
    buf[got] = '\0';
    *out = buf;
    *outlen = got;
    return OTA_OK;
}

enum ota_status ota_fs_write_all(int fd, const void *buf, size_t len, const char *what,
                                 struct ota_err *err)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ota_err_sys(err, errno, "%s: write failed", what);
        }
        p += n;
        len -= (size_t)n;
    }
    return OTA_OK;
}

enum ota_status ota_fs_fsync(int fd, const char *what, struct ota_err *err)
{
    if (fsync(fd) != 0)
        return ota_err_sys(err, errno, "%s: fsync failed", what);
    return OTA_OK;
}

/* After a rename the change is visible and cannot be taken back. A failing folder fsync is
 * reported, never retried (a second fsync can succeed without the data being safe); callers
 * at a commit point read the state back to tell "switched, durability in doubt" (a power cut
 * may still bring back the old state, which is consistent) from "not switched". */
static enum ota_status fsync_after_rename(int dirfd, const char *what, struct ota_err *err)
{
    if (fsync(dirfd) == 0)
        return OTA_OK;
    return ota_err_sys(err, errno, "%s: fsync of folder failed", what);
}

enum ota_status ota_fs_tmp_create(struct ota_tmpfile *t, int dirfd, const char *name, mode_t mode,
                                  struct ota_err *err)
{
    t->fd = -1;
    t->dirfd = dirfd;
    t->tmpname[0] = '\0';
    if (strlen(name) >= sizeof t->name || strchr(name, '/'))
        return ota_err_set(err, OTA_E_USAGE, "%s: bad file name", name);
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->tmpname, sizeof t->tmpname, ".%s.tmp.%ld", name, (long)getpid());
    /* A stale temporary of an earlier crashed run with our pid is garbage: remove it. */
    (void)unlinkat(dirfd, t->tmpname, 0);
    t->fd = openat(dirfd, t->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (t->fd < 0) {
        int e = errno;
        t->tmpname[0] = '\0';
        return ota_err_sys(err, e, "%s: cannot create", name);
    }
    /* The umask must not widen or narrow what the caller asked for (0600 stays 0600). */
    if (fchmod(t->fd, mode) != 0) {
        int e = errno;
        ota_fs_tmp_abort(t);
        return ota_err_sys(err, e, "%s: cannot set mode", name);
    }
    return OTA_OK;
}

enum ota_status ota_fs_tmp_commit(struct ota_tmpfile *t, struct ota_err *err)
{
    enum ota_status rc = ota_fs_fsync(t->fd, t->name, err);
    if (rc) {
        ota_fs_tmp_abort(t);
        return rc;
    }
    if (close(t->fd) != 0) {
        int e = errno;
        t->fd = -1;
        ota_fs_tmp_abort(t);
        return ota_err_sys(err, e, "%s: close failed", t->name);
    }
    t->fd = -1;
    if (renameat(t->dirfd, t->tmpname, t->dirfd, t->name) != 0) {
        int e = errno;
        ota_fs_tmp_abort(t);
        return ota_err_sys(err, e, "%s: rename failed", t->name);
    }
    t->tmpname[0] = '\0';
    return fsync_after_rename(t->dirfd, t->name, err);
}

enum ota_status ota_fs_tmp_commit_new(struct ota_tmpfile *t, struct ota_err *err)
{
    enum ota_status rc = ota_fs_fsync(t->fd, t->name, err);
    if (rc) {
        ota_fs_tmp_abort(t);
        return rc;
    }
    /* link(2) never replaces: if the name appeared meanwhile, we fail instead */
    if (linkat(t->dirfd, t->tmpname, t->dirfd, t->name, 0) != 0) {
        int e = errno;
        ota_fs_tmp_abort(t);
        if (e == EEXIST)
            return ota_err_set(err, OTA_E_EXISTS, "%s: already exists; not overwriting", t->name);
        return ota_err_sys(err, e, "%s: cannot create", t->name);
    }
    ota_fs_tmp_abort(t); /* closes and unlinks the temporary name */
    return fsync_after_rename(t->dirfd, t->name, err);
}

void ota_fs_tmp_abort(struct ota_tmpfile *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
    if (t->tmpname[0]) {
        (void)unlinkat(t->dirfd, t->tmpname, 0);
        t->tmpname[0] = '\0';
    }
}

enum ota_status ota_fs_write_atomic(int dirfd, const char *name, const void *data, size_t len,
                                    mode_t mode, struct ota_err *err)
{
    struct ota_tmpfile t;
    enum ota_status rc = ota_fs_tmp_create(&t, dirfd, name, mode, err);
    if (rc)
        return rc;
    rc = ota_fs_write_all(t.fd, data, len, name, err);
    if (rc) {
        ota_fs_tmp_abort(&t);
        return rc;
    }
    return ota_fs_tmp_commit(&t, err);
}

enum ota_status ota_fs_open_dir(int *out, int dirfd, const char *path, struct ota_err *err)
{
    *out = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*out < 0) {
        if (errno == ENOENT)
            return ota_err_set(err, OTA_E_NOENT, "%s: no such folder", path);
        return ota_err_sys(err, errno, "%s: cannot open folder", path);
    }
    return OTA_OK;
}

enum ota_status ota_fs_open_parent(int *dirfd, char *name, size_t namesz, const char *path,
                                   struct ota_err *err)
{
    *dirfd = -1;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) >= namesz)
        return ota_err_set(err, OTA_E_USAGE, "%s: not a file name", path);
    snprintf(name, namesz, "%s", base);
    if (!slash)
        return ota_fs_open_dir(dirfd, AT_FDCWD, ".", err);
    size_t dl = (size_t)(slash - path);
    char *dir = malloc(dl + 2);
    if (!dir)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    if (dl == 0) {
        dir[0] = '/';
        dir[1] = '\0';
    } else {
        memcpy(dir, path, dl);
        dir[dl] = '\0';
    }
    enum ota_status rc = ota_fs_open_dir(dirfd, AT_FDCWD, dir, err);
    free(dir);
    return rc;
}

enum ota_status ota_fs_mkdir(int dirfd, const char *name, mode_t mode, struct ota_err *err)
{
    if (mkdirat(dirfd, name, mode) != 0) {
        if (errno == EEXIST)
            return ota_err_set(err, OTA_E_EXISTS, "%s: already exists", name);
        return ota_err_sys(err, errno, "%s: cannot create folder", name);
    }
    return ota_fs_fsync(dirfd, name, err);
}

enum ota_status ota_fs_rename(int olddirfd, const char *oldname, int newdirfd, const char *newname,
                              struct ota_err *err)
{
    if (renameat(olddirfd, oldname, newdirfd, newname) != 0)
        return ota_err_sys(err, errno, "%s: rename to %s failed", oldname, newname);
    enum ota_status rc = fsync_after_rename(newdirfd, newname, err);
    if (rc == OTA_OK && olddirfd != newdirfd)
        rc = fsync_after_rename(olddirfd, oldname, err);
    return rc;
}

enum ota_status ota_fs_symlink_replace(int dirfd, const char *name, const char *target,
                                       struct ota_err *err)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, ".%s.tmp.%ld", name, (long)getpid());
    (void)unlinkat(dirfd, tmp, 0);
    if (symlinkat(target, dirfd, tmp) != 0)
        return ota_err_sys(err, errno, "%s: cannot create symlink", name);
    if (renameat(dirfd, tmp, dirfd, name) != 0) {
        int e = errno;
        (void)unlinkat(dirfd, tmp, 0);
        return ota_err_sys(err, e, "%s: cannot switch symlink", name);
    }
    return fsync_after_rename(dirfd, name, err);
}

/* Depth-first removal; depth is bounded because otapack's own trees are shallow and a deeper
 * tree is not ours to delete. */
static enum ota_status remove_at(int dirfd, const char *name, int depth, struct ota_err *err)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return OTA_OK;
    if (errno != EISDIR && errno != EPERM)
        return ota_err_sys(err, errno, "%s: cannot remove", name);
    if (depth > 16)
        return ota_err_set(err, OTA_E_STATE, "%s: folder tree too deep to remove", name);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ota_err_sys(err, errno, "%s: cannot open folder", name);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return ota_err_sys(err, e, "%s: cannot read folder", name);
    }
    enum ota_status rc = OTA_OK;
    struct dirent *de;
    while (rc == OTA_OK && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        rc = remove_at(fd, de->d_name, depth + 1, err);
    }
    closedir(d);
    if (rc)
        return rc;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        return ota_err_sys(err, errno, "%s: cannot remove folder", name);
    return OTA_OK;
}

enum ota_status ota_fs_remove_tree(int dirfd, const char *name, struct ota_err *err)
{
    enum ota_status rc = remove_at(dirfd, name, 0, err);
    if (rc)
        return rc;
    return ota_fs_fsync(dirfd, name, err);
}
