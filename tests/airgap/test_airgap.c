/* test_airgap.c — air-gapped signing, the library half (packager/airgap.c).
 *
 * Proves: ota_pack_digest gives exactly "otapack/manifest/v1" NUL manifest-bytes (compared
 * with the manifest entry read independently), the same for an unsigned and a signed
 * package; a signature made with libsodium alone over those bytes, attached with
 * ota_pack_attach_signature, passes ota_pack_verify, and gives the very bytes ota_pack_sign
 * gives with the same key; the signature file decoder accepts 64 raw bytes or 128 lowercase
 * hex digits with at most one newline, and nothing else; and each forgery (bytes without the
 * domain prefix, another key, a flipped bit, a short signature, another package's manifest)
 * and a package with a tampered payload is refused with nothing written.
 */
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
#include <unistd.h>

#include "otapack/codec.h"
#include "otapack/package.h"
#include "otapack/packager.h"

/* RFC 8032, section 7.1, TEST 1: an Ed25519 seed (the otapack secret key file holds it). */
#define RFC8032_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"

static const char domain[] = "otapack/manifest/v1"; /* written out: not the macro under test */

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

struct fx {
    char dir[256];
    char img[300], pkg[300], pkg2[300], out[300];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    struct ota_pubkey key;
};

static void path_in(char *out, size_t n, const struct fx *f, const char *name)
{
    snprintf(out, n, "%s/%s", f->dir, name);
}

static size_t dir_count(const struct fx *f)
{
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void build_c(const struct fx *f, const char *out, const char *version, uint64_t sv,
                    enum ota_compression comp)
{
    struct ota_build_image im = {"app", f->img};
    struct ota_build_opts o;
    memset(&o, 0, sizeof o);
    o.product = "acme";
    o.version = version;
    o.security_version = sv;
    o.images = &im;
    o.n_images = 1;
    o.created = 1700000000;
    o.expires_in_days = 365;
    o.compression = comp;
    struct ota_err err = {0};
    check_status(ota_pack_build(out, &o, &err), OTA_OK, &err);
}

static void build(const struct fx *f, const char *out, const char *version, uint64_t sv)
{
    build_c(f, out, version, sv, OTA_COMP_ZLIB);
}

static int setup(void **state)
{
    assert_true(sodium_init() >= 0);
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *base = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/ota-unit-airgap-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    path_in(f->img, sizeof f->img, f, "app.img");
    path_in(f->pkg, sizeof f->pkg, f, "u.ota");
    path_in(f->pkg2, sizeof f->pkg2, f, "v.ota");
    path_in(f->out, sizeof f->out, f, "out.ota");
    static uint8_t img[200000];
    randombytes_buf(img, sizeof img); /* stored zlib, still ~200 kB: tamper() hits data */
    spit(f->img, img, sizeof img);
    build(f, f->pkg, "1.0", 1);
    build(f, f->pkg2, "2.0", 2);
    crypto_sign_keypair(f->pk, f->sk);
    struct ota_err err = {0};
    check_status(ota_pubkey_from_ed25519(&f->key, f->pk, &err), OTA_OK, &err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
        (void)unlink(p);
    }
    if (d)
        closedir(d);
    (void)rmdir(f->dir);
    sodium_memzero(f->sk, sizeof f->sk);
    free(f);
    return 0;
}

static enum ota_status digest_file(uint8_t **msg, size_t *len, const char *path,
                                   struct ota_err *err)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    enum ota_status rc = ota_pack_digest(msg, len, fd, err);
    close(fd);
    return rc;
}

static uint8_t *digest_ok(const char *path, size_t *len)
{
    uint8_t *msg;
    struct ota_err err = {0};
    check_status(digest_file(&msg, len, path, &err), OTA_OK, &err);
    assert_non_null(msg);
    return msg;
}

