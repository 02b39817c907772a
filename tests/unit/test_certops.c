/* test_certops.c — the certstore payload format: formats/certops.c.
 *
 * Proves: a document with every kind of operation survives parse -> serialize -> parse with
 * every field intact, serialisation is deterministic and canonical (serialising what was
 * parsed from canonical bytes gives the same bytes); identifiers follow the CertStore rules
 * exactly (1 to 16 of A-Z a-z 0-9 . - _); and every kind of malformed document is rejected
 * with the right status and a message naming what was wrong: unknown or duplicate fields,
 * wrong types, missing fields, unknown operations, bad identifiers, every limit (operations,
 * certificate, key, password, document), other format versions, NUL bytes. The serialiser
 * refuses what the parser would refuse. Each allocation in turn fails without a crash, a
 * leak or a success (malloc, calloc, realloc are wrapped at link time; jansson allocates
 * through the same wrappers).
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

#include "otapack/certops.h"

/* ---- allocation failure injection ----------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

/* Two classes of allocations: ours (libc, through the link-time wrappers) and jansson's
 * (through json_set_alloc_funcs). The fail_at-th allocation of one class (counting from 0)
 * fails, every other succeeds; -1: none fails. */
static long fail_at[2] = {-1, -1};
static long alloc_count[2];
static int in_jansson;
static int injected;

static int alloc_fails(void)
{
    if (alloc_count[in_jansson]++ != fail_at[in_jansson])
        return 0;
    injected = 1;
    return 1;
}

static void alloc_reset(void)
{
    fail_at[0] = fail_at[1] = -1;
    alloc_count[0] = alloc_count[1] = 0;
    injected = 0;
}

void *__wrap_malloc(size_t n)
{
    return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    return alloc_fails() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    return alloc_fails() ? NULL : __real_realloc(p, n);
}

static void *json_malloc(size_t n)
{
    in_jansson = 1;
    void *p = __wrap_malloc(n);
    in_jansson = 0;
    return p;
}

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

/* The certificate and key fields hold opaque strings for this module: no PEM parsing. */
#define CERT "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
#define KEY "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----\n"

static const char SAMPLE[] =
    "{\"format\":1,\"operations\":["
    "{\"op\":\"install-root\",\"id\":\"radius-ca\",\"cert\":\""
    "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"
    "\"},"
    "{\"op\":\"install-client\",\"id\":\"wifi\",\"cert\":\"c\",\"key\":\"k\",\"password\":"
    "\"p\\u00e9\"},"
    "{\"op\":\"install-client\",\"id\":\"eth.0_A-Z\",\"cert\":\"c2\",\"key\":\"k2\"},"
    "{\"op\":\"delete\",\"id\":\"old\"},"
    "{\"op\":\"move\",\"from\":\"tmp\",\"to\":\"radius-ca\"}]}";

static void parse_ok(struct ota_certops *ops, const char *doc, size_t len)
{
    struct ota_err err = {0};
    check_status(ota_certops_parse_mem(ops, doc, len, &err), OTA_OK, &err);
}

/* Parses doc and expects status want with a message mentioning needle. */
static void reject(const char *doc, enum ota_status want, const char *needle)
{
    struct ota_certops ops;
    struct ota_err err = {0};
    enum ota_status rc = ota_certops_parse_mem(&ops, doc, strlen(doc), &err);
    if (rc != want)
        fail_msg("document %.200s: status %d (%s), expected %d (%s); message '%s'", doc, rc,
                 ota_strerror(rc), want, ota_strerror(want), err.msg);
    check_msg(&err, needle);
    assert_int_equal(ops.n, 0);
    assert_null(ops.v);
    assert_null(strchr(err.msg, '\n'));
}

/* A document with one operation given as JSON text. */
static char *one_op(const char *op_json)
{
    size_t n = strlen(op_json) + 64;
    char *doc = malloc(n);
    assert_non_null(doc);
    snprintf(doc, n, "{\"format\":1,\"operations\":[%s]}", op_json);
    return doc;
}

