/* test_seckey_enc.c — passphrase-encrypted secret key files: keys/seckey.c, FORMAT.md
 * section 6.
 *
 * Proves: an encrypted key line round-trips to the same key and matches the spec's test
 * vector (computed independently); a wrong passphrase and every flipped bit of the salt, the
 * nonce and the box, and any other valid cost, fail as "wrong passphrase or damaged key file"
 * with no key returned; a hostile Argon2id cost (too many passes, too much memory, memory
 * that is not whole KiB) is refused as OTA_E_LIMIT before anything is derived (a refused
 * 2^32-pass or 100 GiB file returns at once); the line has exactly one spelling and one
 * length; plain keys still load through every entry point, with or without a passphrase;
 * ota_seckey_load and ota_seckey_parse_mem refuse an encrypted key without a passphrase with
 * OTA_E_USAGE and the documented message; key files are written with mode 0600, hold no seed
 * in the clear, and are not written at all when the passphrase is refused; passphrase files
 * are read to their first line with the documented bounds; and no error message carries the
 * passphrase or the seed.
 *
 * Encryption in memory uses the smallest cost (1 pass, 8 KiB) so that the bit-flip sweeps run
 * hundreds of derivations in well under a second; the file tests use the default cost.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "otapack/key.h"
#include "otapack/limits.h"
#include "otapack/seckey.h"
#include "otapack/sigblock.h"

/* RFC 8032, section 7.1, TEST 1 */
#define RFC8032_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC8032_PUB "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

/* FORMAT.md section 6, test vector: the RFC 8032 seed under "otapack test vector", cost 1 pass
 * and 8 KiB, salt 00..0f, nonce 10..27 (cross-checked with OpenSSL's Argon2id and an
 * independent XSalsa20-Poly1305). */
#define KAT_PASS "otapack test vector"
#define KAT_LINE                                                                                   \
    "otapack-seckey-v1 ed25519-encrypted argon2id13 0000000000000001 0000000000002000 "            \
    "000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f2021222324252627 "           \
    "63f2f134e659b61fd55e2d95f1daaf15c6d3a4dd0e161c2adc588c6e286d7a801d7cbfbaf44c7595041f56ab99f5" \
    "1b14"

#define PASS "correct horse battery staple"
#define WRONG_MSG "wrong passphrase or damaged key file"
#define NEEDS_MSG "encrypted key needs a passphrase (--passphrase-file or OTAPACK_PASSPHRASE)"

/* field offsets of the encrypted line (FORMAT.md section 6) */
enum { OFF_OPS = 47, OFF_MEM = 64, OFF_SALT = 81, OFF_NONCE = 114, OFF_BOX = 163, LINE = 259 };

static const char doc[] = "{\"format\":1,\"product\":\"acme\"}\n";

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

/* No error message shows a passphrase or a seed, in either case of hex. */
static void check_no_secret(const struct ota_err *err)
{
    if (strstr(err->msg, "horse") || strstr(err->msg, "test vector") ||
        strstr(err->msg, "9d61b19d") || strstr(err->msg, "9D61B19D"))
        fail_msg("error message shows a secret: '%s'", err->msg);
}

static struct ota_seckey *new_key(void)
{
    struct ota_seckey *sk = NULL;
    struct ota_err err = {0};
    check_status(ota_seckey_generate(&sk, &err), OTA_OK, &err);
    assert_non_null(sk);
    return sk;
}

/* Encrypts sk at the smallest cost into line (LINE + 2 bytes). */
static void encrypt_cheap(char line[LINE + 2], const struct ota_seckey *sk, const char *pass)
{
    struct ota_err err = {0};
    size_t len = 0;
    check_status(
        ota_seckey_encrypt_mem(line, LINE + 2, &len, sk, pass, strlen(pass), 1, 8192, &err), OTA_OK,
        &err);
    assert_int_equal(len, LINE + 1);
    assert_int_equal(strlen(line), LINE + 1);
}

