/* test_keyring.c — keyrings, the library half (formats/keyring_doc.c, keys/keyring.c,
 * packager/keyring.c).
 *
 * Proves: the canonical JSON of a keyring is TUF's (OLPC: sorted keys, no whitespace, only
 * '"' and '\' escaped, so PEM newlines stay raw bytes), byte for byte against a golden
 * string; an Ed25519 key's id in a keyring equals the id otapack computes for the key file;
 * a written keyring parses back to the same signed bytes; each malformed document is a
 * named refusal; every single-bit flip of a signed keyring is refused (by the parser or by
 * the signature check); the rotation rule: signed by the old root threshold AND its own, the
 * version exactly one up; following a chain from a signature block (skip history, refuse a
 * fork of the current version, refuse an older newest); the version-0 keyring of plain
 * keys rotates to a real one; an ECDSA P-256 root key (OpenSSL) signs a keyring that
 * verifies; expiry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otapack/codec.h"
#include "otapack/digest.h"
#include "otapack/keyring.h"
#include "otapack/packager.h"

static char dir[] = "/tmp/otapack-keyring-XXXXXX";

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

/* A fresh Ed25519 key pair written as PREFIX.key / PREFIX.pub in the test folder. */
static struct ota_seckey *newkey(const char *name, char *pub, size_t n)
{
    struct ota_seckey *sk;
    struct ota_err err;
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s/%s", dir, name);
    snprintf(pub, n, "%s.pub", prefix);
    assert_int_equal(ota_seckey_generate(&sk, &err), OTA_OK);
    char keyf[310];
    snprintf(keyf, sizeof keyf, "%s.key", prefix);
    unlink(pub); /* the tests make the same names more than once */
    unlink(keyf);
    assert_int_equal(ota_seckey_write_files(sk, prefix, &err), OTA_OK);
    return sk;
}

struct ring {
    struct ota_seckey *root_a, *root_b, *rel;
    char root_a_pub[320], root_b_pub[320], rel_pub[320];
};

static struct ota_keyring *make_v1(const struct ring *r, int64_t expires)
{
    const char *roots[] = {r->root_a_pub}, *rels[] = {r->rel_pub};
    struct ota_keyring_new_opts o = {.version = 1,
                                     .expires = expires,
                                     .root_keys = roots,
                                     .n_root = 1,
                                     .release_keys = rels,
                                     .n_release = 1};
    struct ota_keyring *kr;
    struct ota_err err;
    check_status(ota_pack_keyring_new(&kr, &o, &err), OTA_OK, &err);
    check_status(ota_pack_keyring_sign(kr, r->root_a, &err), OTA_OK, &err);
    return kr;
}

static void ring_setup(struct ring *r)
{
    r->root_a = newkey("root_a", r->root_a_pub, sizeof r->root_a_pub);
    r->root_b = newkey("root_b", r->root_b_pub, sizeof r->root_b_pub);
    r->rel = newkey("rel", r->rel_pub, sizeof r->rel_pub);
}

static void ring_free(struct ring *r)
{
    ota_seckey_free(r->root_a);
    ota_seckey_free(r->root_b);
    ota_seckey_free(r->rel);
}

static char *serialize(const struct ota_keyring *kr, size_t *len)
{
    char *t;
    struct ota_err err;
    check_status(ota_keyring_doc_serialize(&t, len, &kr->doc, &err), OTA_OK, &err);
    return t;
}

/* ---- canonical JSON ------------------------------------------------------------------- */