static void reject_op(const char *op_json, enum ota_status want, const char *needle)
{
    char *doc = one_op(op_json);
    reject(doc, want, needle);
    free(doc);
}

/* A string of n copies of c, as JSON text (n bytes, no escapes needed). */
static char *filled(size_t n, char c)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void parses_every_operation(void **state)
{
    (void)state;
    struct ota_certops ops;
    parse_ok(&ops, SAMPLE, strlen(SAMPLE));
    assert_int_equal(ops.n, 5);
    assert_int_equal(ops.v[0].op, OTA_CERTOP_INSTALL_ROOT);
    assert_string_equal(ops.v[0].id, "radius-ca");
    assert_string_equal(ops.v[0].cert, CERT);
    assert_int_equal(ops.v[0].cert_len, strlen(CERT));
    assert_null(ops.v[0].key);
    assert_null(ops.v[0].password);
    assert_int_equal(ops.v[1].op, OTA_CERTOP_INSTALL_CLIENT);
    assert_string_equal(ops.v[1].id, "wifi");
    assert_string_equal(ops.v[1].cert, "c");
    assert_string_equal(ops.v[1].key, "k");
    assert_int_equal(ops.v[1].key_len, 1);
    assert_string_equal(ops.v[1].password, "p\xc3\xa9"); /* UTF-8 of U+00E9 */
    assert_int_equal(ops.v[1].password_len, 3);
    assert_int_equal(ops.v[2].op, OTA_CERTOP_INSTALL_CLIENT);
    assert_string_equal(ops.v[2].id, "eth.0_A-Z");
    assert_null(ops.v[2].password); /* optional */
    assert_int_equal(ops.v[3].op, OTA_CERTOP_DELETE);
    assert_string_equal(ops.v[3].id, "old");
    assert_null(ops.v[3].cert);
    assert_int_equal(ops.v[4].op, OTA_CERTOP_MOVE);
    assert_string_equal(ops.v[4].id, "tmp");
    assert_string_equal(ops.v[4].to, "radius-ca");
    ota_certops_free(&ops);
    assert_int_equal(ops.n, 0);
    assert_null(ops.v);
    ota_certops_free(&ops); /* twice is harmless */
    ota_certops_free(NULL);
}

static void round_trip_is_exact_and_canonical(void **state)
{
    (void)state;
    struct ota_err err = {0};
    struct ota_certops a, b;
    parse_ok(&a, SAMPLE, strlen(SAMPLE));
    char *s1, *s2;
    size_t l1, l2;
    check_status(ota_certops_serialize(&s1, &l1, &a, &err), OTA_OK, &err);
    assert_int_equal(strlen(s1), l1);
    assert_int_equal(s1[l1 - 1], '\n');
    parse_ok(&b, s1, l1);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.v[i].op, b.v[i].op);
        assert_string_equal(a.v[i].id, b.v[i].id);
        assert_string_equal(a.v[i].to, b.v[i].to);
        assert_int_equal(a.v[i].cert_len, b.v[i].cert_len);
        if (a.v[i].cert)
            assert_memory_equal(a.v[i].cert, b.v[i].cert, a.v[i].cert_len);
        assert_int_equal(a.v[i].key_len, b.v[i].key_len);
        if (a.v[i].key)
            assert_memory_equal(a.v[i].key, b.v[i].key, a.v[i].key_len);
        assert_int_equal(!a.v[i].password, !b.v[i].password);
        if (a.v[i].password)
            assert_string_equal(a.v[i].password, b.v[i].password);
    }
    /* canonical bytes serialise to themselves */
    check_status(ota_certops_serialize(&s2, &l2, &b, &err), OTA_OK, &err);
    assert_int_equal(l1, l2);
    assert_memory_equal(s1, s2, l1);
    /* the documented field names, checked with an independent reading */
    json_error_t je;
    json_t *j = json_loadb(s1, l1, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "format")), 1);
    json_t *op4 = json_array_get(json_object_get(j, "operations"), 4);
    assert_string_equal(json_string_value(json_object_get(op4, "op")), "move");
    assert_string_equal(json_string_value(json_object_get(op4, "from")), "tmp");
    assert_string_equal(json_string_value(json_object_get(op4, "to")), "radius-ca");
    assert_int_equal(json_object_size(op4), 3);
    json_decref(j);
    free(s1);
    free(s2);
    ota_certops_free(&a);
    ota_certops_free(&b);
}

