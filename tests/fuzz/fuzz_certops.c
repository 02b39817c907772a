/* fuzz_certops — a "certstore" payload (certificate store operations, JSON) through
 * ota_certops_parse_mem. Oracles: a rejected document leaves *out empty; an accepted one
 * serialises and parses back to the same operations, byte for byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/certops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (!a) == (!b) && (!a || memcmp(a, b, alen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ota_err err;
    struct ota_certops ops, ops2;
    char *out;
    size_t len;
    if (ota_certops_parse_mem(&ops, data, size, &err) != OTA_OK) {
        if (ops.n != 0 || ops.v != NULL)
            abort(); /* failure must leave the list empty */
        return 0;
    }
    if (ota_certops_serialize(&out, &len, &ops, &err) != OTA_OK ||
        ota_certops_parse_mem(&ops2, out, len, &err) != OTA_OK || ops2.n != ops.n)
        abort(); /* accepted, but its own serialisation is refused */
    for (size_t i = 0; i < ops.n; i++) {
        const struct ota_certop *a = &ops.v[i], *b = &ops2.v[i];
        if (a->op != b->op || strcmp(a->id, b->id) || strcmp(a->to, b->to) ||
            !same(a->cert, a->cert_len, b->cert, b->cert_len) ||
            !same(a->key, a->key_len, b->key, b->key_len) ||
            !same(a->password, a->password_len, b->password, b->password_len))
            abort(); /* serialise + parse changed an operation */
    }
    memset(out, 0, len); /* it may hold private keys */
    free(out);
    ota_certops_free(&ops);
    ota_certops_free(&ops2);
    return 0;
}