/* The manifest entry as the container reader hands it over, copied. */
static char *manifest_of(const char *path, size_t *len)
{
    size_t plen;
    uint8_t *pkg = slurp(path, &plen);
    struct ota_pkg_reader *r;
    struct ota_err err = {0};
    check_status(ota_pkg_reader_open_mem(&r, pkg, plen, &err), OTA_OK, &err);
    const char *mj, *sj;
    size_t ml, sl;
    check_status(ota_pkg_reader_head(r, &mj, &ml, &sj, &sl, &err), OTA_OK, &err);
    char *m = malloc(ml);
    assert_non_null(m);
    memcpy(m, mj, ml);
    *len = ml;
    ota_pkg_reader_free(r);
    free(pkg);
    return m;
}

static void sign_raw(uint8_t sig[64], const uint8_t *msg, size_t len, const uint8_t *sk)
{
    assert_int_equal(crypto_sign_detached(sig, NULL, msg, len, sk), 0);
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(x, y, la);
    free(x);
    free(y);
}

/* ---- the bytes to sign ---------------------------------------------------------------- */

static void test_digest_is_domain_nul_manifest(void **state)
{
    struct fx *f = *state;
    size_t len, ml;
    uint8_t *msg = digest_ok(f->pkg, &len);
    char *m = manifest_of(f->pkg, &ml);
    assert_int_equal(len, sizeof domain + ml);
    assert_memory_equal(msg, domain, sizeof domain); /* with its NUL */
    assert_int_equal(msg[sizeof domain - 1], 0);
    assert_memory_equal(msg + sizeof domain, m, ml);
    free(m);
    free(msg);
}