/* Parses line with pass (NULL: none); expects want; on success returns the key. */
static struct ota_seckey *parse(const char *line, size_t len, const char *pass,
                                enum ota_status want, struct ota_err *err)
{
    struct ota_seckey *sk = (struct ota_seckey *)err; /* must be reset to NULL on failure */
    memset(err, 0, sizeof *err);
    enum ota_status rc =
        ota_seckey_parse_mem_pass(&sk, line, len, pass, pass ? strlen(pass) : 0, err);
    if (rc != want)
        fail_msg("'%.*s' with %s: status %d (%s), expected %d; message '%s'", (int)len, line,
                 pass ? "a passphrase" : "no passphrase", rc, ota_strerror(rc), want, err->msg);
    if (rc) {
        assert_null(sk);
        check_no_secret(err);
        return NULL;
    }
    assert_non_null(sk);
    return sk;
}

static int same_key(const struct ota_seckey *a, const struct ota_seckey *b)
{
    return memcmp(ota_seckey_public(a)->pk, ota_seckey_public(b)->pk, OTA_ED25519_PK_LEN) == 0;
}

/* The key signs, and the signature verifies under the expected public key. */
static void signs_as(const struct ota_seckey *sk, const struct ota_pubkey *pk)
{
    struct ota_err err = {0};
    uint8_t sig[OTA_ED25519_SIG_LEN];
    check_status(
        ota_seckey_sign(sig, OTA_DOMAIN_MANIFEST, (const uint8_t *)doc, sizeof doc - 1, sk, &err),
        OTA_OK, &err);
    assert_int_equal(ota_sig_verify(sig, sizeof sig, OTA_DOMAIN_MANIFEST, (const uint8_t *)doc,
                                    sizeof doc - 1, pk),
                     0);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A private folder for file tests, removed (flat) afterwards. */
struct tmpdir {
    char path[256];
};

static void tmpdir_make(struct tmpdir *t)
{
    const char *base = getenv("TMPDIR");
    snprintf(t->path, sizeof t->path, "%s/ota-unit-seckey-enc-XXXXXX",
             base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(t->path));
}

static void tmpdir_file(char *out, size_t outsz, const struct tmpdir *t, const char *name)
{
    snprintf(out, outsz, "%s/%s", t->path, name);
}

static size_t tmpdir_count(const struct tmpdir *t)
{
    DIR *d = opendir(t->path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void tmpdir_remove(struct tmpdir *t)
{
    DIR *d = opendir(t->path);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[600];
        tmpdir_file(p, sizeof p, t, de->d_name);
        (void)unlink(p);
    }
    closedir(d);
    assert_int_equal(rmdir(t->path), 0);
}

static void write_bytes(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 8192);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 8191, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* The line has the documented shape: fixed words, fields of fixed length at fixed offsets. */
static void check_line_shape(const char *line, unsigned long long ops, unsigned long long mem)
{
    assert_int_equal(strlen(line), LINE + 1);
    assert_int_equal(line[LINE], '\n');
    assert_memory_equal(line, "otapack-seckey-v1 ed25519-encrypted argon2id13 ", OFF_OPS);
    char num[40];
    snprintf(num, sizeof num, "%016llx %016llx ", ops, mem);
    assert_memory_equal(line + OFF_OPS, num, strlen(num));
    assert_true(is_lower_hex(line + OFF_SALT, 32));
    assert_int_equal(line[OFF_NONCE - 1], ' ');
    assert_true(is_lower_hex(line + OFF_NONCE, 48));
    assert_int_equal(line[OFF_BOX - 1], ' ');
    assert_true(is_lower_hex(line + OFF_BOX, 96));
}

/* Flips bit `bit` of the byte whose two hex digits start at line + pos. */
static void flip_hex_bit(char *line, size_t pos, unsigned bit)
{
    static const char hex[] = "0123456789abcdef";
    unsigned v = (unsigned)(strchr(hex, line[pos]) - hex) << 4 |
                 (unsigned)(strchr(hex, line[pos + 1]) - hex);
    v ^= 1u << bit;
    line[pos] = hex[v >> 4];
    line[pos + 1] = hex[v & 15];
}

/* ---- round trip ----------------------------------------------------------------------- */

static void round_trip_in_memory(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    char a[LINE + 2], b[LINE + 2];
    encrypt_cheap(a, sk, PASS);
    encrypt_cheap(b, sk, PASS);
    check_line_shape(a, 1, 8192);
    /* fresh salt and nonce each time: the same key never gives the same line */
    assert_memory_not_equal(a + OFF_SALT, b + OFF_SALT, 32);
    assert_memory_not_equal(a + OFF_NONCE, b + OFF_NONCE, 48);

    struct ota_err err;
    for (int with_nl = 0; with_nl <= 1; with_nl++) {
        struct ota_seckey *back = parse(a, LINE + (size_t)with_nl, PASS, OTA_OK, &err);
        assert_true(same_key(back, sk));
        assert_string_equal(ota_seckey_public(back)->keyid, ota_seckey_public(sk)->keyid);
        signs_as(back, ota_seckey_public(sk));
        ota_seckey_free(back);
    }
    /* the line holds no seed in the clear: decrypting is the only way to the key */
    ota_seckey_free(sk);

    /* any bytes make a passphrase: a NUL inside, the longest allowed */
    sk = new_key();
    char pass[OTA_MAX_PASSPHRASE_LEN];
    memset(pass, 'x', sizeof pass);
    pass[3] = '\0';
    size_t len;
    check_status(ota_seckey_encrypt_mem(a, sizeof a, &len, sk, pass, sizeof pass, 1, 8192, &err),
                 OTA_OK, &err);
    struct ota_seckey *back = NULL;
    check_status(ota_seckey_parse_mem_pass(&back, a, len, pass, sizeof pass, &err), OTA_OK, &err);
    assert_true(same_key(back, sk));
    ota_seckey_free(back);
    check_status(ota_seckey_parse_mem_pass(&back, a, len, pass, 3, &err), OTA_E_KEY, &err);
    assert_null(back);
    ota_seckey_free(sk);
}

static void spec_test_vector(void **state)
{
    (void)state;
    static const char line[] = KAT_LINE "\n";
    assert_int_equal(sizeof line - 1, LINE + 1);
    struct ota_err err;
    struct ota_seckey *sk = parse(line, sizeof line - 1, KAT_PASS, OTA_OK, &err);
    uint8_t want[OTA_ED25519_PK_LEN];
    assert_int_equal(sodium_hex2bin(want, sizeof want, RFC8032_PUB, 64, NULL, NULL, NULL), 0);
    assert_memory_equal(ota_seckey_public(sk)->pk, want, sizeof want);
    /* and it is the same key as the plain file with that seed */
    static const char plain[] = OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED "\n";
    struct ota_seckey *p = parse(plain, sizeof plain - 1, NULL, OTA_OK, &err);
    assert_true(same_key(sk, p));
    ota_seckey_free(p);
    ota_seckey_free(sk);
}

/* ---- forgeries and damage ----------------------------------------------------------------- */

static void wrong_passphrase_fails(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    char line[LINE + 2];
    encrypt_cheap(line, sk, PASS);
    static const char *const wrong[] = {
        "correct horse battery stapl",   /* a prefix */
        "correct horse battery staple ", /* one byte more */
        "Correct horse battery staple",  /* case */
        "correct horse battery staple\n", "",
    };
    struct ota_err err;
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        parse(line, LINE + 1, wrong[i], OTA_E_KEY, &err);
        assert_string_equal(err.msg, WRONG_MSG);
    }
    ota_seckey_free(sk);
}

static void damaged_salt_nonce_box_fail(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    char line[LINE + 2];
    encrypt_cheap(line, sk, PASS);
    static const struct {
        const char *name;
        size_t off, bytes;
    } regions[] = {{"salt", OFF_SALT, 16}, {"nonce", OFF_NONCE, 24}, {"box", OFF_BOX, 48}};
    struct ota_err err;
    size_t tried = 0;
    for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++) {
        for (size_t i = 0; i < regions[r].bytes; i++) {
            for (unsigned bit = 0; bit < 8; bit++) {
                char bad[LINE + 2];
                memcpy(bad, line, sizeof bad);
                flip_hex_bit(bad, regions[r].off + 2 * i, bit);
                struct ota_seckey *got = (struct ota_seckey *)&err;
                memset(&err, 0, sizeof err);
                enum ota_status rc =
                    ota_seckey_parse_mem_pass(&got, bad, LINE + 1, PASS, strlen(PASS), &err);
                if (rc != OTA_E_KEY || got || strcmp(err.msg, WRONG_MSG) != 0)
                    fail_msg("%s byte %zu bit %u: status %d, key %p, message '%s'", regions[r].name,
                             i, bit, rc, (void *)got, err.msg);
                tried++;
            }
        }
    }
    assert_int_equal(tried, (16 + 24 + 48) * 8);
    /* the undamaged line still opens: the sweep damaged copies only */
    ota_seckey_free(parse(line, LINE + 1, PASS, OTA_OK, &err));
    ota_seckey_free(sk);
}

