/* test_package.c — the streaming package container: formats/package_write.c and
 * formats/package_read.c.
 *
 * Proves: a package written with ota_pkg_writer_* reads back, from memory, a file or a pipe,
 * with the manifest and signature block bytes exact and every payload delivered byte for
 * byte (zlib payloads compressed here with compress2 and hashed with OpenSSL, independently
 * of the library); the writer is reproducible and writes plain ustar; and the reader rejects
 * every corruption it is responsible for: a changed byte anywhere outside the manifest and
 * signature block (those are the signature's job), truncation, trailing garbage, a zlib
 * stream that inflates past its declared size (without handing the excess to the sink),
 * entries out of order, and API misuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "otapack/manifest.h"
#include "otapack/package.h"
#include "otapack/seckey.h"
#include "otapack/sigblock.h"

#define MTIME INT64_C(1700000000)
#define BLOCK 512u
#define MAX_PAYLOADS 6

/* ---- helpers ------------------------------------------------------------------------ */

static void check_status(enum ota_status got, enum ota_status want, const struct ota_err *err)
{
    if (got != want)
        fail_msg("status %d (%s), expected %d (%s); message: '%s'", got, ota_strerror(got), want,
                 ota_strerror(want), err->msg);
}

static void check_msg(const struct ota_err *err, const char *needle)
{
    if (!strstr(err->msg, needle))
        fail_msg("error message '%s' does not mention '%s'", err->msg, needle);
}

static size_t round_up(size_t n)
{
    return (n + BLOCK - 1) / BLOCK * BLOCK;
}

/* Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
static void fill_random(uint8_t *buf, size_t len, uint32_t seed)
{
    uint32_t x = seed ? seed : 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

/* One payload as the test knows it: raw bytes, stored bytes, and its manifest entry. */
struct input {
    const char *name;
    const char *type;
    enum ota_compression comp;
    uint8_t *raw;
    size_t raw_len;
    uint8_t *stored; /* == raw when not compressed */
    size_t stored_len;
};

/* A package in memory plus everything needed to check what the reader returns. */
struct pkg {
    struct input in[MAX_PAYLOADS];
    size_t n;
    struct ota_manifest m;
    char *mtext, *stext;
    size_t mlen, slen;
    uint8_t *bytes;
    size_t len;
};

static void input_set(struct input *in, const char *name, const char *type,
                      enum ota_compression comp, uint8_t *raw, size_t raw_len)
{
    in->name = name;
    in->type = type;
    in->comp = comp;
    in->raw = raw;
    in->raw_len = raw_len;
    if (comp == OTA_COMP_ZLIB) {
        uLongf cap = compressBound((uLong)raw_len);
        in->stored = malloc(cap);
        assert_non_null(in->stored);
        assert_int_equal(compress2(in->stored, &cap, raw, (uLong)raw_len, 9), Z_OK);
        in->stored_len = cap;
    } else {
        in->stored = raw;
        in->stored_len = raw_len;
    }
}

static void input_free(struct input *in)
{
    if (in->stored != in->raw)
        free(in->stored);
    free(in->raw);
}

/* Builds the manifest of the inputs with digests computed by OpenSSL. */
static void build_manifest(struct pkg *p)
{
    struct ota_manifest *m = &p->m;
    memset(m, 0, sizeof *m);
    m->format = OTA_FORMAT_VERSION;
    snprintf(m->product, sizeof m->product, "acme-gw");
    snprintf(m->version, sizeof m->version, "2.0.0");
    m->security_version = 7;
    m->created = MTIME;
    m->expires = MTIME + 30 * 86400;
    m->n_payloads = p->n;
    m->payloads = calloc(p->n ? p->n : 1, sizeof *m->payloads);
    assert_non_null(m->payloads);
    for (size_t i = 0; i < p->n; i++) {
        struct ota_payload *pl = &m->payloads[i];
        const struct input *in = &p->in[i];
        snprintf(pl->name, sizeof pl->name, "%s", in->name);
        snprintf(pl->type, sizeof pl->type, "%s", in->type);
        pl->compression = in->comp;
        pl->size = in->stored_len;
        SHA256(in->stored, in->stored_len, pl->sha256);
        pl->raw_size = in->raw_len;
        SHA256(in->raw, in->raw_len, pl->raw_sha256);
    }
}

/* The manifest and a signature block with one real signature over it. */
static void build_head(struct pkg *p)
{
    struct ota_err err = {0};
    check_status(ota_manifest_serialize(&p->mtext, &p->mlen, &p->m, &err), OTA_OK, &err);
    struct ota_seckey *sk = NULL;
    check_status(ota_seckey_generate(&sk, &err), OTA_OK, &err);
    uint8_t sig[OTA_ED25519_SIG_LEN];
    check_status(
        ota_seckey_sign(sig, OTA_DOMAIN_MANIFEST, (const uint8_t *)p->mtext, p->mlen, sk, &err),
        OTA_OK, &err);
    struct ota_sigblock b;
    memset(&b, 0, sizeof b);
    check_status(
        ota_sigblock_put(&b, ota_seckey_public(sk)->keyid, "ed25519", sig, sizeof sig, &err),
        OTA_OK, &err);
    check_status(ota_sigblock_serialize(&p->stext, &p->slen, &b, &err), OTA_OK, &err);
    ota_sigblock_free(&b);
    ota_seckey_free(sk);
}

