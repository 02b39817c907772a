/* test_osslsign.c — signing with OpenSSL keys, keys/osslsign.c (host side), checked against
 * OpenSSL directly and against the device-side verifiers (ota_sig_verify, ota_cms_verify).
 *
 * Proves: a PEM ECDSA P-256 key makes "ecdsa-sha2-nistp256" DER signatures over
 * domain || NUL || document that OpenSSL verifies with the certificate's key; a PEM Ed25519
 * key makes "ed25519" signatures that ota_sig_verify accepts, under the same key id as an
 * otapack .pub of that key; RSA signs CMS only; an encrypted PEM needs its passphrase (none:
 * usage error; wrong: key error); a key file readable by others is refused; the public half
 * is the SPKI in DER and PEM; the key id is SHA-256 of TUF's canonical JSON with
 * raw newlines and escaped quotes and backslashes; ota_cms_sign output passes ota_cms_verify
 * (ECDSA and RSA), and it refuses a certificate without codeSigning, an expired or not yet
 * valid one, one that is not the key's, and an Ed25519 key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "otapack/cms.h"
#include "otapack/codec.h"
#include "otapack/key.h"
#include "otapack/osslsign.h"
#include "otapack/x509.h"

#ifndef OTA_CMS_PKI_SCRIPT
#error "OTA_CMS_PKI_SCRIPT must name tests/cms/pki.sh"
#endif

static const char domain[] = "otapack/manifest/v1";
static const char doc[] = "{\"format\":1,\"product\":\"acme\"}\n";
static char pki[256];

static void check_status(enum ota_status got, enum ota_status want, const struct ota_err *err)
{
    if (got != want)
        fail_msg("status %d (%s), expected %d (%s); message: '%s'", got, ota_strerror(got), want,
                 ota_strerror(want), err->msg);
}

static void check_msg(const struct ota_err *err, const char *needle)
{
    if (!strstr(err->msg, needle))
        fail_msg("error message '%s' does not mention '%s'", err->msg, needle);
}

static const char *path(const char *name)
{
    static char p[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", pki, name);
    return p[i];
}

static struct ota_osskey *load(const char *name)
{
    struct ota_osskey *k = NULL;
    struct ota_err err = {0};
    check_status(ota_osskey_load_pem(&k, path(name), NULL, 0, &err), OTA_OK, &err);
    return k;
}

static struct ota_certlist certs(const char *name)
{
    struct ota_certlist l;
    struct ota_err err = {0};
    check_status(ota_certs_load(&l, path(name), &err), OTA_OK, &err);
    return l;
}

static int setup(void **state)
{
    (void)state;
    snprintf(pki, sizeof pki, "%s/otapack-osslsign.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(pki))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "bash '%s' '%s' >/dev/null", OTA_CMS_PKI_SCRIPT, pki);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", pki);
    return system(cmd) == 0 ? 0 : -1;
}

static void ecdsa_raw_signature_verifies_with_openssl(void **state)
{
    (void)state;
    struct ota_osskey *k = load("signer.key");
    assert_int_equal(ota_osskey_alg(k), OTA_OSSKEY_ECDSA_P256);
    char method[OTA_MAX_METHOD_LEN + 1];
    uint8_t sig[OTA_OSSKEY_MAX_SIG];
    size_t n = 0;
    struct ota_err err = {0};
    check_status(ota_osskey_sign_raw(method, sig, &n, sizeof sig, domain, (const uint8_t *)doc,
                                     sizeof doc - 1, k, &err),
                 OTA_OK, &err);
    assert_string_equal(method, "ecdsa-sha2-nistp256");
    assert_true(n >= 8 && n <= 72 && sig[0] == 0x30); /* DER ECDSA-Sig-Value */
    /* OpenSSL, with the certificate's key, over domain || NUL || doc */
    FILE *f = fopen(path("signer.pem"), "r");
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    uint8_t m[sizeof domain + sizeof doc];
    memcpy(m, domain, sizeof domain);
    memcpy(m + sizeof domain, doc, sizeof doc - 1);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)), 1);
    assert_int_equal(EVP_DigestVerify(ctx, sig, n, m, sizeof domain + sizeof doc - 1), 1);
    EVP_MD_CTX_free(ctx);
    /* without the domain's NUL it is another message */
    ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)), 1);
    assert_int_not_equal(EVP_DigestVerify(ctx, sig, n, (const uint8_t *)doc, sizeof doc - 1), 1);
    EVP_MD_CTX_free(ctx);
    X509_free(x);
    ota_osskey_free(k);
}

