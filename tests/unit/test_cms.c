/* test_cms.c — CMS signature verification, keys/cms.c (the device side).
 *
 * The PKI is made at test time by tests/cms/pki.sh (root, intermediate, code-signing leaves
 * and the leaves that must be refused). Signatures are made here with OpenSSL's CMS API and
 * with the openssl command, never with the code under test.
 *
 * Proves: a detached SignedData by a code-signing leaf, carrying its intermediate, verifies
 * against the root, gives the SHA-256 of the signer's SubjectPublicKeyInfo as key id, the
 * index of the anchor and the signer's subject; ECDSA and RSA signers; the openssl
 * command's output is accepted; dates are not checked (an expired leaf verifies). Each
 * forgery is a named refusal: no EKU, serverAuth only, anyExtendedKeyUsage only, an
 * untrusted CA, a missing intermediate, a CA:FALSE intermediate, a tampered message, another
 * domain, every single-bit flip of the DER, every truncation, trailing bytes, an oversize
 * length (refused before parsing), two signers, no signer, no CA, attached content, SHA-1.
 * Every refusal zeroes the result and leaves the OpenSSL error queue empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otapack/cms.h"
#include "otapack/codec.h"
#include "otapack/sigblock.h"
#include "otapack/x509.h"

#ifndef OTA_CMS_PKI_SCRIPT
#error "OTA_CMS_PKI_SCRIPT must name tests/cms/pki.sh"
#endif

static const char domain[] = "otapack/manifest/v1"; /* written out: not the macro under test */
static const char doc[] = "{\"format\":1,\"product\":\"acme\",\"version\":\"1.0\"}\n";

static char pki[256];

/* ---- helpers ------------------------------------------------------------------------ */

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

static void pki_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", pki, name);
}

