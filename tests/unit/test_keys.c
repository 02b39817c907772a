/* test_keys.c — Ed25519 keys, signatures and threshold verification: keys/pubkey.c and
 * keys/seckey.c.
 *
 * Proves: a signature made with ota_seckey_sign verifies, and any flipped bit in message,
 * signature or key breaks it; signatures are domain-separated (checked independently with
 * libsodium over "domain || NUL || message"); key ids are the SHA-256 of TUF's canonical key
 * JSON (checked with OpenSSL); the key file parsers accept exactly one spelling; key files
 * are written with the documented modes whatever the umask, never overwritten, and a secret
 * key readable by others or reached through a symlink is refused; and the threshold rule
 * counts distinct trusted keys and fails on any bad signature by a trusted key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otapack/codec.h"
#include "otapack/key.h"
#include "otapack/seckey.h"
#include "otapack/sigblock.h"

#define OTHER_DOMAIN "otapack/keyring/v1"

/* RFC 8032, section 7.1, TEST 1: an Ed25519 seed and its public key. */
#define RFC8032_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC8032_PUB "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

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

static struct ota_seckey *new_key(void)
{
    struct ota_seckey *sk = NULL;
    struct ota_err err = {0};
    check_status(ota_seckey_generate(&sk, &err), OTA_OK, &err);
    assert_non_null(sk);
    return sk;
}

static void sign(uint8_t sig[OTA_ED25519_SIG_LEN], const char *domain, const void *msg, size_t len,
                 const struct ota_seckey *sk)
{
    struct ota_err err = {0};
    check_status(ota_seckey_sign(sig, domain, msg, len, sk, &err), OTA_OK, &err);
}

static int verify(const uint8_t *sig, const char *domain, const void *msg, size_t len,
                  const struct ota_pubkey *k)
{
    return ota_sig_verify(sig, OTA_ED25519_SIG_LEN, domain, msg, len, k);
}

/* A private folder for file tests, removed (flat) afterwards. */
struct tmpdir {
    char path[256];
};

static void tmpdir_make(struct tmpdir *t)
{
    const char *base = getenv("TMPDIR");
    snprintf(t->path, sizeof t->path, "%s/ota-unit-keys-XXXXXX", base && *base ? base : "/tmp");
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

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static char *read_file(const char *path)
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

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    return st.st_mode & 07777;
}

/* ---- signatures ---------------------------------------------------------------------- */

static void sign_and_verify(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    const struct ota_pubkey *pk = ota_seckey_public(sk);
    assert_int_equal(pk->alg, OTA_KEY_ED25519);
    uint8_t sig[OTA_ED25519_SIG_LEN];
    sign(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, sk);
    assert_int_equal(verify(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, pk), 0);
    /* an empty document can be signed too */
    sign(sig, OTA_DOMAIN_MANIFEST, "", 0, sk);
    assert_int_equal(verify(sig, OTA_DOMAIN_MANIFEST, "", 0, pk), 0);
    /* a signature of the wrong length never verifies */
    sign(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, sk);
    assert_int_equal(ota_sig_verify(sig, OTA_ED25519_SIG_LEN - 1, OTA_DOMAIN_MANIFEST,
                                    (const uint8_t *)doc, sizeof doc - 1, pk),
                     -1);
    /* two fresh keys differ */
    struct ota_seckey *sk2 = new_key();
    assert_memory_not_equal(ota_seckey_public(sk2)->pk, pk->pk, OTA_ED25519_PK_LEN);
    assert_string_not_equal(ota_seckey_public(sk2)->keyid, pk->keyid);
    assert_int_equal(verify(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, ota_seckey_public(sk2)),
                     -1);
    ota_seckey_free(sk2);
    ota_seckey_free(sk);
}