static void test_canonical_golden(void **state)
{
    (void)state;
    struct ota_keyring_doc d;
    struct ota_err err;
    memset(&d, 0, sizeof d);
    snprintf(d.spec_version, sizeof d.spec_version, "1.0.31");
    d.version = 7;
    d.expires = 86400;
    const char *id = "00000000000000000000000000000000000000000000000000000000000000ff";
    size_t idx;
    check_status(ota_keyring_doc_add_key(&d, &idx, id, "ecdsa", "ecdsa-sha2-nistp256", "public",
                                         "A\"b\\c\nd\xc3\xa9", &err),
                 OTA_OK, &err);
    for (int r = 0; r < OTA_N_ROLES; r++) {
        d.roles[r].n = 1;
        d.roles[r].key[0] = idx;
        d.roles[r].threshold = 1;
    }
    char *c;
    size_t cl;
    check_status(ota_keyring_doc_signed_bytes(&c, &cl, &d, &err), OTA_OK, &err);
    const char *want =
        "{\"_type\":\"root\",\"consistent_snapshot\":false,\"expires\":\"1970-01-02T00:00:00Z\","
        "\"keys\":{\"00000000000000000000000000000000000000000000000000000000000000ff\":"
        "{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"A\\\"b\\\\c\nd\xc3\xa9\"},"
        "\"scheme\":\"ecdsa-sha2-nistp256\"}},\"roles\":{"
        "\"root\":{\"keyids\":["
        "\"00000000000000000000000000000000000000000000000000000000000000ff\"],\"threshold\":1},"
        "\"snapshot\":{\"keyids\":["
        "\"00000000000000000000000000000000000000000000000000000000000000ff\"],\"threshold\":1},"
        "\"targets\":{\"keyids\":["
        "\"00000000000000000000000000000000000000000000000000000000000000ff\"],\"threshold\":1},"
        "\"timestamp\":{\"keyids\":["
        "\"00000000000000000000000000000000000000000000000000000000000000ff\"],\"threshold\":1}},"
        "\"spec_version\":\"1.0.31\",\"version\":7}";
    assert_int_equal(cl, strlen(want));
    assert_memory_equal(c, want, cl);
    free(c);
    ota_keyring_doc_free(&d);
}

static void test_keyid_matches_key_file(void **state)
{
    (void)state;
    struct ring r;
    ring_setup(&r);
    struct ota_keyring *kr = make_v1(&r, 4102444800);
    long i = ota_keyring_find(kr, ota_seckey_public(r.rel)->keyid);
    assert_true(i >= 0);
    assert_string_equal(kr->keys[i].keyid, ota_seckey_public(r.rel)->keyid);
    /* written and read back: the same signed bytes, the self-signature holds */
    size_t len, n;
    char *t = serialize(kr, &len);
    struct ota_keyring *back;
    struct ota_err err;
    check_status(ota_keyring_parse_mem(&back, t, len, &err), OTA_OK, &err);
    assert_int_equal(back->signed_len, kr->signed_len);
    assert_memory_equal(back->signed_bytes, kr->signed_bytes, kr->signed_len);
    check_status(ota_keyring_signed_by(&n, back, back, OTA_ROLE_ROOT, &err), OTA_OK, &err);
    assert_int_equal(n, 1);
    free(t);
    ota_keyring_free(back);
    ota_keyring_free(kr);
    ring_free(&r);
}

/* ---- malformed documents ---------------------------------------------------------------- */

/* Replaces the first occurrence of from in s by to (s has room). */
static int replace(char *s, size_t cap, const char *from, const char *to)
{
    char *p = strstr(s, from);
    if (!p || strlen(s) - strlen(from) + strlen(to) >= cap)
        return -1;
    memmove(p + strlen(to), p + strlen(from), strlen(p + strlen(from)) + 1);
    memcpy(p, to, strlen(to));
    return 0;
}