static void empty_operation_list_is_valid(void **state)
{
    (void)state;
    struct ota_certops ops;
    const char *doc = "{\"operations\":[],\"format\":1}";
    parse_ok(&ops, doc, strlen(doc));
    assert_int_equal(ops.n, 0);
    struct ota_err err = {0};
    char *s;
    size_t l;
    check_status(ota_certops_serialize(&s, &l, &ops, &err), OTA_OK, &err);
    assert_string_equal(s, "{\n  \"format\": 1,\n  \"operations\": []\n}\n");
    free(s);
    ota_certops_free(&ops);
}

static void identifier_rules(void **state)
{
    (void)state;
    static const char *const good[] = {
        "a", "Z", "0", ".", "-", "_", "radius-ca", "AZaz09.-_", "abcdefghijklmnop" /* 16 */};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (ota_certops_id_problem(good[i]))
            fail_msg("'%s' refused: %s", good[i], ota_certops_id_problem(good[i]));
    assert_non_null(strstr(ota_certops_id_problem(NULL), "missing"));
    assert_non_null(strstr(ota_certops_id_problem(""), "empty"));
    assert_non_null(strstr(ota_certops_id_problem("abcdefghijklmnopq"), "longer than 16"));
    static const char *const bad_chars[] = {"a b", "a/b",  "a:b", "a\tb", "caf\xc3\xa9",
                                            "a+b", "a\\b", "*",   "a\x7f"};
    for (size_t i = 0; i < sizeof bad_chars / sizeof bad_chars[0]; i++) {
        const char *why = ota_certops_id_problem(bad_chars[i]);
        assert_non_null(why);
        assert_non_null(strstr(why, "A-Z a-z 0-9 . - _"));
    }
    /* a long string is not read past the 17th byte: this one has no NUL in reach */
    char long_id[40];
    memset(long_id, 'x', sizeof long_id);
    assert_non_null(strstr(ota_certops_id_problem(long_id), "longer"));
}

static void identifiers_in_documents(void **state)
{
    (void)state;
    struct ota_certops ops;
    char *doc = one_op("{\"op\":\"delete\",\"id\":\"abcdefghijklmnop\"}");
    parse_ok(&ops, doc, strlen(doc));
    assert_string_equal(ops.v[0].id, "abcdefghijklmnop");
    ota_certops_free(&ops);
    free(doc);
    reject_op("{\"op\":\"delete\",\"id\":\"\"}", OTA_E_FORMAT, "empty");
    reject_op("{\"op\":\"delete\",\"id\":\"abcdefghijklmnopq\"}", OTA_E_FORMAT, "longer than 16");
    reject_op("{\"op\":\"delete\",\"id\":\"a b\"}", OTA_E_FORMAT, "character outside");
    reject_op("{\"op\":\"delete\",\"id\":\"caf\\u00e9\"}", OTA_E_FORMAT, "character outside");
    reject_op("{\"op\":\"delete\",\"id\":\"a\\u001b[31m\"}", OTA_E_FORMAT, "\\x1b");
    reject_op("{\"op\":\"install-root\",\"id\":\"../x\",\"cert\":\"c\"}", OTA_E_FORMAT,
              "character outside");
    reject_op("{\"op\":\"move\",\"from\":\"ok\",\"to\":\"not ok\"}", OTA_E_FORMAT, "to 'not ok'");
    reject_op("{\"op\":\"move\",\"from\":\"\",\"to\":\"ok\"}", OTA_E_FORMAT, "from ''");
    reject_op("{\"op\":\"delete\",\"id\":7}", OTA_E_FORMAT, "'id' is not a string");
    reject_op("{\"op\":\"delete\",\"id\":null}", OTA_E_FORMAT, "'id' is not a string");
}

