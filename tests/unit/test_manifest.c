/* test_manifest.c — manifest.json: formats/manifest.c.
 *
 * Proves: a manifest survives serialize -> parse with every field intact, serialisation is
 * deterministic and uses the documented field names and encodings (checked with an
 * independent JSON reader and OpenSSL's SHA-256), and each kind of malformed or hostile
 * manifest is rejected with the right status and a message that names what was wrong —
 * without crashing on pathological input (huge, deeply nested, NUL bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otapack/codec.h"
#include "otapack/manifest.h"

#define CREATED INT64_C(1700000000)
#define EXPIRES (CREATED + 90 * 86400)

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

static void sha256_of(uint8_t out[OTA_SHA256_LEN], const char *text)
{
    SHA256((const unsigned char *)text, strlen(text), out);
}

/* A valid manifest with two payloads (one plain, one zlib) and two hardware revisions. */
static void make_sample(struct ota_manifest *m)
{
    memset(m, 0, sizeof *m);
    m->format = OTA_FORMAT_VERSION;
    snprintf(m->product, sizeof m->product, "acme.gw-2");
    snprintf(m->version, sizeof m->version, "1.2.3 (build 7)");
    m->n_hardware = 2;
    snprintf(m->hardware[0], sizeof m->hardware[0], "rev-a");
    snprintf(m->hardware[1], sizeof m->hardware[1], "rev.b+2:x");
    m->security_version = 42;
    m->created = CREATED;
    m->expires = EXPIRES;
    m->n_payloads = 2;
    m->payloads = calloc(2, sizeof *m->payloads);
    assert_non_null(m->payloads);

    struct ota_payload *p = &m->payloads[0];
    snprintf(p->name, sizeof p->name, "app.img");
    snprintf(p->type, sizeof p->type, "image");
    p->compression = OTA_COMP_NONE;
    p->size = p->raw_size = 1000;
    sha256_of(p->sha256, "app bytes");
    memcpy(p->raw_sha256, p->sha256, OTA_SHA256_LEN);

    p = &m->payloads[1];
    snprintf(p->name, sizeof p->name, "roots_2024.pem");
    snprintf(p->type, sizeof p->type, "truststore");
    p->compression = OTA_COMP_ZLIB;
    p->size = 300;
    sha256_of(p->sha256, "compressed roots");
    p->raw_size = 900;
    sha256_of(p->raw_sha256, "roots");
}

static char *serialize_sample(size_t *len)
{
    struct ota_manifest m;
    struct ota_err err = {0};
    char *out;
    make_sample(&m);
    check_status(ota_manifest_serialize(&out, len, &m, &err), OTA_OK, &err);
    ota_manifest_free(&m);
    return out;
}

/* The sample manifest as a jansson object, for tests to mutate. */
static json_t *sample_json(void)
{
    size_t len;
    char *text = serialize_sample(&len);
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    free(text);
    assert_non_null(root);
    return root;
}

static json_t *payload_json(json_t *root, size_t i)
{
    json_t *p = json_array_get(json_object_get(root, "payloads"), i);
    assert_non_null(p);
    return p;
}

static enum ota_status parse_text(const char *text, size_t len, struct ota_err *err)
{
    struct ota_manifest m;
    ota_err_clear(err);
    memset(&m, 0xa5, sizeof m);
    enum ota_status rc = ota_manifest_parse_mem(&m, text, len, err);
    if (rc != OTA_OK) {
        /* on failure the output is zeroed: nothing half-parsed leaks to the caller */
        struct ota_manifest zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&m, &zero, sizeof m);
    }
    ota_manifest_free(&m);
    return rc;
}

/* Parses a mutated document, expects status want and a message containing needle. */
static void expect_reject(json_t *root, enum ota_status want, const char *needle)
{
    char *text = json_dumps(root, JSON_COMPACT);
    assert_non_null(text);
    struct ota_err err;
    enum ota_status rc = parse_text(text, strlen(text), &err);
    if (rc != want)
        fail_msg("document %.300s: status %d (%s), expected %d (%s); message: '%s'", text, rc,
                 ota_strerror(rc), want, ota_strerror(want), err.msg);
    check_msg(&err, needle);
    if (getenv("UNIT_VERBOSE"))
        print_message("rejected (%s): %s\n", ota_strerror(rc), err.msg);
    free(text);
    json_decref(root);
}

