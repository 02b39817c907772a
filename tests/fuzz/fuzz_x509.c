/* fuzz_x509 — certificates as they arrive in trust-store payloads and on `otapack lint`:
 * ota_certs_parse_mem (PEM bundles or one DER certificate, through OpenSSL, then described:
 * names, times, key, signature algorithm), and ota_fingerprint_parse. The first byte picks
 * (even: certificates, odd: a fingerprint), the rest is the input. Only otapack's own code is
 * coverage-instrumented; OpenSSL is fuzzed upstream. Oracles: an accepted bundle re-encodes
 * as PEM to the same certificates; an accepted fingerprint is the SHA-256 its hex spells. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/codec.h"
#include "otapack/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ota_err err;
    struct ota_certlist l, l2;
    char *pem, line[400], hex[2 * OTA_SHA256_LEN + 1], *s = size ? malloc(size) : NULL;
    size_t len, n = 0;
    uint8_t fp[OTA_SHA256_LEN];
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    if (data[0] % 2 && ota_fingerprint_parse(fp, s) == 0) {
        ota_hex_encode(hex, fp, sizeof fp);
        for (size_t i = 0; s[i]; i++) /* the spelled digits, lowercased, colons skipped */
            if (s[i] != ':' && (n >= sizeof hex - 1 || hex[n++] != tolower((unsigned char)s[i])))
                abort(); /* the bytes are not the ones spelled */
        if (n != 2 * OTA_SHA256_LEN)
            abort(); /* accepted a fingerprint of the wrong length */
    } else if (data[0] % 2 == 0 &&
               ota_certs_parse_mem(&l, data + 1, size - 1, "fuzz", &err) == OTA_OK) {
        ota_certs_sort(&l);
        for (size_t i = 0; i < l.n; i++)
            ota_cert_describe(line, sizeof line, &l.v[i]);
        if (ota_certs_pem(&pem, &len, &l, &err) != OTA_OK ||
            ota_certs_parse_mem(&l2, pem, len, "fuzz", &err) != OTA_OK || l2.n != l.n)
            abort(); /* accepted, but its own PEM is refused */
        for (size_t i = 0; i < l.n; i++)
            if (memcmp(l.v[i].sha256, l2.v[i].sha256, OTA_SHA256_LEN) != 0 ||
                strcmp(l.v[i].subject, l2.v[i].subject) != 0 ||
                ota_certs_find(&l2, l.v[i].sha256) < 0)
                abort(); /* re-encoding changed a certificate */
        free(pem);
        ota_certs_free(&l2);
        ota_certs_free(&l);
    }
    free(s);
    return 0;
}