static void rejects_unknown_and_misplaced_fields(void **state)
{
    (void)state;
    reject("{\"format\":1,\"operations\":[],\"extra\":0}", OTA_E_FORMAT, "unknown field 'extra'");
    reject_op("{\"op\":\"delete\",\"id\":\"a\",\"cert\":\"c\"}", OTA_E_FORMAT,
              "unknown field 'cert'");
    reject_op("{\"op\":\"install-root\",\"id\":\"a\",\"cert\":\"c\",\"key\":\"k\"}", OTA_E_FORMAT,
              "unknown field 'key'");
    reject_op("{\"op\":\"install-root\",\"id\":\"a\",\"cert\":\"c\",\"password\":\"p\"}",
              OTA_E_FORMAT, "unknown field 'password'");
    reject_op("{\"op\":\"move\",\"id\":\"a\",\"to\":\"b\"}", OTA_E_FORMAT, "unknown field 'id'");
    reject_op("{\"op\":\"move\",\"from\":\"a\",\"to\":\"b\",\"replace\":true}", OTA_E_FORMAT,
              "unknown field 'replace'");
}

static void rejects_duplicate_keys(void **state)
{
    (void)state;
    reject("{\"format\":1,\"format\":1,\"operations\":[]}", OTA_E_FORMAT, "duplicate");
    reject("{\"format\":1,\"operations\":[],\"operations\":[]}", OTA_E_FORMAT, "duplicate");
    reject_op("{\"op\":\"delete\",\"id\":\"a\",\"id\":\"b\"}", OTA_E_FORMAT, "duplicate");
    reject_op("{\"op\":\"delete\",\"op\":\"move\",\"id\":\"a\"}", OTA_E_FORMAT, "duplicate");
    reject_op("{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"c\",\"key\":\"k\","
              "\"password\":\"a\",\"password\":\"b\"}",
              OTA_E_FORMAT, "duplicate");
}

static void rejects_missing_fields(void **state)
{
    (void)state;
    reject("{\"operations\":[]}", OTA_E_FORMAT, "missing field 'format'");
    reject("{\"format\":1}", OTA_E_FORMAT, "missing field 'operations'");
    reject_op("{\"id\":\"a\"}", OTA_E_FORMAT, "missing field 'op'");
    reject_op("{\"op\":\"delete\"}", OTA_E_FORMAT, "missing field 'id'");
    reject_op("{\"op\":\"install-root\",\"id\":\"a\"}", OTA_E_FORMAT, "missing field 'cert'");
    reject_op("{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"c\"}", OTA_E_FORMAT,
              "missing field 'key'");
    reject_op("{\"op\":\"install-client\",\"id\":\"w\",\"key\":\"k\"}", OTA_E_FORMAT,
              "missing field 'cert'");
    reject_op("{\"op\":\"move\",\"from\":\"a\"}", OTA_E_FORMAT, "missing field 'to'");
    reject_op("{\"op\":\"move\",\"to\":\"a\"}", OTA_E_FORMAT, "missing field 'from'");
    /* messages name the operation and, once known, the entry */
    reject("{\"format\":1,\"operations\":[{\"op\":\"delete\",\"id\":\"a\"},"
           "{\"op\":\"install-root\",\"id\":\"ca2\"}]}",
           OTA_E_FORMAT, "operation 2 ('ca2')");
}