/* Replaces the first occurrence of from in s; the result is malloc'd. */
static char *replace_once(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    if (!at)
        fail_msg("'%s' not found in the document", from);
    size_t head = (size_t)(at - s), fl = strlen(from), tl = strlen(to), sl = strlen(s);
    char *out = malloc(sl - fl + tl + 1);
    assert_non_null(out);
    memcpy(out, s, head);
    memcpy(out + head, to, tl);
    memcpy(out + head + tl, at + fl, sl - head - fl + 1);
    return out;
}

/* Compact sample text with one textual substitution, then parse: for what jansson cannot
 * build (duplicate keys, huge integers, NUL escapes). */
static void expect_reject_text(const char *from, const char *to, enum ota_status want,
                               const char *needle)
{
    json_t *root = sample_json();
    char *compact = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    assert_non_null(compact);
    char *text = replace_once(compact, from, to);
    free(compact);
    struct ota_err err;
    enum ota_status rc = parse_text(text, strlen(text), &err);
    if (rc != want)
        fail_msg("document %.300s: status %d (%s), expected %d (%s); message: '%s'", text, rc,
                 ota_strerror(rc), want, ota_strerror(want), err.msg);
    check_msg(&err, needle);
    if (getenv("UNIT_VERBOSE"))
        print_message("rejected (%s): %s\n", ota_strerror(rc), err.msg);
    free(text);
}

static void expect_accept(json_t *root)
{
    char *text = json_dumps(root, JSON_COMPACT);
    assert_non_null(text);
    struct ota_err err;
    check_status(parse_text(text, strlen(text), &err), OTA_OK, &err);
    free(text);
    json_decref(root);
}

/* ---- round trip ----------------------------------------------------------------------- */

static void round_trip_keeps_every_field(void **state)
{
    (void)state;
    struct ota_manifest m, back;
    struct ota_err err = {0};
    char *text;
    size_t len;
    make_sample(&m);
    check_status(ota_manifest_serialize(&text, &len, &m, &err), OTA_OK, &err);
    assert_int_equal(strlen(text), len);
    assert_int_equal(text[len - 1], '\n'); /* final newline */

    check_status(ota_manifest_parse_mem(&back, text, len, &err), OTA_OK, &err);
    assert_int_equal(back.format, m.format);
    assert_string_equal(back.product, m.product);
    assert_string_equal(back.version, m.version);
    assert_int_equal(back.n_hardware, m.n_hardware);
    for (size_t i = 0; i < m.n_hardware; i++)
        assert_string_equal(back.hardware[i], m.hardware[i]);
    assert_true(back.security_version == m.security_version);
    assert_true(back.created == m.created);
    assert_true(back.expires == m.expires);
    assert_int_equal(back.n_payloads, m.n_payloads);
    for (size_t i = 0; i < m.n_payloads; i++) {
        const struct ota_payload *a = &m.payloads[i], *b = &back.payloads[i];
        assert_string_equal(b->name, a->name);
        assert_string_equal(b->type, a->type);
        assert_int_equal(b->compression, a->compression);
        assert_true(b->size == a->size);
        assert_memory_equal(b->sha256, a->sha256, OTA_SHA256_LEN);
        assert_true(b->raw_size == a->raw_size);
        assert_memory_equal(b->raw_sha256, a->raw_sha256, OTA_SHA256_LEN);
    }
    assert_int_equal(ota_manifest_find(&back, "roots_2024.pem"), 1);
    assert_int_equal(ota_manifest_find(&back, "missing"), -1);
    ota_manifest_free(&back);
    ota_manifest_free(&m);
    free(text);
}

