/* test_sigblock.c — signatures.json: formats/sigblock.c.
 *
 * Proves: a block survives put -> serialize -> parse with every entry intact, entries are
 * kept sorted by key id whatever the insertion order, a put by the same key id replaces its
 * entry, serialisation is deterministic, and the parser rejects what would let one key count
 * twice or smuggle data (a key id listed twice, too many entries, non-canonical hex, unknown
 * fields) while still accepting signature methods it does not know (verifiers skip them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/codec.h"
#include "otapack/sigblock.h"

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

/* A key id whose 32 bytes are all b: 64 lowercase hex digits. */
static void keyid_of(char out[OTA_KEYID_HEX_LEN + 1], uint8_t b)
{
    uint8_t raw[OTA_KEYID_HEX_LEN / 2];
    memset(raw, b, sizeof raw);
    ota_hex_encode(out, raw, sizeof raw);
}

/* A signature of len bytes derived from seed. */
static void sig_of(uint8_t *out, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(seed * 31 + i * 7);
}

static void put_ok(struct ota_sigblock *b, uint8_t id, const char *method, uint8_t seed)
{
    char keyid[OTA_KEYID_HEX_LEN + 1];
    uint8_t sig[64];
    struct ota_err err = {0};
    keyid_of(keyid, id);
    sig_of(sig, sizeof sig, seed);
    check_status(ota_sigblock_put(b, keyid, method, sig, sizeof sig, &err), OTA_OK, &err);
}

static enum ota_status parse_text(struct ota_sigblock *b, const char *text, struct ota_err *err)
{
    ota_err_clear(err);
    enum ota_status rc = ota_sigblock_parse_mem(b, text, strlen(text), err);
    if (rc != OTA_OK)
        assert_int_equal(b->n, 0); /* on failure the block is empty */
    return rc;
}

/* One entry as JSON text. */
static void entry_text(char *out, size_t outsz, uint8_t id, const char *method, const char *hex)
{
    char keyid[OTA_KEYID_HEX_LEN + 1];
    keyid_of(keyid, id);
    snprintf(out, outsz, "{\"keyid\":\"%s\",\"method\":\"%s\",\"sig\":\"%s\"}", keyid, method, hex);
}

static void expect_reject_doc(const char *doc, enum ota_status want, const char *needle)
{
    struct ota_sigblock b;
    struct ota_err err;
    memset(&b, 0xa5, sizeof b);
    enum ota_status rc = parse_text(&b, doc, &err);
    if (rc != want)
        fail_msg("document %.200s: status %d (%s), expected %d (%s); message '%s'", doc, rc,
                 ota_strerror(rc), want, ota_strerror(want), err.msg);
    check_msg(&err, needle);
    ota_sigblock_free(&b);
}

/* ---- round trip ----------------------------------------------------------------------- */

static void put_serialize_parse_round_trip(void **state)
{
    (void)state;
    struct ota_sigblock b, back;
    struct ota_err err = {0};
    memset(&b, 0, sizeof b);
    /* inserted out of order, with signatures of different lengths and methods */
    put_ok(&b, 0x77, "ed25519", 1);
    put_ok(&b, 0x11, "ed25519", 2);
    char keyid[OTA_KEYID_HEX_LEN + 1];
    uint8_t big[300];
    sig_of(big, sizeof big, 3);
    keyid_of(keyid, 0x44);
    check_status(ota_sigblock_put(&b, keyid, "x509-cms", big, sizeof big, &err), OTA_OK, &err);
    assert_int_equal(b.n, 3);

    char *text;
    size_t len;
    check_status(ota_sigblock_serialize(&text, &len, &b, &err), OTA_OK, &err);
    assert_int_equal(strlen(text), len);
    check_status(ota_sigblock_parse_mem(&back, text, len, &err), OTA_OK, &err);
    assert_int_equal(back.n, b.n);
    for (size_t i = 0; i < b.n; i++) {
        assert_string_equal(back.sigs[i].keyid, b.sigs[i].keyid);
        assert_string_equal(back.sigs[i].method, b.sigs[i].method);
        assert_int_equal(back.sigs[i].sig_len, b.sigs[i].sig_len);
        assert_memory_equal(back.sigs[i].sig, b.sigs[i].sig, b.sigs[i].sig_len);
    }
    assert_int_equal(back.sigs[1].sig_len, sizeof big);
    assert_memory_equal(back.sigs[1].sig, big, sizeof big);

    /* independent reader: the documented shape, signatures in lowercase hex */
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "format")), 1);
    json_t *arr = json_object_get(root, "signatures");
    assert_int_equal(json_array_size(arr), 3);
    char hex[2 * sizeof big + 1];
    ota_hex_encode(hex, big, sizeof big);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "sig")), hex);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "keyid")), keyid);
    json_decref(root);

    ota_sigblock_free(&back);
    ota_sigblock_free(&b);
    free(text);
}