static void any_flipped_bit_fails(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    const struct ota_pubkey *pk = ota_seckey_public(sk);
    uint8_t sig[OTA_ED25519_SIG_LEN], bad[OTA_ED25519_SIG_LEN];
    uint8_t msg[sizeof doc - 1];
    memcpy(msg, doc, sizeof msg);
    sign(sig, OTA_DOMAIN_MANIFEST, msg, sizeof msg, sk);

    for (size_t bit = 0; bit < 8 * sizeof msg; bit++) {
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (verify(sig, OTA_DOMAIN_MANIFEST, msg, sizeof msg, pk) != -1)
            fail_msg("message with bit %zu flipped verifies", bit);
        msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t bit = 0; bit < 8 * sizeof sig; bit++) {
        memcpy(bad, sig, sizeof sig);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (verify(bad, OTA_DOMAIN_MANIFEST, msg, sizeof msg, pk) != -1)
            fail_msg("signature with bit %zu flipped verifies", bit);
    }
    for (size_t bit = 0; bit < 8 * OTA_ED25519_PK_LEN; bit++) {
        struct ota_pubkey k = *pk;
        k.pk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (verify(sig, OTA_DOMAIN_MANIFEST, msg, sizeof msg, &k) != -1)
            fail_msg("key with bit %zu flipped verifies", bit);
    }
    /* a message one byte shorter or longer */
    assert_int_equal(verify(sig, OTA_DOMAIN_MANIFEST, msg, sizeof msg - 1, pk), -1);
    uint8_t longer[sizeof msg + 1];
    memcpy(longer, msg, sizeof msg);
    longer[sizeof msg] = '\n';
    assert_int_equal(verify(sig, OTA_DOMAIN_MANIFEST, longer, sizeof longer, pk), -1);
    /* the unmodified triple still verifies: the loop restored everything */
    assert_int_equal(verify(sig, OTA_DOMAIN_MANIFEST, msg, sizeof msg, pk), 0);
    ota_seckey_free(sk);
}

static void domain_separation(void **state)
{
    (void)state;
    struct ota_seckey *sk = new_key();
    const struct ota_pubkey *pk = ota_seckey_public(sk);
    uint8_t sig[OTA_ED25519_SIG_LEN];

    sign(sig, OTHER_DOMAIN, doc, sizeof doc - 1, sk);
    assert_int_equal(verify(sig, OTHER_DOMAIN, doc, sizeof doc - 1, pk), 0);
    assert_int_equal(verify(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, pk), -1);

    sign(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, sk);
    assert_int_equal(verify(sig, OTHER_DOMAIN, doc, sizeof doc - 1, pk), -1);
    assert_int_equal(verify(sig, "", doc, sizeof doc - 1, pk), -1);

    /* The domain ends with its NUL, so shifting bytes between domain and document does not
     * produce the same signed message: "otapack/manifest/v" + "1..." is not a match. */
    assert_int_equal(verify(sig, "otapack/manifest/v", (const uint8_t *)"1", 1, pk), -1);
    ota_seckey_free(sk);
}

/* The signed bytes are exactly domain || NUL || document: checked with libsodium directly,
 * on the RFC 8032 key pair, so a verifier in another language can be written from the spec. */