static X509 *load_x509(const char *name)
{
    char p[512];
    pki_path(p, sizeof p, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *load_key(const char *name)
{
    char p[512];
    pki_path(p, sizeof p, name);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

static struct ota_certlist load_cas(const char *name)
{
    char p[512];
    struct ota_certlist l;
    struct ota_err err = {0};
    pki_path(p, sizeof p, name);
    check_status(ota_certs_load(&l, p, &err), OTA_OK, &err);
    return l;
}

/* domain || NUL || doc */
static uint8_t *content(size_t *len)
{
    size_t dl = sizeof domain, ml = sizeof doc - 1;
    uint8_t *m = malloc(dl + ml);
    assert_non_null(m);
    memcpy(m, domain, dl);
    memcpy(m + dl, doc, ml);
    *len = dl + ml;
    return m;
}

struct der {
    uint8_t *p;
    size_t n;
};

static struct der encode(CMS_ContentInfo *cms)
{
    unsigned char *p = NULL;
    int n = i2d_CMS_ContentInfo(cms, &p);
    assert_true(n > 0);
    struct der d = {malloc((size_t)n), (size_t)n};
    assert_non_null(d.p);
    memcpy(d.p, p, (size_t)n);
    OPENSSL_free(p);
    CMS_ContentInfo_free(cms);
    return d;
}

/* The way a signer is expected to do it: CMS_sign, detached, binary, with extra certs. */
static struct der sign_with(const char *leaf, const char *key, const char *const *extra,
                            unsigned flags, const EVP_MD *md)
{
    X509 *x = load_x509(leaf);
    char kname[64];
    snprintf(kname, sizeof kname, "%s", key);
    EVP_PKEY *k = load_key(kname);
    STACK_OF(X509) *certs = sk_X509_new_null();
    for (size_t i = 0; extra && extra[i]; i++)
        sk_X509_push(certs, load_x509(extra[i]));
    size_t cl;
    uint8_t *c = content(&cl);
    BIO *in = BIO_new_mem_buf(c, (int)cl);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, certs, NULL, CMS_PARTIAL | flags);
    assert_non_null(cms);
    assert_non_null(CMS_add1_signer(cms, x, k, md, CMS_BINARY));
    if (CMS_final(cms, in, NULL, flags) != 1) {
        ERR_print_errors_fp(stderr);
        fail_msg("CMS_final failed for %s", leaf);
    }
    BIO_free(in);
    free(c);
    sk_X509_pop_free(certs, X509_free);
    X509_free(x);
    EVP_PKEY_free(k);
    return encode(cms);
}

static const char *const with_inter[] = {"inter.pem", NULL};

static struct der sign_good(void)
{
    return sign_with("signer.pem", "signer.key", with_inter, CMS_DETACHED | CMS_BINARY,
                     EVP_sha256());
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* Verifies d over doc against the certificates in cafile; on failure the result must be
 * zeroed, and in every case the OpenSSL error queue empty. */
static enum ota_status verify_over(struct ota_cms_result *res, const struct der *d, const char *dom,
                                   const void *msg, size_t len, const char *cafile,
                                   struct ota_err *err)
{
    struct ota_certlist cas = load_cas(cafile);
    memset(res, 0xa5, sizeof *res);
    ota_err_clear(err);
    enum ota_status rc = ota_cms_verify(res, d->p, d->n, dom, msg, len, cas.v, cas.n, err);
    if (rc != OTA_OK && !all_zero(res, sizeof *res))
        fail_msg("result not zeroed on failure");
    if (ERR_peek_error() != 0)
        fail_msg("OpenSSL error queue left non-empty");
    ota_certs_free(&cas);
    return rc;
}

static enum ota_status verify(struct ota_cms_result *res, const struct der *d, const char *cafile,
                              struct ota_err *err)
{
    return verify_over(res, d, domain, doc, sizeof doc - 1, cafile, err);
}

/* The key id, computed independently: SHA-256 over the DER SubjectPublicKeyInfo. */
static void expected_keyid(char out[65], const char *leaf)
{
    X509 *x = load_x509(leaf);
    unsigned char *spki = NULL;
    int n = i2d_PUBKEY(X509_get0_pubkey(x), &spki);
    assert_true(n > 0);
    uint8_t h[SHA256_DIGEST_LENGTH];
    SHA256(spki, (size_t)n, h);
    ota_hex_encode(out, h, sizeof h);
    OPENSSL_free(spki);
    X509_free(x);
}

static int setup(void **state)
{
    (void)state;
    snprintf(pki, sizeof pki, "%s/otapack-cms-unit.XXXXXX",
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

/* ---- acceptance --------------------------------------------------------------------- */

static void good_signature_via_intermediate(void **state)
{
    (void)state;
    struct der d = sign_good();
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_OK, &err);
    char want[65];
    expected_keyid(want, "signer.pem");
    assert_string_equal(res.signer_keyid, want);
    assert_int_equal(res.anchor, 0);
    if (!strstr(res.signer_subject, "CN=otapack release signer"))
        fail_msg("subject '%s'", res.signer_subject);
    assert_true(d.n <= OTA_MAX_SIG_BYTES);
    free(d.p);
}

static void anchor_is_the_index_of_the_ca(void **state)
{
    (void)state;
    struct der d = sign_good();
    char p[512], cmd[1200];
    pki_path(p, sizeof p, "two-roots.pem");
    snprintf(cmd, sizeof cmd, "cat '%s/other-root.pem' '%s/root.pem' >'%s'", pki, pki, p);
    assert_int_equal(system(cmd), 0);
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "two-roots.pem", &err), OTA_OK, &err);
    assert_int_equal(res.anchor, 1);
    free(d.p);
}

/* RSA (PKCS #1 v1.5, as OpenSSL writes it) as well as ECDSA. (Ed25519 in CMS, RFC 8419, is
 * not tested: OpenSSL 3.0 can neither make nor check it, "eddsa_digest_signverify_init:invalid
 * digest", so ota_cms_sign refuses Ed25519 keys.) */
static void rsa_signer(void **state)
{
    (void)state;
    struct ota_cms_result res;
    struct ota_err err;
    char want[65];
    struct der d = sign_with("signer-rsa.pem", "signer-rsa.key", with_inter,
                             CMS_DETACHED | CMS_BINARY, EVP_sha256());
    check_status(verify(&res, &d, "root.pem", &err), OTA_OK, &err);
    expected_keyid(want, "signer-rsa.pem");
    assert_string_equal(res.signer_keyid, want);
    free(d.p);
    d = sign_with("signer-rsa.pem", "signer-rsa.key", with_inter, CMS_DETACHED | CMS_BINARY,
                  EVP_sha512());
    check_status(verify(&res, &d, "root.pem", &err), OTA_OK, &err);
    free(d.p);
}

/* Interop: what `openssl cms -sign` writes over the same bytes is accepted. */
static void openssl_command_signature_accepted(void **state)
{
    (void)state;
    size_t cl;
    uint8_t *c = content(&cl);
    char in[512], out[512], cmd[2048];
    pki_path(in, sizeof in, "content.bin");
    pki_path(out, sizeof out, "content.cms");
    FILE *f = fopen(in, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(c, 1, cl, f), cl);
    fclose(f);
    free(c);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl cms -sign -binary -nosmimecap -md sha256 -outform DER "
             "-signer signer.pem -inkey signer.key -certfile chain.pem -in content.bin "
             "-out content.cms",
             pki);
    assert_int_equal(system(cmd), 0);
    f = fopen(out, "rb");
    assert_non_null(f);
    uint8_t buf[OTA_MAX_SIG_BYTES + 1];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 0 && n <= OTA_MAX_SIG_BYTES);
    struct der d = {buf, n};
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_OK, &err);
}