static void other_valid_cost_fails(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    char line[LINE + 2];
    encrypt_cheap(line, sk, PASS);
    struct ota_err err;
    /* the cost is bound to the box through the derived key: another valid cost is damage */
    char bad[LINE + 2];
    memcpy(bad, line, sizeof bad);
    memcpy(bad + OFF_OPS, "0000000000000002", 16);
    parse(bad, LINE + 1, PASS, OTA_E_KEY, &err);
    assert_string_equal(err.msg, WRONG_MSG);
    memcpy(bad, line, sizeof bad);
    memcpy(bad + OFF_MEM, "0000000000002400", 16); /* 9 KiB */
    parse(bad, LINE + 1, PASS, OTA_E_KEY, &err);
    assert_string_equal(err.msg, WRONG_MSG);
    ota_seckey_free(sk);
}

static void hostile_cost_rejected_before_deriving(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    char line[LINE + 2];
    encrypt_cheap(line, sk, PASS);
    static const struct {
        const char *ops, *mem;
    } hostile[] = {
        {"0000000000000000", "0000000000002000"}, /* zero passes */
        {"0000000000000011", "0000000000002000"}, /* 17 passes: one over the bound */
        {"00000000ffffffff", "0000000000002000"}, /* 2^32 - 1 passes: hours */
        {"ffffffffffffffff", "0000000000002000"},
        {"0000000000000001", "0000000000000000"}, /* no memory */
        {"0000000000000001", "0000000000001c00"}, /* 7 KiB: under Argon2id's minimum */
        {"0000000000000001", "0000000000002001"}, /* not whole KiB: a second spelling */
        {"0000000000000001", "0000000000002200"}, /* 8.5 KiB: the same */
        {"0000000000000001", "0000000040000400"}, /* 1 GiB + 1 KiB: one over the bound */
        {"0000000000000001", "0000001900000000"}, /* 100 GiB */
        {"0000000000000001", "ffffffffffffffff"},
        {"0000000000000010", "0000001900000000"},
    };
    struct ota_err err;
    double t0 = now_s();
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        char bad[LINE + 2];
        memcpy(bad, line, sizeof bad);
        memcpy(bad + OFF_OPS, hostile[i].ops, 16);
        memcpy(bad + OFF_MEM, hostile[i].mem, 16);
        /* OTA_E_LIMIT, not OTA_E_NOMEM (Argon2id tried to allocate) nor OTA_E_KEY (it ran) */
        parse(bad, LINE + 1, PASS, OTA_E_LIMIT, &err);
        check_msg(&err, "limit");
        /* the bound is checked first, with or without a passphrase */
        parse(bad, LINE + 1, NULL, OTA_E_LIMIT, &err);
    }
    /* a 2^32-pass or 100 GiB derivation would take minutes or fail: none ran */
    double spent = now_s() - t0;
    if (spent > 2.0)
        fail_msg("refusing hostile costs took %.1f s: something was derived", spent);

    /* the largest accepted cost is within the bounds: it gets as far as the passphrase
     * check (no derivation is run here: 16 passes over 1 GiB take seconds) */
    char edge[LINE + 2];
    memcpy(edge, line, sizeof edge);
    memcpy(edge + OFF_OPS, "0000000000000010", 16);
    memcpy(edge + OFF_MEM, "0000000040000000", 16);
    parse(edge, LINE + 1, NULL, OTA_E_USAGE, &err);

    /* and the writer refuses to write a cost that readers would refuse */
    size_t len;
    static const uint64_t bad_cost[][2] = {
        {0, 8192}, {17, 8192}, {1, 8191}, {1, 8193}, {1, (UINT64_C(1) << 30) + 1024}};
    for (size_t i = 0; i < sizeof bad_cost / sizeof bad_cost[0]; i++)
        check_status(ota_seckey_encrypt_mem(line, sizeof line, &len, sk, PASS, strlen(PASS),
                                            bad_cost[i][0], bad_cost[i][1], &err),
                     OTA_E_USAGE, &err);
    ota_seckey_free(sk);
}