static void signed_message_layout_matches_spec(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    static const char line[] = OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED "\n";
    struct ota_seckey *sk = NULL;
    struct ota_err err = {0};
    check_status(ota_seckey_parse_mem(&sk, line, sizeof line - 1, &err), OTA_OK, &err);
    uint8_t want_pk[32];
    assert_int_equal(ota_hex_decode(want_pk, sizeof want_pk, RFC8032_PUB), 0);
    assert_memory_equal(ota_seckey_public(sk)->pk, want_pk, sizeof want_pk);

    uint8_t sig[OTA_ED25519_SIG_LEN];
    sign(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, sk);
    size_t dl = strlen(OTA_DOMAIN_MANIFEST) + 1;
    uint8_t *m = malloc(dl + sizeof doc - 1);
    assert_non_null(m);
    memcpy(m, OTA_DOMAIN_MANIFEST, dl); /* includes the NUL */
    memcpy(m + dl, doc, sizeof doc - 1);
    assert_int_equal(crypto_sign_verify_detached(sig, m, dl + sizeof doc - 1, want_pk), 0);
    free(m);

    /* and a plain Ed25519 signature over the bare document (no domain) is not accepted */
    uint8_t seed[32], pk[32], skb[64], raw[64];
    assert_int_equal(ota_hex_decode(seed, sizeof seed, RFC8032_SEED), 0);
    assert_int_equal(crypto_sign_seed_keypair(pk, skb, seed), 0);
    assert_int_equal(crypto_sign_detached(raw, NULL, (const uint8_t *)doc, sizeof doc - 1, skb), 0);
    assert_int_equal(verify(raw, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, ota_seckey_public(sk)),
                     -1);
    sodium_memzero(skb, sizeof skb);
    ota_seckey_free(sk);
}

/* ---- key ids and key files ------------------------------------------------------------ */

static void keyid_is_sha256_of_tuf_canonical_json(void **state)
{
    (void)state;
    for (int round = 0; round < 4; round++) {
        struct ota_seckey *sk = new_key();
        const struct ota_pubkey *pk = ota_seckey_public(sk);
        char hex[2 * OTA_ED25519_PK_LEN + 1], canon[256], want[2 * SHA256_DIGEST_LENGTH + 1];
        ota_hex_encode(hex, pk->pk, OTA_ED25519_PK_LEN);
        snprintf(canon, sizeof canon,
                 "{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"%s\"},\"scheme\":\"ed25519\"}",
                 hex);
        uint8_t d[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)canon, strlen(canon), d);
        for (size_t i = 0; i < sizeof d; i++)
            snprintf(want + 2 * i, 3, "%02x", d[i]);
        assert_string_equal(pk->keyid, want);

        /* the same id comes out of ota_pubkey_from_ed25519 and of the parsed .pub line */
        struct ota_pubkey k;
        struct ota_err err = {0};
        check_status(ota_pubkey_from_ed25519(&k, pk->pk, &err), OTA_OK, &err);
        assert_string_equal(k.keyid, want);
        char line[OTA_PUBKEY_LINE_MAX];
        ota_pubkey_format(line, sizeof line, pk);
        check_status(ota_pubkey_parse_mem(&k, line, strlen(line), &err), OTA_OK, &err);
        assert_string_equal(k.keyid, want);
        assert_memory_equal(k.pk, pk->pk, OTA_ED25519_PK_LEN);
        ota_seckey_free(sk);
    }
}

static void pubkey_line_format(void **state)
{
    (void)state;
    struct ota_pubkey k;
    struct ota_err err = {0};
    static const char good[] = OTA_PUBKEY_HEADER " ed25519 " RFC8032_PUB "\n";
    check_status(ota_pubkey_parse_mem(&k, good, sizeof good - 1, &err), OTA_OK, &err);
    char line[OTA_PUBKEY_LINE_MAX];
    ota_pubkey_format(line, sizeof line, &k);
    assert_string_equal(line, good);
    /* without the final newline */
    check_status(ota_pubkey_parse_mem(&k, good, sizeof good - 2, &err), OTA_OK, &err);
    uint8_t want[32];
    assert_int_equal(ota_hex_decode(want, sizeof want, RFC8032_PUB), 0);
    assert_memory_equal(k.pk, want, sizeof want);
}

