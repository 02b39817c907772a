/* test_lint.c — the lint rules of packager/lint.c, on described certificates built in memory.
 *
 * Proves: each rule fires exactly at its boundary (notAfter is still valid, one second later
 * is expired; notBefore likewise; "expiring" is strictly less than N days, and N = 0 turns it
 * off); not-ca is an error for a trust anchor and for a chain certificate after the leaf but
 * not for the leaf; RSA/DSA under 2048 and EC under 224 bits are weak, Ed25519 is not; SHA-1
 * is reported except on a self-signed certificate; a duplicate is reported once and not
 * checked again; severities are what lint.h promises; ota_lint_failed applies --strict;
 * findings accumulate across calls; and any clock value is handled without overflow. The
 * certificates are struct ota_cert values filled by hand (lint never touches the OpenSSL
 * object), so every boundary is exact; lint_certs.sh and lint_package.sh run the same rules
 * on real certificates made by openssl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "otapack/lint.h"

#define NOW INT64_C(1795737600) /* 2026-11-27T00:00:00Z */
#define DAY INT64_C(86400)

/* A healthy root: self-signed CA, RSA 2048, SHA-256, valid ten years around NOW. */
static struct ota_cert good(unsigned char id)
{
    struct ota_cert c;
    memset(&c, 0, sizeof c);
    memset(c.sha256, id, sizeof c.sha256);
    for (size_t i = 0; i < 64; i++)
        c.fingerprint[i] = "0123456789abcdef"[(i % 2) ? (id & 15) : (id >> 4)];
    snprintf(c.subject, sizeof c.subject, "CN=Test %u", id);
    snprintf(c.issuer, sizeof c.issuer, "CN=Test %u", id);
    c.not_before = NOW - 5 * 365 * DAY;
    c.not_after = NOW + 5 * 365 * DAY;
    c.is_ca = 1;
    c.self_signed = 1;
    snprintf(c.key_type, sizeof c.key_type, "RSA");
    c.key_bits = 2048;
    snprintf(c.sig_alg, sizeof c.sig_alg, "sha256WithRSAEncryption");
    return c;
}

static void lint1(struct ota_lint_report *rep, struct ota_cert *c, int64_t now, uint32_t days)
{
    struct ota_certlist l = {1, c};
    struct ota_err err = {0};
    ota_lint_report_init(rep);
    assert_int_equal(ota_lint_certs(rep, &l, now, days, &err), OTA_OK);
    assert_int_equal(rep->n_certs, 1);
}

/* rep holds exactly one finding, with this code and severity. */
static void expect_one(const struct ota_lint_report *rep, enum ota_lint_code code,
                       enum ota_lint_severity sev)
{
    if (rep->n != 1)
        fail_msg("%zu findings, expected one '%s'%s%s", rep->n, ota_lint_code_name(code),
                 rep->n ? "; first: " : "", rep->n ? ota_lint_code_name(rep->v[0].code) : "");
    assert_int_equal(rep->v[0].code, code);
    assert_int_equal(rep->v[0].severity, sev);
    assert_int_equal(rep->n_errors, sev == OTA_LINT_ERROR);
    assert_int_equal(rep->n_warnings, sev == OTA_LINT_WARNING);
    assert_true(strlen(rep->v[0].message) > 0);
    assert_null(strchr(rep->v[0].message, '\n'));
}

static void expect_none(const struct ota_lint_report *rep)
{
    if (rep->n != 0)
        fail_msg("unexpected finding '%s': %s", ota_lint_code_name(rep->v[0].code),
                 rep->v[0].message);
    assert_int_equal(rep->n_errors + rep->n_warnings, 0);
}

static void test_good_root_is_clean(void **state)
{
    (void)state;
    struct ota_lint_report rep;
    struct ota_cert c = good(1);
    lint1(&rep, &c, NOW, 90);
    expect_none(&rep);
    assert_false(ota_lint_failed(&rep, OTA_LINT_STRICT));
    ota_lint_report_free(&rep);
}

static void test_expiry_boundary(void **state)
{
    (void)state;
    struct ota_lint_report rep;
    struct ota_cert c = good(2);
    c.not_after = NOW;
    lint1(&rep, &c, NOW, 0); /* valid through its notAfter second (RFC 5280) */
    expect_none(&rep);
    ota_lint_report_free(&rep);
    lint1(&rep, &c, NOW + 1, 0);
    expect_one(&rep, OTA_LINT_EXPIRED, OTA_LINT_ERROR);
    assert_non_null(strstr(rep.v[0].message, "2026-11-27T00:00:00Z"));
    assert_int_equal(rep.v[0].not_after, NOW);
    assert_string_equal(rep.v[0].subject, "CN=Test 2");
    assert_true(ota_lint_failed(&rep, OTA_LINT_DEFAULT));
    ota_lint_report_free(&rep);
    /* expired is not also "expiring" */
    lint1(&rep, &c, NOW + 1, 90);
    expect_one(&rep, OTA_LINT_EXPIRED, OTA_LINT_ERROR);
    ota_lint_report_free(&rep);
}

