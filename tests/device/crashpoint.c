/* crashpoint.c — an LD_PRELOAD fault injector for the crash-consistency sweep.
 *
 * It wraps the libc calls through which otaupdate changes the disk (write, pwrite, fsync,
 * fdatasync, rename*, symlink*, unlink*, mkdir*, rmdir, link*, ftruncate, and open* with
 * O_CREAT) and counts them. With OTA_CRASH_AT=N the process is killed with SIGKILL just
 * before the Nth such call (a crash "between" steps N-1 and N). With OTA_FAIL_AT=N the Nth
 * call fails instead, with errno OTA_FAIL_ERRNO (default ENOSPC), and the process goes on
 * (a disk that fills up, an I/O error). OTA_CRASH_COUNT_FILE, if set, receives the number
 * of calls counted when the process exits normally.
 *
 * Why a shim and not an internal I/O layer: it exercises the shipping binary unchanged, and
 * the product keeps no global fault-injection state. Writes to standard output and error
 * are not durable steps and are not counted.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long counter;
static long crash_at = -1, fail_at = -1;
static int fail_errno = ENOSPC;

__attribute__((constructor)) static void init(void)
{
    const char *s;
    if ((s = getenv("OTA_CRASH_AT")))
        crash_at = atol(s);
    if ((s = getenv("OTA_FAIL_AT")))
        fail_at = atol(s);
    if ((s = getenv("OTA_FAIL_ERRNO")))
        fail_errno = atoi(s);
}

__attribute__((destructor)) static void fini(void)
{
    const char *f = getenv("OTA_CRASH_COUNT_FILE");
    if (f) {
        FILE *fp = fopen(f, "w");
        if (fp) {
            fprintf(fp, "%ld\n", counter);
            fclose(fp);
        }
    }
}

/* Returns 1 if the call must fail with fail_errno. Kills the process at the crash point. */
static int point(void)
{
    counter++;
    if (counter == crash_at)
        kill(getpid(), SIGKILL);
    if (counter == fail_at) {
        errno = fail_errno;
        return 1;
    }
    return 0;
}

#define REAL(ret, name, ...)                                                                       \
    static ret (*real_##name)(__VA_ARGS__);                                                        \
    if (!real_##name)                                                                              \
        real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name);

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(ssize_t, write, int, const void *, size_t);
    if (fd > 2 && point())
        return -1;
    return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
    if (fd > 2 && point())
        return -1;
    return real_pwrite(fd, buf, n, off);
}

int fsync(int fd)
{
    REAL(int, fsync, int);
    if (point())
        return -1;
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    REAL(int, fdatasync, int);
    if (point())
        return -1;
    return real_fdatasync(fd);
}

int ftruncate(int fd, off_t len)
{
    REAL(int, ftruncate, int, off_t);
    if (point())
        return -1;
    return real_ftruncate(fd, len);
}

int rename(const char *a, const char *b)
{
    REAL(int, rename, const char *, const char *);
    if (point())
        return -1;
    return real_rename(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
    REAL(int, renameat, int, const char *, int, const char *);
    if (point())
        return -1;
    return real_renameat(da, a, db, b);
}

int renameat2(int da, const char *a, int db, const char *b, unsigned flags)
{
    REAL(int, renameat2, int, const char *, int, const char *, unsigned);
    if (point())
        return -1;
    return real_renameat2(da, a, db, b, flags);
}

int symlink(const char *t, const char *p)
{
    REAL(int, symlink, const char *, const char *);
    if (point())
        return -1;
    return real_symlink(t, p);
}

int symlinkat(const char *t, int d, const char *p)
{
    REAL(int, symlinkat, const char *, int, const char *);
    if (point())
        return -1;
    return real_symlinkat(t, d, p);
}

int link(const char *a, const char *b)
{
    REAL(int, link, const char *, const char *);
    if (point())
        return -1;
    return real_link(a, b);
}

int linkat(int da, const char *a, int db, const char *b, int flags)
{
    REAL(int, linkat, int, const char *, int, const char *, int);
    if (point())
        return -1;
    return real_linkat(da, a, db, b, flags);
}

int unlink(const char *p)
{
    REAL(int, unlink, const char *);
    if (point())
        return -1;
    return real_unlink(p);
}

int unlinkat(int d, const char *p, int flags)
{
    REAL(int, unlinkat, int, const char *, int);
    if (point())
        return -1;
    return real_unlinkat(d, p, flags);
}

int rmdir(const char *p)
{
    REAL(int, rmdir, const char *);
    if (point())
        return -1;
    return real_rmdir(p);
}

int mkdir(const char *p, mode_t m)
{
    REAL(int, mkdir, const char *, mode_t);
    if (point())
        return -1;
    return real_mkdir(p, m);
}

int mkdirat(int d, const char *p, mode_t m)
{
    REAL(int, mkdirat, int, const char *, mode_t);
    if (point())
        return -1;
    return real_mkdirat(d, p, m);
}

static int creates(int flags)
{
    return (flags & O_CREAT) || (flags & O_TRUNC) || (flags & __O_TMPFILE) == __O_TMPFILE;
}

int open(const char *p, int flags, ...)
{
    REAL(int, open, const char *, int, ...);
    mode_t m = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        m = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (creates(flags) && point())
        return -1;
    return real_open(p, flags, m);
}
int open64(const char *p, int flags, ...) __attribute__((alias("open")));

int openat(int d, const char *p, int flags, ...)
{
    REAL(int, openat, int, const char *, int, ...);
    mode_t m = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        m = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (creates(flags) && point())
        return -1;
    return real_openat(d, p, flags, m);
}
int openat64(int d, const char *p, int flags, ...) __attribute__((alias("openat")));
