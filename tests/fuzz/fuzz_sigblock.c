/* fuzz_sigblock — signatures.json through ota_sigblock_parse_mem (jansson, entry rules, hex
 * decoding, sorted insertion, the keyrings carrier). Oracles: a rejected block leaves *b
 * empty, and an accepted block serialises and parses back to the same entries and the same
 * carried keyrings. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/sigblock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ota_err err;
    struct ota_sigblock b, b2;
    char *out;
    size_t len;
    if (ota_sigblock_parse_mem(&b, (const char *)data, size, &err) != OTA_OK) {
        if (b.n != 0)
            abort(); /* failure must leave the block empty */
        return 0;
    }
    if (ota_sigblock_serialize(&out, &len, &b, &err) != OTA_OK ||
        ota_sigblock_parse_mem(&b2, out, len, &err) != OTA_OK || b.n != b2.n)
        abort(); /* accepted, but its own serialisation is rejected */
    for (size_t i = 0; i < b.n; i++)
        if (strcmp(b.sigs[i].keyid, b2.sigs[i].keyid) ||
            strcmp(b.sigs[i].method, b2.sigs[i].method) ||
            b.sigs[i].sig_len != b2.sigs[i].sig_len ||
            memcmp(b.sigs[i].sig, b2.sigs[i].sig, b.sigs[i].sig_len))
            abort(); /* serialise + parse changed an entry */
    if (b.n_keyrings != b2.n_keyrings)
        abort(); /* a carried keyring lost or gained */
    for (size_t i = 0; i < b.n_keyrings; i++)
        if (b.keyring_len[i] != b2.keyring_len[i] ||
            memcmp(b.keyrings[i], b2.keyrings[i], b.keyring_len[i]))
            abort(); /* serialise + parse changed a carried keyring */
    free(out);
    ota_sigblock_free(&b);
    ota_sigblock_free(&b2);
    return 0;
}
