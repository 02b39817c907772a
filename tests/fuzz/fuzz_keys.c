/* fuzz_keys — the one-line key file parsers. The first byte picks the parser (even: public,
 * odd: secret), the rest is the file. Oracles: a rejected public key leaves *k zeroed; an
 * accepted one formats back to the same line; an accepted secret key signs a message that its
 * own public key verifies. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otapack/seckey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct ota_pubkey zero;
    struct ota_err err;
    if (size < 1)
        return 0;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] % 2 == 0) {
        struct ota_pubkey k;
        char line[OTA_PUBKEY_LINE_MAX];
        if (ota_pubkey_parse_mem(&k, buf, len, &err) != OTA_OK) {
            if (memcmp(&k, &zero, sizeof k) != 0)
                abort(); /* failure must leave the key zeroed */
            return 0;
        }
        ota_pubkey_format(line, sizeof line, &k); /* with its final newline */
        size_t ll = strlen(line);
        if ((len != ll && len != ll - 1) || memcmp(line, buf, len) != 0)
            abort(); /* accepted a second spelling of a key */
        return 0;
    }
    struct ota_seckey *sk;
    uint8_t sig[OTA_ED25519_SIG_LEN];
    if (ota_seckey_parse_mem(&sk, buf, len, &err) != OTA_OK) {
        if (sk != NULL)
            abort();
        return 0;
    }
    const struct ota_pubkey *pub = ota_seckey_public(sk);
    if (ota_seckey_sign(sig, OTA_DOMAIN_MANIFEST, data, size, sk, &err) != OTA_OK ||
        ota_sig_verify(sig, sizeof sig, OTA_DOMAIN_MANIFEST, data, size, pub) != 0)
        abort(); /* the key does not sign for its own public key */
    ota_seckey_free(sk);
    return 0;
}