static void rejects_every_other_spelling(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    char good[LINE + 2];
    encrypt_cheap(good, sk, PASS);
    struct ota_err err;
    /* the two accepted forms: with and without the final newline */
    ota_seckey_free(parse(good, LINE + 1, PASS, OTA_OK, &err));
    ota_seckey_free(parse(good, LINE, PASS, OTA_OK, &err));

    char bad[64][LINE + 16];
    size_t lens[64], n = 0;
#define BAD_FROM_GOOD() (memcpy(bad[n], good, LINE + 2), lens[n] = LINE + 1)
    /* one character short, one too many, in each field and at the end */
    static const size_t cut_at[] = {OFF_OPS, OFF_MEM, OFF_SALT, OFF_NONCE, OFF_BOX, LINE - 1};
    for (size_t i = 0; i < sizeof cut_at / sizeof cut_at[0]; i++) {
        BAD_FROM_GOOD();
        memmove(bad[n] + cut_at[i], bad[n] + cut_at[i] + 1, LINE + 1 - cut_at[i]);
        lens[n++] = LINE; /* one field one digit short, newline kept */
        BAD_FROM_GOOD();
        memmove(bad[n] + cut_at[i] + 1, bad[n] + cut_at[i], LINE + 2 - cut_at[i]);
        bad[n][cut_at[i]] = '0';
        lens[n++] = LINE + 2; /* one field one digit long */
    }
    /* a field one short and the next one long: right total length, wrong offsets */
    BAD_FROM_GOOD();
    bad[n][OFF_SALT - 2] = ' '; /* memlimit has 15 digits */
    bad[n][OFF_SALT - 1] = '0'; /* and the salt 33 */
    n++;
    /* upper case in each field */
    static const size_t upper_at[] = {OFF_SALT, OFF_NONCE, OFF_BOX, OFF_BOX + 95};
    for (size_t i = 0; i < sizeof upper_at / sizeof upper_at[0]; i++) {
        BAD_FROM_GOOD();
        char *c = &bad[n][upper_at[i]];
        *c = (*c >= '0' && *c <= '9') ? 'A' : (char)(*c - 'a' + 'A');
        n++;
    }
    BAD_FROM_GOOD();
    memcpy(bad[n] + OFF_OPS, "000000000000000A", 16); /* 10 passes, upper case */
    n++;
    BAD_FROM_GOOD();
    memcpy(bad[n] + OFF_OPS, "+000000000000001", 16);
    n++;
    BAD_FROM_GOOD();
    memcpy(bad[n] + OFF_OPS, "0x00000000000001", 16);
    n++;
    BAD_FROM_GOOD();
    memcpy(bad[n] + OFF_OPS, "               1", 16);
    n++;
    BAD_FROM_GOOD();
    bad[n][OFF_NONCE + 7] = 'g';
    n++;
    /* separators: a tab, two spaces where one belongs */
    BAD_FROM_GOOD();
    bad[n][OFF_BOX - 1] = '\t';
    n++;
    BAD_FROM_GOOD();
    bad[n][OFF_SALT - 1] = '\0';
    n++;
    /* around the line: a leading space, a trailing space, "\r\n", two newlines */
    BAD_FROM_GOOD();
    memmove(bad[n] + 1, bad[n], LINE + 1);
    bad[n][0] = ' ';
    lens[n++] = LINE + 2;
    BAD_FROM_GOOD();
    bad[n][LINE] = ' ';
    bad[n][LINE + 1] = '\n';
    lens[n++] = LINE + 2;
    BAD_FROM_GOOD();
    bad[n][LINE] = '\r';
    bad[n][LINE + 1] = '\n';
    lens[n++] = LINE + 2;
    BAD_FROM_GOOD();
    bad[n][LINE + 1] = '\n';
    lens[n++] = LINE + 2;
    /* the right length, but something other than the newline at the end */
    BAD_FROM_GOOD();
    bad[n++][LINE] = ' ';
    BAD_FROM_GOOD();
    bad[n++][LINE] = '\r';
    BAD_FROM_GOOD();
    bad[n++][LINE] = '\0';
    /* other words: a different KDF, version, algorithm */
    BAD_FROM_GOOD();
    memcpy(bad[n] + OFF_OPS - 11, "argon2i13  ", 11);
    n++;
    BAD_FROM_GOOD();
    memcpy(bad[n] + OFF_OPS - 11, "argon2id10 ", 11);
    n++;
    BAD_FROM_GOOD();
    memcpy(bad[n] + OFF_OPS - 11, "ARGON2ID13 ", 11);
    n++;
    BAD_FROM_GOOD();
    memcpy(bad[n], "otapack-seckey-v2", 17);
    n++;
    BAD_FROM_GOOD();
    memcpy(bad[n] + 18, "ed25519-Encrypted", 17);
    n++;
    /* the empty text and the bare header */
    BAD_FROM_GOOD();
    lens[n++] = 0;
    BAD_FROM_GOOD();
    lens[n++] = OFF_OPS;
    BAD_FROM_GOOD();
    lens[n++] = 36; /* "otapack-seckey-v1 ed25519-encrypted " */
#undef BAD_FROM_GOOD
    assert_true(n <= sizeof bad / sizeof bad[0]);
    for (size_t i = 0; i < n; i++) {
        for (int with_pass = 0; with_pass <= 1; with_pass++) {
            struct ota_seckey *got = (struct ota_seckey *)&err;
            memset(&err, 0, sizeof err);
            enum ota_status rc = ota_seckey_parse_mem_pass(
                &got, bad[i], lens[i], with_pass ? PASS : NULL, with_pass ? strlen(PASS) : 0, &err);
            if (rc != OTA_E_KEY || got)
                fail_msg("case %zu (%s): status %d (%s), message '%s': '%.*s'", i,
                         with_pass ? "with passphrase" : "without", rc, ota_strerror(rc), err.msg,
                         (int)lens[i], bad[i]);
            check_no_secret(&err);
        }
    }
    ota_seckey_free(sk);
}