static void entries_sorted_by_keyid(void **state)
{
    (void)state;
    static const uint8_t order[] = {0x90, 0x05, 0xff, 0x42, 0x00, 0x43, 0xa0};
    struct ota_sigblock b;
    memset(&b, 0, sizeof b);
    for (size_t i = 0; i < sizeof order; i++)
        put_ok(&b, order[i], "ed25519", order[i]);
    assert_int_equal(b.n, sizeof order);
    for (size_t i = 1; i < b.n; i++)
        if (strcmp(b.sigs[i - 1].keyid, b.sigs[i].keyid) >= 0)
            fail_msg("entry %zu (%s) not after entry %zu (%s)", i, b.sigs[i].keyid, i - 1,
                     b.sigs[i - 1].keyid);
    /* each entry still carries its own signature after the moves */
    for (size_t i = 0; i < b.n; i++) {
        uint8_t want[64];
        uint8_t id;
        const char first[3] = {b.sigs[i].keyid[0], b.sigs[i].keyid[1], '\0'};
        assert_int_equal(ota_hex_decode(&id, 1, first), 0);
        sig_of(want, sizeof want, id);
        assert_memory_equal(b.sigs[i].sig, want, sizeof want);
    }

    /* a document listing entries out of order parses into sorted order too */
    char e1[256], e2[256], doc[700];
    char hex[129];
    uint8_t sig[64];
    sig_of(sig, sizeof sig, 9);
    ota_hex_encode(hex, sig, sizeof sig);
    entry_text(e1, sizeof e1, 0xcc, "ed25519", hex);
    entry_text(e2, sizeof e2, 0x33, "ed25519", hex);
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s,%s]}", e1, e2);
    struct ota_sigblock p;
    struct ota_err err;
    check_status(parse_text(&p, doc, &err), OTA_OK, &err);
    assert_int_equal(p.n, 2);
    assert_true(strcmp(p.sigs[0].keyid, p.sigs[1].keyid) < 0);
    ota_sigblock_free(&p);
    ota_sigblock_free(&b);
}

static void put_same_keyid_replaces(void **state)
{
    (void)state;
    struct ota_sigblock b;
    memset(&b, 0, sizeof b);
    put_ok(&b, 0x10, "ed25519", 1);
    put_ok(&b, 0x20, "ed25519", 2);
    put_ok(&b, 0x30, "ed25519", 3);
    put_ok(&b, 0x20, "other", 99);
    assert_int_equal(b.n, 3);
    char keyid[OTA_KEYID_HEX_LEN + 1];
    keyid_of(keyid, 0x20);
    assert_string_equal(b.sigs[1].keyid, keyid);
    assert_string_equal(b.sigs[1].method, "other");
    uint8_t want[64];
    sig_of(want, sizeof want, 99);
    assert_memory_equal(b.sigs[1].sig, want, sizeof want);
    /* neighbours untouched */
    sig_of(want, sizeof want, 1);
    assert_memory_equal(b.sigs[0].sig, want, sizeof want);
    sig_of(want, sizeof want, 3);
    assert_memory_equal(b.sigs[2].sig, want, sizeof want);
    ota_sigblock_free(&b);
}

