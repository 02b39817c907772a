/* test_codec.c — the strict text codecs of formats/codec.c.
 *
 * Proves: hex decoding accepts exactly one spelling (lowercase, exact length) and zeroes its
 * output on any failure; RFC 3339 timestamps round-trip, follow the Gregorian leap-year rules
 * (checked against the C library's timegm as an independent oracle) and reject every other
 * spelling; ota_parse_u64 accepts its maximum exactly and nothing beyond it, and only digits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "otapack/codec.h"

/* ---- hex ---------------------------------------------------------------------------- */

static void hex_encode_lowercase_and_terminated(void **state)
{
    (void)state;
    const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof in + 2];
    memset(out, 'X', sizeof out);
    ota_hex_encode(out, in, sizeof in);
    assert_string_equal(out, "00017f80abff");
    assert_int_equal(out[2 * sizeof in], '\0');
    assert_int_equal(out[2 * sizeof in + 1], 'X'); /* nothing written past the NUL */

    memset(out, 'X', sizeof out);
    ota_hex_encode(out, in, 0);
    assert_string_equal(out, "");
}

static void hex_round_trip_all_byte_values(void **state)
{
    (void)state;
    uint8_t in[256], back[256];
    char hex[2 * sizeof in + 1];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)i;
    ota_hex_encode(hex, in, sizeof in);
    assert_int_equal(strlen(hex), 512);
    assert_int_equal(ota_hex_decode(back, sizeof back, hex), 0);
    assert_memory_equal(back, in, sizeof in);
}

static void hex_decode_exact_length_only(void **state)
{
    (void)state;
    uint8_t out[8];
    const uint8_t want[4] = {0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(ota_hex_decode(out, 4, "deadbeef"), 0);
    assert_memory_equal(out, want, 4);
    /* too many digits for the output, and too few */
    assert_int_equal(ota_hex_decode(out, 3, "deadbeef"), -1);
    assert_int_equal(ota_hex_decode(out, 5, "deadbeef"), -1);
    /* empty input is only right for an empty output */
    assert_int_equal(ota_hex_decode(out, 0, ""), 0);
    assert_int_equal(ota_hex_decode(out, 1, ""), -1);
}

static void hex_decode_rejects_uppercase(void **state)
{
    (void)state;
    uint8_t out[4];
    assert_int_equal(ota_hex_decode(out, 4, "DEADBEEF"), -1);
    assert_int_equal(ota_hex_decode(out, 4, "deadbeeF"), -1);
    assert_int_equal(ota_hex_decode(out, 1, "Ab"), -1);
}

static void hex_decode_rejects_odd_length(void **state)
{
    (void)state;
    uint8_t out[4];
    assert_int_equal(ota_hex_decode(out, 1, "abc"), -1);
    assert_int_equal(ota_hex_decode(out, 2, "abc"), -1);
    assert_int_equal(ota_hex_decode(out, 1, "a"), -1);
}

static void hex_decode_rejects_non_hex(void **state)
{
    (void)state;
    static const char *const bad[] = {"0g", "g0", "0x", " 1", "1 ",  "-1",
                                      "+1", "z9", ":0", "/0", "0\t", "\3770"};
    uint8_t out[1];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ota_hex_decode(out, 1, bad[i]) != -1)
            fail_msg("hex '%s' was accepted", bad[i]);
    }
    uint8_t out2[2];
    assert_int_equal(ota_hex_decode(out2, 2, "0x12"), -1);
}

static void hex_decode_zeroes_output_on_failure(void **state)
{
    (void)state;
    uint8_t out[4];
    const uint8_t zero[4] = {0};
    /* the failure is in the last digit, after three good bytes were decoded */
    memset(out, 0xaa, sizeof out);
    assert_int_equal(ota_hex_decode(out, 4, "010203zz"), -1);
    assert_memory_equal(out, zero, sizeof out);
    /* uppercase in the middle */
    memset(out, 0xaa, sizeof out);
    assert_int_equal(ota_hex_decode(out, 4, "0102A304"), -1);
    assert_memory_equal(out, zero, sizeof out);
    /* wrong length */
    memset(out, 0xaa, sizeof out);
    assert_int_equal(ota_hex_decode(out, 4, "010203"), -1);
    assert_memory_equal(out, zero, sizeof out);
}

/* ---- time --------------------------------------------------------------------------- */

