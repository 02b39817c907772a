/* fuzz_codec — the strict text codecs: RFC 3339 times, hex, decimal. The first byte picks the
 * decoder and its parameter, the rest (NUL-terminated) is the text. Oracles: one spelling per
 * value, so whatever a decoder accepts encodes back to exactly the text (decimal: but for
 * leading zeros, which ota_parse_u64 allows); a rejection leaves the output zeroed. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t zero[128];
    uint8_t bin[128];
    char enc[2 * sizeof bin + 1] = "", *s = size ? malloc(size) : NULL;
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    unsigned mode = data[0] % 3;
    size_t n = (data[0] & 1) ? strlen(s) / 2 : data[0] >> 1; /* the exact length, or any */
    int64_t t = 1;
    uint64_t u = 1, max = UINT64_MAX >> (data[0] >> 2);
    int ok = 0;
    if (mode == 0 && (ok = ota_time_parse(&t, s) == 0))
        ota_time_format(enc, t);
    else if (mode == 1 && n < sizeof bin && (ok = ota_hex_decode(bin, n, s) == 0))
        ota_hex_encode(enc, bin, n);
    else if (mode == 2 && (ok = ota_parse_u64(&u, s, max) == 0))
        snprintf(enc, sizeof enc, "%" PRIu64, u);
    const char *canon = s; /* decimal allows leading zeros (gen-00000012): skip them */
    while (mode == 2 && canon[0] == '0' && canon[1])
        canon++;
    if (ok && (strcmp(enc, canon) != 0 || (mode == 2 && u > max)))
        abort(); /* accepted a second spelling of a value, or one out of range */
    if (!ok && ((mode == 0 && t != 0) || (mode == 2 && u != 0) ||
                (mode == 1 && n < sizeof bin && memcmp(bin, zero, n) != 0)))
        abort(); /* a rejection left a value behind */
    free(s);
    return 0;
}