static void serialisation_is_deterministic(void **state)
{
    (void)state;
    size_t l1, l2, l3;
    char *a = serialize_sample(&l1);
    char *b = serialize_sample(&l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);

    /* parse -> serialize reproduces the same bytes */
    struct ota_manifest m;
    struct ota_err err = {0};
    char *c;
    check_status(ota_manifest_parse_mem(&m, a, l1, &err), OTA_OK, &err);
    check_status(ota_manifest_serialize(&c, &l3, &m, &err), OTA_OK, &err);
    assert_int_equal(l3, l1);
    assert_memory_equal(c, a, l1);
    ota_manifest_free(&m);
    free(a);
    free(b);
    free(c);
}

static void wire_format_uses_documented_fields(void **state)
{
    (void)state;
    json_t *root = sample_json();
    assert_int_equal(json_integer_value(json_object_get(root, "format")), 1);
    assert_string_equal(json_string_value(json_object_get(root, "product")), "acme.gw-2");
    assert_int_equal(json_integer_value(json_object_get(root, "security_version")), 42);

    /* times are RFC 3339 UTC, checked against the C library */
    char want[32];
    struct tm tm;
    time_t t = (time_t)CREATED;
    assert_non_null(gmtime_r(&t, &tm));
    strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
    assert_string_equal(json_string_value(json_object_get(root, "created")), want);

    /* digests are lowercase hex of exactly what OpenSSL computes */
    json_t *p = payload_json(root, 1);
    uint8_t d[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    sha256_of(d, "compressed roots");
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(json_string_value(json_object_get(p, "sha256")), hex);
    sha256_of(d, "roots");
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    assert_string_equal(json_string_value(json_object_get(p, "uncompressed_sha256")), hex);
    assert_string_equal(json_string_value(json_object_get(p, "compression")), "zlib");
    assert_int_equal(json_integer_value(json_object_get(p, "size")), 300);
    assert_int_equal(json_integer_value(json_object_get(p, "uncompressed_size")), 900);
    assert_string_equal(json_string_value(json_object_get(p, "type")), "truststore");
    json_decref(root);
}

static void largest_security_version_round_trips(void **state)
{
    (void)state;
    struct ota_manifest m, back;
    struct ota_err err = {0};
    char *text;
    size_t len;
    make_sample(&m);
    m.security_version = OTA_MAX_SECURITY_VERSION;
    check_status(ota_manifest_serialize(&text, &len, &m, &err), OTA_OK, &err);
    check_status(ota_manifest_parse_mem(&back, text, len, &err), OTA_OK, &err);
    assert_true(back.security_version == OTA_MAX_SECURITY_VERSION);
    ota_manifest_free(&back);
    free(text);

    m.security_version = OTA_MAX_SECURITY_VERSION + 1;
    check_status(ota_manifest_serialize(&text, &len, &m, &err), OTA_E_LIMIT, &err);
    assert_null(text);
    check_msg(&err, "security_version");
    ota_manifest_free(&m);
}

static void serialize_refuses_invalid_manifest(void **state)
{
    (void)state;
    struct ota_manifest m;
    struct ota_err err = {0};
    char *text = (char *)1;
    size_t len = 1;
    make_sample(&m);
    snprintf(m.payloads[1].name, sizeof m.payloads[1].name, "../etc");
    check_status(ota_manifest_serialize(&text, &len, &m, &err), OTA_E_FORMAT, &err);
    assert_null(text);
    assert_int_equal(len, 0);
    check_msg(&err, "../etc");
    ota_manifest_free(&m);
}

/* KNOWN LIBRARY BUG (formats/manifest.c, ota_manifest_validate): created and expires are not
 * checked against the range ota_time_format can write (1970..9999), so serialize accepts a
 * manifest whose bytes mean something else: created = -1 is written as
 * "9999-12-31T23:59:59Z" (and the document then fails to parse), and an expiry after 9999 is
 * silently clamped. Expected: serialize fails with OTA_E_FORMAT, or its output parses back to
 * the same times. This test fails until the library is fixed. */
static void bug_serialized_times_parse_back(void **state)
{
    (void)state;
    static const int64_t cases[][2] = {
        {-1, 1000},                                     /* created before the epoch */
        {CREATED, INT64_C(253402300800)},               /* expires in the year 10000 */
        {INT64_C(253402300000), INT64_C(253402400000)}, /* both beyond 9999 when formatted */
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ota_manifest m, back;
        struct ota_err err = {0};
        char *text;
        size_t len;
        make_sample(&m);
        m.created = cases[i][0];
        m.expires = cases[i][1];
        if (ota_manifest_serialize(&text, &len, &m, &err) == OTA_OK) {
            enum ota_status rc = ota_manifest_parse_mem(&back, text, len, &err);
            if (rc != OTA_OK || back.created != m.created || back.expires != m.expires) {
                print_error("created=%lld expires=%lld: serialised, but %s\n", (long long)m.created,
                            (long long)m.expires, rc ? err.msg : "parses back to other times");
                bad++;
            }
            ota_manifest_free(&back);
            free(text);
        }
        ota_manifest_free(&m);
    }
    assert_int_equal(bad, 0);
}

/* ---- rejected documents ------------------------------------------------------------- */

static void rejects_unknown_fields(void **state)
{
    (void)state;
    json_t *root = sample_json();
    json_object_set_new(root, "install_script", json_string("rm -rf /"));
    expect_reject(root, OTA_E_FORMAT, "install_script");

    root = sample_json();
    json_object_set_new(payload_json(root, 1), "mode", json_integer(0755));
    expect_reject(root, OTA_E_FORMAT, "mode");
}

static void rejects_duplicate_json_keys(void **state)
{
    (void)state;
    /* top level: a second "product" after the first one */
    expect_reject_text("\"product\":\"acme.gw-2\"",
                       "\"product\":\"acme.gw-2\",\"product\":\"other\"", OTA_E_FORMAT, "product");
    /* inside a payload */
    expect_reject_text("\"name\":\"app.img\"", "\"name\":\"app.img\",\"name\":\"boot.img\"",
                       OTA_E_FORMAT, "name");
}

static void rejects_missing_fields(void **state)
{
    (void)state;
    static const char *const top[] = {"format",  "product", "version", "security_version",
                                      "created", "expires", "payloads"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
        json_t *root = sample_json();
        json_object_del(root, top[i]);
        expect_reject(root, OTA_E_FORMAT, top[i]);
    }
    static const char *const pl[] = {"name",
                                     "type",
                                     "compression",
                                     "size",
                                     "sha256",
                                     "uncompressed_size",
                                     "uncompressed_sha256"};
    for (size_t i = 0; i < sizeof pl / sizeof pl[0]; i++) {
        json_t *root = sample_json();
        json_object_del(payload_json(root, 0), pl[i]);
        expect_reject(root, OTA_E_FORMAT, pl[i]);
    }
    /* hardware is optional */
    json_t *root = sample_json();
    json_object_del(root, "hardware");
    expect_accept(root);
}

static void rejects_bad_payload_names(void **state)
{
    (void)state;
    char long_name[OTA_MAX_NAME_LEN + 2];
    memset(long_name, 'a', OTA_MAX_NAME_LEN + 1);
    long_name[OTA_MAX_NAME_LEN + 1] = '\0';
    static const char *const bad[] = {"../x", "/abs", ".hidden", "a/b",  "..",
                                      ".",    "a\\b", "a b",     "app\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *root = sample_json();
        json_object_set_new(payload_json(root, 0), "name", json_string(bad[i]));
        expect_reject(root, OTA_E_FORMAT, "name");
    }
    json_t *root = sample_json();
    json_object_set_new(payload_json(root, 0), "name", json_string(""));
    expect_reject(root, OTA_E_FORMAT, "payload name");

    /* 65 bytes: over the limit; 64 bytes: fine */
    root = sample_json();
    json_object_set_new(payload_json(root, 0), "name", json_string(long_name));
    expect_reject(root, OTA_E_LIMIT, "name");
    long_name[OTA_MAX_NAME_LEN] = '\0';
    root = sample_json();
    json_object_set_new(payload_json(root, 0), "name", json_string(long_name));
    expect_accept(root);
}

static void rejects_duplicate_and_reserved_payload_names(void **state)
{
    (void)state;
    json_t *root = sample_json();
    json_object_set_new(payload_json(root, 1), "name", json_string("app.img"));
    expect_reject(root, OTA_E_FORMAT, "app.img");

    root = sample_json();
    json_object_set_new(payload_json(root, 0), "name", json_string(OTA_MANIFEST_ENTRY));
    expect_reject(root, OTA_E_FORMAT, OTA_MANIFEST_ENTRY);

    root = sample_json();
    json_object_set_new(payload_json(root, 1), "name", json_string(OTA_SIGBLOCK_ENTRY));
    expect_reject(root, OTA_E_FORMAT, OTA_SIGBLOCK_ENTRY);
}

static void rejects_bad_security_version(void **state)
{
    (void)state;
    json_t *root = sample_json();
    json_object_set_new(root, "security_version", json_integer(-1));
    expect_reject(root, OTA_E_LIMIT, "security_version");

    root = sample_json();
    json_object_set_new(root, "security_version", json_real(5.0));
    expect_reject(root, OTA_E_FORMAT, "security_version");

    root = sample_json();
    json_object_set_new(root, "security_version", json_string("5"));
    expect_reject(root, OTA_E_FORMAT, "security_version");

    root = sample_json();
    json_object_set_new(root, "security_version", json_null());
    expect_reject(root, OTA_E_FORMAT, "security_version");

    /* 2^63 does not fit the JSON reader's integer: rejected as malformed, and the message
     * points at the offending number */
    expect_reject_text("\"security_version\":42", "\"security_version\":9223372036854775808",
                       OTA_E_FORMAT, "9223372036854775808");
    expect_reject_text("\"security_version\":42", "\"security_version\":18446744073709551616",
                       OTA_E_FORMAT, "18446744073709551616");
    expect_reject_text("\"security_version\":42", "\"security_version\":4.2e1", OTA_E_FORMAT,
                       "security_version");
}

static void rejects_bad_times(void **state)
{
    (void)state;
    char same[OTA_TIME_STR_LEN];
    ota_time_format(same, CREATED);

    json_t *root = sample_json();
    json_object_set_new(root, "expires", json_string(same)); /* expires == created */
    expect_reject(root, OTA_E_FORMAT, "expires");

    root = sample_json();
    json_object_set_new(root, "expires", json_string("2001-01-01T00:00:00Z")); /* before */
    expect_reject(root, OTA_E_FORMAT, "created");

    static const char *const bad[] = {"2023-11-14 22:13:20Z", "2023-11-14T22:13:20",
                                      "2023-11-14T22:13:20+00:00", "1700000000",
                                      "2023-02-29T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        root = sample_json();
        json_object_set_new(root, "created", json_string(bad[i]));
        expect_reject(root, OTA_E_FORMAT, "created");
    }
    root = sample_json();
    json_object_set_new(root, "expires", json_integer(EXPIRES));
    expect_reject(root, OTA_E_FORMAT, "expires");
}

static void rejects_bad_digests(void **state)
{
    (void)state;
    static const char *const fields[] = {"sha256", "uncompressed_sha256"};
    for (size_t f = 0; f < 2; f++) {
        json_t *root = sample_json();
        json_t *p = payload_json(root, 1);
        char hex[2 * OTA_SHA256_LEN + 1];
        snprintf(hex, sizeof hex, "%s", json_string_value(json_object_get(p, fields[f])));
        for (char *c = hex; *c; c++)
            if (*c >= 'a' && *c <= 'f')
                *c = (char)(*c - 'a' + 'A');
        json_object_set_new(p, fields[f], json_string(hex));
        expect_reject(root, OTA_E_FORMAT, fields[f]);

        root = sample_json();
        p = payload_json(root, 1);
        snprintf(hex, sizeof hex, "%s", json_string_value(json_object_get(p, fields[f])));
        hex[62] = '\0'; /* 31 bytes */
        json_object_set_new(p, fields[f], json_string(hex));
        expect_reject(root, OTA_E_FORMAT, fields[f]);

        root = sample_json();
        p = payload_json(root, 1);
        snprintf(hex, sizeof hex, "%s", json_string_value(json_object_get(p, fields[f])));
        hex[63] = '\0'; /* odd length */
        json_object_set_new(p, fields[f], json_string(hex));
        expect_reject(root, OTA_E_FORMAT, fields[f]);
    }
}

static void rejects_unknown_compression(void **state)
{
    (void)state;
    json_t *root = sample_json();
    json_object_set_new(payload_json(root, 1), "compression", json_string("gzip"));
    expect_reject(root, OTA_E_UNSUPPORTED, "gzip");

    root = sample_json();
    json_object_set_new(payload_json(root, 1), "compression", json_string("ZLIB"));
    expect_reject(root, OTA_E_UNSUPPORTED, "compression");
}

static void rejects_uncompressed_size_mismatch(void **state)
{
    (void)state;
    json_t *root = sample_json();
    json_object_set_new(payload_json(root, 0), "uncompressed_size", json_integer(1001));
    expect_reject(root, OTA_E_FORMAT, "app.img");

    /* the two digests of an uncompressed payload must agree as well */
    root = sample_json();
    json_t *p1 = payload_json(root, 1);
    json_object_set(payload_json(root, 0), "uncompressed_sha256",
                    json_object_get(p1, "uncompressed_sha256"));
    expect_reject(root, OTA_E_FORMAT, "app.img");
}

static void rejects_bad_hardware(void **state)
{
    (void)state;
    json_t *root = sample_json();
    json_array_append_new(json_object_get(root, "hardware"), json_string("rev-a"));
    expect_reject(root, OTA_E_FORMAT, "rev-a");

    root = sample_json();
    json_array_append_new(json_object_get(root, "hardware"), json_string("rev c"));
    expect_reject(root, OTA_E_FORMAT, "hardware");

    root = sample_json();
    json_object_set_new(root, "hardware", json_string("rev-a"));
    expect_reject(root, OTA_E_FORMAT, "hardware");

    root = sample_json();
    json_t *hw = json_array();
    for (unsigned i = 0; i <= OTA_MAX_HARDWARE; i++) {
        char name[16];
        snprintf(name, sizeof name, "rev-%u", i);
        json_array_append_new(hw, json_string(name));
    }
    json_object_set_new(root, "hardware", hw);
    expect_reject(root, OTA_E_LIMIT, "hardware");
}

static void rejects_bad_identity_strings(void **state)
{
    (void)state;
    json_t *root = sample_json();
    json_object_set_new(root, "product", json_string("acme gw"));
    expect_reject(root, OTA_E_FORMAT, "product");

    root = sample_json();
    json_object_set_new(root, "product", json_string(""));
    expect_reject(root, OTA_E_FORMAT, "product");

    root = sample_json();
    json_object_set_new(root, "version", json_string("1.0\n"));
    expect_reject(root, OTA_E_FORMAT, "version");

    root = sample_json();
    json_object_set_new(payload_json(root, 0), "type", json_string("Image"));
    expect_reject(root, OTA_E_FORMAT, "type");
}

static void payload_count_limit(void **state)
{
    (void)state;
    for (unsigned n = OTA_MAX_PAYLOADS; n <= OTA_MAX_PAYLOADS + 1; n++) {
        json_t *root = sample_json();
        json_t *proto = json_deep_copy(payload_json(root, 0));
        json_t *arr = json_array();
        for (unsigned i = 0; i < n; i++) {
            json_t *p = json_deep_copy(proto);
            char name[16];
            snprintf(name, sizeof name, "p%03u.img", i);
            json_object_set_new(p, "name", json_string(name));
            json_array_append_new(arr, p);
        }
        json_decref(proto);
        json_object_set_new(root, "payloads", arr);
        if (n == OTA_MAX_PAYLOADS)
            expect_accept(root);
        else
            expect_reject(root, OTA_E_LIMIT, "payloads");
    }
}

static void manifest_size_limit(void **state)
{
    (void)state;
    size_t len;
    char *text = serialize_sample(&len);
    char *big = malloc(OTA_MAX_MANIFEST_SIZE + 1);
    assert_non_null(big);
    memcpy(big, text, len);
    memset(big + len, ' ', OTA_MAX_MANIFEST_SIZE + 1 - len); /* trailing whitespace is JSON */
    struct ota_err err;
    check_status(parse_text(big, OTA_MAX_MANIFEST_SIZE, &err), OTA_OK, &err);
    check_status(parse_text(big, OTA_MAX_MANIFEST_SIZE + 1, &err), OTA_E_LIMIT, &err);
    check_msg(&err, "manifest");
    free(big);
    free(text);
}

static void rejects_other_format_versions(void **state)
{
    (void)state;
    json_t *root = sample_json();
    json_object_set_new(root, "format", json_integer(2));
    expect_reject(root, OTA_E_UNSUPPORTED, "format");

    root = sample_json();
    json_object_set_new(root, "format", json_integer(0));
    expect_reject(root, OTA_E_UNSUPPORTED, "format");

    root = sample_json();
    json_object_set_new(root, "format", json_string("1"));
    expect_reject(root, OTA_E_FORMAT, "format");
}

static void rejects_non_object_and_garbage(void **state)
{
    (void)state;
    struct ota_err err;
    static const char array[] = "[{\"format\":1}]";
    check_status(parse_text(array, sizeof array - 1, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "object");

    static const char *const junk[] = {"", "   ", "null", "1", "\"manifest\"", "{", "{}x"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        enum ota_status rc = parse_text(junk[i], strlen(junk[i]), &err);
        if (rc != OTA_E_FORMAT)
            fail_msg("'%s': status %d, message '%s'", junk[i], rc, err.msg);
        check_msg(&err, "manifest");
    }

    /* a valid manifest followed by anything but whitespace */
    size_t len;
    char *text = serialize_sample(&len);
    char *more = malloc(len + 3);
    assert_non_null(more);
    memcpy(more, text, len);
    memcpy(more + len, "{}", 3);
    check_status(parse_text(more, len + 2, &err), OTA_E_FORMAT, &err);
    more[len] = 'x';
    check_status(parse_text(more, len + 1, &err), OTA_E_FORMAT, &err);
    more[len] = '\0'; /* a raw NUL after the document, inside the given length */
    check_status(parse_text(more, len + 1, &err), OTA_E_FORMAT, &err);
    free(more);
    free(text);
}

static void rejects_embedded_nul(void **state)
{
    (void)state;
    expect_reject_text("\"product\":\"acme.gw-2\"", "\"product\":\"acme\\u0000gw\"", OTA_E_FORMAT,
                       "manifest");
    expect_reject_text("\"name\":\"app.img\"", "\"name\":\"app.img\\u0000.sh\"", OTA_E_FORMAT,
                       "manifest");
}

static void rejects_invalid_utf8(void **state)
{
    (void)state;
    expect_reject_text("\"version\":\"1.2.3 (build 7)\"", "\"version\":\"1.2.3 \xc0\xaf\"",
                       OTA_E_FORMAT, "manifest");
}

/* KNOWN LIBRARY BUG (formats/manifest.c, ota_manifest_validate and formats/json_util.c,
 * ota_json_only_keys): strings from the document are copied raw into the error message
 * ("invalid payload name '%.64s'", "unknown field '%.64s'"), so a hostile manifest can put a
 * newline or a terminal escape sequence into what the commands print as one line on stderr
 * (`otapack inspect` parses unverified manifests). The package reader already escapes
 * names (printable_name in package_read.c). This test fails until the library is fixed. */
static void bug_error_message_is_one_printable_line(void **state)
{
    (void)state;
    json_t *docs[4];
    docs[0] = sample_json();
    json_object_set_new(payload_json(docs[0], 0), "name", json_string("x\n\x1b[2Jfake: ok"));
    docs[1] = sample_json();
    json_object_set_new(docs[1], "product", json_string("p\nfake: ok"));
    docs[2] = sample_json();
    json_object_set_new(docs[2], "x\r\nfake", json_true());
    docs[3] = sample_json();
    json_array_append_new(json_object_get(docs[3], "hardware"), json_string("h\x1b]0;t\x07"));
    int bad = 0;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char *text = json_dumps(docs[i], JSON_COMPACT);
        assert_non_null(text);
        struct ota_err err;
        assert_int_not_equal(parse_text(text, strlen(text), &err), OTA_OK);
        for (const char *c = err.msg; *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                char shown[4 * OTA_ERR_MSG_MAX];
                size_t o = 0;
                for (const char *d = err.msg; *d && o + 5 < sizeof shown; d++)
                    o += (size_t)snprintf(shown + o, sizeof shown - o,
                                          ((unsigned char)*d < 0x20 || *d == 0x7f) ? "\\x%02x"
                                                                                   : "%c",
                                          (unsigned char)*d);
                print_error("message has control byte 0x%02x: '%s'\n", (unsigned char)*c, shown);
                bad++;
                break;
            }
        }
        free(text);
        json_decref(docs[i]);
    }
    assert_int_equal(bad, 0);
}