static void pubkey_parse_rejects(void **state)
{
    (void)state;
    char hex63[64], hex65[66], upper[65];
    memcpy(hex63, RFC8032_PUB, 63);
    hex63[63] = '\0';
    snprintf(hex65, sizeof hex65, "%s0", RFC8032_PUB);
    snprintf(upper, sizeof upper, "%s", RFC8032_PUB);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    const char *bodies[] = {hex63, hex65, upper};
    char bad[16][200];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER " ed25519 %s", bodies[i]);
    snprintf(bad[n++], sizeof bad[0], "otapack-pubkey-v2 ed25519 " RFC8032_PUB);
    snprintf(bad[n++], sizeof bad[0], "otapack-pubkey-v1 ed448 " RFC8032_PUB);
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 " RFC8032_PUB);
    snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER "  ed25519 " RFC8032_PUB);
    snprintf(bad[n++], sizeof bad[0], " " OTA_PUBKEY_HEADER " ed25519 " RFC8032_PUB);
    snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER " ed25519 " RFC8032_PUB " ");
    snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER " ed25519 " RFC8032_PUB "\n\n");
    snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER " ed25519 " RFC8032_PUB "\r\n");
    snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER " ed25519 " RFC8032_PUB "x");
    snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER "\ted25519 " RFC8032_PUB);
    snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER " ed25519 0x%.62s", RFC8032_PUB);
    snprintf(bad[n++], sizeof bad[0], "%s", "");
    for (size_t i = 0; i < n; i++) {
        struct ota_pubkey k;
        struct ota_err err = {0};
        memset(&k, 0xa5, sizeof k);
        enum ota_status rc = ota_pubkey_parse_mem(&k, bad[i], strlen(bad[i]), &err);
        if (rc != OTA_E_KEY)
            fail_msg("'%s': status %d (%s) '%s'", bad[i], rc, ota_strerror(rc), err.msg);
        struct ota_pubkey zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&k, &zero, sizeof k);
    }
    /* a NUL inside the declared length */
    char nul[200];
    int len = snprintf(nul, sizeof nul, OTA_PUBKEY_HEADER " ed25519 " RFC8032_PUB);
    nul[len - 5] = '\0';
    struct ota_pubkey k;
    struct ota_err err = {0};
    check_status(ota_pubkey_parse_mem(&k, nul, (size_t)len, &err), OTA_E_KEY, &err);
}

static void seckey_parse(void **state)
{
    (void)state;
    struct ota_seckey *sk = NULL;
    struct ota_err err = {0};
    static const char good[] = OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED "\n";
    check_status(ota_seckey_parse_mem(&sk, good, sizeof good - 1, &err), OTA_OK, &err);
    ota_seckey_free(sk);
    check_status(ota_seckey_parse_mem(&sk, good, sizeof good - 2, &err), OTA_OK, &err);
    ota_seckey_free(sk);

    char upper[65], hex63[64];
    snprintf(upper, sizeof upper, "%s", RFC8032_SEED);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    memcpy(hex63, RFC8032_SEED, 63);
    hex63[63] = '\0';
    char bad[16][200];
    size_t n = 0;
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 %s", upper);
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 %s", hex63);
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 %s0", RFC8032_SEED);
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 %sg", hex63);
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 %s:0", hex63);
    snprintf(bad[n++], sizeof bad[0], OTA_PUBKEY_HEADER " ed25519 " RFC8032_SEED);
    snprintf(bad[n++], sizeof bad[0], "otapack-seckey-v2 ed25519 " RFC8032_SEED);
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED "\n\n");
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED "\r\n");
    snprintf(bad[n++], sizeof bad[0], OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED " ");
    snprintf(bad[n++], sizeof bad[0], " " OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED);
    for (size_t i = 0; i < n; i++) {
        sk = (struct ota_seckey *)&err; /* must be reset to NULL */
        enum ota_status rc = ota_seckey_parse_mem(&sk, bad[i], strlen(bad[i]), &err);
        if (rc != OTA_E_KEY)
            fail_msg("'%s': status %d (%s) '%s'", bad[i], rc, ota_strerror(rc), err.msg);
        assert_null(sk);
        /* secret material never appears in an error message */
        if (strstr(err.msg, "9d61b19d") || strstr(err.msg, "9D61B19D"))
            fail_msg("error message shows the secret: '%s'", err.msg);
    }
}