/* ---- plain keys, entry points without a passphrase ------------------------------------------ */

static void plain_keys_still_load(void **state)
{
    (void)state;
    static const char plain[] = OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED "\n";
    struct ota_err err;
    struct ota_seckey *a = NULL, *b;
    check_status(ota_seckey_parse_mem(&a, plain, sizeof plain - 1, &err), OTA_OK, &err);
    /* a passphrase, given for another key, is ignored for a plain one */
    b = parse(plain, sizeof plain - 1, PASS, OTA_OK, &err);
    assert_true(same_key(a, b));
    ota_seckey_free(b);
    b = parse(plain, sizeof plain - 1, NULL, OTA_OK, &err);
    assert_true(same_key(a, b));
    ota_seckey_free(b);
    ota_seckey_free(a);

    struct tmpdir t;
    tmpdir_make(&t);
    char prefix[300], keypath[320];
    snprintf(prefix, sizeof prefix, "%s/plain", t.path);
    snprintf(keypath, sizeof keypath, "%s.key", prefix);
    struct ota_seckey *sk = new_key();
    check_status(ota_seckey_write_files(sk, prefix, &err), OTA_OK, &err);
    char *text = read_text(keypath);
    assert_int_equal(strncmp(text, OTA_SECKEY_HEADER " ed25519 ", 26), 0);
    free(text);
    check_status(ota_seckey_load(&a, keypath, &err), OTA_OK, &err);
    assert_true(same_key(a, sk));
    ota_seckey_free(a);
    check_status(ota_seckey_load_pass(&a, keypath, PASS, strlen(PASS), &err), OTA_OK, &err);
    assert_true(same_key(a, sk));
    ota_seckey_free(a);
    check_status(ota_seckey_load_pass(&a, keypath, NULL, 0, &err), OTA_OK, &err);
    ota_seckey_free(a);
    ota_seckey_free(sk);
    tmpdir_remove(&t);
}