static void test_attach_then_verify(void **state)
{
    struct fx *f = *state;
    size_t len;
    uint8_t *msg = digest_ok(f->pkg, &len);
    uint8_t sig[64];
    sign_raw(sig, msg, len, f->sk);
    struct ota_err err = {0};
    check_status(ota_pack_attach_signature(f->pkg, f->out, sig, sizeof sig, &f->key, &err), OTA_OK,
                 &err);
    int fd = open(f->out, O_RDONLY);
    assert_true(fd >= 0);
    struct ota_pack_info info;
    check_status(ota_pack_verify(&info, fd, &f->key, 1, 1, &err), OTA_OK, &err);
    close(fd);
    assert_int_equal(info.verified.n_valid, 1);
    assert_string_equal(info.verified.valid[0], f->key.keyid);
    ota_pack_info_free(&info);
    /* signatures are not covered: the signed package gives the same bytes */
    size_t len2;
    uint8_t *msg2 = digest_ok(f->out, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(msg2, msg, len);
    /* attaching the same signature again replaces it: the same bytes */
    char again[300];
    path_in(again, sizeof again, f, "again.ota");
    check_status(ota_pack_attach_signature(f->out, again, sig, sizeof sig, &f->key, &err), OTA_OK,
                 &err);
    assert_same_file(f->out, again);
    /* in place (out_path NULL) */
    check_status(ota_pack_attach_signature(f->pkg, NULL, sig, sizeof sig, &f->key, &err), OTA_OK,
                 &err);
    assert_same_file(f->pkg, f->out);
    free(msg2);
    free(msg);
}

/* sign with the library and with libsodium over the digest, same key: the same package */
static void test_attach_equals_sign(void **state)
{
    struct fx *f = *state;
    static const char line[] = "otapack-seckey-v1 ed25519 " RFC8032_SEED "\n";
    struct ota_seckey *osk;
    struct ota_err err = {0};
    check_status(ota_seckey_parse_mem(&osk, line, sizeof line - 1, &err), OTA_OK, &err);
    uint8_t seed[32], pk[32], sk[64];
    assert_int_equal(ota_hex_decode(seed, sizeof seed, RFC8032_SEED), 0);
    crypto_sign_seed_keypair(pk, sk, seed);
    struct ota_pubkey key;
    check_status(ota_pubkey_from_ed25519(&key, pk, &err), OTA_OK, &err);
    assert_string_equal(key.keyid, ota_seckey_public(osk)->keyid);

    char by_sign[300];
    path_in(by_sign, sizeof by_sign, f, "by-sign.ota");
    const struct ota_seckey *keys[1] = {osk};
    check_status(ota_pack_sign(f->pkg, by_sign, keys, 1, &err), OTA_OK, &err);
    size_t len;
    uint8_t *msg = digest_ok(f->pkg, &len);
    uint8_t sig[64];
    sign_raw(sig, msg, len, sk);
    check_status(ota_pack_attach_signature(f->pkg, f->out, sig, sizeof sig, &key, &err), OTA_OK,
                 &err);
    assert_same_file(by_sign, f->out);
    free(msg);
    ota_seckey_free(osk);
    sodium_memzero(sk, sizeof sk);
}

/* ---- the signature file --------------------------------------------------------------- */

static void test_sig_parse(void **state)
{
    (void)state;
    uint8_t raw[64], sig[64];
    char hex[2 * 64 + 3];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (uint8_t)(0xa5 ^ i);
    ota_hex_encode(hex, raw, sizeof raw);
    struct ota_err err = {0};

    check_status(ota_pack_sig_parse_mem(sig, raw, 64, &err), OTA_OK, &err);
    assert_memory_equal(sig, raw, 64);
    memset(sig, 0, sizeof sig);
    check_status(ota_pack_sig_parse_mem(sig, hex, 128, &err), OTA_OK, &err);
    assert_memory_equal(sig, raw, 64);
    memset(sig, 0, sizeof sig);
    strcat(hex, "\n");
    check_status(ota_pack_sig_parse_mem(sig, hex, 129, &err), OTA_OK, &err);
    assert_memory_equal(sig, raw, 64);

    static const uint8_t zero[64];
    struct {
        const char *what;
        size_t len;
    } bad[] = {{"empty", 0},       {"63 raw bytes", 63},       {"65 raw bytes", 65},
               {"127 hex", 127},   {"two newlines", 130},      {"hex + CR LF", 130},
               {"uppercase", 128}, {"129th not newline", 129}, {"space", 128}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char b[2 * 64 + 3];
        ota_hex_encode(b, raw, sizeof raw); /* 128 digits */
        b[128] = '\n';
        b[129] = '\n';
        b[130] = '\0';
        if (!strcmp(bad[i].what, "hex + CR LF"))
            b[128] = '\r';
        if (!strcmp(bad[i].what, "uppercase"))
            b[10] = 'A';
        if (!strcmp(bad[i].what, "129th not newline"))
            b[128] = ' ';
        if (!strcmp(bad[i].what, "space"))
            b[0] = ' ';
        if (bad[i].len == 63 || bad[i].len == 65)
            memcpy(b, raw, 63);
        memset(sig, 0xff, sizeof sig);
        ota_err_clear(&err);
        if (ota_pack_sig_parse_mem(sig, b, bad[i].len, &err) != OTA_E_FORMAT)
            fail_msg("%s: accepted", bad[i].what);
        assert_memory_equal(sig, zero, 64); /* zeroed on failure */
        assert_true(err.msg[0] != '\0');
    }
}

/* ---- forgeries: refused, nothing written ------------------------------------------------ */

static void refused(struct fx *f, const uint8_t *sig, size_t sig_len, const struct ota_pubkey *k,
                    enum ota_status want, const char *needle)
{
    size_t before_len, n_files = dir_count(f);
    uint8_t *before = slurp(f->pkg, &before_len);
    struct ota_err err = {0};
    check_status(ota_pack_attach_signature(f->pkg, f->out, sig, sig_len, k, &err), want, &err);
    check_msg(&err, needle);
    assert_int_equal(access(f->out, F_OK), -1);
    /* in place: the package keeps its bytes */
    check_status(ota_pack_attach_signature(f->pkg, NULL, sig, sig_len, k, &err), want, &err);
    size_t after_len;
    uint8_t *after = slurp(f->pkg, &after_len);
    assert_int_equal(after_len, before_len);
    assert_memory_equal(after, before, before_len);
    assert_int_equal(dir_count(f), n_files); /* no temporary file left */
    free(before);
    free(after);
}

static void test_forgeries(void **state)
{
    struct fx *f = *state;
    size_t len, ml;
    uint8_t *msg = digest_ok(f->pkg, &len);
    char *m = manifest_of(f->pkg, &ml);
    uint8_t sig[64];
    char needle[80];
    snprintf(needle, sizeof needle, "signature does not verify with key %.16s", f->key.keyid);

    /* over the manifest alone, without the domain prefix */
    sign_raw(sig, (const uint8_t *)m, ml, f->sk);
    refused(f, sig, 64, &f->key, OTA_E_SIGNATURE, needle);

    /* by another key, filed under ours */
    uint8_t pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    sign_raw(sig, msg, len, sk2);
    refused(f, sig, 64, &f->key, OTA_E_SIGNATURE, needle);

    /* a flipped bit */
    sign_raw(sig, msg, len, f->sk);
    sig[17] ^= 0x10;
    refused(f, sig, 64, &f->key, OTA_E_SIGNATURE, needle);

    /* short */
    sig[17] ^= 0x10;
    refused(f, sig, 63, &f->key, OTA_E_FORMAT, "64 bytes");

    /* another package's manifest (mix-and-match) */
    size_t len2;
    uint8_t *msg2 = digest_ok(f->pkg2, &len2);
    sign_raw(sig, msg2, len2, f->sk);
    refused(f, sig, 64, &f->key, OTA_E_SIGNATURE, needle);

    free(msg2);
    free(m);
    free(msg);
    sodium_memzero(sk2, sizeof sk2);
}

/* One payload byte flipped in the package at path (the last data block before the
 * two-block end marker and the block before it belong to the ~200 kB payload). */
static void tamper(const char *path)
{
    size_t plen;
    uint8_t *pkg = slurp(path, &plen);
    assert_true(plen > 8 * 512);
    pkg[plen - 4 * 512 + 100] ^= 0x01;
    spit(path, pkg, plen);
    free(pkg);
}

/* a payload byte changed after the build: no digest, and a valid signature is not attached */
static void tampered(struct fx *f, enum ota_compression comp, enum ota_status want,
                     const char *needle)
{
    char path[300];
    path_in(path, sizeof path, f, "t.ota");
    build_c(f, path, "3.0", 3, comp);
    size_t len;
    uint8_t *msg = digest_ok(path, &len);
    uint8_t sig[64];
    sign_raw(sig, msg, len, f->sk);
    free(msg);
    tamper(path);

    struct ota_err err = {0};
    uint8_t *none = (uint8_t *)1;
    size_t nlen = 99;
    check_status(digest_file(&none, &nlen, path, &err), want, &err);
    check_msg(&err, needle);
    assert_null(none);
    assert_int_equal(nlen, 0);

    size_t n_files = dir_count(f);
    check_status(ota_pack_attach_signature(path, f->out, sig, sizeof sig, &f->key, &err), want,
                 &err);
    check_msg(&err, needle);
    assert_int_equal(access(f->out, F_OK), -1);
    assert_int_equal(dir_count(f), n_files);
    assert_int_equal(unlink(path), 0);
}

static void test_tampered_payload(void **state)
{
    tampered(*state, OTA_COMP_NONE, OTA_E_DIGEST, "payload 'app': sha256 mismatch");
    /* zlib's own check notices first: still refused */
    tampered(*state, OTA_COMP_ZLIB, OTA_E_FORMAT, "payload 'app'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_digest_is_domain_nul_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_then_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_equals_sign, setup, teardown),
        cmocka_unit_test(test_sig_parse),
        cmocka_unit_test_setup_teardown(test_forgeries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_payload, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