/* Devices have no trustworthy clock: an expired or not-yet-valid signer still verifies
 * (freshness is the keyring's and the manifest's job; cms.h). */
static void dates_are_not_checked(void **state)
{
    (void)state;
    struct ota_cms_result res;
    struct ota_err err;
    struct der d = sign_with("expired.pem", "expired.key", with_inter, CMS_DETACHED | CMS_BINARY,
                             EVP_sha256());
    check_status(verify(&res, &d, "root.pem", &err), OTA_OK, &err);
    free(d.p);
    d = sign_with("future.pem", "future.key", with_inter, CMS_DETACHED | CMS_BINARY, EVP_sha256());
    check_status(verify(&res, &d, "root.pem", &err), OTA_OK, &err);
    free(d.p);
}

/* ---- forgeries: each a named refusal ---------------------------------------------- */

static void refuse_leaf(const char *leaf, const char *key, const char *msg)
{
    struct der d = sign_with(leaf, key, with_inter, CMS_DETACHED | CMS_BINARY, EVP_sha256());
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, msg);
    free(d.p);
}

static void refuses_signer_without_eku(void **state)
{
    (void)state;
    refuse_leaf("noeku.pem", "noeku.key",
                "CMS signature: signer certificate has no codeSigning extended key usage");
}

static void refuses_server_auth_only(void **state)
{
    (void)state;
    refuse_leaf("server.pem", "server.key",
                "CMS signature: signer certificate has no codeSigning extended key usage");
}

static void refuses_any_eku_only(void **state)
{
    (void)state;
    refuse_leaf("anyeku.pem", "anyeku.key",
                "CMS signature: signer certificate has no codeSigning extended key usage");
}

static void refuses_untrusted_ca(void **state)
{
    (void)state;
    static const char *const rogue_chain[] = {"other-root.pem", NULL};
    struct der d =
        sign_with("rogue.pem", "rogue.key", rogue_chain, CMS_DETACHED | CMS_BINARY, EVP_sha256());
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "CMS signature: signer does not chain to a CA in the keyring (");
    free(d.p);
    d = sign_with("rogue.pem", "rogue.key", NULL, CMS_DETACHED | CMS_BINARY, EVP_sha256());
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "CMS signature: signer does not chain to a CA in the keyring "
                    "(unable to get local issuer certificate)");
    free(d.p);
}