/* Independent oracle: the C library's UTC conversion. */
static int64_t oracle_timegm(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

static void time_known_values(void **state)
{
    (void)state;
    char s[OTA_TIME_STR_LEN];
    ota_time_format(s, 0);
    assert_string_equal(s, "1970-01-01T00:00:00Z");
    ota_time_format(s, 1234567890);
    assert_string_equal(s, "2009-02-13T23:31:30Z");
    ota_time_format(s, INT64_C(2147483648)); /* one past 32-bit time_t */
    assert_string_equal(s, "2038-01-19T03:14:08Z");

    int64_t t = -1;
    assert_int_equal(ota_time_parse(&t, "1970-01-01T00:00:00Z"), 0);
    assert_int_equal(t, 0);
    assert_int_equal(ota_time_parse(&t, "9999-12-31T23:59:59Z"), 0);
    assert_int_equal(t, oracle_timegm(9999, 12, 31, 23, 59, 59));
    ota_time_format(s, t);
    assert_string_equal(s, "9999-12-31T23:59:59Z");
}

static void time_round_trip_matches_oracle(void **state)
{
    (void)state;
    /* walk from 1970 to beyond 2400 in irregular steps that hit every time of day */
    for (int64_t t = 0; t < oracle_timegm(2410, 1, 1, 0, 0, 0); t += 7777777 + 13) {
        char s[OTA_TIME_STR_LEN];
        ota_time_format(s, t);
        int64_t back = -1;
        if (ota_time_parse(&back, s) != 0 || back != t)
            fail_msg("%lld formatted as '%s' parsed back as %lld", (long long)t, s,
                     (long long)back);
        /* and the string says the same as the C library */
        time_t tt = (time_t)t;
        struct tm tm;
        char want[64];
        assert_non_null(gmtime_r(&tt, &tm));
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        assert_string_equal(s, want);
    }
}

static void time_leap_years(void **state)
{
    (void)state;
    int64_t t;
    /* divisible by 400: leap */
    assert_int_equal(ota_time_parse(&t, "2000-02-29T12:00:00Z"), 0);
    assert_int_equal(t, oracle_timegm(2000, 2, 29, 12, 0, 0));
    assert_int_equal(ota_time_parse(&t, "2400-02-29T00:00:00Z"), 0);
    assert_int_equal(t, oracle_timegm(2400, 2, 29, 0, 0, 0));
    /* divisible by 4: leap */
    assert_int_equal(ota_time_parse(&t, "2024-02-29T00:00:00Z"), 0);
    assert_int_equal(t, oracle_timegm(2024, 2, 29, 0, 0, 0));
    /* the day after 2024-02-29 is 2024-03-01 */
    int64_t march;
    assert_int_equal(ota_time_parse(&march, "2024-03-01T00:00:00Z"), 0);
    assert_int_equal(march - t, 86400);
    /* divisible by 100 but not 400: not leap (the 1900 rule, checked on 2100 and 2200) */
    assert_int_equal(ota_time_parse(&t, "2100-02-29T00:00:00Z"), -1);
    assert_int_equal(ota_time_parse(&t, "2200-02-29T00:00:00Z"), -1);
    assert_int_equal(ota_time_parse(&t, "2100-02-28T23:59:59Z"), 0);
    assert_int_equal(t, oracle_timegm(2100, 2, 28, 23, 59, 59));
    /* ordinary year */
    assert_int_equal(ota_time_parse(&t, "2023-02-29T00:00:00Z"), -1);
    /* never a 30th of February */
    assert_int_equal(ota_time_parse(&t, "2024-02-30T00:00:00Z"), -1);
}

static void time_rejects_out_of_range_fields(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2024-00-10T00:00:00Z",
        "2024-13-10T00:00:00Z",
        "2024-01-00T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-06-31T00:00:00Z",
        "2024-09-31T00:00:00Z",
        "2024-11-31T00:00:00Z",
        "2024-01-10T24:00:00Z",
        "2024-01-10T00:60:00Z",
        "2024-01-10T00:00:60Z", /* no leap seconds */
        "2024-01-10T99:00:00Z",
        /* years before the epoch */
        "1969-12-31T23:59:59Z",
        "1900-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 12345;
        if (ota_time_parse(&t, bad[i]) != -1)
            fail_msg("'%s' was accepted as %lld", bad[i], (long long)t);
        assert_int_equal(t, 0); /* output cleared on failure */
    }
    int64_t t;
    assert_int_equal(ota_time_parse(&t, "2024-12-31T23:59:59Z"), 0);
    assert_int_equal(ota_time_parse(&t, "2024-04-30T00:00:00Z"), 0);
}