static void test_malformed(void **state)
{
    (void)state;
    struct ring r;
    ring_setup(&r);
    struct ota_keyring *kr = make_v1(&r, 4102444800);
    size_t len;
    char *good = serialize(kr, &len);
    char rel_id[80], root_id[80];
    snprintf(rel_id, sizeof rel_id, "\"%s\"", ota_seckey_public(r.rel)->keyid);
    snprintf(root_id, sizeof root_id, "\"%s\"", ota_seckey_public(r.root_a)->keyid);
    static const struct {
        const char *from, *to, *msg;
    } cases[] = {
        {"\"_type\": \"root\"", "\"_type\": \"targets\"", "_type is not 'root'"},
        {"\"spec_version\": \"1.0.31\"", "\"spec_version\": \"2.0.0\"", "not 1.x"},
        {"\"version\": 1", "\"version\": 0", "version must be at least 1"},
        {"\"version\": 1", "\"version\": -1", "out of range"},
        {"\"version\": 1", "\"version\": 1.0", "not an integer"},
        {"\"consistent_snapshot\": false", "\"consistent_snapshot\": 0", "not a boolean"},
        {"\"consistent_snapshot\": false", "\"consistent_snapshot\": false, \"x\": 1",
         "unknown field 'x'"},
        {"Z\"", " \"", "expires is not"},
        {"\"threshold\": 1", "\"threshold\": 0", "threshold 0"},
        {"\"threshold\": 1", "\"threshold\": 2", "threshold 2 with 1 keys"},
        {"\"timestamp\": {", "\"admin\": {\"keyids\": [], \"threshold\": 1}, \"timestamp\": {",
         "unknown field 'admin'"},
        {"\"keytype\": \"ed25519\"", "\"keytype\": \"rsa\"", "unsupported key type 'rsa'"},
        {"\"public\": \"", "\"public\": \"00", "not 64 lowercase hex"},
        {"\"public\":", "\"private\":", "not 'public' or 'certificate'"},
        {"\"signatures\": [", "\"signatures\": [{\"keyid\": \"zz\", \"sig\": \"00\"}, ",
         "not 64 lowercase hex"},
        {"\"signed\"", "\"Signed\"", "unknown field 'Signed'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[16384];
        struct ota_keyring *bad;
        struct ota_err err;
        assert_true(len < sizeof buf);
        memcpy(buf, good, len + 1);
        if (replace(buf, sizeof buf, cases[i].from, cases[i].to) != 0)
            fail_msg("case %zu: '%s' not in the document", i, cases[i].from);
        enum ota_status rc = ota_keyring_parse_mem(&bad, buf, strlen(buf), &err);
        if (rc == OTA_OK)
            fail_msg("case %zu (%s) accepted", i, cases[i].msg);
        assert_null(bad);
        check_msg(&err, cases[i].msg);
    }
    /* a key listed under an id that is not its own */
    char buf[16384];
    struct ota_keyring *bad;
    struct ota_err err;
    memcpy(buf, good, len + 1);
    char wrong[80] = "\"00000000000000000000000000000000000000000000000000000000000000aa\"";
    while (replace(buf, sizeof buf, rel_id, wrong) == 0)
        ;
    assert_int_not_equal(ota_keyring_parse_mem(&bad, buf, strlen(buf), &err), OTA_OK);
    check_msg(&err, "not the id it is listed under");
    /* a role naming a key the keyring does not hold */
    memcpy(buf, good, len + 1);
    char *keys_at = strstr(buf, "\"roles\"");
    assert_non_null(keys_at);
    assert_int_equal(replace(keys_at, sizeof buf - (size_t)(keys_at - buf), root_id, wrong), 0);
    assert_int_not_equal(ota_keyring_parse_mem(&bad, buf, strlen(buf), &err), OTA_OK);
    check_msg(&err, "is not a key of the keyring");
    /* too large */
    assert_int_equal(ota_keyring_parse_mem(&bad, good, OTA_MAX_KEYRING_SIZE + 1, &err),
                     OTA_E_LIMIT);
    free(good);
    ota_keyring_free(kr);
    ring_free(&r);
}

static void test_flipped_bits(void **state)
{
    (void)state;
    struct ring r;
    ring_setup(&r);
    struct ota_keyring *kr = make_v1(&r, 4102444800);
    size_t len;
    char *good = serialize(kr, &len);
    size_t refused = 0;
    for (size_t i = 0; i < len; i++)
        for (int b = 0; b < 8; b++) {
            good[i] ^= (char)(1 << b);
            struct ota_keyring *x;
            struct ota_err err;
            size_t n;
            if (ota_keyring_parse_mem(&x, good, len, &err) != OTA_OK ||
                ota_keyring_signed_by(&n, x, x, OTA_ROLE_ROOT, &err) != OTA_OK)
                refused++;
            else
                fail_msg("byte %zu bit %d flipped: still a valid self-signed keyring", i, b);
            ota_keyring_free(x);
            good[i] ^= (char)(1 << b);
        }
    assert_int_equal(refused, len * 8);
    free(good);
    ota_keyring_free(kr);
    ring_free(&r);
}

/* ---- rotation ---------------------------------------------------------------------------- */

/* v2 from v1: root_a replaced by root_b; signed by the given keys. */
static struct ota_keyring *make_v2(const struct ring *r, const struct ota_keyring *v1, int by_a,
                                   int by_b)
{
    struct ota_keyring *v2;
    struct ota_err err;
    char id[OTA_KEYID_HEX_LEN + 1];
    check_status(ota_pack_keyring_next(&v2, v1, 4102444800, &err), OTA_OK, &err);
    check_status(ota_pack_keyring_add_key(v2, OTA_ROLE_ROOT, r->root_b_pub, id, &err), OTA_OK,
                 &err);
    check_status(ota_pack_keyring_remove_key(v2, OTA_ROLE_ROOT, r->root_a_pub, &err), OTA_OK, &err);
    if (by_a)
        check_status(ota_pack_keyring_sign(v2, r->root_a, &err), OTA_OK, &err);
    if (by_b)
        check_status(ota_pack_keyring_sign(v2, r->root_b, &err), OTA_OK, &err);
    return v2;
}

static void test_rotation_rule(void **state)
{
    (void)state;
    struct ring r;
    ring_setup(&r);
    struct ota_err err;
    struct ota_keyring *v1 = make_v1(&r, 4102444800);
    struct ota_keyring *both = make_v2(&r, v1, 1, 1), *old_only = make_v2(&r, v1, 1, 0),
                       *new_only = make_v2(&r, v1, 0, 1);
    check_status(ota_keyring_rotate_check(v1, both, &err), OTA_OK, &err);
    check_status(ota_keyring_rotate_check(v1, new_only, &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "0 valid signatures by the root keys of v1");
    check_status(ota_keyring_rotate_check(v1, old_only, &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "0 valid signatures by the root keys of v2");
    check_status(ota_keyring_rotate_check(both, v1, &err), OTA_E_ROLLBACK, &err);
    check_status(ota_keyring_rotate_check(v1, v1, &err), OTA_E_ROLLBACK, &err);
    /* a version skipped */
    struct ota_keyring *v3;
    check_status(ota_pack_keyring_next(&v3, both, 4102444800, &err), OTA_OK, &err);
    check_status(ota_pack_keyring_sign(v3, r.root_b, &err), OTA_OK, &err);
    check_status(ota_keyring_rotate_check(both, v3, &err), OTA_OK, &err);
    check_status(ota_keyring_rotate_check(v1, v3, &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "does not follow v1");

    /* following a chain from a signature block */
    struct ota_sigblock b;
    memset(&b, 0, sizeof b);
    size_t l1, l2, l3;
    char *t1 = serialize(v1, &l1), *t2 = serialize(both, &l2), *t3 = serialize(v3, &l3);
    const char *texts[] = {t1, t2, t3};
    size_t lens[] = {l1, l2, l3};
    check_status(ota_sigblock_set_keyrings(&b, texts, lens, 3, &err), OTA_OK, &err);
    struct ota_keyring *newest;
    check_status(ota_keyring_advance(&newest, v1, &b, &err), OTA_OK, &err);
    assert_non_null(newest);
    assert_int_equal(newest->doc.version, 3);
    ota_keyring_free(newest);
    check_status(ota_keyring_advance(&newest, both, &b, &err), OTA_OK, &err);
    assert_int_equal(newest->doc.version, 3);
    ota_keyring_free(newest);
    check_status(ota_keyring_advance(&newest, v3, &b, &err), OTA_OK, &err);
    assert_null(newest); /* nothing newer */
    /* a fork of the device's version: other contents under the same number */
    struct ota_keyring *fork;
    check_status(ota_pack_keyring_next(&fork, v1, 4102444801, &err), OTA_OK, &err);
    check_status(ota_pack_keyring_sign(fork, r.root_a, &err), OTA_OK, &err);
    check_status(ota_keyring_advance(&newest, fork, &b, &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "not the device's keyring v2");
    ota_keyring_free(fork);
    /* the same contents with other signatures is the same keyring */
    check_status(ota_keyring_advance(&newest, new_only, &b, &err), OTA_OK, &err);
    assert_int_equal(newest->doc.version, 3);
    ota_keyring_free(newest);
    /* only history: the newest carried is older than the device's */
    check_status(ota_sigblock_set_keyrings(&b, texts, lens, 2, &err), OTA_OK, &err);
    check_status(ota_keyring_advance(&newest, v3, &b, &err), OTA_E_ROLLBACK, &err);
    check_msg(&err, "package carries keyring v2, older than the device's v3");
    /* the chain in the wrong order, or a version twice: one order for every device */
    const char *rev[] = {t2, t1}, *dup[] = {t2, t2};
    size_t rl[] = {l2, l1}, dl[] = {l2, l2};
    check_status(ota_sigblock_set_keyrings(&b, rev, rl, 2, &err), OTA_OK, &err);
    check_status(ota_keyring_advance(&newest, v1, &b, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "keyring v1 after v2");
    check_status(ota_sigblock_set_keyrings(&b, dup, dl, 2, &err), OTA_OK, &err);
    check_status(ota_keyring_advance(&newest, v1, &b, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "keyring v2 after v2");
    /* survives a serialisation of the block */
    char *sj;
    size_t sl;
    struct ota_sigblock b2;
    check_status(ota_sigblock_set_keyrings(&b, texts, lens, 3, &err), OTA_OK, &err);
    check_status(ota_sigblock_serialize(&sj, &sl, &b, &err), OTA_OK, &err);
    check_status(ota_sigblock_parse_mem(&b2, sj, sl, &err), OTA_OK, &err);
    assert_int_equal(b2.n_keyrings, 3);
    check_status(ota_keyring_advance(&newest, v1, &b2, &err), OTA_OK, &err);
    assert_int_equal(newest->doc.version, 3);
    ota_keyring_free(newest);
    free(sj);
    ota_sigblock_free(&b2);
    ota_sigblock_free(&b);
    free(t1);
    free(t2);
    free(t3);
    ota_keyring_free(v3);
    ota_keyring_free(both);
    ota_keyring_free(old_only);
    ota_keyring_free(new_only);
    ota_keyring_free(v1);
    ring_free(&r);
}

static void test_version0_and_expiry(void **state)
{
    (void)state;
    struct ring r;
    ring_setup(&r);
    struct ota_err err;
    struct ota_keyring *v0, *v1 = make_v1(&r, 1000000);
    check_status(ota_keyring_from_keys(&v0, ota_seckey_public(r.rel), 1, 1, &err), OTA_OK, &err);
    assert_int_equal(v0->doc.version, 0);
    check_status(ota_keyring_check_expiry(v0, OTA_MAX_TIME, &err), OTA_OK, &err);
    /* v1 signed by its root only: not by the plain key */
    check_status(ota_keyring_rotate_check(v0, v1, &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "root keys of v0");
    check_status(ota_pack_keyring_sign(v1, r.rel, &err), OTA_OK, &err);
    check_status(ota_keyring_rotate_check(v0, v1, &err), OTA_OK, &err);
    check_status(ota_keyring_check_expiry(v1, 999999, &err), OTA_OK, &err);
    check_status(ota_keyring_check_expiry(v1, 1000000, &err), OTA_E_EXPIRED, &err);
    check_msg(&err, "keyring v1 expired at 1970-01-12T13:46:40Z");
    ota_keyring_free(v0);
    ota_keyring_free(v1);
    ring_free(&r);
}

/* An ECDSA P-256 root key, made and used by OpenSSL alone, signs a keyring. */
static void test_ecdsa_root(void **state)
{
    (void)state;
    struct ring r;
    ring_setup(&r);
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    assert_non_null(pk);
    char pem_path[320];
    snprintf(pem_path, sizeof pem_path, "%s/ec.pub.pem", dir);
    FILE *f = fopen(pem_path, "w");
    assert_non_null(f);
    assert_true(PEM_write_PUBKEY(f, pk));
    fclose(f);
    const char *roots[] = {pem_path}, *rels[] = {r.rel_pub};
    struct ota_keyring_new_opts o = {.version = 1,
                                     .expires = 4102444800,
                                     .root_keys = roots,
                                     .n_root = 1,
                                     .release_keys = rels,
                                     .n_release = 1};
    struct ota_keyring *kr;
    struct ota_err err;
    check_status(ota_pack_keyring_new(&kr, &o, &err), OTA_OK, &err);
    const struct ota_kr_role *root = &kr->doc.roles[OTA_ROLE_ROOT];
    assert_string_equal(kr->doc.keys[root->key[0]].keytype, "ecdsa");
    /* sign the canonical bytes with OpenSSL: DER ECDSA over SHA-256 */
    unsigned char sig[128];
    size_t sl = sizeof sig;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, pk), 1);
    assert_int_equal(
        EVP_DigestSign(c, sig, &sl, (const unsigned char *)kr->signed_bytes, kr->signed_len), 1);
    EVP_MD_CTX_free(c);
    size_t n;
    check_status(ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, &err), OTA_E_SIGNATURE, &err);
    check_status(ota_keyring_doc_put_sig(&kr->doc, kr->doc.keys[root->key[0]].keyid, sig, sl, &err),
                 OTA_OK, &err);
    check_status(ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, &err), OTA_OK, &err);
    /* and survives the file round trip */
    size_t len;
    char *t = serialize(kr, &len);
    struct ota_keyring *back;
    check_status(ota_keyring_parse_mem(&back, t, len, &err), OTA_OK, &err);
    check_status(ota_keyring_signed_by(&n, back, back, OTA_ROLE_ROOT, &err), OTA_OK, &err);
    sig[sl / 2] ^= 1;
    check_status(ota_keyring_doc_put_sig(&kr->doc, kr->doc.keys[root->key[0]].keyid, sig, sl, &err),
                 OTA_OK, &err);
    check_status(ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, &err), OTA_E_SIGNATURE, &err);
    free(t);
    ota_keyring_free(back);
    ota_keyring_free(kr);
    EVP_PKEY_free(pk);
    ring_free(&r);
}

/* An ECDSA key has one spelling: a compressed point is the same key under another key id, and
 * would count twice toward a threshold. */
static void test_ecdsa_one_spelling(void **state)
{
    (void)state;
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    assert_non_null(pk);
    char *pem[2];
    size_t len[2];
    for (int c = 0; c < 2; c++) {
        if (c)
            assert_int_equal(EVP_PKEY_set_utf8_string_param(pk, "point-format", "compressed"), 1);
        BIO *b = BIO_new(BIO_s_mem());
        assert_true(PEM_write_bio_PUBKEY(b, pk));
        char *data;
        long n = BIO_get_mem_data(b, &data);
        pem[c] = strndup(data, (size_t)n);
        len[c] = (size_t)n;
        BIO_free(b);
    }
    assert_int_not_equal(len[0], len[1]);
    struct ota_pubkey k;
    struct ota_err err;
    check_status(ota_pubkey_parse_pem(&k, pem[0], len[0], &err), OTA_OK, &err);
    assert_int_equal(k.alg, OTA_KEY_ECDSA_P256);
    check_status(ota_pubkey_parse_pem(&k, pem[1], len[1], &err), OTA_E_KEY, &err);
    check_msg(&err, "uncompressed point");
    free(pem[0]);
    free(pem[1]);
    EVP_PKEY_free(pk);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_golden), cmocka_unit_test(test_keyid_matches_key_file),
        cmocka_unit_test(test_malformed),        cmocka_unit_test(test_flipped_bits),
        cmocka_unit_test(test_rotation_rule),    cmocka_unit_test(test_version0_and_expiry),
        cmocka_unit_test(test_ecdsa_root),       cmocka_unit_test(test_ecdsa_one_spelling),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