static void rejects_wrong_types(void **state)
{
    (void)state;
    reject("{\"format\":\"1\",\"operations\":[]}", OTA_E_FORMAT, "'format' is not an integer");
    reject("{\"format\":1.0,\"operations\":[]}", OTA_E_FORMAT, "'format' is not an integer");
    reject("{\"format\":-1,\"operations\":[]}", OTA_E_LIMIT, "format");
    reject("{\"format\":1,\"operations\":{}}", OTA_E_FORMAT, "not an array");
    reject("{\"format\":1,\"operations\":null}", OTA_E_FORMAT, "not an array");
    reject("{\"format\":1,\"operations\":[[]]}", OTA_E_FORMAT, "operation 1: not an object");
    reject("{\"format\":1,\"operations\":[\"delete\"]}", OTA_E_FORMAT, "not an object");
    reject_op("{\"op\":1,\"id\":\"a\"}", OTA_E_FORMAT, "'op' is not a string");
    reject_op("{\"op\":\"install-root\",\"id\":\"a\",\"cert\":[\"c\"]}", OTA_E_FORMAT,
              "'cert' is not a string");
    reject_op("{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"c\",\"key\":{}}", OTA_E_FORMAT,
              "'key' is not a string");
    reject_op("{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"c\",\"key\":\"k\","
              "\"password\":null}",
              OTA_E_FORMAT, "'password' is not a string");
    reject_op("{\"op\":\"install-root\",\"id\":\"a\",\"cert\":\"\"}", OTA_E_FORMAT,
              "'cert' is empty");
    reject_op("{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"c\",\"key\":\"\"}", OTA_E_FORMAT,
              "'key' is empty");
}

static void rejects_unknown_operations(void **state)
{
    (void)state;
    reject_op("{\"op\":\"install\",\"id\":\"a\",\"cert\":\"c\"}", OTA_E_FORMAT,
              "unknown op 'install'");
    reject_op("{\"op\":\"Delete\",\"id\":\"a\"}", OTA_E_FORMAT, "unknown op 'Delete'");
    reject_op("{\"op\":\"\",\"id\":\"a\"}", OTA_E_FORMAT, "unknown op ''");
    reject_op("{\"op\":\"del\\u001b]0;x\\u0007\",\"id\":\"a\"}", OTA_E_FORMAT, "\\x1b");
}

static void rejects_other_format_versions(void **state)
{
    (void)state;
    reject("{\"format\":2,\"operations\":[]}", OTA_E_UNSUPPORTED, "format 2 not supported");
    reject("{\"format\":0,\"operations\":[]}", OTA_E_UNSUPPORTED, "format 0 not supported");
    /* a newer document says it is newer, before its new fields are looked at */
    reject("{\"format\":2,\"operations\":[],\"signatures\":[]}", OTA_E_UNSUPPORTED, "format 2");
}

static void rejects_garbage_and_nul(void **state)
{
    (void)state;
    reject("", OTA_E_FORMAT, "invalid JSON");
    reject("[]", OTA_E_FORMAT, "not a JSON object");
    reject("{\"format\":1,\"operations\":[]} x", OTA_E_FORMAT, "invalid JSON");
    reject("{\"format\":1,\"operations\":[]}{}", OTA_E_FORMAT, "invalid JSON");
    reject_op("{\"op\":\"install-root\",\"id\":\"a\",\"cert\":\"c\\u0000d\"}", OTA_E_FORMAT,
              "invalid JSON");
    /* a raw NUL byte inside the document */
    static const char nul_doc[] = "{\"format\":1,\"operations\":[]}\0";
    struct ota_certops ops;
    struct ota_err err = {0};
    check_status(ota_certops_parse_mem(&ops, nul_doc, sizeof nul_doc - 1, &err), OTA_E_FORMAT,
                 &err);
    /* invalid UTF-8 */
    reject_op("{\"op\":\"delete\",\"id\":\"\xff\"}", OTA_E_FORMAT, "invalid JSON");
}

static void operation_count_limit(void **state)
{
    (void)state;
    for (unsigned n = OTA_CERTOPS_MAX; n <= OTA_CERTOPS_MAX + 1; n++) {
        size_t cap = 64 + (size_t)n * 40;
        char *doc = malloc(cap);
        assert_non_null(doc);
        size_t len = (size_t)snprintf(doc, cap, "{\"format\":1,\"operations\":[");
        for (unsigned i = 0; i < n; i++)
            len += (size_t)snprintf(doc + len, cap - len, "%s{\"op\":\"delete\",\"id\":\"e%u\"}",
                                    i ? "," : "", i);
        len += (size_t)snprintf(doc + len, cap - len, "]}");
        if (n == OTA_CERTOPS_MAX) {
            struct ota_certops ops;
            parse_ok(&ops, doc, len);
            assert_int_equal(ops.n, OTA_CERTOPS_MAX);
            ota_certops_free(&ops);
        } else {
            reject(doc, OTA_E_LIMIT, "65 operations, more than 64");
        }
        free(doc);
    }
}

