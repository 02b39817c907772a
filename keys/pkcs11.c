/* pkcs11.c — private keys in a PKCS#11 token (an HSM, SoftHSM in CI), through libp11's OpenSSL
 * engine "pkcs11" (Debian: libengine-pkcs11-openssl). Host side, library otakeys_secret.
 * Owns: loading the engine with the module, handing it the PIN, loading the key by URI, and
 * keeping the engine alive as long as the key. Must never: prompt (no terminal in CI), print
 * (libp11 does unless told QUIET), or let a PIN reach a message: the URI is shown with its
 * pin-value hidden, and our copies of the PIN are wiped.
 *
 * The ENGINE API is deprecated in OpenSSL 3.0 in favour of providers; libp11 0.4.12, the
 * version Debian 12 ships, is an engine only (its provider came later). Deprecation warnings
 * are silenced for this file only, below. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ui.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ENGINE_* are deprecated since OpenSSL 3.0; libp11 0.4.12 offers nothing else. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <openssl/engine.h>

#include "osskey_int.h"

void ota_pkcs11_release(void *engine)
{
    ENGINE *e = engine;
    ENGINE_finish(e); /* libp11 logs out, closes the session, wipes its PIN copy */
    ENGINE_free(e);
}

/* uri for a message: at most 200 bytes, printable, the value of any pin-value attribute
 * replaced by "***". */
static const char *uri_shown(char *out, size_t outsz, const char *uri)
{
    char tmp[256];
    size_t o = 0, i = 0;
    while (uri[i] && i < 200 && o + 14 < sizeof tmp) {
        if (!strncmp(uri + i, "pin-value=", 10)) {
            memcpy(tmp + o, "pin-value=***", 13);
            o += 13;
            i += 10;
            while (uri[i] && uri[i] != ';' && uri[i] != '?' && uri[i] != '&')
                i++;
        } else {
            tmp[o++] = uri[i++];
        }
    }
    tmp[o] = '\0';
    return ota_printable(out, outsz, tmp, sizeof tmp);
}

enum ota_status ota_osskey_load_pkcs11(struct ota_osskey **key, const char *uri, const char *module,
                                       const char *pin, size_t pin_len, struct ota_err *err)
{
    *key = NULL;
    size_t ul = strnlen(uri, OTA_PKCS11_URI_MAX + 1);
    if (ul > OTA_PKCS11_URI_MAX)
        return ota_err_set(err, OTA_E_USAGE, "PKCS#11 URI longer than %u bytes",
                           OTA_PKCS11_URI_MAX);
    char shown[256];
    uri_shown(shown, sizeof shown, uri);
    if (strncmp(uri, "pkcs11:", 7) != 0)
        return ota_err_set(err, OTA_E_USAGE,
                           "'%s': not a PKCS#11 URI (pkcs11:token=...;object=...)", shown);
    if (pin && (pin_len == 0 || memchr(pin, '\0', pin_len)))
        return ota_err_set(err, OTA_E_USAGE, "PKCS#11 PIN: empty or holds a NUL byte");
    if (!module) {
        module = getenv("OTAPACK_PKCS11_MODULE");
        if (!module || !*module)
            module = OTA_PKCS11_DEFAULT_MODULE;
    }
    if (access(module, R_OK) != 0) {
        int e = errno;
        char m[200];
        return ota_err_set(err, e == ENOENT ? OTA_E_NOENT : OTA_E_IO,
                           "PKCS#11 module %s: %s (set OTAPACK_PKCS11_MODULE)",
                           ota_printable(m, sizeof m, module, 160), strerror(e));
    }

    ERR_clear_error();
    enum ota_status rc = OTA_OK;
    EVP_PKEY *pk = NULL;
    int initialised = 0;
    struct ota_osskey *k = NULL;
    ENGINE *e = ENGINE_by_id("pkcs11");
    if (!e) {
        rc = ota_err_set(err, OTA_E_UNSUPPORTED,
                         "PKCS#11: OpenSSL has no 'pkcs11' engine (install libp11's "
                         "libengine-pkcs11-openssl)");
        goto out;
    }
    /* QUIET: libp11 would print the URI (PIN included) to stderr when a key is not found */
    if (!ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 0) ||
        !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0)) {
        rc = ota_err_set(err, OTA_E_UNSUPPORTED, "PKCS#11: the engine does not take a module path");
        goto out;
    }
    if (!ENGINE_init(e)) {
        char m[200];
        rc = ota_err_set(err, OTA_E_KEY, "PKCS#11: cannot initialise module %s",
                         ota_printable(m, sizeof m, module, 160));
        goto out;
    }
    initialised = 1;
    if (pin && !ENGINE_ctrl_cmd_string(e, "PIN", pin, 0)) { /* libp11 copies it */
        rc = ota_err_set(err, OTA_E_KEY, "PKCS#11: the engine refused the PIN");
        goto out;
    }
    /* UI_null: never prompt; without a PIN, a token that needs one fails to log in */
    pk = ENGINE_load_private_key(e, uri, (UI_METHOD *)UI_null(), NULL); /* never written */
    if (!pk) {
        rc = ota_err_set(err, OTA_E_KEY,
                         "PKCS#11 key %s: cannot be loaded (no such object on the token, or "
                         "wrong PIN)",
                         shown);
        goto out;
    }
    if (!(k = calloc(1, sizeof *k))) {
        rc = ota_err_set(err, OTA_E_NOMEM, "PKCS#11: out of memory");
        goto out;
    }
    char what[300];
    snprintf(what, sizeof what, "PKCS#11 key %s", shown);
    if ((rc = ota_osskey_classify(&k->alg, pk, what, err)))
        goto out;
    k->pkey = pk;
    k->engine = e;
    *key = k;
    pk = NULL;
    k = NULL;
    e = NULL;
out:
    free(k);
    EVP_PKEY_free(pk);
    if (e && initialised)
        ENGINE_finish(e);
    if (e)
        ENGINE_free(e);
    ERR_clear_error();
    return rc;
}

#pragma GCC diagnostic pop