static void serialisation_is_deterministic(void **state)
{
    (void)state;
    struct ota_sigblock a, b, back;
    struct ota_err err = {0};
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    /* same entries, different insertion orders */
    put_ok(&a, 1, "ed25519", 1);
    put_ok(&a, 2, "ed25519", 2);
    put_ok(&a, 3, "ed25519", 3);
    put_ok(&b, 3, "ed25519", 3);
    put_ok(&b, 1, "ed25519", 1);
    put_ok(&b, 2, "ed25519", 2);
    char *ta, *tb, *tc;
    size_t la, lb, lc;
    check_status(ota_sigblock_serialize(&ta, &la, &a, &err), OTA_OK, &err);
    check_status(ota_sigblock_serialize(&tb, &lb, &b, &err), OTA_OK, &err);
    assert_int_equal(la, lb);
    assert_memory_equal(ta, tb, la);
    check_status(ota_sigblock_parse_mem(&back, ta, la, &err), OTA_OK, &err);
    check_status(ota_sigblock_serialize(&tc, &lc, &back, &err), OTA_OK, &err);
    assert_int_equal(lc, la);
    assert_memory_equal(tc, ta, la);

    /* an empty block is valid and round-trips */
    struct ota_sigblock empty;
    memset(&empty, 0, sizeof empty);
    free(tc);
    check_status(ota_sigblock_serialize(&tc, &lc, &empty, &err), OTA_OK, &err);
    ota_sigblock_free(&back);
    check_status(ota_sigblock_parse_mem(&back, tc, lc, &err), OTA_OK, &err);
    assert_int_equal(back.n, 0);

    ota_sigblock_free(&back);
    ota_sigblock_free(&a);
    ota_sigblock_free(&b);
    free(ta);
    free(tb);
    free(tc);
}

static void put_rejects_bad_arguments(void **state)
{
    (void)state;
    struct ota_sigblock b;
    struct ota_err err;
    memset(&b, 0, sizeof b);
    uint8_t sig[64] = {1};
    char keyid[OTA_KEYID_HEX_LEN + 1];
    keyid_of(keyid, 0xab);

    char upper[OTA_KEYID_HEX_LEN + 1];
    memcpy(upper, keyid, sizeof upper);
    upper[0] = 'A';
    check_status(ota_sigblock_put(&b, upper, "ed25519", sig, sizeof sig, &err), OTA_E_FORMAT, &err);
    check_status(ota_sigblock_put(&b, "abcd", "ed25519", sig, sizeof sig, &err), OTA_E_FORMAT,
                 &err);
    check_status(ota_sigblock_put(&b, keyid, "", sig, sizeof sig, &err), OTA_E_FORMAT, &err);
    check_status(ota_sigblock_put(&b, keyid, "ed25519", sig, 0, &err), OTA_E_LIMIT, &err);
    uint8_t *huge = calloc(1, OTA_MAX_SIG_BYTES + 1);
    assert_non_null(huge);
    check_status(ota_sigblock_put(&b, keyid, "ed25519", huge, OTA_MAX_SIG_BYTES + 1, &err),
                 OTA_E_LIMIT, &err);
    check_status(ota_sigblock_put(&b, keyid, "ed25519", huge, OTA_MAX_SIG_BYTES, &err), OTA_OK,
                 &err);
    free(huge);
    assert_int_equal(b.n, 1);
    ota_sigblock_free(&b);
}

static void put_limit(void **state)
{
    (void)state;
    struct ota_sigblock b;
    struct ota_err err;
    memset(&b, 0, sizeof b);
    for (unsigned i = 0; i < OTA_MAX_SIGNATURES; i++)
        put_ok(&b, (uint8_t)(i * 5), "ed25519", (uint8_t)i);
    assert_int_equal(b.n, OTA_MAX_SIGNATURES);
    char keyid[OTA_KEYID_HEX_LEN + 1];
    uint8_t sig[64] = {0};
    keyid_of(keyid, 0xfe); /* not one of the multiples of 5 below 160 */
    check_status(ota_sigblock_put(&b, keyid, "ed25519", sig, sizeof sig, &err), OTA_E_LIMIT, &err);
    assert_int_equal(b.n, OTA_MAX_SIGNATURES);
    /* a full block still accepts a replacement */
    keyid_of(keyid, 5);
    check_status(ota_sigblock_put(&b, keyid, "ed25519", sig, sizeof sig, &err), OTA_OK, &err);
    assert_int_equal(b.n, OTA_MAX_SIGNATURES);
    ota_sigblock_free(&b);
}

/* ---- rejected documents ------------------------------------------------------------- */