static void deep_nesting_rejected_without_crash(void **state)
{
    (void)state;
    const size_t depth = 10000;
    struct ota_err err;
    /* as the value of a field */
    char *doc = malloc(2 * depth + 16);
    assert_non_null(doc);
    size_t n = 0;
    memcpy(doc, "{\"x\":", 5);
    n = 5;
    memset(doc + n, '[', depth);
    n += depth;
    memset(doc + n, ']', depth);
    n += depth;
    doc[n++] = '}';
    check_status(parse_text(doc, n, &err), OTA_E_FORMAT, &err);
    /* as the whole document */
    memset(doc, '[', depth);
    memset(doc + depth, ']', depth);
    check_status(parse_text(doc, 2 * depth, &err), OTA_E_FORMAT, &err);
    /* nested objects, never closed */
    n = 0;
    while (n + 6 < 2 * depth) {
        memcpy(doc + n, "{\"a\":", 5);
        n += 5;
    }
    check_status(parse_text(doc, n, &err), OTA_E_FORMAT, &err);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_keeps_every_field),
        cmocka_unit_test(serialisation_is_deterministic),
        cmocka_unit_test(wire_format_uses_documented_fields),
        cmocka_unit_test(largest_security_version_round_trips),
        cmocka_unit_test(serialize_refuses_invalid_manifest),
        cmocka_unit_test(bug_serialized_times_parse_back),
        cmocka_unit_test(rejects_unknown_fields),
        cmocka_unit_test(rejects_duplicate_json_keys),
        cmocka_unit_test(rejects_missing_fields),
        cmocka_unit_test(rejects_bad_payload_names),
        cmocka_unit_test(rejects_duplicate_and_reserved_payload_names),
        cmocka_unit_test(rejects_bad_security_version),
        cmocka_unit_test(rejects_bad_times),
        cmocka_unit_test(rejects_bad_digests),
        cmocka_unit_test(rejects_unknown_compression),
        cmocka_unit_test(rejects_uncompressed_size_mismatch),
        cmocka_unit_test(rejects_bad_hardware),
        cmocka_unit_test(rejects_bad_identity_strings),
        cmocka_unit_test(payload_count_limit),
        cmocka_unit_test(manifest_size_limit),
        cmocka_unit_test(rejects_other_format_versions),
        cmocka_unit_test(rejects_non_object_and_garbage),
        cmocka_unit_test(rejects_embedded_nul),
        cmocka_unit_test(rejects_invalid_utf8),
        cmocka_unit_test(deep_nesting_rejected_without_crash),
        cmocka_unit_test(bug_error_message_is_one_printable_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
