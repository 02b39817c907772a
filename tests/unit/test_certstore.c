/* test_certstore.c — the device certificate store: updater/certstore.c.
 *
 * Proves, for every function of certstore.h, that the store keeps Azure Sphere's CertStore
 * semantics: identifiers of 1 to 16 of A-Z a-z 0-9 . - _ (exactly 16 accepted; empty, 17,
 * bad characters refused as usage errors that say what is wrong); the capacity counts the
 * stored certificate and key PEM exactly (available() drops by exactly that much) and a full
 * store is OTA_E_NOSPC with the bytes needed and available; installing under an existing id
 * replaces; move replaces its destination (from gone, to holds from's certificate, one entry
 * fewer); deleting a missing entry is OTA_E_NOENT; a client key that does not match its
 * certificate, a wrong or missing password, a key or certificate of the wrong shape are
 * refused; an encrypted key with the right password is accepted and stored unencrypted, the
 * password nowhere; everything survives close and reopen; store.json is mode 0600 whatever
 * the umask, and nothing else is left in the folder; a crafted store.json (duplicate keys,
 * oversized, wrong types, unsorted, keys that do not match) is refused; apply is all or
 * nothing, checks the capacity on its result only, and treats deleting a missing entry as
 * done; a failed write changes nothing, in memory or on disk; each allocation failing in
 * turn is an error, never a crash, a leak or a half-made change.
 *
 * The test PKI (a root CA, client certificates, EC and RSA keys, encrypted and not) is made
 * at test time with OpenSSL; real root certificates come from the system's Mozilla bundle
 * (/usr/share/ca-certificates/mozilla), with generated ones when it is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otapack/certops.h"
#include "otapack/certstore.h"
#include "otapack/codec.h"

#define NOT_BEFORE INT64_C(1700000000) /* 2023-11-14T22:13:20Z */
#define NOT_AFTER (NOT_BEFORE + 3650 * INT64_C(86400))
#define PASSWORD "correct horse battery staple"

/* ---- allocation failure injection ----------------------------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

/* Two classes of allocations: ours (libc, through the link-time wrappers) and OpenSSL's
 * (through CRYPTO_set_mem_functions). The test fails exactly one allocation, the fail_at-th
 * of one class, and lets every other succeed, so that the code after a failure runs too.
 * jansson's allocations are left alone: jansson 2.14's lexer ignores a failed strbuffer
 * append (load.c, lex_save; akheron/jansson issue #362, fixed by pull request #747), after
 * which it returns a string missing a byte or corrupts its heap. */
enum alloc_class { ALLOC_OURS = 0, ALLOC_OPENSSL = 1, N_CLASSES = 2 };
static long alloc_count[N_CLASSES];
static long fail_at[N_CLASSES] = {-1, -1};
static int alloc_class = ALLOC_OURS; /* set while OpenSSL's hooks run */
static int injected;                 /* an allocation was made to fail */

static int alloc_fails(void)
{
    if (alloc_count[alloc_class]++ != fail_at[alloc_class])
        return 0;
    injected = 1;
    return 1;
}

static void alloc_disarm(void)
{
    for (int c = 0; c < N_CLASSES; c++)
        fail_at[c] = -1;
}

static void alloc_reset(void)
{
    alloc_disarm();
    for (int c = 0; c < N_CLASSES; c++)
        alloc_count[c] = 0;
    injected = 0;
}

void *__wrap_malloc(size_t n)
{
    return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    return alloc_fails() ? NULL : __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    return alloc_fails() ? NULL : __real_realloc(p, n);
}

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

struct buf {
    char *p;
    size_t len;
};

static struct buf bio_take(BIO *b)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    assert_true(n >= 0);
    struct buf r = {malloc((size_t)n + 1), (size_t)n};
    assert_non_null(r.p);
    memcpy(r.p, p, (size_t)n);
    r.p[n] = '\0';
    BIO_free(b);
    return r;
}

static void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
}

static struct buf cat(const char *a, const char *b)
{
    struct buf r = {malloc(strlen(a) + strlen(b) + 1), strlen(a) + strlen(b)};
    assert_non_null(r.p);
    strcpy(r.p, a);
    strcat(r.p, b);
    return r;
}

/* ---- the test PKI, made with OpenSSL -------------------------------------------------- */

static EVP_PKEY *new_ec_key(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(k);
    return k;
}

static EVP_PKEY *new_rsa_key(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    assert_non_null(k);
    return k;
}

/* A certificate for key, signed by issuer (NULL: self-signed). */
static X509 *new_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int is_ca,
                      long serial)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)NOT_BEFORE));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)NOT_AFTER));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"otapack tests", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    assert_int_equal(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n), 1);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
                                              is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    assert_non_null(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static struct buf cert_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    return bio_take(b);
}

/* PKCS#8 PEM, encrypted with AES-256-CBC if password is not NULL. */
static struct buf key_pem(EVP_PKEY *k, const char *password)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PKCS8PrivateKey(b, k, password ? EVP_aes_256_cbc() : NULL,
                                                   password, password ? (int)strlen(password) : 0,
                                                   NULL, NULL),
                     1);
    return bio_take(b);
}

/* The traditional form ("RSA PRIVATE KEY", "EC PRIVATE KEY"), with a Proc-Type header when
 * encrypted. */
static struct buf key_pem_traditional(EVP_PKEY *k, const char *password)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey_traditional(
                         b, k, password ? EVP_aes_128_cbc() : NULL, (unsigned char *)password,
                         password ? (int)strlen(password) : 0, NULL, NULL),
                     1);
    return bio_take(b);
}

static void fingerprint_of(char out[OTA_SHA256_HEX_LEN], X509 *x)
{
    unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    SHA256(der, (size_t)n, md);
    OPENSSL_free(der);
    ota_hex_encode(out, md, sizeof md);
}

static struct {
    EVP_PKEY *ca_key, *client_key, *other_key, *rsa_key;
    X509 *ca, *ca2, *client, *rsa_client;
    struct buf ca_pem, ca2_pem, client_pem, rsa_client_pem;
    char ca_fp[OTA_SHA256_HEX_LEN], ca2_fp[OTA_SHA256_HEX_LEN], client_fp[OTA_SHA256_HEX_LEN];
    struct buf client_key_pem, other_key_pem, client_key_enc, rsa_key_trad_enc, client_key_ec;
    /* real roots (PEM files as shipped) and their stored size (PEM as OpenSSL writes it) */
    size_t n_roots;
    struct buf roots[64];
    size_t root_size[64];
} pki;

static int pki_setup(void **state)
{
    (void)state;
    pki.ca_key = new_ec_key();
    pki.client_key = new_ec_key();
    pki.other_key = new_ec_key();
    pki.rsa_key = new_rsa_key();
    pki.ca = new_cert("otapack test root", pki.ca_key, NULL, NULL, 1, 1);
    pki.ca2 = new_cert("otapack test root G2", pki.other_key, NULL, NULL, 1, 2);
    pki.client = new_cert("device-0042", pki.client_key, pki.ca, pki.ca_key, 0, 3);
    pki.rsa_client = new_cert("device-rsa", pki.rsa_key, pki.ca, pki.ca_key, 0, 4);
    pki.ca_pem = cert_pem(pki.ca);
    pki.ca2_pem = cert_pem(pki.ca2);
    pki.client_pem = cert_pem(pki.client);
    pki.rsa_client_pem = cert_pem(pki.rsa_client);
    fingerprint_of(pki.ca_fp, pki.ca);
    fingerprint_of(pki.ca2_fp, pki.ca2);
    fingerprint_of(pki.client_fp, pki.client);
    pki.client_key_pem = key_pem(pki.client_key, NULL);
    pki.other_key_pem = key_pem(pki.other_key, NULL);
    pki.client_key_enc = key_pem(pki.client_key, PASSWORD);
    pki.rsa_key_trad_enc = key_pem_traditional(pki.rsa_key, PASSWORD);
    pki.client_key_ec = key_pem_traditional(pki.client_key, NULL);

    glob_t g;
    memset(&g, 0, sizeof g);
    if (glob("/usr/share/ca-certificates/mozilla/*.crt", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && pki.n_roots < 64; i++) {
            BIO *in = BIO_new_file(g.gl_pathv[i], "rb");
            if (!in)
                continue;
            X509 *x = PEM_read_bio_X509(in, NULL, NULL, NULL);
            BIO_free(in);
            if (!x)
                continue;
            FILE *f = fopen(g.gl_pathv[i], "rb");
            assert_non_null(f);
            char *p = malloc(OTA_CERTSTORE_MAX_CERT + 1);
            assert_non_null(p);
            size_t n = fread(p, 1, OTA_CERTSTORE_MAX_CERT, f);
            fclose(f);
            p[n] = '\0';
            struct buf canon = cert_pem(x);
            X509_free(x);
            pki.roots[pki.n_roots] = (struct buf){p, n};
            pki.root_size[pki.n_roots] = canon.len;
            buf_free(&canon);
            pki.n_roots++;
        }
        globfree(&g);
    }
    /* without the system bundle, roots of our own (RSA: about the size of real ones) */
    for (long i = 0; pki.n_roots < 40; i++) {
        char cn[48];
        snprintf(cn, sizeof cn, "generated root %ld", i);
        X509 *x = new_cert(cn, pki.rsa_key, NULL, NULL, 1, 100 + i);
        pki.roots[pki.n_roots] = cert_pem(x);
        pki.root_size[pki.n_roots] = pki.roots[pki.n_roots].len;
        pki.n_roots++;
        X509_free(x);
    }
    return 0;
}

static int pki_teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(pki.ca_key);
    EVP_PKEY_free(pki.client_key);
    EVP_PKEY_free(pki.other_key);
    EVP_PKEY_free(pki.rsa_key);
    X509_free(pki.ca);
    X509_free(pki.ca2);
    X509_free(pki.client);
    X509_free(pki.rsa_client);
    buf_free(&pki.ca_pem);
    buf_free(&pki.ca2_pem);
    buf_free(&pki.client_pem);
    buf_free(&pki.rsa_client_pem);
    buf_free(&pki.client_key_pem);
    buf_free(&pki.other_key_pem);
    buf_free(&pki.client_key_enc);
    buf_free(&pki.rsa_key_trad_enc);
    buf_free(&pki.client_key_ec);
    for (size_t i = 0; i < pki.n_roots; i++)
        buf_free(&pki.roots[i]);
    return 0;
}