static char *doc_with_entries(unsigned n, uint8_t first_id)
{
    uint8_t sig[64];
    char hex[129];
    sig_of(sig, sizeof sig, 5);
    ota_hex_encode(hex, sig, sizeof sig);
    size_t cap = 64 + (size_t)n * 256;
    char *doc = malloc(cap);
    assert_non_null(doc);
    size_t o = (size_t)snprintf(doc, cap, "{\"format\":1,\"signatures\":[");
    for (unsigned i = 0; i < n; i++) {
        char e[256];
        entry_text(e, sizeof e, (uint8_t)(first_id + i), "ed25519", hex);
        o += (size_t)snprintf(doc + o, cap - o, "%s%s", i ? "," : "", e);
    }
    snprintf(doc + o, cap - o, "]}");
    return doc;
}

static void rejects_keyid_listed_twice(void **state)
{
    (void)state;
    uint8_t s1[64], s2[64];
    char h1[129], h2[129], e1[256], e2[256], e3[256], doc[1024];
    sig_of(s1, 64, 1);
    sig_of(s2, 64, 2);
    ota_hex_encode(h1, s1, 64);
    ota_hex_encode(h2, s2, 64);
    entry_text(e1, sizeof e1, 0x42, "ed25519", h1);
    entry_text(e2, sizeof e2, 0x50, "ed25519", h1);
    entry_text(e3, sizeof e3, 0x42, "ed25519", h2); /* same key, another signature */
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s,%s,%s]}", e1, e2, e3);
    expect_reject_doc(doc, OTA_E_FORMAT, "twice");
    /* the same entry twice, byte for byte */
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s,%s]}", e1, e1);
    expect_reject_doc(doc, OTA_E_FORMAT, "twice");
}

static void signature_count_limit(void **state)
{
    (void)state;
    char *doc = doc_with_entries(OTA_MAX_SIGNATURES, 0);
    struct ota_sigblock b;
    struct ota_err err;
    check_status(parse_text(&b, doc, &err), OTA_OK, &err);
    assert_int_equal(b.n, OTA_MAX_SIGNATURES);
    ota_sigblock_free(&b);
    free(doc);

    doc = doc_with_entries(OTA_MAX_SIGNATURES + 1, 0);
    expect_reject_doc(doc, OTA_E_LIMIT, "signatures");
    free(doc);
}

static void rejects_bad_signature_hex(void **state)
{
    (void)state;
    uint8_t sig[64];
    char hex[130], e[300], doc[512];
    sig_of(sig, sizeof sig, 7);

    ota_hex_encode(hex, sig, sizeof sig);
    hex[127] = '\0'; /* odd length */
    entry_text(e, sizeof e, 1, "ed25519", hex);
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s]}", e);
    expect_reject_doc(doc, OTA_E_FORMAT, "signature");

    ota_hex_encode(hex, sig, sizeof sig);
    for (char *c = hex; *c; c++) /* uppercase */
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    assert_non_null(strpbrk(hex, "ABCDEF"));
    entry_text(e, sizeof e, 1, "ed25519", hex);
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s]}", e);
    expect_reject_doc(doc, OTA_E_FORMAT, "hex");

    ota_hex_encode(hex, sig, sizeof sig);
    hex[10] = 'g';
    entry_text(e, sizeof e, 1, "ed25519", hex);
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s]}", e);
    expect_reject_doc(doc, OTA_E_FORMAT, "hex");

    entry_text(e, sizeof e, 1, "ed25519", "");
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s]}", e);
    expect_reject_doc(doc, OTA_E_FORMAT, "signature");
}

static void rejects_bad_keyid(void **state)
{
    (void)state;
    uint8_t sig[64];
    char hex[129], e[300], doc[512];
    sig_of(sig, sizeof sig, 7);
    ota_hex_encode(hex, sig, sizeof sig);
    entry_text(e, sizeof e, 0xab, "ed25519", hex);
    char *k = strstr(e, "abab");
    assert_non_null(k);
    k[0] = 'A'; /* uppercase key id */
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s]}", e);
    expect_reject_doc(doc, OTA_E_FORMAT, "key id");

    snprintf(doc, sizeof doc,
             "{\"format\":1,\"signatures\":[{\"keyid\":\"abcd\",\"method\":\"ed25519\","
             "\"sig\":\"%s\"}]}",
             hex);
    expect_reject_doc(doc, OTA_E_FORMAT, "key id");
}