static void ed25519_raw_signature_verifies_with_ota_sig_verify(void **state)
{
    (void)state;
    struct ota_osskey *k = load("signer-ed.key");
    assert_int_equal(ota_osskey_alg(k), OTA_OSSKEY_ED25519);
    char method[OTA_MAX_METHOD_LEN + 1];
    uint8_t sig[OTA_OSSKEY_MAX_SIG];
    size_t n = 0;
    struct ota_err err = {0};
    check_status(ota_osskey_sign_raw(method, sig, &n, sizeof sig, domain, (const uint8_t *)doc,
                                     sizeof doc - 1, k, &err),
                 OTA_OK, &err);
    assert_string_equal(method, "ed25519");
    assert_int_equal(n, OTA_ED25519_SIG_LEN);
    struct ota_osskey_pub pub;
    check_status(ota_osskey_public(&pub, k, &err), OTA_OK, &err);
    assert_int_equal(pub.spki_len, 44); /* Ed25519 SPKI: 12 bytes of header, 32 of key */
    struct ota_pubkey pk;
    check_status(ota_pubkey_from_ed25519(&pk, pub.spki + 12, &err), OTA_OK, &err);
    assert_string_equal(pk.keyid, pub.keyid);
    assert_int_equal(ota_sig_verify(sig, n, domain, (const uint8_t *)doc, sizeof doc - 1, &pk), 0);
    sig[5] ^= 1;
    assert_int_equal(ota_sig_verify(sig, n, domain, (const uint8_t *)doc, sizeof doc - 1, &pk), -1);
    ota_osskey_pub_free(&pub);
    ota_osskey_free(k);
}

static void rsa_signs_cms_only(void **state)
{
    (void)state;
    struct ota_osskey *k = load("signer-rsa.key");
    assert_int_equal(ota_osskey_alg(k), OTA_OSSKEY_RSA);
    char method[OTA_MAX_METHOD_LEN + 1];
    uint8_t sig[OTA_OSSKEY_MAX_SIG];
    size_t n = 1;
    struct ota_err err = {0};
    check_status(ota_osskey_sign_raw(method, sig, &n, sizeof sig, domain, (const uint8_t *)doc,
                                     sizeof doc - 1, k, &err),
                 OTA_E_UNSUPPORTED, &err);
    assert_int_equal(n, 0);
    ota_osskey_free(k);
}

static void encrypted_pem_needs_its_passphrase(void **state)
{
    (void)state;
    static const char pass[] = "correct horse battery staple";
    struct ota_osskey *k = NULL;
    struct ota_err err = {0};
    check_status(ota_osskey_load_pem(&k, path("signer-enc.key"), NULL, 0, &err), OTA_E_USAGE, &err);
    check_msg(&err, "needs a passphrase");
    assert_null(k);
    check_status(ota_osskey_load_pem(&k, path("signer-enc.key"), "wrong", 5, &err), OTA_E_KEY,
                 &err);
    check_msg(&err, "wrong passphrase");
    assert_null(strstr(err.msg, "wrong\""));
    check_status(ota_osskey_load_pem(&k, path("signer-enc.key"), pass, sizeof pass - 1, &err),
                 OTA_OK, &err);
    assert_int_equal(ota_osskey_alg(k), OTA_OSSKEY_ECDSA_P256);
    ota_osskey_free(k);
    /* not a key; a certificate is not a key either */
    check_status(ota_osskey_load_pem(&k, path("openssl.cnf"), NULL, 0, &err), OTA_E_KEY, &err);
    static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    check_status(ota_osskey_parse_pem(&k, cert_pem, sizeof cert_pem - 1, NULL, 0, "x", &err),
                 OTA_E_KEY, &err);
}

static void key_file_readable_by_others_is_refused(void **state)
{
    (void)state;
    assert_int_equal(chmod(path("server.key"), 0644), 0);
    struct ota_osskey *k = NULL;
    struct ota_err err = {0};
    check_status(ota_osskey_load_pem(&k, path("server.key"), NULL, 0, &err), OTA_E_KEY, &err);
    check_msg(&err, "chmod 600");
    assert_int_equal(chmod(path("server.key"), 0600), 0);
}