static void write_files_modes_and_contents(void **state)
{
    (void)state;
    struct tmpdir t;
    tmpdir_make(&t);
    static const mode_t umasks[] = {077, 0, 022};
    for (size_t i = 0; i < sizeof umasks / sizeof umasks[0]; i++) {
        char prefix[300], keypath[320], pubpath[320];
        snprintf(prefix, sizeof prefix, "%s/release%zu", t.path, i);
        snprintf(keypath, sizeof keypath, "%s.key", prefix);
        snprintf(pubpath, sizeof pubpath, "%s.pub", prefix);
        struct ota_seckey *sk = new_key();
        struct ota_err err = {0};
        mode_t old = umask(umasks[i]);
        enum ota_status rc = ota_seckey_write_files(sk, prefix, &err);
        umask(old);
        check_status(rc, OTA_OK, &err);
        if (mode_of(keypath) != 0600 || mode_of(pubpath) != 0644)
            fail_msg("umask %03o: key mode %04o, pub mode %04o", (unsigned)umasks[i],
                     (unsigned)mode_of(keypath), (unsigned)mode_of(pubpath));

        /* PREFIX.pub is the one-line public key, PREFIX.key loads back to the same key */
        char line[OTA_PUBKEY_LINE_MAX];
        ota_pubkey_format(line, sizeof line, ota_seckey_public(sk));
        char *got = read_file(pubpath);
        assert_string_equal(got, line);
        free(got);
        got = read_file(keypath);
        assert_int_equal(strncmp(got, OTA_SECKEY_HEADER " ed25519 ", 26), 0);
        assert_int_equal(strlen(got), 26 + 64 + 1);
        free(got);

        struct ota_seckey *back = NULL;
        check_status(ota_seckey_load(&back, keypath, &err), OTA_OK, &err);
        assert_memory_equal(ota_seckey_public(back)->pk, ota_seckey_public(sk)->pk,
                            OTA_ED25519_PK_LEN);
        uint8_t sig[OTA_ED25519_SIG_LEN];
        sign(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, back);
        assert_int_equal(
            verify(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, ota_seckey_public(sk)), 0);
        ota_seckey_free(back);

        struct ota_pubkey pk;
        check_status(ota_pubkey_load(&pk, pubpath, &err), OTA_OK, &err);
        assert_memory_equal(pk.pk, ota_seckey_public(sk)->pk, OTA_ED25519_PK_LEN);
        assert_string_equal(pk.keyid, ota_seckey_public(sk)->keyid);
        ota_seckey_free(sk);
    }
    /* nothing but the key files: no temporaries left behind */
    assert_int_equal(tmpdir_count(&t), 2 * sizeof umasks / sizeof umasks[0]);
    tmpdir_remove(&t);
}

static void write_files_refuses_to_overwrite(void **state)
{
    (void)state;
    struct tmpdir t;
    tmpdir_make(&t);
    char prefix[300], keypath[320], pubpath[320];
    snprintf(prefix, sizeof prefix, "%s/k", t.path);
    snprintf(keypath, sizeof keypath, "%s.key", prefix);
    snprintf(pubpath, sizeof pubpath, "%s.pub", prefix);
    struct ota_seckey *a = new_key(), *b = new_key();
    struct ota_err err = {0};
    check_status(ota_seckey_write_files(a, prefix, &err), OTA_OK, &err);
    char *key_before = read_file(keypath), *pub_before = read_file(pubpath);
    check_status(ota_seckey_write_files(b, prefix, &err), OTA_E_EXISTS, &err);
    char *key_after = read_file(keypath), *pub_after = read_file(pubpath);
    assert_string_equal(key_after, key_before);
    assert_string_equal(pub_after, pub_before);
    free(key_before);
    free(pub_before);
    free(key_after);
    free(pub_after);

    /* only the .pub exists: still refused, and no .key appears */
    assert_int_equal(unlink(keypath), 0);
    check_status(ota_seckey_write_files(b, prefix, &err), OTA_E_EXISTS, &err);
    assert_int_equal(access(keypath, F_OK), -1);

    /* only a dangling symlink named .key exists: refused, the target is not created */
    assert_int_equal(unlink(pubpath), 0);
    char target[320];
    tmpdir_file(target, sizeof target, &t, "elsewhere");
    assert_int_equal(symlink(target, keypath), 0);
    check_status(ota_seckey_write_files(b, prefix, &err), OTA_E_EXISTS, &err);
    assert_int_equal(access(target, F_OK), -1);
    assert_int_equal(access(pubpath, F_OK), -1);

    ota_seckey_free(a);
    ota_seckey_free(b);
    tmpdir_remove(&t);
}