static void refuses_missing_intermediate(void **state)
{
    (void)state;
    struct der d =
        sign_with("signer.pem", "signer.key", NULL, CMS_DETACHED | CMS_BINARY, EVP_sha256());
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "CMS signature: signer does not chain to a CA in the keyring "
                    "(unable to get local issuer certificate)");
    /* the intermediate alone is not an anchor: no partial chains */
    check_status(verify(&res, &d, "inter.pem", &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "does not chain to a CA in the keyring");
    free(d.p);
}

static void refuses_non_ca_intermediate(void **state)
{
    (void)state;
    static const char *const via_leaf[] = {"signer.pem", "inter.pem", NULL};
    struct der d = sign_with("underleaf.pem", "underleaf.key", via_leaf, CMS_DETACHED | CMS_BINARY,
                             EVP_sha256());
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "does not chain to a CA in the keyring");
    free(d.p);
}

static void refuses_tampered_message(void **state)
{
    (void)state;
    struct der d = sign_good();
    struct ota_cms_result res;
    struct ota_err err;
    char m[sizeof doc];
    for (size_t i = 0; i < sizeof doc - 1; i++) {
        memcpy(m, doc, sizeof doc);
        m[i] ^= 0x01;
        check_status(verify_over(&res, &d, domain, m, sizeof doc - 1, "root.pem", &err),
                     OTA_E_SIGNATURE, &err);
        check_msg(&err, "CMS signature does not verify");
    }
    /* one byte longer or shorter */
    check_status(verify_over(&res, &d, domain, doc, sizeof doc - 2, "root.pem", &err),
                 OTA_E_SIGNATURE, &err);
    check_status(verify_over(&res, &d, domain, doc, sizeof doc, "root.pem", &err), OTA_E_SIGNATURE,
                 &err);
    free(d.p);
}

static void refuses_other_domain(void **state)
{
    (void)state;
    struct der d = sign_good();
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify_over(&res, &d, "otapack/keyring/v1", doc, sizeof doc - 1, "root.pem", &err),
                 OTA_E_SIGNATURE, &err);
    check_msg(&err, "CMS signature does not verify");
    free(d.p);
}

/* Every single-bit flip anywhere in the DER is refused (and nothing crashes: ASan runs this
 * too). Parts OpenSSL does not authenticate (version numbers, algorithm parameters, encoding
 * choices) must be refused as well: by the canonical-DER rule or the structure checks. */
static void flip_every_bit(const struct der *d)
{
    struct ota_certlist cas = load_cas("root.pem");
    uint8_t *buf = malloc(d->n);
    assert_non_null(buf);
    size_t accepted = 0;
    for (size_t i = 0; i < d->n * 8; i++) {
        memcpy(buf, d->p, d->n);
        buf[i / 8] ^= (uint8_t)(1u << (i % 8));
        struct ota_cms_result res;
        struct ota_err err = {0};
        if (ota_cms_verify(&res, buf, d->n, domain, (const uint8_t *)doc, sizeof doc - 1, cas.v,
                           cas.n, &err) == OTA_OK) {
            print_message("bit %zu (byte %zu, 0x%02x -> 0x%02x) accepted\n", i, i / 8, d->p[i / 8],
                          buf[i / 8]);
            accepted++;
        } else if (!all_zero(&res, sizeof res)) {
            fail_msg("bit %zu: result not zeroed", i);
        }
        if (ERR_peek_error() != 0)
            fail_msg("bit %zu: OpenSSL error queue left non-empty", i);
    }
    assert_int_equal(accepted, 0);
    free(buf);
    ota_certs_free(&cas);
}