static void encrypted_without_passphrase_is_usage(void **state)
{
    (void)state;
    struct ota_err err;
    struct ota_seckey *sk = (struct ota_seckey *)&err;
    static const char line[] = KAT_LINE "\n";
    check_status(ota_seckey_parse_mem(&sk, line, sizeof line - 1, &err), OTA_E_USAGE, &err);
    assert_null(sk);
    assert_string_equal(err.msg, NEEDS_MSG);
    parse(line, sizeof line - 1, NULL, OTA_E_USAGE, &err);
    assert_string_equal(err.msg, NEEDS_MSG);
}

/* ---- files ---------------------------------------------------------------------------------- */

static void encrypted_files(void **state)
{
    (void)state;
    struct tmpdir t;
    tmpdir_make(&t);
    char prefix[300], keypath[320], pubpath[320];
    snprintf(prefix, sizeof prefix, "%s/release", t.path);
    snprintf(keypath, sizeof keypath, "%s.key", prefix);
    snprintf(pubpath, sizeof pubpath, "%s.pub", prefix);
    struct ota_seckey *sk = new_key();
    struct ota_err err = {0};

    /* no passphrase, an empty one, one too long: refused, nothing written */
    check_status(ota_seckey_write_files_encrypted(sk, prefix, NULL, 0, &err), OTA_E_USAGE, &err);
    check_status(ota_seckey_write_files_encrypted(sk, prefix, "", 0, &err), OTA_E_USAGE, &err);
    static char longpass[OTA_MAX_PASSPHRASE_LEN + 1];
    memset(longpass, 'p', sizeof longpass);
    check_status(ota_seckey_write_files_encrypted(sk, prefix, longpass, sizeof longpass, &err),
                 OTA_E_USAGE, &err);
    assert_int_equal(tmpdir_count(&t), 0);

    mode_t old = umask(0);
    enum ota_status rc = ota_seckey_write_files_encrypted(sk, prefix, PASS, strlen(PASS), &err);
    umask(old);
    check_status(rc, OTA_OK, &err);
    struct stat st;
    assert_int_equal(lstat(keypath, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(lstat(pubpath, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(tmpdir_count(&t), 2);

    /* the documented line at the default cost, and no seed in the clear */
    char *text = read_text(keypath);
    check_line_shape(text, OTA_SECKEY_OPSLIMIT_DEFAULT, OTA_SECKEY_MEMLIMIT_DEFAULT);
    char seedhex[65];
    uint8_t seed[32];
    /* the seed, as the plain file would spell it, from a plain copy of the key */
    char plainprefix[320], plainkey[340];
    snprintf(plainprefix, sizeof plainprefix, "%s/plaincopy", t.path);
    snprintf(plainkey, sizeof plainkey, "%s.key", plainprefix);
    check_status(ota_seckey_write_files(sk, plainprefix, &err), OTA_OK, &err);
    char *plaintext = read_text(plainkey);
    memcpy(seedhex, plaintext + 26, 64);
    seedhex[64] = '\0';
    assert_int_equal(sodium_hex2bin(seed, sizeof seed, seedhex, 64, NULL, NULL, NULL), 0);
    assert_null(strstr(text, seedhex));
    assert_null(memmem(text, strlen(text), seed, sizeof seed));
    free(plaintext);
    free(text);

    /* loading: no passphrase is a usage error naming the file; a wrong one is refused */
    struct ota_seckey *back = (struct ota_seckey *)&err;
    check_status(ota_seckey_load(&back, keypath, &err), OTA_E_USAGE, &err);
    assert_null(back);
    char want[600];
    snprintf(want, sizeof want, "%s: %s", keypath, NEEDS_MSG);
    assert_string_equal(err.msg, want);
    check_status(ota_seckey_load_pass(&back, keypath, NULL, 0, &err), OTA_E_USAGE, &err);
    assert_string_equal(err.msg, want);

    back = (struct ota_seckey *)&err;
    check_status(ota_seckey_load_pass(&back, keypath, "wrong", 5, &err), OTA_E_KEY, &err);
    assert_null(back);
    snprintf(want, sizeof want, "%s: %s", keypath, WRONG_MSG);
    assert_string_equal(err.msg, want);
    check_no_secret(&err);
    if (strstr(err.msg, seedhex))
        fail_msg("message shows the seed");

    check_status(ota_seckey_load_pass(&back, keypath, PASS, strlen(PASS), &err), OTA_OK, &err);
    assert_true(same_key(back, sk));
    signs_as(back, ota_seckey_public(sk));
    ota_seckey_free(back);

    /* the mode rule holds for encrypted keys too */
    assert_int_equal(chmod(keypath, 0640), 0);
    check_status(ota_seckey_load_pass(&back, keypath, PASS, strlen(PASS), &err), OTA_E_KEY, &err);
    check_msg(&err, "chmod 600");
    assert_int_equal(chmod(keypath, 0600), 0);

    /* refuses to overwrite, like the plain writer */
    check_status(ota_seckey_write_files_encrypted(sk, prefix, PASS, strlen(PASS), &err),
                 OTA_E_EXISTS, &err);
    ota_seckey_free(sk);
    tmpdir_remove(&t);
}

static void passphrase_files(void **state)
{
    (void)state;
    struct tmpdir t;
    tmpdir_make(&t);
    char path[320], link[320];
    tmpdir_file(path, sizeof path, &t, "pass");
    tmpdir_file(link, sizeof link, &t, "link");
    struct ota_err err;
    char *pass;
    size_t len;
    static const struct {
        const char *text;
        size_t text_len;
        const char *want;
        size_t want_len;
    } good[] = {
        {"hunter2", 7, "hunter2", 7},
        {"hunter2\n", 8, "hunter2", 7},
        {"hunter2\r\n", 9, "hunter2", 7},
        {"hunter2\nsecond line\n", 20, "hunter2", 7},
        {"two words \n", 11, "two words ", 10}, /* spaces are kept */
        {"a\rb\n", 4, "a\rb", 3},               /* only a final \r goes with the newline */
        {"nul\0inside\n", 11, "nul\0inside", 10},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        write_bytes(path, good[i].text, good[i].text_len, 0600);
        check_status(ota_seckey_passphrase_read(&pass, &len, path, &err), OTA_OK, &err);
        assert_int_equal(len, good[i].want_len);
        assert_memory_equal(pass, good[i].want, len);
        ota_seckey_passphrase_free(pass);
    }
    /* exactly 1024 bytes is fine; 1025 is over the limit */
    static char big[OTA_MAX_PASSPHRASE_LEN + 1];
    memset(big, 'q', sizeof big);
    write_bytes(path, big, OTA_MAX_PASSPHRASE_LEN, 0600);
    check_status(ota_seckey_passphrase_read(&pass, &len, path, &err), OTA_OK, &err);
    assert_int_equal(len, OTA_MAX_PASSPHRASE_LEN);
    ota_seckey_passphrase_free(pass);
    big[OTA_MAX_PASSPHRASE_LEN - 1] = '\n'; /* a short first line does not help a big file */
    write_bytes(path, big, sizeof big, 0600);
    pass = (char *)&err;
    check_status(ota_seckey_passphrase_read(&pass, &len, path, &err), OTA_E_LIMIT, &err);
    assert_null(pass);
    check_msg(&err, "1024");
    /* empty passphrases */
    static const char *const empty[] = {"", "\n", "\r\n", "\nsecond"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        write_bytes(path, empty[i], strlen(empty[i]), 0600);
        pass = (char *)&err;
        check_status(ota_seckey_passphrase_read(&pass, &len, path, &err), OTA_E_USAGE, &err);
        assert_null(pass);
        check_msg(&err, "empty");
    }
    /* a symlink, a folder, a missing file */
    write_bytes(path, "hunter2\n", 8, 0600);
    assert_int_equal(symlink(path, link), 0);
    assert_int_not_equal(ota_seckey_passphrase_read(&pass, &len, link, &err), OTA_OK);
    assert_null(pass);
    assert_int_not_equal(ota_seckey_passphrase_read(&pass, &len, t.path, &err), OTA_OK);
    assert_null(pass);
    char missing[320];
    tmpdir_file(missing, sizeof missing, &t, "missing");
    check_status(ota_seckey_passphrase_read(&pass, &len, missing, &err), OTA_E_NOENT, &err);
    assert_null(pass);

    /* copies: 1 to 1024 bytes */
    check_status(ota_seckey_passphrase_copy(&pass, "x", 0, &err), OTA_E_USAGE, &err);
    assert_null(pass);
    check_status(ota_seckey_passphrase_copy(&pass, big, sizeof big, &err), OTA_E_LIMIT, &err);
    assert_null(pass);
    check_status(ota_seckey_passphrase_copy(&pass, PASS, strlen(PASS), &err), OTA_OK, &err);
    assert_memory_equal(pass, PASS, strlen(PASS));
    ota_seckey_passphrase_free(pass);
    ota_seckey_passphrase_free(NULL);
    tmpdir_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_in_memory),
        cmocka_unit_test(spec_test_vector),
        cmocka_unit_test(wrong_passphrase_fails),
        cmocka_unit_test(damaged_salt_nonce_box_fail),
        cmocka_unit_test(other_valid_cost_fails),
        cmocka_unit_test(hostile_cost_rejected_before_deriving),
        cmocka_unit_test(rejects_every_other_spelling),
        cmocka_unit_test(plain_keys_still_load),
        cmocka_unit_test(encrypted_without_passphrase_is_usage),
        cmocka_unit_test(encrypted_files),
        cmocka_unit_test(passphrase_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
