/* osskey_int.h — private: the inside of struct ota_osskey, shared by osslsign.c (PEM keys,
 * signing) and pkcs11.c (keys in a token, through libp11's engine). */
#ifndef OTAPACK_KEYS_OSSKEY_INT_H
#define OTAPACK_KEYS_OSSKEY_INT_H

#include <openssl/evp.h>

#include "otapack/osslsign.h"

struct ota_osskey {
    EVP_PKEY *pkey;
    enum ota_osskey_alg alg;
    void *engine; /* ENGINE * holding a functional reference, or NULL (pkcs11.c frees it) */
};

/* Checks pkey is a key type otapack signs with and sets *alg (OTA_E_UNSUPPORTED otherwise;
 * what names the key in the message). */
enum ota_status ota_osskey_classify(enum ota_osskey_alg *alg, EVP_PKEY *pkey, const char *what,
                                    struct ota_err *err);

/* Releases the engine reference of a PKCS#11 key (pkcs11.c). */
void ota_pkcs11_release(void *engine);

#endif