static void string_limits(void **state)
{
    (void)state;
    struct ota_certops ops;
    char *cert_max = filled(OTA_CERTSTORE_MAX_CERT, 'c');
    char *cert_over = filled(OTA_CERTSTORE_MAX_CERT + 1, 'c');
    char *key_max = filled(OTA_CERTSTORE_MAX_KEY, 'k');
    char *key_over = filled(OTA_CERTSTORE_MAX_KEY + 1, 'k');
    char *pw_max = filled(OTA_CERTSTORE_MAX_PASSWORD, 'p');
    char *pw_over = filled(OTA_CERTSTORE_MAX_PASSWORD + 1, 'p');
    char *op = malloc(3 * 9000);
    assert_non_null(op);

    snprintf(op, 3 * 9000,
             "{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"%s\",\"key\":\"%s\","
             "\"password\":\"%s\"}",
             cert_max, key_max, pw_max);
    char *doc = one_op(op);
    parse_ok(&ops, doc, strlen(doc));
    assert_int_equal(ops.v[0].cert_len, OTA_CERTSTORE_MAX_CERT);
    assert_int_equal(ops.v[0].key_len, OTA_CERTSTORE_MAX_KEY);
    assert_int_equal(ops.v[0].password_len, OTA_CERTSTORE_MAX_PASSWORD);
    ota_certops_free(&ops);
    free(doc);

    snprintf(op, 3 * 9000, "{\"op\":\"install-root\",\"id\":\"r\",\"cert\":\"%s\"}", cert_over);
    reject_op(op, OTA_E_LIMIT, "'cert' is 8193 bytes, more than 8192");
    snprintf(op, 3 * 9000, "{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"c\",\"key\":\"%s\"}",
             key_over);
    reject_op(op, OTA_E_LIMIT, "'key' is 8193 bytes, more than 8192");
    snprintf(op, 3 * 9000,
             "{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"c\",\"key\":\"k\","
             "\"password\":\"%s\"}",
             pw_over);
    reject_op(op, OTA_E_LIMIT, "'password' is 257 bytes, more than 256");
    /* escapes count as the bytes they stand for */
    char *esc = malloc(6 * (OTA_CERTSTORE_MAX_PASSWORD + 1) + 1);
    assert_non_null(esc);
    esc[0] = '\0';
    for (unsigned i = 0; i <= OTA_CERTSTORE_MAX_PASSWORD; i++)
        strcat(esc, "\\u0041");
    snprintf(op, 3 * 9000,
             "{\"op\":\"install-client\",\"id\":\"w\",\"cert\":\"c\",\"key\":\"k\","
             "\"password\":\"%s\"}",
             esc);
    reject_op(op, OTA_E_LIMIT, "'password' is 257 bytes");
    free(esc);
    free(op);
    free(cert_max);
    free(cert_over);
    free(key_max);
    free(key_over);
    free(pw_max);
    free(pw_over);
}

static void document_size_limit(void **state)
{
    (void)state;
    size_t len = OTA_CERTOPS_MAX_SIZE + 1;
    char *doc = malloc(len + 1);
    assert_non_null(doc);
    /* valid JSON padded with spaces: only the size is wrong */
    memset(doc, ' ', len);
    static const char json[] = "{\"format\":1,\"operations\":[]}";
    memcpy(doc, json, sizeof json - 1);
    doc[len] = '\0';
    struct ota_certops ops;
    struct ota_err err = {0};
    check_status(ota_certops_parse_mem(&ops, doc, len, &err), OTA_E_LIMIT, &err);
    check_msg(&err, "more than 1048576");
    check_status(ota_certops_parse_mem(&ops, doc, len - 1, &err), OTA_OK, &err);
    ota_certops_free(&ops);
    free(doc);
}