static void test_expiring_boundary(void **state)
{
    (void)state;
    struct ota_lint_report rep;
    struct ota_cert c = good(3);
    c.not_after = NOW + 90 * DAY;
    lint1(&rep, &c, NOW, 90); /* exactly 90 days left: enough */
    expect_none(&rep);
    ota_lint_report_free(&rep);
    c.not_after = NOW + 90 * DAY - 1;
    lint1(&rep, &c, NOW, 90);
    expect_one(&rep, OTA_LINT_EXPIRING, OTA_LINT_WARNING);
    assert_non_null(strstr(rep.v[0].message, "in 89 days"));
    assert_false(ota_lint_failed(&rep, OTA_LINT_DEFAULT));
    assert_true(ota_lint_failed(&rep, OTA_LINT_STRICT));
    ota_lint_report_free(&rep);
    lint1(&rep, &c, NOW, 0); /* 0 days: check off */
    expect_none(&rep);
    ota_lint_report_free(&rep);
    c.not_after = NOW + 30 * DAY;
    lint1(&rep, &c, NOW, 31);
    expect_one(&rep, OTA_LINT_EXPIRING, OTA_LINT_WARNING);
    assert_non_null(strstr(rep.v[0].message, "in 30 days"));
    ota_lint_report_free(&rep);
    lint1(&rep, &c, NOW, 30);
    expect_none(&rep);
    ota_lint_report_free(&rep);
}

static void test_not_yet_valid_boundary(void **state)
{
    (void)state;
    struct ota_lint_report rep;
    struct ota_cert c = good(4);
    c.not_before = NOW;
    lint1(&rep, &c, NOW, 90);
    expect_none(&rep);
    ota_lint_report_free(&rep);
    lint1(&rep, &c, NOW - 1, 90);
    expect_one(&rep, OTA_LINT_NOT_YET_VALID, OTA_LINT_WARNING);
    assert_int_equal(rep.v[0].not_before, NOW);
    ota_lint_report_free(&rep);
}

static void test_not_ca(void **state)
{
    (void)state;
    struct ota_lint_report rep;
    struct ota_cert c = good(5);
    c.is_ca = 0;
    lint1(&rep, &c, NOW, 90);
    expect_one(&rep, OTA_LINT_NOT_CA, OTA_LINT_ERROR);
    ota_lint_report_free(&rep);

    /* a server chain: the leaf is not a CA and must not be; the next one must be */
    struct ota_cert chain[3] = {good(6), good(7), good(8)};
    chain[0].is_ca = 0;
    chain[0].self_signed = 0;
    struct ota_certlist l = {3, chain};
    struct ota_err err = {0};
    ota_lint_report_init(&rep);
    assert_int_equal(ota_lint_certs_role(&rep, &l, OTA_LINT_ROLE_CHAIN, "chain", NOW, 90, &err),
                     OTA_OK);
    expect_none(&rep);
    ota_lint_report_free(&rep);
    chain[1].is_ca = 0;
    ota_lint_report_init(&rep);
    assert_int_equal(ota_lint_certs_role(&rep, &l, OTA_LINT_ROLE_CHAIN, "chain", NOW, 90, &err),
                     OTA_OK);
    expect_one(&rep, OTA_LINT_NOT_CA, OTA_LINT_ERROR);
    assert_string_equal(rep.v[0].subject, "CN=Test 7");
    assert_string_equal(rep.v[0].payload, "chain");
    ota_lint_report_free(&rep);
}

