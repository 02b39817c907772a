/* fuzz_package — a whole package stream through the streaming reader: the tar layout audit,
 * the first two entries, then (skipping signature verification, to reach deeper code) the
 * manifest and signature block parsers, every payload with its digests and zlib stream, and
 * the end-of-archive checks. Seeds: real packages built by otapack (make-seeds.sh).
 *
 * A tar header checksum covers every header byte, so nearly every mutation of a header would
 * be rejected by the checksum alone and the header fields behind it never explored. So the
 * custom mutator recomputes the checksums (walking the headers as the reader does) after
 * three mutations in four; the fourth keeps testing the checksum check itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "otapack/package.h"
#include "otapack/sigblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned seed);
__attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max);

static void fix_checksums(uint8_t *d, size_t n)
{
    for (size_t off = 0; n >= 512 && off <= n - 512;) {
        uint8_t *h = d + off;
        unsigned sum = 0;
        uint64_t len = 0;
        for (size_t i = 0; i < 512; i++)
            sum += (i >= 148 && i < 156) ? ' ' : h[i];
        if (sum == 8 * ' ') /* a zero block: the end-of-archive marker */
            return;
        snprintf((char *)h + 148, 8, "%06o", sum); /* six digits, NUL, then a space */
        h[155] = ' ';
        for (size_t i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
            len = len << 3 | (uint64_t)(h[i] - '0');
        off += 512 + (len + 511) / 512 * 512;
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max, unsigned seed)
{
    size = LLVMFuzzerMutate(data, size, max);
    if (seed % 4)
        fix_checksums(data, size);
    return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ota_err err;
    struct ota_pkg_reader *r;
    if (ota_pkg_reader_open_mem(&r, data, size, &err) != OTA_OK)
        return 0;
    const char *mbuf, *sbuf;
    size_t mlen, slen;
    struct ota_manifest m;
    struct ota_sigblock b;
    if (ota_pkg_reader_head(r, &mbuf, &mlen, &sbuf, &slen, &err) == OTA_OK &&
        ota_manifest_parse_mem(&m, mbuf, mlen, &err) == OTA_OK) {
        if (ota_sigblock_parse_mem(&b, sbuf, slen, &err) == OTA_OK)
            ota_sigblock_free(&b);
        size_t i = 0;
        while (i < m.n_payloads &&
               ota_pkg_reader_payload(r, &m, i, OTA_SINK_RAW, NULL, NULL, &err) == OTA_OK)
            i++;
        if (i == m.n_payloads) {
            enum ota_status rc = ota_pkg_reader_finish(r, &m, &err);
            (void)rc; /* accepted or refused, it must not crash */
        }
        ota_manifest_free(&m);
    }
    ota_pkg_reader_free(r);
    return 0;
}
