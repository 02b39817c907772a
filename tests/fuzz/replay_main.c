/* replay_main — a stand-in for libFuzzer's main(), so that every harness builds with any
 * compiler and ctest replays its corpus once (under ASan+UBSan in the sanitizer build).
 *
 * Usage: fuzz_replay_<name> PATH...   each PATH is a file or a folder of files (not recursive;
 * names starting with '.' are skipped). Each input is copied into a buffer of exactly its size,
 * so a read past its end is caught by ASan as it would be by libFuzzer. Exits 0 after running
 * every input, 1 if no input was found or one could not be read; a harness that finds a bug
 * aborts. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf && len == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
        if (!buf)
            break;
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: %s: cannot read\n", path);
        free(buf);
        return -1;
    }
    uint8_t *exact = malloc(len ? len : 1); /* exactly len bytes: overreads are caught */
    if (!exact) {
        free(buf);
        return -1;
    }
    if (len)
        memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in dir, in name order. Returns the count, or -1. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    long count = 0;
    struct dirent *de;
    while (count >= 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char **nn = n < cap ? names : realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
        char *path = nn ? malloc(strlen(dir) + strlen(de->d_name) + 2) : NULL;
        if (nn)
            names = nn;
        if (!path) {
            fprintf(stderr, "replay: %s: out of memory\n", dir);
            count = -1;
            break;
        }
        sprintf(path, "%s/%s", dir, de->d_name);
        names[n++] = path;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (count >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            count = run_file(names[i]) == 0 ? count + 1 : -1;
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    long total = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE-OR-FOLDER...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long n = -1;
        if (stat(argv[i], &st) != 0)
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
        else if (S_ISDIR(st.st_mode))
            n = run_dir(argv[i]);
        else
            n = run_file(argv[i]) == 0 ? 1 : -1;
        if (n < 0)
            return 1;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("replay: %ld inputs ran\n", total);
    return 0;
}
