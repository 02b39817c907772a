/* otapack — file-system helpers shared by the packager and the updater.
 *
 * Every durable write in otapack goes through this module: write to a temporary name in the
 * same folder, fsync the file, rename it over the final name, fsync the folder. Paths are
 * resolved relative to a folder descriptor and never follow a symlink in the last component,
 * so a file cannot be swapped under us between checks and use.
 */
#ifndef OTAPACK_FSIO_H
#define OTAPACK_FSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "otapack/err.h"

/* Opens an existing regular file read-only (O_NOFOLLOW, fstat says S_ISREG). */
enum ota_status ota_fs_open_regular(int *fd, int dirfd, const char *path,
                                    struct ota_err *err) OTA_WUR;

/* Reads at most max bytes of a regular file into a malloc'd, NUL-terminated buffer. A file
 * larger than max is OTA_E_LIMIT. */
enum ota_status ota_fs_read_small(char **buf, size_t *len, int dirfd, const char *path, size_t max,
                                  struct ota_err *err) OTA_WUR;

/* Reads up to len bytes, retrying on EINTR and short reads; *got < len only at end of file. */
enum ota_status ota_fs_read_full(int fd, void *buf, size_t len, size_t *got,
                                 struct ota_err *err) OTA_WUR;

/* Writes all len bytes, retrying on EINTR and short writes. what names the file in errors. */
enum ota_status ota_fs_write_all(int fd, const void *buf, size_t len, const char *what,
                                 struct ota_err *err) OTA_WUR;

/* A file being written under a temporary name, committed by ota_fs_tmp_commit. */
struct ota_tmpfile {
    int fd;
    int dirfd;         /* not owned */
    char name[256];    /* final name */
    char tmpname[288]; /* temporary name in the same folder */
};

/* Creates dirfd/.<name>.tmp.<pid> exclusively with the given mode. */
enum ota_status ota_fs_tmp_create(struct ota_tmpfile *t, int dirfd, const char *name, mode_t mode,
                                  struct ota_err *err) OTA_WUR;
/* fsync, close, rename over the final name, fsync the folder. */
enum ota_status ota_fs_tmp_commit(struct ota_tmpfile *t, struct ota_err *err) OTA_WUR;
/* Like ota_fs_tmp_commit, but never replaces: an existing final name is OTA_E_EXISTS. */
enum ota_status ota_fs_tmp_commit_new(struct ota_tmpfile *t, struct ota_err *err) OTA_WUR;
/* Closes and removes the temporary file (safe to call twice, and after commit). */
void ota_fs_tmp_abort(struct ota_tmpfile *t);

/* Durable whole-file write: tmp_create + write_all + tmp_commit. */
enum ota_status ota_fs_write_atomic(int dirfd, const char *name, const void *data, size_t len,
                                    mode_t mode, struct ota_err *err) OTA_WUR;

/* fsync a file descriptor (file or folder). what names it in errors. */
enum ota_status ota_fs_fsync(int fd, const char *what, struct ota_err *err) OTA_WUR;

/* Opens a folder relative to dirfd (O_DIRECTORY|O_NOFOLLOW). */
enum ota_status ota_fs_open_dir(int *fd, int dirfd, const char *path, struct ota_err *err) OTA_WUR;

/* Opens the folder holding path (O_DIRECTORY) and copies the last component into name.
 * "out.pkg" opens ".", "/x/y" opens "/x". A path ending in '/' is a usage error. */
enum ota_status ota_fs_open_parent(int *dirfd, char *name, size_t namesz, const char *path,
                                   struct ota_err *err) OTA_WUR;

/* Creates a folder and fsyncs its parent. An existing folder is OTA_E_EXISTS. */
enum ota_status ota_fs_mkdir(int dirfd, const char *name, mode_t mode, struct ota_err *err) OTA_WUR;

/* Renames within or across folders of one file system, then fsyncs both parents. */
enum ota_status ota_fs_rename(int olddirfd, const char *oldname, int newdirfd, const char *newname,
                              struct ota_err *err) OTA_WUR;

/* Points dirfd/name at target: creates a temporary symlink, renames it over name, fsyncs. */
enum ota_status ota_fs_symlink_replace(int dirfd, const char *name, const char *target,
                                       struct ota_err *err) OTA_WUR;

/* Removes dirfd/name and everything below it without following symlinks; a missing name is
 * success. Fsyncs dirfd afterwards. */
enum ota_status ota_fs_remove_tree(int dirfd, const char *name, struct ota_err *err);

#endif
