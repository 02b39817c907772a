/* fuzz_keyring — root.json through ota_keyring_parse_mem (jansson, the document rules, key
 * decoding: hex, PEM public keys, CA certificates, key id checks) and, for an accepted
 * keyring, the rotation logic (ota_keyring_advance from a fixed version-0 keyring, with the
 * input carried in a signature block). Oracles: a rejected keyring leaves *kr NULL; an
 * accepted one serialises and parses back to the same signed bytes; a rotation never
 * accepts a keyring its fixed predecessor did not sign (the fuzzer holds no key). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/keyring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ota_err err;
    struct ota_keyring *kr = (struct ota_keyring *)1, *back = NULL, *v0 = NULL, *newest = NULL;
    if (ota_keyring_parse_mem(&kr, (const char *)data, size, &err) != OTA_OK) {
        if (kr != NULL)
            abort(); /* failure must leave no keyring */
        return 0;
    }
    char *text;
    size_t len, n;
    if (ota_keyring_doc_serialize(&text, &len, &kr->doc, &err) != OTA_OK ||
        ota_keyring_parse_mem(&back, text, len, &err) != OTA_OK ||
        back->signed_len != kr->signed_len ||
        memcmp(back->signed_bytes, kr->signed_bytes, kr->signed_len) != 0)
        abort(); /* accepted, but its own serialisation differs or is rejected */
    if (ota_keyring_signed_by(&n, kr, kr, OTA_ROLE_ROOT, &err) == OTA_OK && n == 0)
        abort(); /* a threshold met by no signature */
    /* the predecessor: one Ed25519 key whose secret half nobody has (all-zero public key) */
    static const uint8_t pk[OTA_ED25519_PK_LEN];
    struct ota_pubkey k;
    struct ota_sigblock b;
    memset(&b, 0, sizeof b);
    const char *texts[] = {text};
    if (ota_pubkey_from_ed25519(&k, pk, &err) == OTA_OK &&
        ota_keyring_from_keys(&v0, &k, 1, 1, &err) == OTA_OK &&
        ota_sigblock_set_keyrings(&b, texts, &len, 1, &err) == OTA_OK &&
        ota_keyring_advance(&newest, v0, &b, &err) == OTA_OK && newest)
        abort(); /* rotated to a keyring the predecessor's key never signed */
    ota_sigblock_free(&b);
    ota_keyring_free(newest);
    ota_keyring_free(v0);
    ota_keyring_free(back);
    ota_keyring_free(kr);
    free(text);
    return 0;
}