static void load_refuses_open_modes_and_symlinks(void **state)
{
    (void)state;
    struct tmpdir t;
    tmpdir_make(&t);
    char keypath[320], link[320], pubpath[320], publink[320];
    tmpdir_file(keypath, sizeof keypath, &t, "k.key");
    tmpdir_file(pubpath, sizeof pubpath, &t, "k.pub");
    tmpdir_file(link, sizeof link, &t, "link.key");
    tmpdir_file(publink, sizeof publink, &t, "link.pub");
    write_file(keypath, OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED "\n", 0600);
    write_file(pubpath, OTA_PUBKEY_HEADER " ed25519 " RFC8032_PUB "\n", 0644);

    struct ota_seckey *sk = NULL;
    struct ota_err err = {0};
    check_status(ota_seckey_load(&sk, keypath, &err), OTA_OK, &err);
    ota_seckey_free(sk);

    static const mode_t open_modes[] = {0640, 0604, 0660, 0644, 0601, 0610};
    for (size_t i = 0; i < sizeof open_modes / sizeof open_modes[0]; i++) {
        assert_int_equal(chmod(keypath, open_modes[i]), 0);
        sk = (struct ota_seckey *)&err;
        check_status(ota_seckey_load(&sk, keypath, &err), OTA_E_KEY, &err);
        assert_null(sk);
        check_msg(&err, "k.key");
    }
    assert_int_equal(chmod(keypath, 0400), 0); /* read-only for the owner is fine */
    check_status(ota_seckey_load(&sk, keypath, &err), OTA_OK, &err);
    ota_seckey_free(sk);
    assert_int_equal(chmod(keypath, 0600), 0);

    /* a symlink to a good key file is refused */
    assert_int_equal(symlink(keypath, link), 0);
    sk = (struct ota_seckey *)&err;
    enum ota_status rc = ota_seckey_load(&sk, link, &err);
    assert_int_not_equal(rc, OTA_OK);
    assert_null(sk);
    check_msg(&err, "link.key");

    /* the same for public keys */
    assert_int_equal(symlink(pubpath, publink), 0);
    struct ota_pubkey pk;
    assert_int_not_equal(ota_pubkey_load(&pk, publink, &err), OTA_OK);
    check_status(ota_pubkey_load(&pk, pubpath, &err), OTA_OK, &err);

    /* not a regular file; missing */
    assert_int_not_equal(ota_seckey_load(&sk, t.path, &err), OTA_OK);
    assert_int_not_equal(ota_pubkey_load(&pk, t.path, &err), OTA_OK);
    /* a key file larger than any key file can be */
    char big[320];
    tmpdir_file(big, sizeof big, &t, "big.key");
    char *text = malloc(OTA_MAX_KEYFILE_SIZE + 2);
    assert_non_null(text);
    memset(text, '\n', OTA_MAX_KEYFILE_SIZE + 1);
    memcpy(text, OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED,
           strlen(OTA_SECKEY_HEADER " ed25519 " RFC8032_SEED));
    text[OTA_MAX_KEYFILE_SIZE + 1] = '\0';
    write_file(big, text, 0600);
    free(text);
    check_status(ota_seckey_load(&sk, big, &err), OTA_E_KEY, &err);

    char missing[320];
    tmpdir_file(missing, sizeof missing, &t, "missing.key");
    check_status(ota_seckey_load(&sk, missing, &err), OTA_E_NOENT, &err);
    tmpdir_remove(&t);
}