static void serialize_refuses_what_parse_refuses(void **state)
{
    (void)state;
    struct ota_err err = {0};
    char *out = (char *)"sentinel";
    size_t len = 99;
    struct ota_certop op;
    struct ota_certops ops = {1, &op};

    memset(&op, 0, sizeof op);
    op.op = OTA_CERTOP_DELETE;
    snprintf(op.id, sizeof op.id, "a b");
    check_status(ota_certops_serialize(&out, &len, &ops, &err), OTA_E_USAGE, &err);
    check_msg(&err, "character outside");
    assert_null(out);
    assert_int_equal(len, 0);

    memset(&op, 0, sizeof op);
    op.op = OTA_CERTOP_MOVE;
    snprintf(op.id, sizeof op.id, "a");
    check_status(ota_certops_serialize(&out, &len, &ops, &err), OTA_E_USAGE, &err);
    check_msg(&err, "to '' is empty");

    memset(&op, 0, sizeof op);
    op.op = OTA_CERTOP_INSTALL_ROOT;
    snprintf(op.id, sizeof op.id, "r");
    check_status(ota_certops_serialize(&out, &len, &ops, &err), OTA_E_USAGE, &err);
    check_msg(&err, "cert must be");

    char cert[] = "c\0d";
    op.cert = cert;
    op.cert_len = 3; /* a NUL inside */
    check_status(ota_certops_serialize(&out, &len, &ops, &err), OTA_E_USAGE, &err);

    memset(&op, 0, sizeof op);
    op.op = OTA_CERTOP_INSTALL_CLIENT;
    snprintf(op.id, sizeof op.id, "w");
    op.cert = cert;
    op.cert_len = 1;
    check_status(ota_certops_serialize(&out, &len, &ops, &err), OTA_E_USAGE, &err);
    check_msg(&err, "key must be");

    char key[] = "k", pw[] = "\xff\xfe"; /* not UTF-8: JSON cannot carry it */
    op.key = key;
    op.key_len = 1;
    op.password = pw;
    op.password_len = 2;
    check_status(ota_certops_serialize(&out, &len, &ops, &err), OTA_E_USAGE, &err);
    check_msg(&err, "UTF-8");

    op.op = (enum ota_certop_kind)99;
    check_status(ota_certops_serialize(&out, &len, &ops, &err), OTA_E_USAGE, &err);
    check_msg(&err, "unknown op");

    struct ota_certops many = {OTA_CERTOPS_MAX + 1, &op};
    check_status(ota_certops_serialize(&out, &len, &many, &err), OTA_E_USAGE, &err);
    check_msg(&err, "more than 64");
}

static void op_names(void **state)
{
    (void)state;
    assert_string_equal(ota_certop_name(OTA_CERTOP_INSTALL_ROOT), "install-root");
    assert_string_equal(ota_certop_name(OTA_CERTOP_INSTALL_CLIENT), "install-client");
    assert_string_equal(ota_certop_name(OTA_CERTOP_DELETE), "delete");
    assert_string_equal(ota_certop_name(OTA_CERTOP_MOVE), "move");
    assert_string_equal(ota_certop_name((enum ota_certop_kind)0), "?");
}

/* Whether the parse of SAMPLE gave exactly what parses_every_operation checks. */
static int is_sample(const struct ota_certops *ops)
{
    return ops->n == 5 && !strcmp(ops->v[0].cert, CERT) && !strcmp(ops->v[0].id, "radius-ca") &&
           !strcmp(ops->v[1].id, "wifi") && !strcmp(ops->v[1].key, "k") &&
           !strcmp(ops->v[1].password, "p\xc3\xa9") && !ops->v[2].password &&
           !strcmp(ops->v[2].id, "eth.0_A-Z") && !strcmp(ops->v[3].id, "old") &&
           !strcmp(ops->v[4].id, "tmp") && !strcmp(ops->v[4].to, "radius-ca");
}