/* ---- a private store folder per test -------------------------------------------------- */

struct dir {
    char path[256];
    int fd;
};

static void dir_make(struct dir *d)
{
    snprintf(d->path, sizeof d->path, "%s/otapack-certstore.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(d->path));
    d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(d->fd >= 0);
}

/* Names in the folder, sorted, space-separated ("" if empty). */
static void dir_list(const struct dir *d, char *out, size_t outsz)
{
    struct dirent **names;
    int n = scandir(d->path, &names, NULL, alphasort);
    assert_true(n >= 0);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            if (out[0])
                strncat(out, " ", outsz - strlen(out) - 1);
            strncat(out, names[i]->d_name, outsz - strlen(out) - 1);
        }
        free(names[i]);
    }
    free(names);
}

static void dir_remove(struct dir *d)
{
    DIR *dd = opendir(d->path);
    assert_non_null(dd);
    struct dirent *de;
    while ((de = readdir(dd))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (unlinkat(d->fd, de->d_name, 0) != 0)
            assert_int_equal(unlinkat(d->fd, de->d_name, AT_REMOVEDIR), 0);
    }
    closedir(dd);
    close(d->fd);
    assert_int_equal(rmdir(d->path), 0);
}

/* The bytes of store.json (NULL if it does not exist). */
static struct buf read_store(const struct dir *d)
{
    struct buf r = {NULL, 0};
    int fd = openat(d->fd, OTA_CERTSTORE_FILE, O_RDONLY);
    if (fd < 0) {
        assert_int_equal(errno, ENOENT);
        return r;
    }
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    r.p = malloc((size_t)st.st_size + 1);
    assert_non_null(r.p);
    assert_int_equal(read(fd, r.p, (size_t)st.st_size), st.st_size);
    r.p[st.st_size] = '\0';
    r.len = (size_t)st.st_size;
    close(fd);
    return r;
}