static void refuses_every_bit_flip(void **state)
{
    (void)state;
    struct der d = sign_good();
    flip_every_bit(&d);
    free(d.p);
    /* RSA: its rsaEncryption algorithm identifier carries a NULL parameter */
    d = sign_with("signer-rsa.pem", "signer-rsa.key", with_inter, CMS_DETACHED | CMS_BINARY,
                  EVP_sha256());
    flip_every_bit(&d);
    free(d.p);
}

static void refuses_truncation_and_trailing_bytes(void **state)
{
    (void)state;
    struct der d = sign_good();
    struct ota_certlist cas = load_cas("root.pem");
    struct ota_cms_result res;
    struct ota_err err;
    for (size_t n = 0; n < d.n; n++) {
        uint8_t *cut = malloc(n ? n : 1); /* a copy of exactly n bytes: ASan sees overreads */
        assert_non_null(cut);
        memcpy(cut, d.p, n);
        enum ota_status rc = ota_cms_verify(&res, cut, n, domain, (const uint8_t *)doc,
                                            sizeof doc - 1, cas.v, cas.n, &err);
        free(cut);
        if (rc == OTA_OK)
            fail_msg("truncated to %zu of %zu bytes: accepted", n, d.n);
    }
    uint8_t *longer = malloc(d.n + 1);
    assert_non_null(longer);
    memcpy(longer, d.p, d.n);
    longer[d.n] = 0;
    check_status(ota_cms_verify(&res, longer, d.n + 1, domain, (const uint8_t *)doc, sizeof doc - 1,
                                cas.v, cas.n, &err),
                 OTA_E_FORMAT, &err);
    free(longer);
    assert_int_equal(ERR_peek_error(), 0);
    ota_certs_free(&cas);
    free(d.p);
}

static void refuses_oversize_before_parsing(void **state)
{
    (void)state;
    struct der d = sign_good();
    struct ota_certlist cas = load_cas("root.pem");
    /* a valid signature at the front: the length alone must make it fail */
    uint8_t *big = calloc(1, OTA_MAX_SIG_BYTES + 1);
    assert_non_null(big);
    memcpy(big, d.p, d.n);
    struct ota_cms_result res;
    struct ota_err err;
    check_status(ota_cms_verify(&res, big, OTA_MAX_SIG_BYTES + 1, domain, (const uint8_t *)doc,
                                sizeof doc - 1, cas.v, cas.n, &err),
                 OTA_E_LIMIT, &err);
    /* a huge length with a tiny buffer: must not be read at all */
    check_status(ota_cms_verify(&res, d.p, SIZE_MAX, domain, (const uint8_t *)doc, sizeof doc - 1,
                                cas.v, cas.n, &err),
                 OTA_E_LIMIT, &err);
    free(big);
    ota_certs_free(&cas);
    free(d.p);
}

static void refuses_two_signers(void **state)
{
    (void)state;
    X509 *x1 = load_x509("signer.pem"), *x2 = load_x509("signer-rsa.pem");
    EVP_PKEY *k1 = load_key("signer.key"), *k2 = load_key("signer-rsa.key");
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, load_x509("inter.pem"));
    size_t cl;
    uint8_t *c = content(&cl);
    BIO *in = BIO_new_mem_buf(c, (int)cl);
    unsigned fl = CMS_DETACHED | CMS_BINARY;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, certs, NULL, CMS_PARTIAL | fl);
    assert_non_null(cms);
    assert_non_null(CMS_add1_signer(cms, x1, k1, EVP_sha256(), CMS_BINARY));
    assert_non_null(CMS_add1_signer(cms, x2, k2, EVP_sha256(), CMS_BINARY));
    assert_int_equal(CMS_final(cms, in, NULL, fl), 1);
    struct der d = encode(cms);
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_FORMAT, &err);
    check_msg(&err, "2 signers, expected exactly one");
    free(d.p);
    BIO_free(in);
    free(c);
    sk_X509_pop_free(certs, X509_free);
    X509_free(x1);
    X509_free(x2);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}