/* Each allocation in turn fails (that one only): the parser reports an error (never success
 * with a partial result), does not crash, and frees what it took (the sanitizer build checks
 * leaks). Only our own allocations fail while jansson lexes, not jansson's: jansson 2.14's
 * lexer ignores a failed strbuffer append (load.c, lex_save; akheron/jansson issue #362,
 * fixed by pull request #747), after which it returns a string missing a byte or corrupts
 * its heap. jansson's allocations do fail while the serialiser builds and dumps the
 * document (its dumper can then drop an object key: the serialiser reads its output back
 * to catch that), but not in the read-back parse at its end. */
static void allocation_failures(void **state)
{
    (void)state;
    struct ota_err err = {0};
    struct ota_certops ops;
    alloc_reset();
    parse_ok(&ops, SAMPLE, strlen(SAMPLE));
    ota_certops_free(&ops);
    long total[2] = {alloc_count[0], alloc_count[1]};
    assert_true(total[0] > 5);
    for (long i = 0; i < total[0]; i++) {
        alloc_reset();
        fail_at[0] = i;
        enum ota_status rc = ota_certops_parse_mem(&ops, SAMPLE, strlen(SAMPLE), &err);
        int hit = injected;
        alloc_reset();
        if (rc == OTA_OK && hit)
            fail_msg("allocation %ld of %ld failed, yet the parse succeeded", i + 1, total[0]);
        if (rc == OTA_OK) {
            assert_true(is_sample(&ops));
            ota_certops_free(&ops);
        }
        assert_int_equal(ops.n, 0);
        assert_null(ops.v);
    }
    /* and the serialiser */
    parse_ok(&ops, SAMPLE, strlen(SAMPLE));
    char *out, *want;
    size_t len, want_len;
    alloc_reset();
    check_status(ota_certops_serialize(&want, &want_len, &ops, &err), OTA_OK, &err);
    total[0] = alloc_count[0];
    total[1] = alloc_count[1];
    /* jansson's allocations of the read-back parse are the last ones: leave them alone */
    struct ota_certops back;
    alloc_reset();
    parse_ok(&back, want, want_len);
    ota_certops_free(&back);
    total[1] -= alloc_count[1];
    assert_true(total[1] > 5);
    for (int c = 0; c < 2; c++) {
        for (long i = 0; i < total[c]; i++) {
            alloc_reset();
            fail_at[c] = i;
            enum ota_status rc = ota_certops_serialize(&out, &len, &ops, &err);
            int hit = injected;
            alloc_reset();
            if (rc == OTA_OK && c == 0 && hit)
                fail_msg("allocation %ld of %ld failed, yet serialisation succeeded", i + 1,
                         total[c]);
            if (rc == OTA_OK) {
                assert_int_equal(len, want_len);
                assert_memory_equal(out, want, len);
                free(out);
            } else {
                assert_null(out);
            }
        }
    }
    free(want);
    ota_certops_free(&ops);
}

int main(void)
{
    json_set_alloc_funcs(json_malloc, free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_every_operation),
        cmocka_unit_test(round_trip_is_exact_and_canonical),
        cmocka_unit_test(empty_operation_list_is_valid),
        cmocka_unit_test(identifier_rules),
        cmocka_unit_test(identifiers_in_documents),
        cmocka_unit_test(rejects_unknown_and_misplaced_fields),
        cmocka_unit_test(rejects_duplicate_keys),
        cmocka_unit_test(rejects_missing_fields),
        cmocka_unit_test(rejects_wrong_types),
        cmocka_unit_test(rejects_unknown_operations),
        cmocka_unit_test(rejects_other_format_versions),
        cmocka_unit_test(rejects_garbage_and_nul),
        cmocka_unit_test(operation_count_limit),
        cmocka_unit_test(string_limits),
        cmocka_unit_test(document_size_limit),
        cmocka_unit_test(serialize_refuses_what_parse_refuses),
        cmocka_unit_test(op_names),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