/* ---- threshold verification ------------------------------------------------------------ */

struct fleet {
    struct ota_seckey *sk[4]; /* 0..2 trusted, 3 not */
    struct ota_pubkey trusted[3];
};

static void fleet_make(struct fleet *f)
{
    for (size_t i = 0; i < 4; i++)
        f->sk[i] = new_key();
    for (size_t i = 0; i < 3; i++)
        f->trusted[i] = *ota_seckey_public(f->sk[i]);
}

static void fleet_free(struct fleet *f)
{
    for (size_t i = 0; i < 4; i++)
        ota_seckey_free(f->sk[i]);
}

/* Adds a signature by key i over doc under domain to the block. */
static void add_sig(struct ota_sigblock *b, const struct fleet *f, size_t i, const char *domain)
{
    uint8_t sig[OTA_ED25519_SIG_LEN];
    struct ota_err err = {0};
    sign(sig, domain, doc, sizeof doc - 1, f->sk[i]);
    check_status(
        ota_sigblock_put(b, ota_seckey_public(f->sk[i])->keyid, "ed25519", sig, sizeof sig, &err),
        OTA_OK, &err);
}

static enum ota_status check(struct ota_verify_result *res, const struct ota_sigblock *b,
                             const struct fleet *f, unsigned threshold, struct ota_err *err)
{
    ota_err_clear(err);
    return ota_verify_threshold(res, OTA_DOMAIN_MANIFEST, (const uint8_t *)doc, sizeof doc - 1, b,
                                f->trusted, 3, threshold, err);
}

