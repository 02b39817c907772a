/* fuzz_manifest — manifest.json through ota_manifest_parse_mem (jansson, field rules,
 * ota_manifest_validate). Oracles: a rejected manifest leaves *m zeroed (fail closed), and
 * whatever the parser accepts serialises and parses back to the very same manifest. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ota_manifest zero;
    struct ota_err err;
    struct ota_manifest m, m2;
    char *out;
    size_t len;
    if (ota_manifest_parse_mem(&m, (const char *)data, size, &err) != OTA_OK) {
        if (memcmp(&m, &zero, sizeof m) != 0)
            abort(); /* failure must leave the output zeroed */
        return 0;
    }
    if (ota_manifest_serialize(&out, &len, &m, &err) != OTA_OK ||
        ota_manifest_parse_mem(&m2, out, len, &err) != OTA_OK)
        abort(); /* accepted, but its own serialisation is rejected */
    struct ota_payload *p2 = m2.payloads;
    m2.payloads = m.payloads; /* compare everything but the pointer */
    if (memcmp(&m, &m2, sizeof m) != 0 ||
        (m.n_payloads && memcmp(m.payloads, p2, m.n_payloads * sizeof *p2) != 0))
        abort(); /* serialise + parse changed the manifest */
    m2.payloads = p2;
    free(out);
    ota_manifest_free(&m);
    ota_manifest_free(&m2);
    return 0;
}