static void test_weak_keys(void **state)
{
    (void)state;
    static const struct {
        const char *type;
        int bits, weak;
    } cases[] = {{"RSA", 1024, 1},     {"RSA", 2047, 1},   {"RSA", 2048, 0}, {"RSA", 4096, 0},
                 {"RSA-PSS", 1024, 1}, {"DSA", 1024, 1},   {"EC", 192, 1},   {"EC", 224, 0},
                 {"EC", 384, 0},       {"ED25519", 253, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ota_lint_report rep;
        struct ota_cert c = good(9);
        snprintf(c.key_type, sizeof c.key_type, "%s", cases[i].type);
        c.key_bits = cases[i].bits;
        lint1(&rep, &c, NOW, 90);
        if (cases[i].weak)
            expect_one(&rep, OTA_LINT_WEAK_KEY, OTA_LINT_WARNING);
        else
            expect_none(&rep);
        ota_lint_report_free(&rep);
    }
}

static void test_sha1(void **state)
{
    (void)state;
    struct ota_lint_report rep;
    struct ota_cert c = good(10);
    c.sha1_signature = 1;
    snprintf(c.sig_alg, sizeof c.sig_alg, "sha1WithRSAEncryption");
    lint1(&rep, &c, NOW, 90); /* a root's signature on itself is never checked */
    expect_none(&rep);
    ota_lint_report_free(&rep);
    c.self_signed = 0;
    lint1(&rep, &c, NOW, 90);
    expect_one(&rep, OTA_LINT_SHA1, OTA_LINT_WARNING);
    assert_non_null(strstr(rep.v[0].message, "sha1WithRSAEncryption"));
    ota_lint_report_free(&rep);
}

static void test_duplicate(void **state)
{
    (void)state;
    struct ota_cert v[3] = {good(11), good(12), good(11)};
    v[0].not_after = v[2].not_after = NOW - 1; /* expired: reported once, on the first */
    struct ota_certlist l = {3, v};
    struct ota_lint_report rep;
    struct ota_err err = {0};
    ota_lint_report_init(&rep);
    assert_int_equal(ota_lint_certs(&rep, &l, NOW, 90, &err), OTA_OK);
    assert_int_equal(rep.n_certs, 3);
    assert_int_equal(rep.n, 2);
    assert_int_equal(rep.v[0].code, OTA_LINT_EXPIRED);
    assert_int_equal(rep.v[1].code, OTA_LINT_DUPLICATE);
    assert_int_equal(rep.v[1].severity, OTA_LINT_WARNING);
    assert_non_null(strstr(rep.v[1].message, "certificate 1"));
    assert_int_equal(rep.n_errors, 1);
    assert_int_equal(rep.n_warnings, 1);

    /* findings accumulate; duplicates are per call (per input) */
    struct ota_certlist one = {1, &v[1]};
    assert_int_equal(ota_lint_certs(&rep, &one, NOW, 90, &err), OTA_OK);
    assert_int_equal(rep.n_certs, 4);
    assert_int_equal(rep.n, 2);
    ota_lint_report_free(&rep);
    assert_int_equal(rep.n, 0);
    assert_null(rep.v);
}

static void test_several_findings(void **state)
{
    (void)state;
    struct ota_lint_report rep;
    struct ota_cert c = good(13);
    c.is_ca = 0;
    c.self_signed = 0;
    c.key_bits = 1024;
    c.sha1_signature = 1;
    c.not_before = NOW + DAY;
    c.not_after = NOW + 10 * DAY;
    lint1(&rep, &c, NOW, 90);
    assert_int_equal(rep.n, 5);
    assert_int_equal(rep.v[0].code, OTA_LINT_EXPIRING);
    assert_int_equal(rep.v[1].code, OTA_LINT_NOT_YET_VALID);
    assert_int_equal(rep.v[2].code, OTA_LINT_NOT_CA);
    assert_int_equal(rep.v[3].code, OTA_LINT_WEAK_KEY);
    assert_int_equal(rep.v[4].code, OTA_LINT_SHA1);
    assert_int_equal(rep.n_errors, 1);
    assert_int_equal(rep.n_warnings, 4);
    for (size_t i = 0; i < rep.n; i++) {
        assert_string_equal(rep.v[i].fingerprint, c.fingerprint);
        assert_string_equal(rep.v[i].payload, "");
    }
    ota_lint_report_free(&rep);
}

/* Any int64_t clock is safe (no overflow in notAfter - now; UBSan would say so) and sane. */
static void test_extreme_clock(void **state)
{
    (void)state;
    struct ota_lint_report rep;
    struct ota_cert c = good(14);
    lint1(&rep, &c, INT64_MIN, 90);
    expect_one(&rep, OTA_LINT_NOT_YET_VALID, OTA_LINT_WARNING);
    ota_lint_report_free(&rep);
    lint1(&rep, &c, INT64_MAX, UINT32_MAX);
    expect_one(&rep, OTA_LINT_EXPIRED, OTA_LINT_ERROR);
    ota_lint_report_free(&rep);
    c.not_after = INT64_C(253402300799); /* 9999-12-31T23:59:59Z, as x509.c clamps */
    lint1(&rep, &c, NOW, UINT32_MAX);
    expect_one(&rep, OTA_LINT_EXPIRING, OTA_LINT_WARNING);
    ota_lint_report_free(&rep);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(ota_lint_code_name(OTA_LINT_EXPIRED), "expired");
    assert_string_equal(ota_lint_code_name(OTA_LINT_NOT_YET_VALID), "not-yet-valid");
    assert_string_equal(ota_lint_code_name(OTA_LINT_EXPIRING), "expiring");
    assert_string_equal(ota_lint_code_name(OTA_LINT_NOT_CA), "not-ca");
    assert_string_equal(ota_lint_code_name(OTA_LINT_WEAK_KEY), "weak-key");
    assert_string_equal(ota_lint_code_name(OTA_LINT_SHA1), "sha1");
    assert_string_equal(ota_lint_code_name(OTA_LINT_DUPLICATE), "duplicate");
    assert_string_equal(ota_lint_severity_name(OTA_LINT_ERROR), "error");
    assert_string_equal(ota_lint_severity_name(OTA_LINT_WARNING), "warning");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_root_is_clean),
        cmocka_unit_test(test_expiry_boundary),
        cmocka_unit_test(test_expiring_boundary),
        cmocka_unit_test(test_not_yet_valid_boundary),
        cmocka_unit_test(test_not_ca),
        cmocka_unit_test(test_weak_keys),
        cmocka_unit_test(test_sha1),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_several_findings),
        cmocka_unit_test(test_extreme_clock),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