static int temp_file(void)
{
    const char *base = getenv("TMPDIR");
    char path[256];
    snprintf(path, sizeof path, "%s/ota-unit-pkg-XXXXXX", base && *base ? base : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(unlink(path), 0); /* anonymous from here on */
    return fd;
}

static uint8_t *slurp_fd(int fd, size_t *len)
{
    off_t end = lseek(fd, 0, SEEK_END);
    assert_true(end >= 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    uint8_t *buf = malloc((size_t)end + 1);
    assert_non_null(buf);
    size_t got = 0;
    while (got < (size_t)end) {
        ssize_t n = read(fd, buf + got, (size_t)end - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    *len = got;
    return buf;
}

/* Writes entries in the given order (indices into p->in; -1 manifest, -2 signature block)
 * to a temp file and returns the archive bytes. Payloads go through begin/write/end in
 * uneven chunks, the two small entries through entry_mem. */
static uint8_t *write_entries(const struct pkg *p, const int *order, size_t n_order, size_t *len)
{
    int fd = temp_file();
    struct ota_pkg_writer *w = NULL;
    struct ota_err err = {0};
    check_status(ota_pkg_writer_open(&w, fd, MTIME, &err), OTA_OK, &err);
    for (size_t k = 0; k < n_order; k++) {
        int i = order[k];
        if (i == -1) {
            check_status(ota_pkg_writer_entry_mem(w, OTA_MANIFEST_ENTRY, p->mtext, p->mlen, &err),
                         OTA_OK, &err);
        } else if (i == -2) {
            check_status(ota_pkg_writer_entry_mem(w, OTA_SIGBLOCK_ENTRY, p->stext, p->slen, &err),
                         OTA_OK, &err);
        } else {
            const struct input *in = &p->in[i];
            check_status(ota_pkg_writer_entry_begin(w, in->name, in->stored_len, &err), OTA_OK,
                         &err);
            size_t off = 0, step = 1000;
            while (off < in->stored_len) {
                size_t take = in->stored_len - off < step ? in->stored_len - off : step;
                check_status(ota_pkg_writer_entry_write(w, in->stored + off, take, &err), OTA_OK,
                             &err);
                off += take;
                step = step * 3 + 1;
            }
            check_status(ota_pkg_writer_entry_end(w, &err), OTA_OK, &err);
        }
    }
    check_status(ota_pkg_writer_close(w, &err), OTA_OK, &err);
    ota_pkg_writer_free(w);
    uint8_t *bytes = slurp_fd(fd, len);
    close(fd);
    return bytes;
}

static void pkg_write(struct pkg *p)
{
    int order[2 + MAX_PAYLOADS];
    order[0] = -1;
    order[1] = -2;
    for (size_t i = 0; i < p->n; i++)
        order[2 + i] = (int)i;
    p->bytes = write_entries(p, order, 2 + p->n, &p->len);
}

/* The standard package: a plain payload bigger than one I/O chunk, a zlib payload that
 * inflates to more than one chunk, a payload of exactly two blocks (no padding), and an
 * empty payload. */
static void pkg_standard(struct pkg *p)
{
    memset(p, 0, sizeof *p);
    size_t n1 = OTA_IO_CHUNK + 4465, n2 = 150000, n3 = 2 * BLOCK;
    uint8_t *r1 = malloc(n1), *r2 = malloc(n2), *r3 = malloc(n3), *r4 = malloc(1);
    assert_true(r1 && r2 && r3 && r4);
    fill_random(r1, n1, 1);
    for (size_t i = 0; i < n2; i++) /* compressible PEM-like text */
        r2[i] = (uint8_t)("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n"[i % 49]);
    fill_random(r2 + 5000, 3000, 2); /* and some entropy */
    fill_random(r3, n3, 3);
    input_set(&p->in[0], "app.img", "image", OTA_COMP_NONE, r1, n1);
    input_set(&p->in[1], "roots.pem", "truststore", OTA_COMP_ZLIB, r2, n2);
    input_set(&p->in[2], "boot.bin", "image", OTA_COMP_NONE, r3, n3);
    input_set(&p->in[3], "empty.cfg", "config", OTA_COMP_NONE, r4, 0);
    p->n = 4;
    build_manifest(p);
    build_head(p);
    pkg_write(p);
}

static void pkg_free(struct pkg *p)
{
    for (size_t i = 0; i < p->n; i++)
        input_free(&p->in[i]);
    ota_manifest_free(&p->m);
    free(p->mtext);
    free(p->stext);
    free(p->bytes);
}

/* Collects what a sink receives. */
struct sink {
    uint8_t *buf;
    size_t len, cap;
    size_t calls;
};

static enum ota_status sink_fn(void *ctx, const uint8_t *buf, size_t len, struct ota_err *err)
{
    (void)err;
    struct sink *s = ctx;
    s->calls++;
    if (len > s->cap - s->len) {
        size_t cap = s->cap ? s->cap : 4096;
        while (len > cap - s->len)
            cap *= 2;
        uint8_t *nb = realloc(s->buf, cap);
        assert_non_null(nb);
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, buf, len);
    s->len += len;
    return OTA_OK;
}

/* What a full read saw. */
struct outcome {
    enum ota_status rc;
    struct ota_err err;
    int head_same;   /* manifest and signature block bytes equal the originals */
    int payloads_ok; /* every payload read so far was delivered byte for byte */
};

/* head + every payload (against the manifest the test built, not the one in the stream) +
 * finish, stopping at the first failure. */
static struct outcome read_all(const struct pkg *p, struct ota_pkg_reader *r)
{
    struct outcome o;
    memset(&o, 0, sizeof o);
    o.payloads_ok = 1;
    const char *m, *s;
    size_t ml, sl;
    o.rc = ota_pkg_reader_head(r, &m, &ml, &s, &sl, &o.err);
    if (o.rc)
        return o;
    o.head_same =
        ml == p->mlen && sl == p->slen && !memcmp(m, p->mtext, ml) && !memcmp(s, p->stext, sl);
    for (size_t i = 0; i < p->n; i++) {
        struct sink sk = {0};
        o.rc = ota_pkg_reader_payload(r, &p->m, i, OTA_SINK_RAW, sink_fn, &sk, &o.err);
        if (o.rc == OTA_OK &&
            (sk.len != p->in[i].raw_len || (sk.len && memcmp(sk.buf, p->in[i].raw, sk.len))))
            o.payloads_ok = 0;
        free(sk.buf);
        if (o.rc)
            return o;
    }
    o.rc = ota_pkg_reader_finish(r, &p->m, &o.err);
    return o;
}

static struct outcome read_mem(const struct pkg *p, const uint8_t *bytes, size_t len)
{
    struct ota_pkg_reader *r = NULL;
    struct outcome o;
    memset(&o, 0, sizeof o);
    o.rc = ota_pkg_reader_open_mem(&r, bytes, len, &o.err);
    if (o.rc) {
        assert_null(r);
        return o;
    }
    o = read_all(p, r);
    ota_pkg_reader_free(r);
    return o;
}

static void expect_ok(const struct outcome *o)
{
    check_status(o->rc, OTA_OK, &o->err);
    assert_true(o->head_same);
    assert_true(o->payloads_ok);
}

/* ---- round trips -------------------------------------------------------------------- */

static void reads_back_from_memory(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    struct outcome o = read_mem(&p, p.bytes, p.len);
    expect_ok(&o);

    /* layout: header + data rounded up to blocks, per entry, then two zero blocks */
    size_t want = BLOCK + round_up(p.mlen) + BLOCK + round_up(p.slen);
    for (size_t i = 0; i < p.n; i++)
        want += BLOCK + round_up(p.in[i].stored_len);
    want += 2 * BLOCK;
    assert_int_equal(p.len, want);

    /* the reader's offset accounts for every byte */
    struct ota_pkg_reader *r;
    struct ota_err err = {0};
    check_status(ota_pkg_reader_open_mem(&r, p.bytes, p.len, &err), OTA_OK, &err);
    o = read_all(&p, r);
    expect_ok(&o);
    assert_int_equal(ota_pkg_reader_offset(r), p.len);
    ota_pkg_reader_free(r);
    pkg_free(&p);
}

static void head_is_exact_and_stable(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    struct ota_pkg_reader *r;
    struct ota_err err = {0};
    check_status(ota_pkg_reader_open_mem(&r, p.bytes, p.len, &err), OTA_OK, &err);
    const char *m, *s, *m2, *s2;
    size_t ml, sl, ml2, sl2;
    check_status(ota_pkg_reader_head(r, &m, &ml, &s, &sl, &err), OTA_OK, &err);
    assert_int_equal(ml, p.mlen);
    assert_memory_equal(m, p.mtext, ml);
    assert_int_equal(sl, p.slen);
    assert_memory_equal(s, p.stext, sl);
    /* asking again returns the same bytes without reading further */
    uint64_t off = ota_pkg_reader_offset(r);
    check_status(ota_pkg_reader_head(r, &m2, &ml2, &s2, &sl2, &err), OTA_OK, &err);
    assert_ptr_equal(m2, m);
    assert_int_equal(ml2, ml);
    assert_int_equal(sl2, sl);
    assert_memory_equal(s2, p.stext, sl);
    assert_true(ota_pkg_reader_offset(r) == off);
    /* the parsed manifest equals the one written */
    struct ota_manifest back;
    check_status(ota_manifest_parse_mem(&back, m, ml, &err), OTA_OK, &err);
    assert_int_equal(back.n_payloads, p.n);
    assert_memory_equal(back.payloads[1].sha256, p.m.payloads[1].sha256, OTA_SHA256_LEN);
    ota_manifest_free(&back);
    ota_pkg_reader_free(r);
    pkg_free(&p);
}

static void sinks_get_raw_or_stored_bytes(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    struct ota_pkg_reader *r;
    struct ota_err err = {0};
    const char *m, *s;
    size_t ml, sl;
    check_status(ota_pkg_reader_open_mem(&r, p.bytes, p.len, &err), OTA_OK, &err);
    check_status(ota_pkg_reader_head(r, &m, &ml, &s, &sl, &err), OTA_OK, &err);
    /* payload 0 with no sink at all */
    check_status(ota_pkg_reader_payload(r, &p.m, 0, OTA_SINK_RAW, NULL, NULL, &err), OTA_OK, &err);
    /* payload 1 (zlib): the stored sink gets the compressed bytes exactly */
    struct sink st = {0};
    check_status(ota_pkg_reader_payload(r, &p.m, 1, OTA_SINK_STORED, sink_fn, &st, &err), OTA_OK,
                 &err);
    assert_int_equal(st.len, p.in[1].stored_len);
    assert_memory_equal(st.buf, p.in[1].stored, st.len);
    assert_true(st.len < p.in[1].raw_len); /* it really was compressed */
    free(st.buf);
    /* payload 2 (plain): stored == raw */
    memset(&st, 0, sizeof st);
    check_status(ota_pkg_reader_payload(r, &p.m, 2, OTA_SINK_STORED, sink_fn, &st, &err), OTA_OK,
                 &err);
    assert_int_equal(st.len, p.in[2].raw_len);
    assert_memory_equal(st.buf, p.in[2].raw, st.len);
    free(st.buf);
    /* payload 3 (empty): the sink receives nothing */
    memset(&st, 0, sizeof st);
    check_status(ota_pkg_reader_payload(r, &p.m, 3, OTA_SINK_RAW, sink_fn, &st, &err), OTA_OK,
                 &err);
    assert_int_equal(st.len, 0);
    free(st.buf);
    check_status(ota_pkg_reader_finish(r, &p.m, &err), OTA_OK, &err);
    ota_pkg_reader_free(r);
    pkg_free(&p);
}

static void reads_back_from_file_and_pipe(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    struct ota_err err = {0};

    /* a regular file */
    int fd = temp_file();
    assert_int_equal(write(fd, p.bytes, p.len), (ssize_t)p.len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    struct ota_pkg_reader *r;
    check_status(ota_pkg_reader_open_fd(&r, fd, &err), OTA_OK, &err);
    struct outcome o = read_all(&p, r);
    expect_ok(&o);
    ota_pkg_reader_free(r);
    close(fd);

    /* a pipe fed by another process in small writes: the reader never seeks */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        size_t off = 0;
        while (off < p.len) {
            size_t take = p.len - off < 777 ? p.len - off : 777;
            ssize_t n = write(pfd[1], p.bytes + off, take);
            if (n <= 0)
                _exit(1);
            off += (size_t)n;
        }
        _exit(0);
    }
    close(pfd[1]);
    check_status(ota_pkg_reader_open_fd(&r, pfd[0], &err), OTA_OK, &err);
    o = read_all(&p, r);
    expect_ok(&o);
    ota_pkg_reader_free(r);
    close(pfd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pkg_free(&p);
}

static void writer_is_reproducible_plain_ustar(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    size_t len2;
    int order[] = {-1, -2, 0, 1, 2, 3};
    uint8_t *again = write_entries(&p, order, 6, &len2);
    assert_int_equal(len2, p.len);
    assert_memory_equal(again, p.bytes, p.len);
    free(again);

    /* every header: ustar magic, regular file, mode 0644, owner 0:0, the given mtime,
     * the right name and size (fields decoded here, independently of the reader) */
    const char *names[] = {OTA_MANIFEST_ENTRY, OTA_SIGBLOCK_ENTRY, "app.img",
                           "roots.pem",        "boot.bin",         "empty.cfg"};
    size_t sizes[] = {p.mlen,
                      p.slen,
                      p.in[0].stored_len,
                      p.in[1].stored_len,
                      p.in[2].stored_len,
                      p.in[3].stored_len};
    size_t off = 0;
    for (size_t e = 0; e < 6; e++) {
        const uint8_t *h = p.bytes + off;
        assert_string_equal((const char *)h, names[e]);
        assert_memory_equal(h + 257,
                            "ustar\0"
                            "00",
                            8);
        assert_int_equal(h[156], '0');
        assert_int_equal(strtoul((const char *)h + 100, NULL, 8), 0644);
        assert_int_equal(strtoul((const char *)h + 108, NULL, 8), 0);
        assert_int_equal(strtoul((const char *)h + 116, NULL, 8), 0);
        assert_int_equal(strtoull((const char *)h + 124, NULL, 8), sizes[e]);
        assert_int_equal(strtoll((const char *)h + 136, NULL, 8), MTIME);
        unsigned sum = 0;
        for (size_t i = 0; i < BLOCK; i++)
            sum += (i >= 148 && i < 156) ? ' ' : h[i];
        assert_int_equal(strtoul((const char *)h + 148, NULL, 8), sum);
        off += BLOCK + round_up(sizes[e]);
    }
    /* then exactly two zero blocks and nothing else */
    assert_int_equal(p.len - off, 2 * BLOCK);
    for (size_t i = off; i < p.len; i++)
        assert_int_equal(p.bytes[i], 0);
    pkg_free(&p);
}

/* ---- corruption ----------------------------------------------------------------------- */

/* Changes one byte at every 37th offset (and the last byte) in turn. The full read must
 * fail, except inside the manifest or signature block data, which only a signature check
 * can judge: there the read may succeed but must then return the changed bytes. A read that
 * succeeds never delivers payload bytes that differ from the originals. */
static void every_changed_byte_is_caught(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    const size_t m_lo = BLOCK, m_hi = BLOCK + p.mlen;
    const size_t s_lo = BLOCK + round_up(p.mlen) + BLOCK, s_hi = s_lo + p.slen;
    uint8_t *copy = malloc(p.len);
    assert_non_null(copy);
    size_t tried = 0, head_changes = 0;
    for (size_t k = 0; k * 37 < p.len + 36; k++) {
        size_t off = k * 37 < p.len ? k * 37 : p.len - 1; /* finally the very last byte */
        static const uint8_t masks[] = {0xff, 0x01, 0x80, 0x5a};
        uint8_t mask = masks[k % 4];
        memcpy(copy, p.bytes, p.len);
        copy[off] ^= mask;
        struct outcome o = read_mem(&p, copy, p.len);
        int in_head = (off >= m_lo && off < m_hi) || (off >= s_lo && off < s_hi);
        if (o.rc == OTA_OK && !o.payloads_ok)
            fail_msg("offset %zu: read succeeded with wrong payload bytes", off);
        if (in_head) {
            head_changes++;
            if (o.rc == OTA_OK && o.head_same)
                fail_msg("offset %zu (head data): change invisible to the caller", off);
        } else if (o.rc == OTA_OK) {
            fail_msg("offset %zu (mask 0x%02x): corrupted package accepted", off, mask);
        }
        tried++;
    }
    if (getenv("UNIT_VERBOSE"))
        print_message("%zu offsets of %zu bytes, %zu in manifest/signature data\n", tried, p.len,
                      head_changes);
    assert_true(tried >= 300);
    assert_true(head_changes > 0);
    free(copy);
    pkg_free(&p);
}

/* KNOWN LIBRARY BUG (formats/package_read.c, shadow_header): the file's design note says
 * "a flipped bit anywhere in a package is caught: in a header by the checksum". But the
 * checksum field is excluded from its own sum and parsed leniently (leading spaces, trailing
 * space or NUL), so flipping bit 0x10 of its leading '0' (-> ' '), or bit 0x20 of its
 * trailing NUL or space, leaves a header that both the auditor and libarchive accept: the
 * package bytes change without detection. Fix: require the checksum field to be in the
 * canonical form the writer produces ("%06o" NUL space) and compare all 8 bytes. This test
 * fails until the library is fixed. */
static void bug_every_header_bit_flip_is_caught(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    uint8_t *copy = malloc(p.len);
    assert_non_null(copy);
    /* the offsets of all entry headers */
    size_t hdr[2 + MAX_PAYLOADS], nh = 0, off = 0;
    size_t sizes[2 + MAX_PAYLOADS] = {p.mlen, p.slen};
    for (size_t i = 0; i < p.n; i++)
        sizes[2 + i] = p.in[i].stored_len;
    for (size_t e = 0; e < 2 + p.n; e++) {
        hdr[nh++] = off;
        off += BLOCK + round_up(sizes[e]);
    }
    size_t missed = 0;
    for (size_t h = 0; h < nh; h++) {
        for (size_t bit = 0; bit < 8 * BLOCK; bit++) {
            size_t at = hdr[h] + bit / 8;
            memcpy(copy, p.bytes, p.len);
            copy[at] ^= (uint8_t)(1u << (bit % 8));
            struct outcome o = read_mem(&p, copy, p.len);
            if (o.rc == OTA_OK) {
                print_error("header %zu, byte %zu, bit %zu: flip accepted (0x%02x -> 0x%02x)\n", h,
                            bit / 8, bit % 8, p.bytes[at], copy[at]);
                missed++;
            }
        }
    }
    free(copy);
    pkg_free(&p);
    assert_int_equal(missed, 0);
}

static void truncation_is_caught(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    for (size_t cut = 0; cut < p.len; cut += BLOCK) {
        struct outcome o = read_mem(&p, p.bytes, cut);
        if (o.rc == OTA_OK)
            fail_msg("package cut to %zu of %zu bytes accepted", cut, p.len);
    }
    /* and at a few places that are not block boundaries */
    static const size_t back[] = {1, 100, 511, 513, 1023};
    for (size_t i = 0; i < sizeof back / sizeof back[0]; i++) {
        struct outcome o = read_mem(&p, p.bytes, p.len - back[i]);
        if (o.rc == OTA_OK)
            fail_msg("package missing its last %zu bytes accepted", back[i]);
    }
    pkg_free(&p);
}

static void trailing_bytes(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    const size_t extra_max = OTA_MAX_TAR_TAIL + BLOCK;
    uint8_t *buf = calloc(1, p.len + extra_max);
    assert_non_null(buf);
    memcpy(buf, p.bytes, p.len);
    struct outcome o;

    /* zero padding in whole blocks, up to the limit, is accepted (tar record padding) */
    o = read_mem(&p, buf, p.len + BLOCK);
    expect_ok(&o);
    o = read_mem(&p, buf, p.len + OTA_MAX_TAR_TAIL);
    expect_ok(&o);
    o = read_mem(&p, buf, p.len + OTA_MAX_TAR_TAIL + BLOCK);
    check_status(o.rc, OTA_E_LIMIT, &o.err);

    /* a zero tail that is not a whole block */
    o = read_mem(&p, buf, p.len + 1);
    assert_int_not_equal(o.rc, OTA_OK);

    /* anything non-zero after the end */
    buf[p.len] = 0x01;
    o = read_mem(&p, buf, p.len + 1);
    assert_int_not_equal(o.rc, OTA_OK);
    o = read_mem(&p, buf, p.len + BLOCK);
    assert_int_not_equal(o.rc, OTA_OK);
    buf[p.len] = 0;
    buf[p.len + 2 * BLOCK + 7] = 'x'; /* after two more zero blocks */
    o = read_mem(&p, buf, p.len + 3 * BLOCK);
    assert_int_not_equal(o.rc, OTA_OK);
    check_msg(&o.err, "trailing");
    free(buf);
    pkg_free(&p);
}

/* A package with one zlib payload whose stream inflates to `actual` bytes while the
 * manifest declares `declared` (and the digest of the declared prefix). */
static void bomb_package(struct pkg *p, size_t actual, size_t declared)
{
    memset(p, 0, sizeof *p);
    uint8_t *raw = calloc(1, actual > declared ? actual : declared);
    assert_non_null(raw);
    input_set(&p->in[0], "bomb.bin", "image", OTA_COMP_ZLIB, raw, actual);
    p->n = 1;
    build_manifest(p);
    p->m.payloads[0].raw_size = declared;
    SHA256(raw, declared, p->m.payloads[0].raw_sha256);
    build_head(p);
    pkg_write(p);
}

static void zlib_stream_longer_than_declared(void **state)
{
    (void)state;
    struct pkg p;
    const size_t declared = 1000, actual = 8u << 20; /* 8 MiB of zeros, a few KiB stored */
    bomb_package(&p, actual, declared);
    assert_true(p.in[0].stored_len < 16384);
    struct ota_pkg_reader *r;
    struct ota_err err = {0};
    const char *m, *s;
    size_t ml, sl;
    check_status(ota_pkg_reader_open_mem(&r, p.bytes, p.len, &err), OTA_OK, &err);
    check_status(ota_pkg_reader_head(r, &m, &ml, &s, &sl, &err), OTA_OK, &err);
    struct sink sk = {0};
    check_status(ota_pkg_reader_payload(r, &p.m, 0, OTA_SINK_RAW, sink_fn, &sk, &err), OTA_E_DIGEST,
                 &err);
    check_msg(&err, "bomb.bin");
    if (sk.len > declared)
        fail_msg("sink received %zu bytes, %zu declared", sk.len, declared);
    free(sk.buf);
    ota_pkg_reader_free(r);
    pkg_free(&p);

    /* the edge: one byte more than declared */
    bomb_package(&p, declared + 1, declared);
    check_status(ota_pkg_reader_open_mem(&r, p.bytes, p.len, &err), OTA_OK, &err);
    check_status(ota_pkg_reader_head(r, &m, &ml, &s, &sl, &err), OTA_OK, &err);
    memset(&sk, 0, sizeof sk);
    check_status(ota_pkg_reader_payload(r, &p.m, 0, OTA_SINK_RAW, sink_fn, &sk, &err), OTA_E_DIGEST,
                 &err);
    assert_true(sk.len <= declared);
    free(sk.buf);
    ota_pkg_reader_free(r);
    pkg_free(&p);
}

static void zlib_stream_shorter_than_declared(void **state)
{
    (void)state;
    struct pkg p;
    bomb_package(&p, 999, 1000);
    struct outcome o = read_mem(&p, p.bytes, p.len);
    check_status(o.rc, OTA_E_DIGEST, &o.err);
    check_msg(&o.err, "bomb.bin");
    pkg_free(&p);
}

static void zlib_stream_with_trailing_or_corrupt_data(void **state)
{
    (void)state;
    struct pkg p;
    memset(&p, 0, sizeof p);
    uint8_t *raw = malloc(4000);
    assert_non_null(raw);
    fill_random(raw, 4000, 9);
    input_set(&p.in[0], "fw.bin", "image", OTA_COMP_ZLIB, raw, 4000);
    /* append a few bytes after the end of the zlib stream; the stored digest covers them */
    uint8_t *longer = realloc(p.in[0].stored, p.in[0].stored_len + 3);
    assert_non_null(longer);
    memcpy(longer + p.in[0].stored_len, "abc", 3);
    p.in[0].stored = longer;
    p.in[0].stored_len += 3;
    p.n = 1;
    build_manifest(&p);
    build_head(&p);
    pkg_write(&p);
    struct outcome o = read_mem(&p, p.bytes, p.len);
    check_status(o.rc, OTA_E_FORMAT, &o.err);
    check_msg(&o.err, "fw.bin");
    pkg_free(&p);

    /* a stream with a broken byte in the middle (the stored digest matches the broken bytes,
     * as in a manifest signed over a broken build): caught by zlib or by the raw digest */
    memset(&p, 0, sizeof p);
    raw = malloc(4000);
    assert_non_null(raw);
    fill_random(raw, 4000, 10);
    input_set(&p.in[0], "fw.bin", "image", OTA_COMP_ZLIB, raw, 4000);
    p.n = 1;
    build_manifest(&p);
    p.in[0].stored[p.in[0].stored_len / 2] ^= 0x55;
    SHA256(p.in[0].stored, p.in[0].stored_len, p.m.payloads[0].sha256);
    build_head(&p);
    pkg_write(&p);
    o = read_mem(&p, p.bytes, p.len);
    assert_int_not_equal(o.rc, OTA_OK);
    check_msg(&o.err, "fw.bin");
    pkg_free(&p);
}

/* Rewrites a header field at hdr (a header block in buf) and stores a correct checksum, so
 * that only the reader's rules about what a header may say can catch the change. */
static void set_field(uint8_t *buf, size_t hdr, size_t at, const void *val, size_t len)
{
    uint8_t *h = buf + hdr;
    memcpy(h + at, val, len);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        sum += h[i];
    char field[9];
    snprintf(field, sizeof field, "%06o", sum);
    memcpy(h + 148, field, 7); /* six digits and a NUL; the space stays */
}

static void crafted_headers_rejected(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    const size_t h_manifest = 0;
    const size_t h_app = 2 * BLOCK + round_up(p.mlen) + round_up(p.slen);
    uint8_t *copy = malloc(p.len);
    assert_non_null(copy);

    /* the re-checksummed but unchanged package still reads: set_field itself is sound */
    memcpy(copy, p.bytes, p.len);
    set_field(copy, h_app, 0, "app.img", 7);
    struct outcome o = read_mem(&p, copy, p.len);
    expect_ok(&o);

    static const struct {
        const char *what;
        int manifest_hdr; /* 1: change the manifest.json header, 0: the app.img header */
        size_t at;
        const char *val;
        size_t len;
    } cases[] = {
        {"directory", 0, 156, "5", 1},
        {"symlink", 0, 156, "2", 1},
        {"hard link", 0, 156, "1", 1},
        {"pax header", 0, 156, "x", 1},
        {"GNU long name", 0, 156, "L", 1},
        {"FIFO", 0, 156, "6", 1},
        {"GNU magic", 0, 257, "ustar  \0", 8},
        {"path prefix", 0, 345, "x", 1},
        {"base-256 size", 0, 124, "\x80\0\0\0\0\0\0\0\0\0\x13\x91", 12},
        {"larger size", 0, 124, "77777777777", 11},
        {"dot-slash name", 1, 0, "./manifest.json\0", 16},
        {"parent name", 1, 0, "../manifest.json", 16},
        {"absolute name", 1, 0, "/manifest.json\0", 15},
        {"nested name", 1, 0, "x/manifest.json", 15},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(copy, p.bytes, p.len);
        set_field(copy, cases[i].manifest_hdr ? h_manifest : h_app, cases[i].at, cases[i].val,
                  cases[i].len);
        o = read_mem(&p, copy, p.len);
        if (o.rc == OTA_OK)
            fail_msg("%s accepted", cases[i].what);
        if (getenv("UNIT_VERBOSE"))
            print_message("%s: %s\n", cases[i].what, o.err.msg);
    }
    free(copy);
    pkg_free(&p);
}

static void oversized_head_entries(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    char *orig_m = p.mtext, *orig_s = p.stext;
    size_t orig_ml = p.mlen, orig_sl = p.slen;
    const size_t sizes[][2] = {
        {OTA_MAX_MANIFEST_SIZE + 1, orig_sl}, /* manifest.json over its limit */
        {orig_ml, OTA_MAX_SIGBLOCK_SIZE + 1}, /* signatures.json over its limit */
    };
    for (size_t i = 0; i < 2; i++) {
        p.mlen = sizes[i][0];
        p.slen = sizes[i][1];
        p.mtext = malloc(p.mlen);
        p.stext = malloc(p.slen);
        assert_true(p.mtext && p.stext);
        memset(p.mtext, ' ', p.mlen);
        memset(p.stext, ' ', p.slen);
        memcpy(p.mtext, orig_m, orig_ml);
        memcpy(p.stext, orig_s, orig_sl);
        int order[] = {-1, -2, 0, 1, 2, 3};
        size_t len;
        uint8_t *b = write_entries(&p, order, 6, &len);
        struct outcome o = read_mem(&p, b, len);
        check_status(o.rc, OTA_E_LIMIT, &o.err);
        check_msg(&o.err, i == 0 ? OTA_MANIFEST_ENTRY : OTA_SIGBLOCK_ENTRY);
        free(b);
        free(p.mtext);
        free(p.stext);
    }
    p.mtext = orig_m;
    p.stext = orig_s;
    p.mlen = orig_ml;
    p.slen = orig_sl;
    pkg_free(&p);
}

/* ---- order and misuse ------------------------------------------------------------------- */

static void entries_out_of_order_or_missing(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    struct outcome o;

    int swapped[] = {-1, -2, 1, 0, 2, 3};
    size_t len;
    uint8_t *b = write_entries(&p, swapped, 6, &len);
    o = read_mem(&p, b, len);
    check_status(o.rc, OTA_E_FORMAT, &o.err);
    check_msg(&o.err, "roots.pem");
    free(b);

    int missing[] = {-1, -2, 0, 1, 3};
    b = write_entries(&p, missing, 5, &len);
    o = read_mem(&p, b, len);
    check_status(o.rc, OTA_E_FORMAT, &o.err);
    free(b);

    int repeated[] = {-1, -2, 0, 1, 2, 3, 3};
    b = write_entries(&p, repeated, 7, &len);
    o = read_mem(&p, b, len);
    check_status(o.rc, OTA_E_FORMAT, &o.err);
    check_msg(&o.err, "empty.cfg");
    free(b);

    int head_swapped[] = {-2, -1, 0, 1, 2, 3};
    b = write_entries(&p, head_swapped, 6, &len);
    o = read_mem(&p, b, len);
    check_status(o.rc, OTA_E_FORMAT, &o.err);
    check_msg(&o.err, OTA_MANIFEST_ENTRY);
    free(b);

    int no_sigblock[] = {-1, 0, 1, 2, 3};
    b = write_entries(&p, no_sigblock, 5, &len);
    o = read_mem(&p, b, len);
    check_status(o.rc, OTA_E_FORMAT, &o.err);
    free(b);

    /* an entry the manifest does not name, after the last payload */
    struct pkg q;
    memcpy(&q, &p, sizeof q);
    q.n = 3; /* the manifest still lists 4 payloads: write 3 + an unknown one */
    int extra[] = {-1, -2, 0, 1, 2, 4};
    uint8_t *unk = malloc(10);
    assert_non_null(unk);
    memset(unk, 'u', 10);
    input_set(&q.in[4], "unknown.bin", "image", OTA_COMP_NONE, unk, 10);
    b = write_entries(&q, extra, 6, &len);
    o = read_mem(&p, b, len);
    check_status(o.rc, OTA_E_FORMAT, &o.err);
    check_msg(&o.err, "unknown.bin");
    free(b);
    free(unk);

    /* a payload whose stored size differs from the manifest */
    p.m.payloads[2].size += 1;
    o = read_mem(&p, p.bytes, p.len);
    check_status(o.rc, OTA_E_DIGEST, &o.err);
    check_msg(&o.err, "boot.bin");
    p.m.payloads[2].size -= 1;
    pkg_free(&p);
}

static void reader_api_misuse(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    struct ota_pkg_reader *r;
    struct ota_err err = {0};
    const char *m, *s;
    size_t ml, sl;
    check_status(ota_pkg_reader_open_mem(&r, p.bytes, p.len, &err), OTA_OK, &err);
    /* a payload before the head */
    check_status(ota_pkg_reader_payload(r, &p.m, 0, OTA_SINK_RAW, NULL, NULL, &err), OTA_E_USAGE,
                 &err);
    /* finish before the head */
    check_status(ota_pkg_reader_finish(r, &p.m, &err), OTA_E_USAGE, &err);
    check_status(ota_pkg_reader_head(r, &m, &ml, &s, &sl, &err), OTA_OK, &err);
    /* out of order: 1 before 0, and an index past the end */
    struct sink sk = {0};
    check_status(ota_pkg_reader_payload(r, &p.m, 1, OTA_SINK_RAW, sink_fn, &sk, &err), OTA_E_USAGE,
                 &err);
    assert_int_equal(sk.calls, 0);
    check_status(ota_pkg_reader_payload(r, &p.m, p.n, OTA_SINK_RAW, NULL, NULL, &err), OTA_E_USAGE,
                 &err);
    /* misuse consumed nothing: the right order still works */
    check_status(ota_pkg_reader_payload(r, &p.m, 0, OTA_SINK_RAW, NULL, NULL, &err), OTA_OK, &err);
    /* the same payload twice */
    check_status(ota_pkg_reader_payload(r, &p.m, 0, OTA_SINK_RAW, NULL, NULL, &err), OTA_E_USAGE,
                 &err);
    /* finish with payloads left */
    check_status(ota_pkg_reader_finish(r, &p.m, &err), OTA_E_USAGE, &err);
    for (size_t i = 1; i < p.n; i++)
        check_status(ota_pkg_reader_payload(r, &p.m, i, OTA_SINK_RAW, NULL, NULL, &err), OTA_OK,
                     &err);
    check_status(ota_pkg_reader_finish(r, &p.m, &err), OTA_OK, &err);
    ota_pkg_reader_free(r);
    pkg_free(&p);
}

static void writer_api_misuse(void **state)
{
    (void)state;
    int fd = temp_file();
    struct ota_pkg_writer *w;
    struct ota_err err = {0};
    check_status(ota_pkg_writer_open(&w, fd, MTIME, &err), OTA_OK, &err);
    static const char *const bad_names[] = {"../x", "/abs", ".hidden", "a/b", ""};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        check_status(ota_pkg_writer_entry_begin(w, bad_names[i], 1, &err), OTA_E_USAGE, &err);
    check_status(ota_pkg_writer_entry_begin(w, "a.bin", OTA_MAX_PAYLOAD_SIZE + 1, &err),
                 OTA_E_LIMIT, &err);
    check_status(ota_pkg_writer_entry_write(w, "x", 1, &err), OTA_E_USAGE, &err); /* no entry */
    check_status(ota_pkg_writer_entry_begin(w, "a.bin", 4, &err), OTA_OK, &err);
    check_status(ota_pkg_writer_entry_begin(w, "b.bin", 4, &err), OTA_E_USAGE, &err);
    check_status(ota_pkg_writer_entry_write(w, "abcde", 5, &err), OTA_E_USAGE, &err);
    check_status(ota_pkg_writer_entry_write(w, "abc", 3, &err), OTA_OK, &err);
    check_status(ota_pkg_writer_entry_end(w, &err), OTA_E_USAGE, &err); /* 3 of 4 */
    check_status(ota_pkg_writer_close(w, &err), OTA_E_USAGE, &err);
    check_status(ota_pkg_writer_entry_write(w, "d", 1, &err), OTA_OK, &err);
    check_status(ota_pkg_writer_entry_end(w, &err), OTA_OK, &err);
    check_status(ota_pkg_writer_close(w, &err), OTA_OK, &err);
    ota_pkg_writer_free(w);
    size_t len;
    uint8_t *bytes = slurp_fd(fd, &len);
    assert_int_equal(len, 4 * BLOCK); /* header, one data block, two zero blocks */
    assert_string_equal((const char *)bytes, "a.bin");
    assert_memory_equal(bytes + BLOCK, "abcd", 4);
    free(bytes);
    close(fd);
}

static void empty_and_garbage_streams(void **state)
{
    (void)state;
    struct pkg p;
    pkg_standard(&p);
    struct outcome o = read_mem(&p, NULL, 0);
    assert_int_not_equal(o.rc, OTA_OK);
    uint8_t zeros[2 * BLOCK] = {0};
    o = read_mem(&p, zeros, sizeof zeros);
    assert_int_not_equal(o.rc, OTA_OK);
    o = read_mem(&p, (const uint8_t *)p.mtext, p.mlen); /* bare JSON is not a package */
    assert_int_not_equal(o.rc, OTA_OK);
    pkg_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_back_from_memory),
        cmocka_unit_test(head_is_exact_and_stable),
        cmocka_unit_test(sinks_get_raw_or_stored_bytes),
        cmocka_unit_test(reads_back_from_file_and_pipe),
        cmocka_unit_test(writer_is_reproducible_plain_ustar),
        cmocka_unit_test(every_changed_byte_is_caught),
        cmocka_unit_test(bug_every_header_bit_flip_is_caught),
        cmocka_unit_test(truncation_is_caught),
        cmocka_unit_test(trailing_bytes),
        cmocka_unit_test(zlib_stream_longer_than_declared),
        cmocka_unit_test(zlib_stream_shorter_than_declared),
        cmocka_unit_test(zlib_stream_with_trailing_or_corrupt_data),
        cmocka_unit_test(crafted_headers_rejected),
        cmocka_unit_test(oversized_head_entries),
        cmocka_unit_test(entries_out_of_order_or_missing),
        cmocka_unit_test(reader_api_misuse),
        cmocka_unit_test(writer_api_misuse),
        cmocka_unit_test(empty_and_garbage_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