static void time_rejects_other_spellings(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2024-01-10 00:00:00Z",      /* space instead of T */
        "2024-01-10t00:00:00Z",      /* lowercase t */
        "2024-01-10T00:00:00z",      /* lowercase z */
        "2024/01/10T00:00:00Z",      /* slashes */
        "2024-01-10T00.00.00Z",      /* dots */
        "2024-01-10T00:00:00",       /* no zone */
        "2024-01-10T00:00:00+00:00", /* offset instead of Z */
        "2024-01-10T00:00:00.0Z",    /* fraction */
        "2024-01-10T00:00:00Z ",     /* trailing space */
        "2024-01-10T00:00:00ZZ",     /* trailing byte */
        "2024-01-10T00:00:00Z\n",    /* trailing newline */
        " 2024-01-10T00:00:00Z",     /* leading space */
        "24-01-10T00:00:00Z",        /* two-digit year */
        "02024-01-10T00:00:0Z",      /* five-digit year, right total length */
        "2024-1-10T00:00:00Z",       /* one-digit month */
        "2024-01-1T00:00:00Z",       /* one-digit day */
        "+024-01-10T00:00:00Z",      /* sign in a digit position */
        "2024-0a-10T00:00:00Z",      /* letter in a digit position */
        "2024-01-10T0 :00:00Z",      /* space in a digit position */
        "2024-01-10T-1:00:00Z",      /* minus in a digit position */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 12345;
        if (ota_time_parse(&t, bad[i]) != -1)
            fail_msg("'%s' was accepted as %lld", bad[i], (long long)t);
        assert_int_equal(t, 0);
    }
}

/* ---- unsigned integers ---------------------------------------------------------------- */

static void u64_bounds(void **state)
{
    (void)state;
    uint64_t v = 1;
    assert_int_equal(ota_parse_u64(&v, "0", 0), 0);
    assert_int_equal(v, 0);
    assert_int_equal(ota_parse_u64(&v, "1", 0), -1);

    assert_int_equal(ota_parse_u64(&v, "100", 100), 0);
    assert_int_equal(v, 100);
    assert_int_equal(ota_parse_u64(&v, "101", 100), -1);
    assert_int_equal(v, 0);

    /* the largest security version, exactly, and one more */
    assert_int_equal(ota_parse_u64(&v, "9223372036854775807", INT64_MAX), 0);
    assert_true(v == (uint64_t)INT64_MAX);
    assert_int_equal(ota_parse_u64(&v, "9223372036854775808", INT64_MAX), -1);

    /* the full 64-bit range, exactly, and one more */
    assert_int_equal(ota_parse_u64(&v, "18446744073709551615", UINT64_MAX), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(ota_parse_u64(&v, "18446744073709551616", UINT64_MAX), -1);
    assert_int_equal(v, 0);
    /* 20 digits that overflow uint64_t by far; 21 digits */
    assert_int_equal(ota_parse_u64(&v, "99999999999999999999", UINT64_MAX), -1);
    assert_int_equal(ota_parse_u64(&v, "100000000000000000000", UINT64_MAX), -1);
    /* a value that wraps to something small modulo 2^64 must not be accepted */
    assert_int_equal(ota_parse_u64(&v, "18446744073709551626", 100), -1);
    assert_int_equal(v, 0);
}

static void u64_rejects_non_digits(void **state)
{
    (void)state;
    static const char *const bad[] = {"",    "+1", "-1",   "-0",  " 1",  "1 ",    "1\n",
                                      "\t1", "1a", "0x10", "1e3", "1.0", "1_000", "\xd9\xa1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 77;
        if (ota_parse_u64(&v, bad[i], UINT64_MAX) != -1)
            fail_msg("'%s' was accepted as %llu", bad[i], (unsigned long long)v);
        assert_int_equal(v, 0);
    }
    uint64_t v;
    assert_int_equal(ota_parse_u64(&v, "42", UINT64_MAX), 0);
    assert_int_equal(v, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hex_encode_lowercase_and_terminated),
        cmocka_unit_test(hex_round_trip_all_byte_values),
        cmocka_unit_test(hex_decode_exact_length_only),
        cmocka_unit_test(hex_decode_rejects_uppercase),
        cmocka_unit_test(hex_decode_rejects_odd_length),
        cmocka_unit_test(hex_decode_rejects_non_hex),
        cmocka_unit_test(hex_decode_zeroes_output_on_failure),
        cmocka_unit_test(time_known_values),
        cmocka_unit_test(time_round_trip_matches_oracle),
        cmocka_unit_test(time_leap_years),
        cmocka_unit_test(time_rejects_out_of_range_fields),
        cmocka_unit_test(time_rejects_other_spellings),
        cmocka_unit_test(u64_bounds),
        cmocka_unit_test(u64_rejects_non_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