static void public_half_and_ecdsa_keyid(void **state)
{
    (void)state;
    struct ota_osskey *k = load("signer.key");
    struct ota_osskey_pub pub;
    struct ota_err err = {0};
    check_status(ota_osskey_public(&pub, k, &err), OTA_OK, &err);
    assert_int_equal(pub.alg, OTA_OSSKEY_ECDSA_P256);
    assert_int_equal(strncmp(pub.pem, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
    assert_int_equal(pub.pem[pub.pem_len - 1], '\n');
    assert_int_equal(strlen(pub.pem), pub.pem_len);
    /* the SPKI is the certificate's */
    FILE *f = fopen(path("signer.pem"), "r");
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    unsigned char *der = NULL;
    int dl = i2d_PUBKEY(X509_get0_pubkey(x), &der);
    assert_int_equal((size_t)dl, pub.spki_len);
    assert_memory_equal(der, pub.spki, pub.spki_len);
    OPENSSL_free(der);
    X509_free(x);
    /* the key id, computed independently: the canonical JSON with the PEM's raw newlines */
    char json[1024], want[65];
    int jl = snprintf(json, sizeof json,
                      "{\"keytype\":\"ecdsa\",\"keyval\":{\"public\":\"%s\"},"
                      "\"scheme\":\"ecdsa-sha2-nistp256\"}",
                      pub.pem);
    uint8_t h[SHA256_DIGEST_LENGTH];
    SHA256((const uint8_t *)json, (size_t)jl, h);
    ota_hex_encode(want, h, sizeof h);
    assert_string_equal(pub.keyid, want);
    /* the same id as the keyring (key.h) gives the key read back from the PEM; escaping is
     * tested on the keyring's canonical JSON (tests/keyring, test_canonical_golden) */
    struct ota_pubkey kp;
    check_status(ota_pubkey_parse_pem(&kp, pub.pem, pub.pem_len, &err), OTA_OK, &err);
    assert_string_equal(kp.keyid, want);
    ota_osskey_pub_free(&pub);
    ota_osskey_free(k);
}

static void cms_sign_then_verify(const char *cert, const char *key)
{
    struct ota_osskey *k = load(key);
    struct ota_certlist leaf = certs(cert), chain = certs("chain.pem"), root = certs("root.pem");
    uint8_t *der = NULL;
    size_t n = 0;
    struct ota_err err = {0};
    check_status(ota_cms_sign(&der, &n, domain, (const uint8_t *)doc, sizeof doc - 1, k, &leaf.v[0],
                              &chain, &err),
                 OTA_OK, &err);
    assert_true(n > 0 && n <= OTA_MAX_SIG_BYTES);
    struct ota_cms_result res;
    check_status(ota_cms_verify(&res, der, n, domain, (const uint8_t *)doc, sizeof doc - 1, root.v,
                                root.n, &err),
                 OTA_OK, &err);
    struct ota_osskey_pub pub;
    check_status(ota_osskey_public(&pub, k, &err), OTA_OK, &err);
    uint8_t h[SHA256_DIGEST_LENGTH];
    char want[65];
    SHA256(pub.spki, pub.spki_len, h);
    ota_hex_encode(want, h, sizeof h);
    assert_string_equal(res.signer_keyid, want);
    ota_osskey_pub_free(&pub);
    free(der);
    ota_certs_free(&leaf);
    ota_certs_free(&chain);
    ota_certs_free(&root);
    ota_osskey_free(k);
}

static void cms_sign_output_verifies_on_device(void **state)
{
    (void)state;
    cms_sign_then_verify("signer.pem", "signer.key");
    cms_sign_then_verify("signer-rsa.pem", "signer-rsa.key");
}

static void cms_refused(const char *cert, const char *key, enum ota_status want, const char *needle)
{
    struct ota_osskey *k = load(key);
    struct ota_certlist leaf = certs(cert), chain = certs("chain.pem");
    uint8_t *der = (uint8_t *)"x";
    size_t n = 1;
    struct ota_err err = {0};
    check_status(ota_cms_sign(&der, &n, domain, (const uint8_t *)doc, sizeof doc - 1, k, &leaf.v[0],
                              &chain, &err),
                 want, &err);
    check_msg(&err, needle);
    assert_null(der);
    assert_int_equal(n, 0);
    ota_certs_free(&leaf);
    ota_certs_free(&chain);
    ota_osskey_free(k);
}

static void cms_sign_refuses_what_devices_refuse(void **state)
{
    (void)state;
    cms_refused("noeku.pem", "noeku.key", OTA_E_KEY, "no codeSigning extended key usage");
    cms_refused("server.pem", "server.key", OTA_E_KEY, "no codeSigning extended key usage");
    cms_refused("expired.pem", "expired.key", OTA_E_EXPIRED, "expired");
    cms_refused("future.pem", "future.key", OTA_E_EXPIRED, "not yet valid");
    cms_refused("signer.pem", "server.key", OTA_E_KEY, "not the signing key's");
    cms_refused("signer-ed.pem", "signer-ed.key", OTA_E_UNSUPPORTED, "Ed25519");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ecdsa_raw_signature_verifies_with_openssl),
        cmocka_unit_test(ed25519_raw_signature_verifies_with_ota_sig_verify),
        cmocka_unit_test(rsa_signs_cms_only),
        cmocka_unit_test(encrypted_pem_needs_its_passphrase),
        cmocka_unit_test(key_file_readable_by_others_is_refused),
        cmocka_unit_test(public_half_and_ecdsa_keyid),
        cmocka_unit_test(cms_sign_output_verifies_on_device),
        cmocka_unit_test(cms_sign_refuses_what_devices_refuse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