static void refuses_no_signer_and_no_ca(void **state)
{
    (void)state;
    /* a certificates-only SignedData (what `openssl crl2pkcs7 -nocrl` makes) */
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, load_x509("signer.pem"));
    sk_X509_push(certs, load_x509("inter.pem"));
    CMS_ContentInfo *cms =
        CMS_sign(NULL, NULL, certs, NULL, CMS_PARTIAL | CMS_DETACHED | CMS_BINARY);
    assert_non_null(cms);
    struct der d = encode(cms);
    sk_X509_pop_free(certs, X509_free);
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_FORMAT, &err);
    check_msg(&err, "0 signers, expected exactly one");
    free(d.p);

    /* a good signature and no CA at all */
    d = sign_good();
    memset(&res, 0xa5, sizeof res);
    check_status(
        ota_cms_verify(&res, d.p, d.n, domain, (const uint8_t *)doc, sizeof doc - 1, NULL, 0, &err),
        OTA_E_SIGNATURE, &err);
    assert_true(all_zero(&res, sizeof res));
    check_msg(&err, "no CA");
    free(d.p);
    /* nothing at all */
    struct ota_certlist cas = load_cas("root.pem");
    check_status(ota_cms_verify(&res, NULL, 0, domain, (const uint8_t *)doc, sizeof doc - 1, cas.v,
                                cas.n, &err),
                 OTA_E_FORMAT, &err);
    ota_certs_free(&cas);
}

static void refuses_attached_content(void **state)
{
    (void)state;
    struct der d = sign_with("signer.pem", "signer.key", with_inter, CMS_BINARY, EVP_sha256());
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_FORMAT, &err);
    check_msg(&err, "attached");
    free(d.p);
}

static void refuses_sha1(void **state)
{
    (void)state;
    struct der d =
        sign_with("signer.pem", "signer.key", with_inter, CMS_DETACHED | CMS_BINARY, EVP_sha1());
    struct ota_cms_result res;
    struct ota_err err;
    check_status(verify(&res, &d, "root.pem", &err), OTA_E_SIGNATURE, &err);
    check_msg(&err, "digest algorithm");
    free(d.p);
}

static void refuses_garbage(void **state)
{
    (void)state;
    struct ota_certlist cas = load_cas("root.pem");
    struct ota_cms_result res;
    struct ota_err err;
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    check_status(ota_cms_verify(&res, junk, sizeof junk, domain, (const uint8_t *)doc,
                                sizeof doc - 1, cas.v, cas.n, &err),
                 OTA_E_FORMAT, &err);
    check_msg(&err, "CMS signature: ");
    assert_int_equal(ERR_peek_error(), 0);
    ota_certs_free(&cas);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_signature_via_intermediate),
        cmocka_unit_test(anchor_is_the_index_of_the_ca),
        cmocka_unit_test(rsa_signer),
        cmocka_unit_test(openssl_command_signature_accepted),
        cmocka_unit_test(dates_are_not_checked),
        cmocka_unit_test(refuses_signer_without_eku),
        cmocka_unit_test(refuses_server_auth_only),
        cmocka_unit_test(refuses_any_eku_only),
        cmocka_unit_test(refuses_untrusted_ca),
        cmocka_unit_test(refuses_missing_intermediate),
        cmocka_unit_test(refuses_non_ca_intermediate),
        cmocka_unit_test(refuses_tampered_message),
        cmocka_unit_test(refuses_other_domain),
        cmocka_unit_test(refuses_every_bit_flip),
        cmocka_unit_test(refuses_truncation_and_trailing_bytes),
        cmocka_unit_test(refuses_oversize_before_parsing),
        cmocka_unit_test(refuses_two_signers),
        cmocka_unit_test(refuses_no_signer_and_no_ca),
        cmocka_unit_test(refuses_attached_content),
        cmocka_unit_test(refuses_sha1),
        cmocka_unit_test(refuses_garbage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