static void threshold_unsigned_and_unknown(void **state)
{
    (void)state;
    struct fleet f;
    fleet_make(&f);
    struct ota_sigblock b;
    struct ota_verify_result res;
    struct ota_err err;
    memset(&b, 0, sizeof b);
    check_status(check(&res, &b, &f, 1, &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "unsigned");
    assert_int_equal(res.n_valid, 0);

    /* a valid signature, but by a key nobody trusts */
    add_sig(&b, &f, 3, OTA_DOMAIN_MANIFEST);
    check_status(check(&res, &b, &f, 1, &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "trusted");
    assert_int_equal(res.n_valid, 0);

    /* threshold 0 is a caller error, never "anything goes" */
    check_status(check(&res, &b, &f, 0, &err), OTA_E_USAGE, &err);
    ota_sigblock_free(&b);
    fleet_free(&f);
}

static void threshold_two_of_three(void **state)
{
    (void)state;
    struct fleet f;
    fleet_make(&f);
    struct ota_sigblock b;
    struct ota_verify_result res;
    struct ota_err err;
    memset(&b, 0, sizeof b);

    add_sig(&b, &f, 2, OTA_DOMAIN_MANIFEST);
    check_status(check(&res, &b, &f, 1, &err), OTA_OK, &err);
    assert_int_equal(res.n_valid, 1);
    check_status(check(&res, &b, &f, 2, &err), OTA_E_SIGNATURE, &err);
    assert_int_equal(res.n_valid, 0); /* result cleared on failure */

    add_sig(&b, &f, 0, OTA_DOMAIN_MANIFEST);
    add_sig(&b, &f, 3, OTA_DOMAIN_MANIFEST); /* untrusted extra signer is ignored */
    check_status(check(&res, &b, &f, 2, &err), OTA_OK, &err);
    assert_int_equal(res.n_valid, 2);
    assert_int_equal(res.n_untrusted, 1);
    const char *a = f.trusted[0].keyid, *c = f.trusted[2].keyid;
    int found_a = 0, found_c = 0;
    for (size_t i = 0; i < res.n_valid; i++) {
        found_a |= !strcmp(res.valid[i], a);
        found_c |= !strcmp(res.valid[i], c);
    }
    assert_true(found_a && found_c);
    check_status(check(&res, &b, &f, 3, &err), OTA_E_SIGNATURE, &err);

    /* a second signature by the same key does not count twice: it replaces the first */
    struct ota_sigblock one;
    memset(&one, 0, sizeof one);
    add_sig(&one, &f, 1, OTA_DOMAIN_MANIFEST);
    add_sig(&one, &f, 1, OTA_DOMAIN_MANIFEST);
    assert_int_equal(one.n, 1);
    check_status(check(&res, &one, &f, 2, &err), OTA_E_SIGNATURE, &err);
    ota_sigblock_free(&one);
    ota_sigblock_free(&b);
    fleet_free(&f);
}

static void threshold_bad_trusted_signature_fails(void **state)
{
    (void)state;
    struct fleet f;
    fleet_make(&f);
    struct ota_sigblock b;
    struct ota_verify_result res;
    struct ota_err err;
    memset(&b, 0, sizeof b);
    add_sig(&b, &f, 0, OTA_DOMAIN_MANIFEST);
    add_sig(&b, &f, 1, OTA_DOMAIN_MANIFEST);
    add_sig(&b, &f, 2, OTA_DOMAIN_MANIFEST);
    check_status(check(&res, &b, &f, 2, &err), OTA_OK, &err);

    /* corrupt key 1's signature: the two others still suffice by count, but it must fail */
    for (size_t i = 0; i < b.n; i++)
        if (!strcmp(b.sigs[i].keyid, f.trusted[1].keyid))
            b.sigs[i].sig[17] ^= 0x01;
    check_status(check(&res, &b, &f, 1, &err), OTA_E_SIGNATURE, &err);
    char shortid[17];
    memcpy(shortid, f.trusted[1].keyid, 16);
    shortid[16] = '\0';
    check_msg(&err, shortid); /* the message names the key */
    ota_sigblock_free(&b);

    /* a trusted key's signature made under another domain is just as bad */
    memset(&b, 0, sizeof b);
    add_sig(&b, &f, 0, OTA_DOMAIN_MANIFEST);
    add_sig(&b, &f, 2, OTHER_DOMAIN);
    check_status(check(&res, &b, &f, 1, &err), OTA_E_SIGNATURE, &err);
    ota_sigblock_free(&b);

    /* a trusted key id with a signature of the wrong method is refused */
    memset(&b, 0, sizeof b);
    add_sig(&b, &f, 0, OTA_DOMAIN_MANIFEST);
    uint8_t sig[OTA_ED25519_SIG_LEN];
    sign(sig, OTA_DOMAIN_MANIFEST, doc, sizeof doc - 1, f.sk[1]);
    check_status(ota_sigblock_put(&b, f.trusted[1].keyid, "ed25519ph", sig, sizeof sig, &err),
                 OTA_OK, &err);
    check_status(check(&res, &b, &f, 1, &err), OTA_E_SIGNATURE, &err);
    ota_sigblock_free(&b);
    fleet_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sign_and_verify),
        cmocka_unit_test(any_flipped_bit_fails),
        cmocka_unit_test(domain_separation),
        cmocka_unit_test(signed_message_layout_matches_spec),
        cmocka_unit_test(keyid_is_sha256_of_tuf_canonical_json),
        cmocka_unit_test(pubkey_line_format),
        cmocka_unit_test(pubkey_parse_rejects),
        cmocka_unit_test(seckey_parse),
        cmocka_unit_test(write_files_modes_and_contents),
        cmocka_unit_test(write_files_refuses_to_overwrite),
        cmocka_unit_test(load_refuses_open_modes_and_symlinks),
        cmocka_unit_test(threshold_unsigned_and_unknown),
        cmocka_unit_test(threshold_two_of_three),
        cmocka_unit_test(threshold_bad_trusted_signature_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