static void write_store(const struct dir *d, const char *text, size_t len)
{
    int fd = openat(d->fd, OTA_CERTSTORE_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void assert_same(const struct buf *a, const struct buf *b)
{
    assert_int_equal(!a->p, !b->p);
    assert_int_equal(a->len, b->len);
    if (a->p)
        assert_memory_equal(a->p, b->p, a->len);
}

static struct ota_certstore *open_store(const struct dir *d, size_t capacity)
{
    struct ota_certstore *cs = NULL;
    struct ota_err err = {0};
    check_status(ota_certstore_open(&cs, d->fd, capacity, &err), OTA_OK, &err);
    assert_non_null(cs);
    return cs;
}

static void install_root(struct ota_certstore *cs, const char *id, const struct buf *pem)
{
    struct ota_err err = {0};
    check_status(ota_certstore_install_root(cs, id, pem->p, pem->len, &err), OTA_OK, &err);
}

static void install_client(struct ota_certstore *cs, const char *id)
{
    struct ota_err err = {0};
    check_status(ota_certstore_install_client(cs, id, pki.client_pem.p, pki.client_pem.len,
                                              pki.client_key_pem.p, pki.client_key_pem.len, NULL,
                                              &err),
                 OTA_OK, &err);
}

static void expect_fp(const struct ota_certstore *cs, const char *id, const char *fp)
{
    char got[OTA_SHA256_HEX_LEN];
    struct ota_err err = {0};
    check_status(ota_certstore_fingerprint(cs, id, got, &err), OTA_OK, &err);
    assert_string_equal(got, fp);
}

static size_t stored_cert_len(const struct ota_certstore *cs, const char *id)
{
    char *p;
    size_t n;
    struct ota_err err = {0};
    check_status(ota_certstore_get_pem(cs, id, &p, &n, &err), OTA_OK, &err);
    free(p);
    return n;
}

static size_t stored_key_len(const struct ota_certstore *cs, const char *id)
{
    char *p;
    size_t n;
    struct ota_err err = {0};
    check_status(ota_certstore_get_key_pem(cs, id, &p, &n, &err), OTA_OK, &err);
    OPENSSL_cleanse(p, n);
    free(p);
    return n;
}

/* ---- operations built in memory ------------------------------------------------------ */

static struct ota_certop op_root(const char *id, const struct buf *pem)
{
    struct ota_certop o;
    memset(&o, 0, sizeof o);
    o.op = OTA_CERTOP_INSTALL_ROOT;
    snprintf(o.id, sizeof o.id, "%s", id);
    o.cert = pem->p;
    o.cert_len = pem->len;
    return o;
}

static struct ota_certop op_id(enum ota_certop_kind kind, const char *id, const char *to)
{
    struct ota_certop o;
    memset(&o, 0, sizeof o);
    o.op = kind;
    snprintf(o.id, sizeof o.id, "%s", id);
    snprintf(o.to, sizeof o.to, "%s", to ? to : "");
    return o;
}

/* ---- opening ------------------------------------------------------------------------------ */

static void open_empty_folder(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    assert_int_equal(ota_certstore_count(cs), 0);
    assert_int_equal(ota_certstore_capacity(cs), OTA_CERTSTORE_DEFAULT_CAPACITY);
    assert_int_equal(ota_certstore_capacity(cs), 24576);
    assert_int_equal(ota_certstore_available(cs), 24576);
    assert_int_equal(ota_certstore_used(cs), 0);
    ota_certstore_close(cs);
    char names[256];
    dir_list(&d, names, sizeof names);
    assert_string_equal(names, ""); /* nothing is written before the first change */

    cs = open_store(&d, 4096);
    assert_int_equal(ota_certstore_capacity(cs), 4096);
    assert_int_equal(ota_certstore_available(cs), 4096);
    ota_certstore_close(cs);
    ota_certstore_close(NULL);

    struct ota_err err = {0};
    cs = (struct ota_certstore *)&err; /* must be reset to NULL on failure */
    check_status(ota_certstore_open(&cs, d.fd, OTA_CERTSTORE_MAX_CAPACITY + 1, &err), OTA_E_USAGE,
                 &err);
    check_msg(&err, "capacity");
    assert_null(cs);
    int file = openat(d.fd, "plain", O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(file >= 0);
    check_status(ota_certstore_open(&cs, file, 0, &err), OTA_E_USAGE, &err);
    check_msg(&err, "not a folder");
    close(file);
    assert_int_not_equal(ota_certstore_open(&cs, -1, 0, &err), OTA_OK);
    assert_null(cs);
    dir_remove(&d);
}

/* The caller's descriptor may be closed: the store keeps its own. */
static void open_keeps_its_own_descriptor(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    int fd = dup(d.fd);
    struct ota_certstore *cs = NULL;
    struct ota_err err = {0};
    check_status(ota_certstore_open(&cs, fd, 0, &err), OTA_OK, &err);
    close(fd);
    install_root(cs, "ca", &pki.ca_pem);
    ota_certstore_close(cs);
    struct buf f = read_store(&d);
    assert_non_null(f.p);
    buf_free(&f);
    dir_remove(&d);
}

/* ---- identifiers ---------------------------------------------------------------------------- */

static void identifier_rules(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    static const struct {
        const char *id, *says;
    } bad[] = {
        {"", "is empty"},
        {"abcdefghijklmnopq", "longer than 16"},
        {"abcdefghijklmnopqrstuvwxyz", "longer than 16"},
        {"radius ca", "character outside A-Z a-z 0-9 . - _"},
        {"a/b", "character outside"},
        {"a:b", "character outside"},
        {"caf\xc3\xa9", "character outside"},
        {"a\x1b[2J", "\\x1b"}, /* escaped in the message, never sent to a terminal raw */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        check_status(ota_certstore_install_root(cs, bad[i].id, pki.ca_pem.p, pki.ca_pem.len, &err),
                     OTA_E_USAGE, &err);
        check_msg(&err, "certificate id");
        check_msg(&err, bad[i].says);
        assert_null(strchr(err.msg, '\x1b'));
    }
    check_status(ota_certstore_install_root(cs, NULL, pki.ca_pem.p, pki.ca_pem.len, &err),
                 OTA_E_USAGE, &err);
    assert_int_equal(ota_certstore_count(cs), 0);
    struct buf f = read_store(&d);
    assert_null(f.p); /* nothing written */

    /* exactly 16, and every allowed character */
    install_root(cs, "abcdefghijklmnop", &pki.ca_pem);
    install_root(cs, "AZaz09.-_", &pki.ca_pem);
    assert_int_equal(ota_certstore_count(cs), 2);

    /* every call that takes an identifier checks it */
    char out[OTA_CERTSTORE_NAME_MAX];
    int64_t t;
    enum ota_certstore_kind k;
    char *p;
    size_t n;
    const char *too_long = "abcdefghijklmnopq";
    check_status(ota_certstore_install_client(cs, too_long, pki.client_pem.p, pki.client_pem.len,
                                              pki.client_key_pem.p, pki.client_key_pem.len, NULL,
                                              &err),
                 OTA_E_USAGE, &err);
    check_status(ota_certstore_delete(cs, too_long, &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_move(cs, too_long, "a", &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_move(cs, "AZaz09.-_", "", &err), OTA_E_USAGE, &err);
    check_msg(&err, "empty");
    check_status(ota_certstore_kind(cs, too_long, &k, &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_subject(cs, too_long, out, sizeof out, &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_issuer(cs, too_long, out, sizeof out, &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_not_before(cs, too_long, &t, &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_not_after(cs, too_long, &t, &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_fingerprint(cs, too_long, out, &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_get_pem(cs, too_long, &p, &n, &err), OTA_E_USAGE, &err);
    check_status(ota_certstore_get_key_pem(cs, too_long, &p, &n, &err), OTA_E_USAGE, &err);
    assert_int_equal(ota_certstore_count(cs), 2);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* ---- roots ---------------------------------------------------------------------------------- */

static void install_root_and_query(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    install_root(cs, "radius-ca", &pki.ca_pem);
    assert_int_equal(ota_certstore_count(cs), 1);
    char id[OTA_CERTSTORE_ID_MAX + 1];
    check_status(ota_certstore_id_at(cs, 0, id, &err), OTA_OK, &err);
    assert_string_equal(id, "radius-ca");
    enum ota_certstore_kind k;
    check_status(ota_certstore_kind(cs, "radius-ca", &k, &err), OTA_OK, &err);
    assert_int_equal(k, OTA_CERTSTORE_ROOT);
    char name[OTA_CERTSTORE_NAME_MAX];
    check_status(ota_certstore_subject(cs, "radius-ca", name, sizeof name, &err), OTA_OK, &err);
    assert_string_equal(name, "CN=otapack test root,O=otapack tests");
    check_status(ota_certstore_issuer(cs, "radius-ca", name, sizeof name, &err), OTA_OK, &err);
    assert_string_equal(name, "CN=otapack test root,O=otapack tests");
    int64_t t;
    check_status(ota_certstore_not_before(cs, "radius-ca", &t, &err), OTA_OK, &err);
    assert_int_equal(t, NOT_BEFORE);
    check_status(ota_certstore_not_after(cs, "radius-ca", &t, &err), OTA_OK, &err);
    assert_int_equal(t, NOT_AFTER);
    expect_fp(cs, "radius-ca", pki.ca_fp);
    /* the certificate reads back as the same DER */
    char *pem;
    size_t len;
    check_status(ota_certstore_get_pem(cs, "radius-ca", &pem, &len, &err), OTA_OK, &err);
    assert_int_equal(strlen(pem), len);
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    assert_int_equal(X509_cmp(x, pki.ca), 0);
    X509_free(x);
    /* a root has no key */
    char *key = (char *)"sentinel";
    size_t key_len = 7;
    check_status(ota_certstore_get_key_pem(cs, "radius-ca", &key, &key_len, &err), OTA_E_NOENT,
                 &err);
    check_msg(&err, "radius-ca");
    assert_null(key);
    assert_int_equal(key_len, 0);
    /* the capacity counts the stored PEM */
    assert_int_equal(ota_certstore_used(cs), len);
    assert_int_equal(ota_certstore_available(cs), 24576 - len);
    free(pem);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void install_root_rejects_bad_certificates(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};

    check_status(ota_certstore_install_root(cs, "ca", "", 0, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "install-root 'ca'");
    check_msg(&err, "empty");
    check_status(ota_certstore_install_root(cs, "ca", NULL, 10, &err), OTA_E_USAGE, &err);
    /* DER: a certificate, but not PEM */
    unsigned char *der = NULL;
    int dl = i2d_X509(pki.ca, &der);
    check_status(ota_certstore_install_root(cs, "ca", (char *)der, (size_t)dl, &err), OTA_E_FORMAT,
                 &err);
    check_msg(&err, "not PEM");
    OPENSSL_free(der);
    /* two certificates */
    struct buf two = cat(pki.ca_pem.p, pki.ca2_pem.p);
    check_status(ota_certstore_install_root(cs, "ca", two.p, two.len, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "2 certificates; expected exactly one");
    buf_free(&two);
    /* a key where a certificate belongs */
    check_status(
        ota_certstore_install_root(cs, "ca", pki.client_key_pem.p, pki.client_key_pem.len, &err),
        OTA_E_FORMAT, &err);
    /* a certificate with a key after it */
    struct buf mixed = cat(pki.ca_pem.p, pki.client_key_pem.p);
    check_status(ota_certstore_install_root(cs, "ca", mixed.p, mixed.len, &err), OTA_E_FORMAT,
                 &err);
    check_msg(&err, "PRIVATE KEY");
    buf_free(&mixed);
    /* corrupt base64, and a flipped byte in the signature's DER */
    const char *junk =
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n";
    check_status(ota_certstore_install_root(cs, "ca", junk, strlen(junk), &err), OTA_E_FORMAT,
                 &err);
    /* larger than 8 KiB: refused before it is parsed */
    char *big = malloc(OTA_CERTSTORE_MAX_CERT + 2);
    assert_non_null(big);
    memset(big, '#', OTA_CERTSTORE_MAX_CERT + 1);
    memcpy(big, pki.ca_pem.p, pki.ca_pem.len);
    big[OTA_CERTSTORE_MAX_CERT + 1] = '\0';
    check_status(ota_certstore_install_root(cs, "ca", big, OTA_CERTSTORE_MAX_CERT + 1, &err),
                 OTA_E_LIMIT, &err);
    check_msg(&err, "8193 bytes, more than 8192");
    /* exactly 8 KiB with text around the PEM block: accepted and stored as plain PEM */
    check_status(ota_certstore_install_root(cs, "ca", big, OTA_CERTSTORE_MAX_CERT, &err), OTA_OK,
                 &err);
    assert_int_equal(stored_cert_len(cs, "ca"), pki.ca_pem.len);
    free(big);
    assert_int_equal(ota_certstore_count(cs), 1);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void install_replaces_same_id(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    install_root(cs, "ca", &pki.ca_pem);
    install_root(cs, "other", &pki.roots[0]);
    expect_fp(cs, "ca", pki.ca_fp);
    size_t before = ota_certstore_available(cs);
    install_root(cs, "ca", &pki.ca2_pem);
    assert_int_equal(ota_certstore_count(cs), 2);
    expect_fp(cs, "ca", pki.ca2_fp);
    assert_int_equal(ota_certstore_available(cs), before + pki.ca_pem.len - pki.ca2_pem.len);
    /* a client replaces a root of the same id, and the other way round */
    install_client(cs, "ca");
    enum ota_certstore_kind k;
    struct ota_err err = {0};
    check_status(ota_certstore_kind(cs, "ca", &k, &err), OTA_OK, &err);
    assert_int_equal(k, OTA_CERTSTORE_CLIENT);
    install_root(cs, "ca", &pki.ca_pem);
    check_status(ota_certstore_kind(cs, "ca", &k, &err), OTA_OK, &err);
    assert_int_equal(k, OTA_CERTSTORE_ROOT);
    char *key;
    size_t n;
    check_status(ota_certstore_get_key_pem(cs, "ca", &key, &n, &err), OTA_E_NOENT, &err);
    assert_int_equal(ota_certstore_count(cs), 2);
    ota_certstore_close(cs);
    /* and on disk */
    cs = open_store(&d, 0);
    assert_int_equal(ota_certstore_count(cs), 2);
    expect_fp(cs, "ca", pki.ca_fp);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* ---- capacity ------------------------------------------------------------------------------- */

static void capacity_fills_and_reports_numbers(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    size_t i, total = 0;
    char id[16];
    for (i = 0; i < pki.n_roots; i++) {
        snprintf(id, sizeof id, "root-%02u", (unsigned)i % 100);
        size_t avail = ota_certstore_available(cs);
        enum ota_status rc =
            ota_certstore_install_root(cs, id, pki.roots[i].p, pki.roots[i].len, &err);
        if (rc == OTA_E_NOSPC) {
            /* Azure Sphere's ENOSPC, with the numbers */
            assert_true(pki.root_size[i] > avail);
            char want[160];
            snprintf(want, sizeof want, "needs %zu bytes, %zu available (capacity 24576)",
                     pki.root_size[i], avail);
            check_msg(&err, want);
            check_msg(&err, id);
            break;
        }
        check_status(rc, OTA_OK, &err);
        /* available() drops by exactly the certificate's stored PEM */
        assert_int_equal(stored_cert_len(cs, id), pki.root_size[i]);
        assert_int_equal(ota_certstore_available(cs), avail - pki.root_size[i]);
        total += pki.root_size[i];
        assert_int_equal(ota_certstore_used(cs), total);
    }
    assert_true(i < pki.n_roots); /* the store did fill up */
    assert_true(i >= 8);
    size_t count = ota_certstore_count(cs);
    assert_int_equal(count, i);
    assert_int_equal(ota_certstore_available(cs), 24576 - total);
    /* the refused install changed nothing on disk either */
    struct buf before = read_store(&d);
    check_status(ota_certstore_install_root(cs, "one-more", pki.roots[i].p, pki.roots[i].len, &err),
                 OTA_E_NOSPC, &err);
    struct buf after = read_store(&d);
    assert_same(&before, &after);
    buf_free(&after);
    /* replacing an entry by a smaller one is fine when full; by a larger one needs the
     * difference */
    size_t small = 0, large = 0;
    for (size_t j = 1; j < count; j++) {
        if (pki.root_size[j] < pki.root_size[small])
            small = j;
        if (pki.root_size[j] > pki.root_size[large])
            large = j;
    }
    if (pki.root_size[large] - pki.root_size[small] > ota_certstore_available(cs)) {
        snprintf(id, sizeof id, "root-%02u", (unsigned)small % 100);
        size_t avail = ota_certstore_available(cs);
        check_status(
            ota_certstore_install_root(cs, id, pki.roots[large].p, pki.roots[large].len, &err),
            OTA_E_NOSPC, &err);
        char want[160];
        snprintf(want, sizeof want, "needs %zu bytes, %zu available",
                 pki.root_size[large] - pki.root_size[small], avail);
        check_msg(&err, want);
        snprintf(id, sizeof id, "root-%02u", (unsigned)large % 100);
        check_status(
            ota_certstore_install_root(cs, id, pki.roots[small].p, pki.roots[small].len, &err),
            OTA_OK, &err);
        assert_int_equal(ota_certstore_available(cs),
                         avail + pki.root_size[large] - pki.root_size[small]);
    }
    /* deleting gives back exactly what the entry used */
    size_t avail = ota_certstore_available(cs);
    size_t used0 = stored_cert_len(cs, "root-00");
    check_status(ota_certstore_delete(cs, "root-00", &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_available(cs), avail + used0);
    buf_free(&before);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void capacity_exactly_full(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    size_t cap = pki.root_size[0] + pki.root_size[1];
    struct ota_certstore *cs = open_store(&d, cap);
    install_root(cs, "a", &pki.roots[0]);
    install_root(cs, "b", &pki.roots[1]);
    assert_int_equal(ota_certstore_available(cs), 0);
    assert_int_equal(ota_certstore_used(cs), cap);
    struct ota_err err = {0};
    check_status(ota_certstore_install_root(cs, "c", pki.ca_pem.p, pki.ca_pem.len, &err),
                 OTA_E_NOSPC, &err);
    char want[128];
    snprintf(want, sizeof want, "'c': certificate store full: needs %zu bytes, 0 available",
             pki.ca_pem.len);
    check_msg(&err, want);
    /* a client counts its key too */
    ota_certstore_close(cs);
    cs = open_store(&d, cap + pki.client_pem.len);
    check_status(ota_certstore_install_client(cs, "w", pki.client_pem.p, pki.client_pem.len,
                                              pki.client_key_pem.p, pki.client_key_pem.len, NULL,
                                              &err),
                 OTA_E_NOSPC, &err);
    check_msg(&err, "install-client 'w'");
    ota_certstore_close(cs);
    cs = open_store(&d, cap + pki.client_pem.len + 512);
    install_client(cs, "w");
    assert_int_equal(ota_certstore_used(cs),
                     cap + stored_cert_len(cs, "w") + stored_key_len(cs, "w"));
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* The largest store: OTA_CERTSTORE_MAX_CAPACITY of real roots writes a store.json that it
 * loads again, and OTA_CERTSTORE_MAX_ENTRIES is a hard limit even with room to spare. */
static void largest_store_round_trips(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, OTA_CERTSTORE_MAX_CAPACITY);
    struct ota_err err = {0};
    enum ota_status rc = OTA_OK;
    unsigned i;
    for (i = 0; rc == OTA_OK && i < OTA_CERTSTORE_MAX_ENTRIES; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%03u", i);
        const struct buf *pem = &pki.roots[i % pki.n_roots];
        rc = ota_certstore_install_root(cs, id, pem->p, pem->len, &err);
    }
    check_status(rc, OTA_E_NOSPC, &err); /* filled by bytes, before the entry limit */
    size_t n = ota_certstore_count(cs), used = ota_certstore_used(cs);
    assert_true(used > OTA_CERTSTORE_MAX_CAPACITY - OTA_CERTSTORE_MAX_CERT);
    ota_certstore_close(cs);
    struct buf f = read_store(&d);
    assert_true(f.len < OTA_CERTSTORE_MAX_FILE);
    buf_free(&f);
    cs = open_store(&d, OTA_CERTSTORE_MAX_CAPACITY);
    assert_int_equal(ota_certstore_count(cs), n);
    assert_int_equal(ota_certstore_used(cs), used);
    ota_certstore_close(cs);
    dir_remove(&d);

    /* small certificates: the entry limit comes first */
    dir_make(&d);
    cs = open_store(&d, OTA_CERTSTORE_MAX_CAPACITY);
    struct ota_certop v[OTA_CERTOPS_MAX];
    struct ota_certops ops = {OTA_CERTOPS_MAX, v};
    for (unsigned b = 0; b < OTA_CERTSTORE_MAX_ENTRIES / OTA_CERTOPS_MAX; b++) {
        for (unsigned j = 0; j < OTA_CERTOPS_MAX; j++) {
            char id[16];
            snprintf(id, sizeof id, "e%03u", b * OTA_CERTOPS_MAX + j);
            v[j] = op_root(id, &pki.ca_pem);
        }
        check_status(ota_certstore_apply(cs, &ops, &err), OTA_OK, &err);
    }
    assert_int_equal(ota_certstore_count(cs), OTA_CERTSTORE_MAX_ENTRIES);
    assert_true(ota_certstore_available(cs) > pki.ca_pem.len);
    check_status(ota_certstore_install_root(cs, "one-more", pki.ca_pem.p, pki.ca_pem.len, &err),
                 OTA_E_NOSPC, &err);
    check_msg(&err, "more than 256 entries");
    install_root(cs, "e000", &pki.ca2_pem); /* replacing is fine */
    ota_certstore_close(cs);
    cs = open_store(&d, OTA_CERTSTORE_MAX_CAPACITY);
    assert_int_equal(ota_certstore_count(cs), OTA_CERTSTORE_MAX_ENTRIES);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* A store filled under a larger capacity opens under a smaller one: nothing is lost, nothing
 * can grow, and shrinking changes are allowed. */
static void over_capacity_store_opens(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    install_root(cs, "a", &pki.roots[0]);
    install_root(cs, "b", &pki.roots[1]);
    install_root(cs, "c", &pki.roots[2]);
    ota_certstore_close(cs);
    cs = open_store(&d, 1000);
    assert_int_equal(ota_certstore_count(cs), 3);
    assert_true(ota_certstore_used(cs) > 1000);
    assert_int_equal(ota_certstore_available(cs), 0);
    struct ota_err err = {0};
    check_status(ota_certstore_install_root(cs, "d", pki.ca_pem.p, pki.ca_pem.len, &err),
                 OTA_E_NOSPC, &err);
    check_status(ota_certstore_move(cs, "a", "b", &err), OTA_OK, &err);
    check_status(ota_certstore_delete(cs, "c", &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_count(cs), 1);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* ---- move and delete ------------------------------------------------------------------------ */

static void move_replaces_atomically(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    install_root(cs, "radius-ca", &pki.ca_pem);
    install_root(cs, "keep", &pki.roots[0]);
    /* the documented rotation: new root under a temporary id, then move it over the old */
    install_root(cs, "tmp", &pki.ca2_pem);
    assert_int_equal(ota_certstore_count(cs), 3);
    size_t avail = ota_certstore_available(cs);
    check_status(ota_certstore_move(cs, "tmp", "radius-ca", &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_count(cs), 2); /* one fewer: 'radius-ca' was replaced */
    enum ota_certstore_kind k;
    check_status(ota_certstore_kind(cs, "tmp", &k, &err), OTA_E_NOENT, &err);
    check_msg(&err, "'tmp' not found");
    expect_fp(cs, "radius-ca", pki.ca2_fp); /* holds what 'tmp' held */
    assert_int_equal(ota_certstore_available(cs), avail + pki.ca_pem.len);
    /* in the file, at once: a reopened store sees the same */
    ota_certstore_close(cs);
    cs = open_store(&d, 0);
    assert_int_equal(ota_certstore_count(cs), 2);
    expect_fp(cs, "radius-ca", pki.ca2_fp);
    char id[OTA_CERTSTORE_ID_MAX + 1];
    check_status(ota_certstore_id_at(cs, 0, id, &err), OTA_OK, &err);
    assert_string_equal(id, "keep");
    /* a move to a free id renames: the count stays */
    check_status(ota_certstore_move(cs, "keep", "zz-last", &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_count(cs), 2);
    check_status(ota_certstore_id_at(cs, 1, id, &err), OTA_OK, &err);
    assert_string_equal(id, "zz-last"); /* still sorted */
    /* a client moves with its key */
    install_client(cs, "wifi-new");
    check_status(ota_certstore_move(cs, "wifi-new", "wifi", &err), OTA_OK, &err);
    assert_true(stored_key_len(cs, "wifi") > 0);
    /* from missing: ENOENT, naming it */
    struct buf before = read_store(&d);
    check_status(ota_certstore_move(cs, "ghost", "radius-ca", &err), OTA_E_NOENT, &err);
    check_msg(&err, "'ghost'");
    /* onto itself: nothing to do (but it must exist) */
    check_status(ota_certstore_move(cs, "wifi", "wifi", &err), OTA_OK, &err);
    check_status(ota_certstore_move(cs, "ghost", "ghost", &err), OTA_E_NOENT, &err);
    struct buf after = read_store(&d);
    assert_same(&before, &after);
    assert_int_equal(ota_certstore_count(cs), 3);
    char names[256];
    dir_list(&d, names, sizeof names);
    assert_string_equal(names, OTA_CERTSTORE_FILE);
    buf_free(&before);
    buf_free(&after);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void delete_entries(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    install_root(cs, "a", &pki.ca_pem);
    install_client(cs, "b");
    check_status(ota_certstore_delete(cs, "b", &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_count(cs), 1);
    check_status(ota_certstore_delete(cs, "b", &err), OTA_E_NOENT, &err);
    check_msg(&err, "delete 'b'");
    check_status(ota_certstore_delete(cs, "never", &err), OTA_E_NOENT, &err);
    check_msg(&err, "'never'");
    check_status(ota_certstore_delete(cs, "a", &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_count(cs), 0);
    assert_int_equal(ota_certstore_available(cs), 24576);
    ota_certstore_close(cs);
    cs = open_store(&d, 0);
    assert_int_equal(ota_certstore_count(cs), 0);
    ota_certstore_close(cs);
    /* the key is gone from the file too */
    struct buf f = read_store(&d);
    assert_null(strstr(f.p, "PRIVATE KEY"));
    buf_free(&f);
    dir_remove(&d);
}

static void ids_sorted_and_index_range(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    static const char *const order[] = {"b", "B", "a", "_", "0", "a.b"};
    for (size_t i = 0; i < 6; i++)
        install_root(cs, order[i], &pki.ca_pem);
    static const char *const sorted[] = {"0", "B", "_", "a", "a.b", "b"}; /* bytewise */
    char id[OTA_CERTSTORE_ID_MAX + 1];
    for (size_t i = 0; i < 6; i++) {
        check_status(ota_certstore_id_at(cs, i, id, &err), OTA_OK, &err);
        assert_string_equal(id, sorted[i]);
    }
    check_status(ota_certstore_id_at(cs, 6, id, &err), OTA_E_USAGE, &err); /* ERANGE */
    check_msg(&err, "index 6 out of range");
    assert_string_equal(id, "");
    check_status(ota_certstore_id_at(cs, (size_t)-1, id, &err), OTA_E_USAGE, &err);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* ---- clients ----------------------------------------------------------------------------------
 */

/* The stored key is unencrypted PKCS#8 and is the same key. */
static void expect_stored_key(const struct ota_certstore *cs, const char *id, EVP_PKEY *want)
{
    char *pem;
    size_t len;
    struct ota_err err = {0};
    check_status(ota_certstore_get_key_pem(cs, id, &pem, &len, &err), OTA_OK, &err);
    assert_int_equal(strlen(pem), len);
    assert_int_equal(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    assert_null(strstr(pem, "ENCRYPTED"));
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
    BIO_free(b);
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_eq(k, want), 1);
    EVP_PKEY_free(k);
    OPENSSL_cleanse(pem, len);
    free(pem);
}

static void install_client_and_key(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    install_client(cs, "wifi");
    enum ota_certstore_kind k;
    check_status(ota_certstore_kind(cs, "wifi", &k, &err), OTA_OK, &err);
    assert_int_equal(k, OTA_CERTSTORE_CLIENT);
    char name[OTA_CERTSTORE_NAME_MAX];
    check_status(ota_certstore_subject(cs, "wifi", name, sizeof name, &err), OTA_OK, &err);
    assert_string_equal(name, "CN=device-0042,O=otapack tests");
    check_status(ota_certstore_issuer(cs, "wifi", name, sizeof name, &err), OTA_OK, &err);
    assert_string_equal(name, "CN=otapack test root,O=otapack tests");
    expect_fp(cs, "wifi", pki.client_fp);
    expect_stored_key(cs, "wifi", pki.client_key);
    /* the capacity counts certificate and key */
    assert_int_equal(ota_certstore_used(cs),
                     stored_cert_len(cs, "wifi") + stored_key_len(cs, "wifi"));
    assert_int_equal(ota_certstore_available(cs),
                     24576 - stored_cert_len(cs, "wifi") - stored_key_len(cs, "wifi"));
    /* a traditional "EC PRIVATE KEY" is accepted and stored as PKCS#8 */
    check_status(ota_certstore_install_client(cs, "eth", pki.client_pem.p, pki.client_pem.len,
                                              pki.client_key_ec.p, pki.client_key_ec.len, NULL,
                                              &err),
                 OTA_OK, &err);
    expect_stored_key(cs, "eth", pki.client_key);
    /* a password given for a key that is not encrypted is not needed, and not kept */
    check_status(ota_certstore_install_client(cs, "eth", pki.client_pem.p, pki.client_pem.len,
                                              pki.client_key_pem.p, pki.client_key_pem.len,
                                              "unused-password", &err),
                 OTA_OK, &err);
    struct buf f = read_store(&d);
    assert_null(strstr(f.p, "unused-password"));
    buf_free(&f);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void client_key_mismatch_rejected(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    check_status(ota_certstore_install_client(cs, "wifi", pki.client_pem.p, pki.client_pem.len,
                                              pki.other_key_pem.p, pki.other_key_pem.len, NULL,
                                              &err),
                 OTA_E_FORMAT, &err);
    check_msg(&err, "install-client 'wifi'");
    check_msg(&err, "does not match the certificate");
    check_msg(&err, "device-0042");
    /* an RSA key with an EC certificate */
    struct buf rsa = key_pem(pki.rsa_key, NULL);
    check_status(ota_certstore_install_client(cs, "wifi", pki.client_pem.p, pki.client_pem.len,
                                              rsa.p, rsa.len, NULL, &err),
                 OTA_E_FORMAT, &err);
    check_msg(&err, "does not match");
    buf_free(&rsa);
    assert_int_equal(ota_certstore_count(cs), 0);
    struct buf f = read_store(&d);
    assert_null(f.p);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void client_passwords(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    const struct buf *c = &pki.client_pem, *k = &pki.client_key_enc;
    assert_non_null(strstr(k->p, "BEGIN ENCRYPTED PRIVATE KEY"));
    /* no password: OpenSSL must not prompt; the store says why */
    check_status(ota_certstore_install_client(cs, "wifi", c->p, c->len, k->p, k->len, NULL, &err),
                 OTA_E_FORMAT, &err);
    check_msg(&err, "encrypted and no password was given");
    check_msg(&err, "'wifi'");
    check_status(
        ota_certstore_install_client(cs, "wifi", c->p, c->len, k->p, k->len, "wrong", &err),
        OTA_E_FORMAT, &err);
    check_msg(&err, "does not decrypt with the password");
    check_status(ota_certstore_install_client(cs, "wifi", c->p, c->len, k->p, k->len, "", &err),
                 OTA_E_FORMAT, &err);
    assert_int_equal(ota_certstore_count(cs), 0);
    /* the right password: stored unencrypted, the password nowhere */
    check_status(
        ota_certstore_install_client(cs, "wifi", c->p, c->len, k->p, k->len, PASSWORD, &err),
        OTA_OK, &err);
    expect_stored_key(cs, "wifi", pki.client_key);
    struct buf f = read_store(&d);
    assert_null(strstr(f.p, PASSWORD));
    assert_null(strstr(f.p, "ENCRYPTED"));
    buf_free(&f);
    /* a traditional encrypted RSA key (Proc-Type: 4,ENCRYPTED) */
    assert_non_null(strstr(pki.rsa_key_trad_enc.p, "Proc-Type: 4,ENCRYPTED"));
    check_status(ota_certstore_install_client(cs, "rsa", pki.rsa_client_pem.p,
                                              pki.rsa_client_pem.len, pki.rsa_key_trad_enc.p,
                                              pki.rsa_key_trad_enc.len, "wrong", &err),
                 OTA_E_FORMAT, &err);
    check_msg(&err, "does not decrypt");
    check_status(ota_certstore_install_client(cs, "rsa", pki.rsa_client_pem.p,
                                              pki.rsa_client_pem.len, pki.rsa_key_trad_enc.p,
                                              pki.rsa_key_trad_enc.len, NULL, &err),
                 OTA_E_FORMAT, &err);
    check_msg(&err, "no password");
    check_status(ota_certstore_install_client(cs, "rsa", pki.rsa_client_pem.p,
                                              pki.rsa_client_pem.len, pki.rsa_key_trad_enc.p,
                                              pki.rsa_key_trad_enc.len, PASSWORD, &err),
                 OTA_OK, &err);
    expect_stored_key(cs, "rsa", pki.rsa_key);
    /* passwords: 256 bytes is the limit */
    char pw[OTA_CERTSTORE_MAX_PASSWORD + 2];
    memset(pw, 'p', sizeof pw - 1);
    pw[OTA_CERTSTORE_MAX_PASSWORD] = '\0';
    struct buf k256 = key_pem(pki.client_key, pw);
    check_status(
        ota_certstore_install_client(cs, "long-pw", c->p, c->len, k256.p, k256.len, pw, &err),
        OTA_OK, &err);
    pw[OTA_CERTSTORE_MAX_PASSWORD] = 'p';
    pw[OTA_CERTSTORE_MAX_PASSWORD + 1] = '\0';
    check_status(
        ota_certstore_install_client(cs, "long-pw", c->p, c->len, k256.p, k256.len, pw, &err),
        OTA_E_LIMIT, &err);
    check_msg(&err, "longer than 256 bytes");
    buf_free(&k256);
    assert_int_equal(ota_certstore_count(cs), 3);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void client_rejects_bad_keys(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    const struct buf *c = &pki.client_pem;
#define TRY_KEY(KP, KN, want, needle)                                                              \
    do {                                                                                           \
        check_status(ota_certstore_install_client(cs, "wifi", c->p, c->len, KP, KN, NULL, &err),   \
                     want, &err);                                                                  \
        check_msg(&err, needle);                                                                   \
    } while (0)
    TRY_KEY("", 0, OTA_E_FORMAT, "private key: empty");
    /* a certificate where the key belongs */
    TRY_KEY(c->p, c->len, OTA_E_FORMAT, "a PEM 'CERTIFICATE' block where a private key");
    /* key and certificate in one file: one block only */
    struct buf both = cat(pki.client_key_pem.p, c->p);
    TRY_KEY(both.p, both.len, OTA_E_FORMAT, "CERTIFICATE");
    buf_free(&both);
    struct buf two = cat(pki.client_key_pem.p, pki.client_key_pem.p);
    TRY_KEY(two.p, two.len, OTA_E_FORMAT, "2 PEM blocks; expected exactly one");
    buf_free(&two);
    const char *junk = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    TRY_KEY(junk, strlen(junk), OTA_E_FORMAT, "does not parse");
    TRY_KEY("not a key at all", 16, OTA_E_FORMAT, "not PEM");
    char *big = malloc(OTA_CERTSTORE_MAX_KEY + 1);
    assert_non_null(big);
    memset(big, 'k', OTA_CERTSTORE_MAX_KEY + 1);
    TRY_KEY(big, OTA_CERTSTORE_MAX_KEY + 1, OTA_E_LIMIT, "8193 bytes, more than 8192");
    free(big);
#undef TRY_KEY
    check_status(ota_certstore_install_client(cs, "wifi", c->p, c->len, NULL, 0, NULL, &err),
                 OTA_E_USAGE, &err);
    check_msg(&err, "no private key");
    /* the certificate is checked as for a root */
    check_status(ota_certstore_install_client(cs, "wifi", pki.client_key_pem.p,
                                              pki.client_key_pem.len, pki.client_key_pem.p,
                                              pki.client_key_pem.len, NULL, &err),
                 OTA_E_FORMAT, &err);
    assert_int_equal(ota_certstore_count(cs), 0);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* ---- the file ------------------------------------------------------------------------------ */

static void persistence(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    install_root(cs, "radius-ca", &pki.ca_pem);
    install_root(cs, "mozilla", &pki.roots[3]);
    check_status(ota_certstore_install_client(cs, "wifi", pki.client_pem.p, pki.client_pem.len,
                                              pki.client_key_enc.p, pki.client_key_enc.len,
                                              PASSWORD, &err),
                 OTA_OK, &err);
    char *key_before;
    size_t key_before_len;
    check_status(ota_certstore_get_key_pem(cs, "wifi", &key_before, &key_before_len, &err), OTA_OK,
                 &err);
    size_t used = ota_certstore_used(cs);
    struct {
        char id[17], subject[256], issuer[256], fp[65];
        int64_t nb, na;
        enum ota_certstore_kind kind;
    } was[3];
    for (size_t i = 0; i < 3; i++) {
        check_status(ota_certstore_id_at(cs, i, was[i].id, &err), OTA_OK, &err);
        check_status(ota_certstore_subject(cs, was[i].id, was[i].subject, 256, &err), OTA_OK, &err);
        check_status(ota_certstore_issuer(cs, was[i].id, was[i].issuer, 256, &err), OTA_OK, &err);
        check_status(ota_certstore_fingerprint(cs, was[i].id, was[i].fp, &err), OTA_OK, &err);
        check_status(ota_certstore_not_before(cs, was[i].id, &was[i].nb, &err), OTA_OK, &err);
        check_status(ota_certstore_not_after(cs, was[i].id, &was[i].na, &err), OTA_OK, &err);
        check_status(ota_certstore_kind(cs, was[i].id, &was[i].kind, &err), OTA_OK, &err);
    }
    ota_certstore_close(cs);

    cs = open_store(&d, 0);
    assert_int_equal(ota_certstore_count(cs), 3);
    assert_int_equal(ota_certstore_used(cs), used);
    for (size_t i = 0; i < 3; i++) {
        char id[17], s[256], fp[65];
        int64_t t;
        enum ota_certstore_kind k;
        check_status(ota_certstore_id_at(cs, i, id, &err), OTA_OK, &err);
        assert_string_equal(id, was[i].id);
        check_status(ota_certstore_subject(cs, id, s, sizeof s, &err), OTA_OK, &err);
        assert_string_equal(s, was[i].subject);
        check_status(ota_certstore_issuer(cs, id, s, sizeof s, &err), OTA_OK, &err);
        assert_string_equal(s, was[i].issuer);
        check_status(ota_certstore_fingerprint(cs, id, fp, &err), OTA_OK, &err);
        assert_string_equal(fp, was[i].fp);
        check_status(ota_certstore_not_before(cs, id, &t, &err), OTA_OK, &err);
        assert_int_equal(t, was[i].nb);
        check_status(ota_certstore_not_after(cs, id, &t, &err), OTA_OK, &err);
        assert_int_equal(t, was[i].na);
        check_status(ota_certstore_kind(cs, id, &k, &err), OTA_OK, &err);
        assert_int_equal(k, was[i].kind);
    }
    char *key_after;
    size_t key_after_len;
    check_status(ota_certstore_get_key_pem(cs, "wifi", &key_after, &key_after_len, &err), OTA_OK,
                 &err);
    assert_int_equal(key_before_len, key_after_len);
    assert_memory_equal(key_before, key_after, key_after_len);
    free(key_before);
    free(key_after);
    /* writing is deterministic: the same store gives the same bytes */
    struct buf f1 = read_store(&d);
    check_status(ota_certstore_move(cs, "mozilla", "tmp", &err), OTA_OK, &err);
    check_status(ota_certstore_move(cs, "tmp", "mozilla", &err), OTA_OK, &err);
    struct buf f2 = read_store(&d);
    assert_same(&f1, &f2);
    /* and the file is the documented JSON */
    json_error_t je;
    json_t *j = json_loadb(f1.p, f1.len, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "format")), 1);
    json_t *e2 = json_array_get(json_object_get(j, "entries"), 2);
    assert_string_equal(json_string_value(json_object_get(e2, "id")), "wifi");
    assert_string_equal(json_string_value(json_object_get(e2, "kind")), "client");
    assert_non_null(json_object_get(e2, "key"));
    json_decref(j);
    buf_free(&f1);
    buf_free(&f2);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void store_file_mode_and_no_leftovers(void **state)
{
    (void)state;
    static const mode_t masks[] = {0, 022, 077};
    for (size_t i = 0; i < 3; i++) {
        struct dir d;
        dir_make(&d);
        mode_t old = umask(masks[i]);
        struct ota_certstore *cs = open_store(&d, 0);
        install_client(cs, "wifi");
        install_root(cs, "ca", &pki.ca_pem);
        ota_certstore_close(cs);
        umask(old);
        struct stat st;
        assert_int_equal(fstatat(d.fd, OTA_CERTSTORE_FILE, &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISREG(st.st_mode));
        if ((st.st_mode & 07777) != 0600)
            fail_msg("store.json has mode %o under umask %03o, expected 600",
                     (unsigned)(st.st_mode & 07777), (unsigned)masks[i]);
        char names[256];
        dir_list(&d, names, sizeof names);
        assert_string_equal(names, OTA_CERTSTORE_FILE);
        dir_remove(&d);
    }
}

/* A store.json made by a real store, to derive crafted ones from. */
static struct buf sample_store_json(void)
{
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    install_root(cs, "a-root", &pki.ca_pem);
    install_client(cs, "b-client");
    ota_certstore_close(cs);
    struct buf f = read_store(&d);
    dir_remove(&d);
    return f;
}

/* text with the first occurrence of from replaced by to */
static struct buf replaced(const struct buf *text, const char *from, const char *to)
{
    const char *at = strstr(text->p, from);
    if (!at)
        fail_msg("'%s' not in the sample store.json", from);
    size_t pre = (size_t)(at - text->p), fl = strlen(from), tl = strlen(to);
    struct buf r = {malloc(text->len - fl + tl + 1), text->len - fl + tl};
    assert_non_null(r.p);
    memcpy(r.p, text->p, pre);
    memcpy(r.p + pre, to, tl);
    memcpy(r.p + pre + tl, at + fl, text->len - pre - fl + 1);
    return r;
}

static void reject_store(const char *text, size_t len, enum ota_status want, const char *needle)
{
    struct ota_certstore *cs = (struct ota_certstore *)&len;
    struct ota_err err = {0};
    enum ota_status rc = ota_certstore_parse_mem(&cs, text, len, 0, &err);
    if (rc != want)
        fail_msg("store.json %.120s...: status %d (%s), expected %d (%s); message '%s'", text, rc,
                 ota_strerror(rc), want, ota_strerror(want), err.msg);
    check_msg(&err, needle);
    assert_null(cs);
}

static void reject_variant(const struct buf *good, const char *from, const char *to,
                           enum ota_status want, const char *needle)
{
    struct buf b = replaced(good, from, to);
    reject_store(b.p, b.len, want, needle);
    buf_free(&b);
}

static void crafted_store_json_rejected(void **state)
{
    (void)state;
    struct buf good = sample_store_json();
    struct ota_certstore *cs;
    struct ota_err err = {0};
    /* the sample itself loads, into a store no folder backs */
    check_status(ota_certstore_parse_mem(&cs, good.p, good.len, 0, &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_count(cs), 2);
    install_root(cs, "c-mem", &pki.ca2_pem); /* in memory only */
    assert_int_equal(ota_certstore_count(cs), 3);
    ota_certstore_close(cs);

    /* duplicate keys */
    reject_variant(&good, "\"format\": 1", "\"format\": 1, \"format\": 1", OTA_E_FORMAT,
                   "duplicate");
    reject_variant(&good, "\"id\": \"a-root\"", "\"id\": \"a-root\", \"id\": \"z\"", OTA_E_FORMAT,
                   "duplicate");
    reject_variant(&good, "\"kind\": \"client\"", "\"kind\": \"client\", \"kind\": \"root\"",
                   OTA_E_FORMAT, "duplicate");
    /* wrong types */
    reject_variant(&good, "\"format\": 1", "\"format\": \"1\"", OTA_E_FORMAT, "not an integer");
    reject_variant(&good, "\"format\": 1", "\"format\": 2", OTA_E_UNSUPPORTED,
                   "format 2 not supported");
    reject_variant(&good, "\"id\": \"a-root\"", "\"id\": 7", OTA_E_FORMAT, "'id' is not a string");
    reject_variant(&good, "\"kind\": \"root\"", "\"kind\": 1", OTA_E_FORMAT,
                   "'kind' is not a string");
    reject_variant(&good, "\"kind\": \"root\"", "\"kind\": \"ca\"", OTA_E_FORMAT,
                   "neither 'root' nor 'client'");
    reject_variant(&good, "\"cert\": \"", "\"cert\": [\"", OTA_E_FORMAT, "invalid JSON");
    reject_store("{\"entries\": {}, \"format\": 1}", strlen("{\"entries\": {}, \"format\": 1}"),
                 OTA_E_FORMAT, "not an array");
    reject_store("{\"entries\": [1], \"format\": 1}", strlen("{\"entries\": [1], \"format\": 1}"),
                 OTA_E_FORMAT, "entry 1: not an object");
    reject_store("{\"format\": 1}", strlen("{\"format\": 1}"), OTA_E_FORMAT,
                 "'entries' is missing");
    reject_store("{\"entries\": []}", strlen("{\"entries\": []}"), OTA_E_FORMAT,
                 "missing field 'format'");
    reject_store("[]", strlen("[]"), OTA_E_FORMAT, "not a JSON object");
    /* unknown or misplaced fields */
    reject_variant(&good, "\"format\": 1", "\"format\": 1, \"capacity\": 99999", OTA_E_FORMAT,
                   "unknown field 'capacity'");
    reject_variant(&good, "\"kind\": \"root\"",
                   "\"kind\": \"root\", \"key\": \"-----BEGIN PRIVATE KEY-----\"", OTA_E_FORMAT,
                   "unknown field 'key'");
    reject_variant(&good, "\"kind\": \"root\"", "\"kind\": \"client\"", OTA_E_FORMAT,
                   "missing field 'key'");
    reject_variant(&good, "\"kind\": \"client\"", "\"kind\": \"root\"", OTA_E_FORMAT,
                   "unknown field 'key'");
    /* identifiers, order and duplicates */
    reject_variant(&good, "\"id\": \"a-root\"", "\"id\": \"a root\"", OTA_E_FORMAT,
                   "character outside");
    reject_variant(&good, "\"id\": \"a-root\"", "\"id\": \"\"", OTA_E_FORMAT, "empty");
    reject_variant(&good, "\"id\": \"a-root\"", "\"id\": \"abcdefghijklmnopqrstuvwxyz\"",
                   OTA_E_LIMIT, "longer than");
    reject_variant(&good, "\"id\": \"a-root\"", "\"id\": \"z-root\"", OTA_E_FORMAT, "out of order");
    reject_variant(&good, "\"id\": \"a-root\"", "\"id\": \"b-client\"", OTA_E_FORMAT,
                   "'b-client' appears twice");
    /* certificates and keys are checked again when loaded */
    reject_variant(&good, "-----BEGIN CERTIFICATE-----\\nMII", "-----BEGIN CERTIFICATE-----\\nXII",
                   OTA_E_FORMAT, "'a-root'");
    reject_variant(&good, "-----BEGIN PRIVATE KEY-----\\nMI", "-----BEGIN PRIVATE KEY-----\\nXI",
                   OTA_E_FORMAT, "'b-client'");
    /* a key that does not match its certificate: swap in another key */
    {
        struct dir d;
        dir_make(&d);
        cs = open_store(&d, 0);
        check_status(ota_certstore_install_client(cs, "b-client", pki.client_pem.p,
                                                  pki.client_pem.len, pki.client_key_pem.p,
                                                  pki.client_key_pem.len, NULL, &err),
                     OTA_OK, &err);
        ota_certstore_close(cs);
        struct buf f = read_store(&d);
        json_error_t je;
        json_t *j = json_loadb(f.p, f.len, 0, &je);
        json_t *e = json_array_get(json_object_get(j, "entries"), 0);
        json_object_set_new(e, "key", json_string(pki.other_key_pem.p));
        char *text = json_dumps(j, JSON_SORT_KEYS);
        reject_store(text, strlen(text), OTA_E_FORMAT, "does not match");
        /* and an encrypted key: the store only ever holds unencrypted ones */
        json_object_set_new(e, "key", json_string(pki.client_key_enc.p));
        free(text);
        text = json_dumps(j, JSON_SORT_KEYS);
        reject_store(text, strlen(text), OTA_E_FORMAT, "encrypted");
        /* two certificates in one entry */
        struct buf two = cat(pki.ca_pem.p, pki.ca2_pem.p);
        json_object_set_new(e, "key", json_string(pki.client_key_pem.p));
        json_object_set_new(e, "cert", json_string(two.p));
        free(text);
        text = json_dumps(j, JSON_SORT_KEYS);
        reject_store(text, strlen(text), OTA_E_FORMAT, "expected exactly one");
        /* a key that is not a string */
        json_object_set_new(e, "cert", json_string(pki.client_pem.p));
        json_object_set_new(e, "key", json_integer(5));
        free(text);
        text = json_dumps(j, JSON_SORT_KEYS);
        reject_store(text, strlen(text), OTA_E_FORMAT, "'key' is not a string");
        buf_free(&two);
        free(text);
        json_decref(j);
        buf_free(&f);
        dir_remove(&d);
    }
    /* garbage, NUL, trailing bytes */
    reject_store("", strlen(""), OTA_E_FORMAT, "invalid JSON");
    struct buf trailing = cat(good.p, "{}");
    reject_store(trailing.p, trailing.len, OTA_E_FORMAT, "invalid JSON");
    buf_free(&trailing);
    reject_variant(&good, "\"kind\": \"root\"", "\"kind\": \"ro\\u0000ot\"", OTA_E_FORMAT,
                   "invalid JSON");
    /* too many entries: refused before any is looked at */
    {
        size_t n = OTA_CERTSTORE_MAX_ENTRIES + 1, cap = 64 + 3 * n;
        char *text = malloc(cap);
        assert_non_null(text);
        size_t len = (size_t)snprintf(text, cap, "{\"format\": 1, \"entries\": [");
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(text + len, cap - len, "%s{}", i ? "," : "");
        len += (size_t)snprintf(text + len, cap - len, "]}");
        reject_store(text, len, OTA_E_LIMIT, "257 entries, more than 256");
        free(text);
    }
    /* oversized: refused before it is parsed */
    {
        size_t len = OTA_CERTSTORE_MAX_FILE + 1;
        char *text = malloc(len);
        assert_non_null(text);
        memset(text, ' ', len);
        memcpy(text, good.p, good.len);
        char want[64];
        snprintf(want, sizeof want, "more than %u", OTA_CERTSTORE_MAX_FILE);
        reject_store(text, len, OTA_E_LIMIT, want);
        /* and from the folder */
        struct dir d;
        dir_make(&d);
        write_store(&d, text, len);
        cs = (struct ota_certstore *)&len;
        check_status(ota_certstore_open(&cs, d.fd, 0, &err), OTA_E_LIMIT, &err);
        check_msg(&err, "certificate store: store.json");
        assert_null(cs);
        free(text);
        dir_remove(&d);
    }
    buf_free(&good);
}

/* What open does with a store.json that is not a plain file, or is crafted. */
static void open_refuses_bad_store_files(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs;
    struct ota_err err = {0};
    write_store(&d, "{\"format\": 1, \"format\": 1, \"entries\": []}", 41);
    check_status(ota_certstore_open(&cs, d.fd, 0, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "certificate store: store.json");
    check_msg(&err, "duplicate");
    assert_int_equal(unlinkat(d.fd, OTA_CERTSTORE_FILE, 0), 0);
    /* a symbolic link, even to a good store */
    write_store(&d, "{\"format\": 1, \"entries\": []}", 28);
    assert_int_equal(renameat(d.fd, OTA_CERTSTORE_FILE, d.fd, "real.json"), 0);
    assert_int_equal(symlinkat("real.json", d.fd, OTA_CERTSTORE_FILE), 0);
    check_status(ota_certstore_open(&cs, d.fd, 0, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "symbolic link");
    assert_int_equal(unlinkat(d.fd, OTA_CERTSTORE_FILE, 0), 0);
    /* a folder */
    assert_int_equal(mkdirat(d.fd, OTA_CERTSTORE_FILE, 0700), 0);
    check_status(ota_certstore_open(&cs, d.fd, 0, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "not a regular file");
    assert_int_equal(unlinkat(d.fd, OTA_CERTSTORE_FILE, AT_REMOVEDIR), 0);
    /* an empty file is not an empty store */
    write_store(&d, "", 0);
    check_status(ota_certstore_open(&cs, d.fd, 0, &err), OTA_E_FORMAT, &err);
    dir_remove(&d);
}

/* A failed durable write leaves the store as it was, in memory and on disk. */
static void failed_write_changes_nothing(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    install_root(cs, "ca", &pki.ca_pem);
    struct buf before = read_store(&d);
    size_t avail = ota_certstore_available(cs);
    /* the temporary name the atomic write uses is taken by a folder: the write fails even
     * for root, which file modes do not stop */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "." OTA_CERTSTORE_FILE ".tmp.%ld", (long)getpid());
    assert_int_equal(mkdirat(d.fd, tmp, 0700), 0);
    check_status(ota_certstore_install_client(cs, "wifi", pki.client_pem.p, pki.client_pem.len,
                                              pki.client_key_pem.p, pki.client_key_pem.len, NULL,
                                              &err),
                 OTA_E_IO, &err);
    check_msg(&err, "install-client 'wifi'");
    assert_int_equal(ota_certstore_count(cs), 1);
    assert_int_equal(ota_certstore_available(cs), avail);
    check_status(ota_certstore_delete(cs, "ca", &err), OTA_E_IO, &err);
    check_status(ota_certstore_move(cs, "ca", "ca2", &err), OTA_E_IO, &err);
    expect_fp(cs, "ca", pki.ca_fp);
    struct buf after = read_store(&d);
    assert_same(&before, &after);
    buf_free(&after);
    /* once the way is clear, the next change goes through */
    assert_int_equal(unlinkat(d.fd, tmp, AT_REMOVEDIR), 0);
    install_client(cs, "wifi");
    assert_int_equal(ota_certstore_count(cs), 2);
    buf_free(&before);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void queries_of_missing_entries(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    install_root(cs, "ca", &pki.ca_pem);
    char out[OTA_CERTSTORE_NAME_MAX] = "x";
    int64_t t = 5;
    enum ota_certstore_kind k = OTA_CERTSTORE_ROOT;
    char *p = (char *)"x";
    size_t n = 5;
    check_status(ota_certstore_kind(cs, "ghost", &k, &err), OTA_E_NOENT, &err);
    check_msg(&err, "'ghost' not found");
    assert_int_equal(k, 0);
    check_status(ota_certstore_subject(cs, "ghost", out, sizeof out, &err), OTA_E_NOENT, &err);
    assert_string_equal(out, "");
    strcpy(out, "x");
    check_status(ota_certstore_issuer(cs, "ghost", out, sizeof out, &err), OTA_E_NOENT, &err);
    assert_string_equal(out, "");
    check_status(ota_certstore_not_before(cs, "ghost", &t, &err), OTA_E_NOENT, &err);
    assert_int_equal(t, 0);
    t = 5;
    check_status(ota_certstore_not_after(cs, "ghost", &t, &err), OTA_E_NOENT, &err);
    assert_int_equal(t, 0);
    strcpy(out, "x");
    check_status(ota_certstore_fingerprint(cs, "ghost", out, &err), OTA_E_NOENT, &err);
    assert_string_equal(out, "");
    check_status(ota_certstore_get_pem(cs, "ghost", &p, &n, &err), OTA_E_NOENT, &err);
    assert_null(p);
    assert_int_equal(n, 0);
    p = (char *)"x";
    check_status(ota_certstore_get_key_pem(cs, "ghost", &p, &n, &err), OTA_E_NOENT, &err);
    assert_null(p);
    /* names that do not fit: a usage error, never a silent cut */
    char small[8];
    check_status(ota_certstore_subject(cs, "ca", small, sizeof small, &err), OTA_E_USAGE, &err);
    check_msg(&err, "subject needs 37 bytes, 8 given");
    assert_string_equal(small, "");
    check_status(ota_certstore_issuer(cs, "ca", small, 0, &err), OTA_E_USAGE, &err);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void kind_names(void **state)
{
    (void)state;
    assert_string_equal(ota_certstore_kind_name(OTA_CERTSTORE_ROOT), "root");
    assert_string_equal(ota_certstore_kind_name(OTA_CERTSTORE_CLIENT), "client");
    assert_string_equal(ota_certstore_kind_name((enum ota_certstore_kind)0), "?");
}

/* ---- apply ---------------------------------------------------------------------------------- */

static void apply_all_or_nothing(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    struct ota_err err = {0};
    install_root(cs, "old", &pki.roots[0]);

    struct ota_certop v[OTA_CERTOPS_MAX];
    v[0] = op_root("radius-ca", &pki.ca_pem);
    memset(&v[1], 0, sizeof v[1]);
    v[1].op = OTA_CERTOP_INSTALL_CLIENT;
    snprintf(v[1].id, sizeof v[1].id, "wifi");
    v[1].cert = pki.client_pem.p;
    v[1].cert_len = pki.client_pem.len;
    v[1].key = pki.client_key_enc.p;
    v[1].key_len = pki.client_key_enc.len;
    v[1].password = (char *)PASSWORD;
    v[1].password_len = strlen(PASSWORD);
    v[2] = op_id(OTA_CERTOP_DELETE, "old", NULL);
    v[3] = op_id(OTA_CERTOP_DELETE, "long-gone", NULL); /* a device that missed packages */
    v[4] = op_root("tmp", &pki.ca2_pem);
    v[5] = op_id(OTA_CERTOP_MOVE, "tmp", "radius-ca");
    struct ota_certops ops = {6, v};
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_count(cs), 2);
    expect_fp(cs, "radius-ca", pki.ca2_fp);
    expect_stored_key(cs, "wifi", pki.client_key);
    ota_certstore_close(cs);
    cs = open_store(&d, 0);
    assert_int_equal(ota_certstore_count(cs), 2);
    expect_fp(cs, "radius-ca", pki.ca2_fp);

    /* one bad operation: nothing of the batch happens, in memory or on disk */
    struct buf before = read_store(&d);
    const struct buf junk = {
        (char *)"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 58};
    v[0] = op_id(OTA_CERTOP_DELETE, "wifi", NULL);
    v[1] = op_root("new-ca", &pki.ca_pem);
    v[2] = op_root("broken", &junk);
    ops.n = 3;
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_E_FORMAT, &err);
    check_msg(&err, "operation 3: install-root 'broken'");
    assert_int_equal(ota_certstore_count(cs), 2);
    expect_stored_key(cs, "wifi", pki.client_key);
    struct buf after = read_store(&d);
    assert_same(&before, &after);
    buf_free(&after);
    /* a move from a missing entry fails the batch */
    v[2] = op_id(OTA_CERTOP_MOVE, "ghost", "radius-ca");
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_E_NOENT, &err);
    check_msg(&err, "operation 3: move 'ghost' to 'radius-ca'");
    assert_int_equal(ota_certstore_count(cs), 2);
    /* a bad identifier in operations built in memory */
    v[2] = op_id(OTA_CERTOP_DELETE, "a b", NULL);
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_E_USAGE, &err);
    check_msg(&err, "operation 3");
    /* more than the store holds: ENOSPC with the numbers, nothing done */
    size_t n = 0, grow = 0, avail = ota_certstore_available(cs);
    for (size_t i = 0; i < pki.n_roots && grow <= avail && n < OTA_CERTOPS_MAX; i++, n++) {
        char id[16];
        snprintf(id, sizeof id, "big-%u", (unsigned)i % 100);
        v[n] = op_root(id, &pki.roots[i]);
        grow += pki.root_size[i];
    }
    assert_true(grow > avail);
    ops.n = n;
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_E_NOSPC, &err);
    char want[128];
    snprintf(want, sizeof want, "needs %zu bytes, %zu available", grow, avail);
    check_msg(&err, want);
    assert_int_equal(ota_certstore_count(cs), 2);
    after = read_store(&d);
    assert_same(&before, &after);
    buf_free(&after);
    /* an empty batch is fine */
    ops.n = 0;
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_OK, &err);
    /* over the operation limit */
    ops.n = OTA_CERTOPS_MAX + 1;
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_E_LIMIT, &err);
    buf_free(&before);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* Rotating a root in a full store: the single calls need room for both roots at once (as on
 * Azure Sphere); one apply needs room for the result only. */
static void apply_rotates_a_root_in_a_full_store(void **state)
{
    (void)state;
    struct dir d;
    dir_make(&d);
    size_t larger = pki.ca_pem.len > pki.ca2_pem.len ? pki.ca_pem.len : pki.ca2_pem.len;
    struct ota_certstore *cs = open_store(&d, larger + 10);
    struct ota_err err = {0};
    install_root(cs, "radius-ca", &pki.ca_pem);
    assert_true(ota_certstore_available(cs) < pki.ca2_pem.len);
    check_status(ota_certstore_install_root(cs, "tmp", pki.ca2_pem.p, pki.ca2_pem.len, &err),
                 OTA_E_NOSPC, &err);
    struct ota_certop v[2] = {op_root("tmp", &pki.ca2_pem),
                              op_id(OTA_CERTOP_MOVE, "tmp", "radius-ca")};
    struct ota_certops ops = {2, v};
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_OK, &err);
    assert_int_equal(ota_certstore_count(cs), 1);
    expect_fp(cs, "radius-ca", pki.ca2_fp);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* A payload as the device receives it: parsed by formats/certops.c, applied here. */
static void apply_parsed_payload(void **state)
{
    (void)state;
    json_t *doc =
        json_pack("{s:i, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s}, {s:s, s:s}]}", "format", 1,
                  "operations", "op", "install-root", "id", "radius-ca", "cert", pki.ca_pem.p, "op",
                  "install-client", "id", "wifi", "cert", pki.client_pem.p, "key",
                  pki.client_key_enc.p, "password", PASSWORD, "op", "delete", "id", "old");
    assert_non_null(doc);
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    struct ota_certops ops;
    struct ota_err err = {0};
    check_status(ota_certops_parse_mem(&ops, text, strlen(text), &err), OTA_OK, &err);
    free(text);
    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    check_status(ota_certstore_apply(cs, &ops, &err), OTA_OK, &err);
    ota_certops_free(&ops);
    assert_int_equal(ota_certstore_count(cs), 2);
    expect_stored_key(cs, "wifi", pki.client_key);
    ota_certstore_close(cs);
    dir_remove(&d);
}

/* ---- allocation failures ----------------------------------------------------------------------
 */

/* Runs fn with allocation number i of class c failing, for every i of ours and for a sample
 * of OpenSSL's (thousands, mostly inside its decoders: every
 * 1/OSSL_SAMPLES-th reaches each of our error paths behind them). fn returns its status and
 * checks that a failure changed nothing and that a success is a complete one. A failure
 * OpenSSL absorbs may let the call succeed; one of ours must never. */
#define OSSL_SAMPLES 150
static void fail_each_allocation(const char *what, enum ota_status (*fn)(void *), void *arg)
{
    alloc_reset();
    if (fn(arg) != OTA_OK)
        fail_msg("%s: fails without an injected failure", what);
    long total[N_CLASSES];
    memcpy(total, alloc_count, sizeof total);
    assert_true(total[ALLOC_OURS] > 2);
    for (int c = 0; c < N_CLASSES; c++) {
        long step = c == ALLOC_OPENSSL && total[c] > OSSL_SAMPLES ? total[c] / OSSL_SAMPLES : 1;
        for (long i = 0; i < total[c]; i += step) {
            alloc_reset();
            fail_at[c] = i;
            enum ota_status rc = fn(arg);
            int hit = injected;
            alloc_reset();
            if (rc == OTA_OK && c == ALLOC_OURS && hit)
                fail_msg("%s: allocation %ld of %ld failed, yet the call succeeded", what, i + 1,
                         total[c]);
        }
    }
}

struct parse_case {
    const struct buf *text;
};

static enum ota_status parse_once(void *arg)
{
    const struct parse_case *pc = arg;
    struct ota_certstore *cs = NULL;
    struct ota_err err = {0};
    enum ota_status rc = ota_certstore_parse_mem(&cs, pc->text->p, pc->text->len, 0, &err);
    if (rc != OTA_OK)
        assert_null(cs);
    if (rc == OTA_OK) {
        alloc_disarm();
        assert_int_equal(ota_certstore_count(cs), 2);
        expect_fp(cs, "a-root", pki.ca_fp);
        expect_stored_key(cs, "b-client", pki.client_key);
    }
    ota_certstore_close(cs);
    return rc;
}

struct change_case {
    struct ota_certstore *cs;
    const struct dir *d;
    const struct buf *before; /* store.json before the change */
};

static enum ota_status change_once(void *arg)
{
    struct change_case *cc = arg;
    struct ota_err err = {0};
    enum ota_status rc =
        ota_certstore_install_client(cc->cs, "wifi", pki.client_pem.p, pki.client_pem.len,
                                     pki.client_key_enc.p, pki.client_key_enc.len, PASSWORD, &err);
    if (rc != OTA_OK) {
        /* nothing changed, in memory or on disk */
        alloc_disarm();
        assert_int_equal(ota_certstore_count(cc->cs), 1);
        struct buf after = read_store(cc->d);
        assert_same(cc->before, &after);
        buf_free(&after);
        return rc;
    }
    alloc_disarm(); /* check and undo the change, without failures */
    assert_int_equal(ota_certstore_count(cc->cs), 2);
    expect_stored_key(cc->cs, "wifi", pki.client_key);
    check_status(ota_certstore_delete(cc->cs, "wifi", &err), OTA_OK, &err);
    return OTA_OK;
}

static void allocation_failures(void **state)
{
    (void)state;
    struct buf good = sample_store_json();
    struct parse_case pc = {&good};
    fail_each_allocation("parse_mem", parse_once, &pc);

    struct dir d;
    dir_make(&d);
    struct ota_certstore *cs = open_store(&d, 0);
    install_root(cs, "ca", &pki.ca_pem);
    struct buf before = read_store(&d);
    struct change_case cc = {cs, &d, &before};
    fail_each_allocation("install_client", change_once, &cc);
    /* and afterwards everything still works */
    install_client(cs, "wifi");
    assert_int_equal(ota_certstore_count(cs), 2);
    buf_free(&before);
    buf_free(&good);
    ota_certstore_close(cs);
    dir_remove(&d);
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    alloc_class = ALLOC_OPENSSL;
    void *p = __wrap_malloc(n);
    alloc_class = ALLOC_OURS;
    return p;
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    alloc_class = ALLOC_OPENSSL;
    void *q = __wrap_realloc(p, n);
    alloc_class = ALLOC_OURS;
    return q;
}

static void ossl_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

int main(void)
{
    /* OpenSSL's allocations go through the failure injection too (OpenSSL accepts this only
     * before its first allocation) */
    int ossl_wrapped = CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
    if (!ossl_wrapped)
        fprintf(stderr, "note: OpenSSL allocations are not covered by the failure injection\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_empty_folder),
        cmocka_unit_test(open_keeps_its_own_descriptor),
        cmocka_unit_test(identifier_rules),
        cmocka_unit_test(install_root_and_query),
        cmocka_unit_test(install_root_rejects_bad_certificates),
        cmocka_unit_test(install_replaces_same_id),
        cmocka_unit_test(capacity_fills_and_reports_numbers),
        cmocka_unit_test(capacity_exactly_full),
        cmocka_unit_test(over_capacity_store_opens),
        cmocka_unit_test(largest_store_round_trips),
        cmocka_unit_test(move_replaces_atomically),
        cmocka_unit_test(delete_entries),
        cmocka_unit_test(ids_sorted_and_index_range),
        cmocka_unit_test(install_client_and_key),
        cmocka_unit_test(client_key_mismatch_rejected),
        cmocka_unit_test(client_passwords),
        cmocka_unit_test(client_rejects_bad_keys),
        cmocka_unit_test(persistence),
        cmocka_unit_test(store_file_mode_and_no_leftovers),
        cmocka_unit_test(crafted_store_json_rejected),
        cmocka_unit_test(open_refuses_bad_store_files),
        cmocka_unit_test(failed_write_changes_nothing),
        cmocka_unit_test(queries_of_missing_entries),
        cmocka_unit_test(kind_names),
        cmocka_unit_test(apply_all_or_nothing),
        cmocka_unit_test(apply_rotates_a_root_in_a_full_store),
        cmocka_unit_test(apply_parsed_payload),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