static void rejects_unknown_fields(void **state)
{
    (void)state;
    char *doc = doc_with_entries(1, 9);
    char *doc2 = malloc(strlen(doc) + 32);
    assert_non_null(doc2);
    /* top level */
    snprintf(doc2, strlen(doc) + 32, "{\"threshold\":1,%s", doc + 1);
    expect_reject_doc(doc2, OTA_E_FORMAT, "threshold");
    /* inside an entry */
    char *entry = strstr(doc, "[{");
    assert_non_null(entry);
    size_t head = (size_t)(entry - doc) + 2;
    snprintf(doc2, strlen(doc) + 32, "%.*s\"expires\":0,%s", (int)head, doc, doc + head);
    expect_reject_doc(doc2, OTA_E_FORMAT, "expires");
    free(doc2);
    free(doc);
}

static void rejects_other_shapes(void **state)
{
    (void)state;
    expect_reject_doc("{\"format\":2,\"signatures\":[]}", OTA_E_UNSUPPORTED, "format");
    expect_reject_doc("{\"signatures\":[]}", OTA_E_FORMAT, "format");
    expect_reject_doc("{\"format\":1}", OTA_E_FORMAT, "signatures");
    expect_reject_doc("{\"format\":1,\"signatures\":{}}", OTA_E_FORMAT, "signatures");
    expect_reject_doc("{\"format\":1,\"signatures\":[1]}", OTA_E_FORMAT, "entry 0");
    expect_reject_doc("[]", OTA_E_FORMAT, "signature block");
    expect_reject_doc("{\"format\":1,\"signatures\":[]} x", OTA_E_FORMAT, "signature block");
    expect_reject_doc("{\"format\":1,\"format\":1,\"signatures\":[]}", OTA_E_FORMAT,
                      "signature block");

    /* a block over the size limit, even if it is only whitespace after valid JSON */
    char *doc = malloc(OTA_MAX_SIGBLOCK_SIZE + 2);
    assert_non_null(doc);
    memset(doc, ' ', OTA_MAX_SIGBLOCK_SIZE + 1);
    static const char valid[] = "{\"format\":1,\"signatures\":[]}";
    memcpy(doc, valid, sizeof valid - 1);
    doc[OTA_MAX_SIGBLOCK_SIZE + 1] = '\0';
    expect_reject_doc(doc, OTA_E_LIMIT, "signature block");
    doc[OTA_MAX_SIGBLOCK_SIZE] = '\0';
    struct ota_sigblock b;
    struct ota_err err;
    check_status(parse_text(&b, doc, &err), OTA_OK, &err);
    ota_sigblock_free(&b);
    free(doc);
}

static void unknown_method_parses(void **state)
{
    (void)state;
    uint8_t sig[100];
    char hex[201], e1[400], e2[400], doc[1024];
    sig_of(sig, sizeof sig, 4);
    ota_hex_encode(hex, sig, sizeof sig);
    entry_text(e1, sizeof e1, 0x01, "rsa-pss-sha256", hex);
    ota_hex_encode(hex, sig, 64);
    entry_text(e2, sizeof e2, 0x02, "ed25519", hex);
    snprintf(doc, sizeof doc, "{\"format\":1,\"signatures\":[%s,%s]}", e1, e2);
    struct ota_sigblock b;
    struct ota_err err;
    check_status(parse_text(&b, doc, &err), OTA_OK, &err);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.sigs[0].method, "rsa-pss-sha256");
    assert_int_equal(b.sigs[0].sig_len, sizeof sig);
    assert_memory_equal(b.sigs[0].sig, sig, sizeof sig);
    assert_string_equal(b.sigs[1].method, "ed25519");
    ota_sigblock_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_serialize_parse_round_trip),
        cmocka_unit_test(entries_sorted_by_keyid),
        cmocka_unit_test(put_same_keyid_replaces),
        cmocka_unit_test(serialisation_is_deterministic),
        cmocka_unit_test(put_rejects_bad_arguments),
        cmocka_unit_test(put_limit),
        cmocka_unit_test(rejects_keyid_listed_twice),
        cmocka_unit_test(signature_count_limit),
        cmocka_unit_test(rejects_bad_signature_hex),
        cmocka_unit_test(rejects_bad_keyid),
        cmocka_unit_test(rejects_unknown_fields),
        cmocka_unit_test(rejects_other_shapes),
        cmocka_unit_test(unknown_method_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
