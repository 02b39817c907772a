/* certstore.c — the device certificate store (include/otapack/certstore.h): root CA
 * certificates and client certificates with their private keys, named by short identifiers,
 * in one file store.json (mode 0600) in one folder.
 *
 * Owns: checking what goes into the store (one PEM certificate; a private key that decrypts
 * and matches its certificate), the capacity rule, and the one durable write of every change.
 * Every change is made on a copy of the entries, checked, written with ota_fs_write_atomic,
 * and only then swapped in: a failure at any step leaves the store as it was, in memory and
 * on disk. Must never: keep a password, store a key encrypted or a certificate unchecked,
 * write a store.json it would refuse to load, leave key material it allocated in freed
 * memory (jansson's scratch buffers while parsing store.json are the one exception), or let
 * OpenSSL prompt on a terminal for a password.
 *
 * store.json: {"entries": [{"cert": PEM, "id": ID, "key": PEM (client only), "kind": "root" |
 * "client"}, ...], "format": 1}, entries sorted by identifier, written deterministically.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_util.h"
#include "otapack/certstore.h"
#include "otapack/fsio.h"
#include "otapack/x509.h"

#define STORE_MODE 0600

struct entry {
    char id[OTA_CERTSTORE_ID_MAX + 1];
    enum ota_certstore_kind kind;
    char *cert; /* PEM as re-encoded by OpenSSL, NUL-terminated */
    size_t cert_len;
    char *key; /* client: unencrypted PKCS#8 PEM, NUL-terminated; wiped before free */
    size_t key_len;
    struct ota_cert info; /* the parsed certificate (holds an X509 reference) */
};

/* A list of entries sorted by id, owned. */
struct set {
    size_t n;
    struct entry *v;
};

struct ota_certstore {
    int dirfd; /* owned; -1 for a store from ota_certstore_parse_mem */
    size_t capacity;
    struct set s;
};

/* Whether an apply may treat "delete a missing entry" as done. */
enum missing_delete {
    MISSING_DELETE_FAILS = 0,   /* the single call: Azure Sphere's ENOENT */
    MISSING_DELETE_IS_DONE = 1, /* a payload: a device that missed packages catches up */
};

/* ---- entries ----------------------------------------------------------------------------- */

static void entry_free(struct entry *e)
{
    free(e->cert);
    if (e->key) {
        OPENSSL_cleanse(e->key, e->key_len);
        free(e->key);
    }
    X509_free(e->info.x509);
    memset(e, 0, sizeof *e);
}

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++)
        entry_free(&s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static size_t entry_size(const struct entry *e)
{
    return e->cert_len + e->key_len;
}

static size_t set_used(const struct set *s)
{
    size_t u = 0;
    for (size_t i = 0; i < s->n; i++)
        u += entry_size(&s->v[i]); /* bounded: at most 256 entries of at most 16 KiB */
    return u;
}

static char *dup_mem(const char *p, size_t len)
{
    char *q = malloc(len + 1);
    if (q) {
        memcpy(q, p, len);
        q[len] = '\0';
    }
    return q;
}

static enum ota_status entry_copy(struct entry *dst, const struct entry *src, struct ota_err *err)
{
    memset(dst, 0, sizeof *dst);
    memcpy(dst->id, src->id, sizeof dst->id);
    dst->kind = src->kind;
    dst->cert = dup_mem(src->cert, src->cert_len);
    dst->cert_len = src->cert_len;
    if (src->key) {
        dst->key = dup_mem(src->key, src->key_len);
        dst->key_len = src->key_len;
    }
    if (!dst->cert || (src->key && !dst->key)) {
        entry_free(dst);
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    }
    dst->info = src->info;
    X509_up_ref(src->info.x509);
    return OTA_OK;
}

static enum ota_status set_copy(struct set *dst, const struct set *src, struct ota_err *err)
{
    dst->n = 0;
    dst->v = NULL;
    if (src->n == 0)
        return OTA_OK;
    if (!(dst->v = calloc(src->n, sizeof *dst->v)))
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    for (size_t i = 0; i < src->n; i++) {
        enum ota_status rc = entry_copy(&dst->v[i], &src->v[i], err);
        if (rc) {
            set_free(dst);
            return rc;
        }
        dst->n = i + 1;
    }
    return OTA_OK;
}

/* Index of id, or -1. */
static long set_find(const struct set *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].id, id))
            return (long)i;
    return -1;
}

static void set_remove(struct set *s, size_t i)
{
    entry_free(&s->v[i]);
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof s->v[0]);
    s->n--;
}

/* Takes e (moved in, *e is left empty): replaces the entry of the same id, or inserts it in
 * order. */
static enum ota_status set_put(struct set *s, struct entry *e, struct ota_err *err)
{
    long at = set_find(s, e->id);
    if (at >= 0) {
        entry_free(&s->v[at]);
        s->v[at] = *e;
        memset(e, 0, sizeof *e);
        return OTA_OK;
    }
    struct entry *v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    s->v = v;
    size_t i = 0;
    while (i < s->n && strcmp(s->v[i].id, e->id) < 0)
        i++;
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof s->v[0]);
    s->v[i] = *e;
    memset(e, 0, sizeof *e);
    s->n++;
    return OTA_OK;
}

/* ---- checking certificates and keys ------------------------------------------------------ */

static int contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (!memcmp(hay + i, needle, n))
            return 1;
    return 0;
}

/* Parses pem (from outside) as exactly one PEM certificate and re-encodes it. */
static enum ota_status load_cert(struct entry *e, const char *pem, size_t len, struct ota_err *err)
{
    if (!pem && len)
        return ota_err_set(err, OTA_E_USAGE, "certificate: NULL with a length");
    if (len == 0)
        return ota_err_set(err, OTA_E_FORMAT, "certificate: empty");
    if (len > OTA_CERTSTORE_MAX_CERT)
        return ota_err_set(err, OTA_E_LIMIT, "certificate: %zu bytes, more than %u", len,
                           OTA_CERTSTORE_MAX_CERT);
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    if (!contains(pem, len, begin))
        return ota_err_set(err, OTA_E_FORMAT, "certificate: not PEM (no '%s' line)", begin);
    struct ota_certlist l;
    enum ota_status rc = ota_certs_parse_mem(&l, pem, len, "certificate", err);
    if (rc)
        return rc;
    if (l.n != 1) {
        rc = ota_err_set(err, OTA_E_FORMAT, "certificate: %zu certificates; expected exactly one",
                         l.n);
        ota_certs_free(&l);
        return rc;
    }
    char *canon;
    size_t canon_len;
    rc = ota_cert_pem(&canon, &canon_len, &l.v[0], err);
    if (rc == OTA_OK && canon_len > OTA_CERTSTORE_MAX_CERT) {
        free(canon);
        rc = ota_err_set(err, OTA_E_LIMIT, "certificate: %zu bytes as PEM, more than %u", canon_len,
                         OTA_CERTSTORE_MAX_CERT);
    }
    if (rc == OTA_OK) {
        e->cert = canon;
        e->cert_len = canon_len;
        e->info = l.v[0];
        X509_up_ref(l.v[0].x509);
    }
    ota_certs_free(&l);
    return rc;
}

struct password {
    const char *s; /* NULL: none given */
    size_t len;
};

/* OpenSSL's password callback. Without it OpenSSL would prompt on the terminal. */
static int password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const struct password *p = u;
    if (!p || !p->s || size < 0 || p->len > (size_t)size)
        return -1;
    memcpy(buf, p->s, p->len);
    return (int)p->len;
}

/* Looks at the PEM blocks of a key file without decrypting: exactly one block, of a private
 * key type. Sets *encrypted. */
static enum ota_status key_shape(const char *pem, size_t len, int *encrypted, struct ota_err *err)
{
    *encrypted = 0;
    ERR_clear_error(); /* the loop reads the queue to tell the end from an error */
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (!b)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    enum ota_status rc = OTA_OK;
    size_t blocks = 0;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dl = 0;
        if (PEM_read_bio(b, &name, &header, &data, &dl) != 1) {
            unsigned long e = ERR_peek_last_error();
            if (ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
                rc = ota_err_set(err, OTA_E_FORMAT, "private key: malformed PEM");
            break;
        }
        blocks++;
        if (!strcmp(name, "ENCRYPTED PRIVATE KEY") ||
            ((!strcmp(name, "RSA PRIVATE KEY") || !strcmp(name, "EC PRIVATE KEY")) &&
             strstr(header, "ENCRYPTED")))
            *encrypted = 1;
        else if (strcmp(name, "PRIVATE KEY") != 0 && strcmp(name, "RSA PRIVATE KEY") != 0 &&
                 strcmp(name, "EC PRIVATE KEY") != 0) {
            char shown[4 * 32 + 1];
            rc = ota_err_set(err, OTA_E_FORMAT,
                             "private key: a PEM '%s' block where a private key was expected",
                             ota_printable(shown, sizeof shown, name, 32));
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(data, dl > 0 ? (size_t)dl : 0);
        if (rc)
            break;
    }
    BIO_free(b);
    ERR_clear_error();
    if (rc == OTA_OK && blocks == 0)
        rc = ota_err_set(err, OTA_E_FORMAT, "private key: not PEM (no private key block)");
    if (rc == OTA_OK && blocks > 1)
        rc = ota_err_set(err, OTA_E_FORMAT, "private key: %zu PEM blocks; expected exactly one",
                         blocks);
    return rc;
}

/* Decrypts key_pem (from outside) with the password, checks that it matches the entry's
 * certificate, and stores it in e as unencrypted PKCS#8 PEM. */
static enum ota_status load_key(struct entry *e, const char *pem, size_t len, const char *password,
                                struct ota_err *err)
{
    if (!pem && len)
        return ota_err_set(err, OTA_E_USAGE, "private key: NULL with a length");
    if (len == 0)
        return ota_err_set(err, OTA_E_FORMAT, "private key: empty");
    if (len > OTA_CERTSTORE_MAX_KEY)
        return ota_err_set(err, OTA_E_LIMIT, "private key: %zu bytes, more than %u", len,
                           OTA_CERTSTORE_MAX_KEY);
    struct password pw = {password, 0};
    if (password &&
        (pw.len = strnlen(password, OTA_CERTSTORE_MAX_PASSWORD + 1)) > OTA_CERTSTORE_MAX_PASSWORD)
        return ota_err_set(err, OTA_E_LIMIT, "password: longer than %u bytes",
                           OTA_CERTSTORE_MAX_PASSWORD);
    int encrypted;
    enum ota_status rc = key_shape(pem, len, &encrypted, err);
    if (rc)
        return rc;
    ERR_clear_error();
    BIO *in = BIO_new_mem_buf(pem, (int)len);
    BIO *out = BIO_new(BIO_s_secmem()); /* the unencrypted key: wiped when freed */
    EVP_PKEY *pk = NULL;
    if (!in || !out) {
        rc = ota_err_set(err, OTA_E_NOMEM, "out of memory");
        goto out;
    }
    pk = PEM_read_bio_PrivateKey(in, NULL, password_cb, &pw);
    if (!pk) {
        if (encrypted && !password)
            rc = ota_err_set(err, OTA_E_FORMAT,
                             "private key is encrypted and no password was given");
        else if (encrypted)
            rc = ota_err_set(err, OTA_E_FORMAT,
                             "private key does not decrypt with the password given");
        else
            rc = ota_err_set(err, OTA_E_FORMAT, "private key does not parse");
        goto out;
    }
    if (X509_check_private_key(e->info.x509, pk) != 1) {
        rc = ota_err_set(err, OTA_E_FORMAT,
                         "private key does not match the certificate (%.160s, sha256 %.16s)",
                         e->info.subject, e->info.fingerprint);
        goto out;
    }
    if (PEM_write_bio_PrivateKey(out, pk, NULL, NULL, 0, NULL, NULL) != 1) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "private key: cannot encode as PKCS#8");
        goto out;
    }
    char *p;
    long n = BIO_get_mem_data(out, &p);
    if (n <= 0) {
        rc = ota_err_set(err, OTA_E_CRYPTO, "private key: cannot encode as PKCS#8");
        goto out;
    }
    if ((size_t)n > OTA_CERTSTORE_MAX_KEY) {
        rc = ota_err_set(err, OTA_E_LIMIT, "private key: %ld bytes as PKCS#8 PEM, more than %u", n,
                         OTA_CERTSTORE_MAX_KEY);
        goto out;
    }
    if (!(e->key = dup_mem(p, (size_t)n))) {
        rc = ota_err_set(err, OTA_E_NOMEM, "out of memory");
        goto out;
    }
    e->key_len = (size_t)n;
out:
    EVP_PKEY_free(pk);
    BIO_free(in);
    BIO_free(out);
    ERR_clear_error();
    return rc;
}

/* Builds an entry from input from outside. key_pem NULL makes a root entry. */
static enum ota_status entry_make(struct entry *e, const char *id, const char *cert,
                                  size_t cert_len, const char *key, size_t key_len,
                                  const char *password, struct ota_err *err)
{
    memset(e, 0, sizeof *e);
    snprintf(e->id, sizeof e->id, "%s", id);
    e->kind = key ? OTA_CERTSTORE_CLIENT : OTA_CERTSTORE_ROOT;
    enum ota_status rc = load_cert(e, cert, cert_len, err);
    if (rc == OTA_OK && key)
        rc = load_key(e, key, key_len, password, err);
    if (rc)
        entry_free(e);
    return rc;
}

/* ---- store.json -------------------------------------------------------------------------- */

/* JSON string body of s: the escapes ota_json_load_object reads back. Counts if out is NULL. */
static size_t json_escape(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char two = c == '"' ? '"' : c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\t' ? 't' : 0;
        if (two) {
            if (out) {
                out[o] = '\\';
                out[o + 1] = two;
            }
            o += 2;
        } else if (c < 0x20 || c >= 0x7f) { /* never in PEM or ids; kept valid JSON anyway */
            if (out)
                memcpy(out + o, (char[]){'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]}, 6);
            o += 6;
        } else {
            if (out)
                out[o] = (char)c;
            o++;
        }
    }
    return o;
}

struct writer {
    char *buf; /* NULL: measuring */
    size_t len;
};

static void w_raw(struct writer *w, const char *s)
{
    size_t n = strlen(s);
    if (w->buf)
        memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void w_member(struct writer *w, const char *indent, const char *key, const char *val,
                     size_t vlen, const char *after)
{
    w_raw(w, indent);
    w_raw(w, "\"");
    w_raw(w, key);
    w_raw(w, "\": \"");
    w->len += json_escape(w->buf ? w->buf + w->len : NULL, val, vlen);
    w_raw(w, "\"");
    w_raw(w, after);
}

/* The document, in the form ota_json_dump would give (members sorted, 2-space indent). */
static void write_doc(struct writer *w, const struct set *s)
{
    w_raw(w, "{\n  \"entries\": [");
    for (size_t i = 0; i < s->n; i++) {
        const struct entry *e = &s->v[i];
        const char *kind = ota_certstore_kind_name(e->kind);
        w_raw(w, i ? ",\n    {\n" : "\n    {\n");
        w_member(w, "      ", "cert", e->cert, e->cert_len, ",\n");
        w_member(w, "      ", "id", e->id, strlen(e->id), ",\n");
        if (e->key)
            w_member(w, "      ", "key", e->key, e->key_len, ",\n");
        w_member(w, "      ", "kind", kind, strlen(kind), "\n");
        w_raw(w, "    }");
    }
    w_raw(w, s->n ? "\n  ],\n" : "],\n");
    w_raw(w, "  \"format\": 1\n}\n");
}

/* store.json for s, in a malloc'd buffer the caller wipes (it holds private keys). */
static enum ota_status serialize(char **out, size_t *len, const struct set *s, struct ota_err *err)
{
    struct writer w = {NULL, 0};
    write_doc(&w, s);
    size_t need = w.len;
    if (need > OTA_CERTSTORE_MAX_FILE)
        return ota_err_set(err, OTA_E_NOSPC, "store.json would be %zu bytes, more than %u", need,
                           OTA_CERTSTORE_MAX_FILE);
    if (!(w.buf = malloc(need + 1)))
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    w.len = 0;
    write_doc(&w, s);
    w.buf[w.len] = '\0';
    *out = w.buf;
    *len = w.len;
    return OTA_OK;
}

/* Overwrites the keys jansson holds for a parsed store.json before it is freed. */
static void wipe_json_keys(json_t *root)
{
    json_t *a = root ? json_object_get(root, "entries") : NULL;
    size_t i;
    json_t *e;
    if (!json_is_array(a))
        return;
    json_array_foreach(a, i, e)
    {
        json_t *k = json_is_object(e) ? json_object_get(e, "key") : NULL;
        if (json_is_string(k))
            OPENSSL_cleanse((char *)json_string_value(k), json_string_length(k));
    }
}

/* A string member of at most max bytes (borrowed from the document). */
static enum ota_status get_str(const char **out, size_t *len, const json_t *obj, const char *key,
                               size_t max, const char *what, struct ota_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return ota_err_set(err, OTA_E_FORMAT, "%s: missing field '%s'", what, key);
    if (!json_is_string(v))
        return ota_err_set(err, OTA_E_FORMAT, "%s: field '%s' is not a string", what, key);
    if (json_string_length(v) > max) /* from the file: bounded before use */
        return ota_err_set(err, OTA_E_LIMIT, "%s: field '%s' longer than %zu bytes", what, key,
                           max);
    *out = json_string_value(v);
    *len = json_string_length(v);
    return OTA_OK;
}

static enum ota_status parse_entry(struct entry *e, const json_t *j, const char *what,
                                   struct ota_err *err)
{
    static const char *const k_root[] = {"cert", "id", "kind", NULL};
    static const char *const k_client[] = {"cert", "id", "key", "kind", NULL};
    memset(e, 0, sizeof *e);
    if (!json_is_object(j))
        return ota_err_set(err, OTA_E_FORMAT, "%s: not an object", what);
    const char *id, *kind, *cert, *key = NULL;
    size_t id_len, kind_len, cert_len, key_len = 0;
    enum ota_status rc;
    if ((rc = get_str(&id, &id_len, j, "id", OTA_CERTSTORE_ID_MAX + 8, what, err)))
        return rc;
    const char *why = ota_certops_id_problem(id);
    char shown[4 * (OTA_CERTSTORE_ID_MAX + 8) + 1];
    ota_printable(shown, sizeof shown, id, id_len);
    if (why)
        return ota_err_set(err, OTA_E_FORMAT, "%s: id '%s' %s", what, shown, why);
    char named[72 + sizeof shown];
    snprintf(named, sizeof named, "%.60s ('%s')", what, shown);
    if ((rc = get_str(&kind, &kind_len, j, "kind", 16, named, err)))
        return rc;
    int client = !strcmp(kind, "client");
    if (!client && strcmp(kind, "root") != 0)
        return ota_err_set(err, OTA_E_FORMAT, "%s: kind is neither 'root' nor 'client'", named);
    if ((rc = ota_json_only_keys(j, client ? k_client : k_root, named, err)) ||
        (rc = get_str(&cert, &cert_len, j, "cert", OTA_CERTSTORE_MAX_CERT, named, err)) ||
        (client && (rc = get_str(&key, &key_len, j, "key", OTA_CERTSTORE_MAX_KEY, named, err))))
        return rc;
    /* what the store writes is unencrypted: a key that wants a password is refused */
    rc = entry_make(e, id, cert, cert_len, client ? key : NULL, key_len, NULL, err);
    if (rc)
        return ota_err_prefix(err, "%s", named);
    return OTA_OK;
}

static enum ota_status parse_set(struct set *s, const char *buf, size_t len, struct ota_err *err)
{
    const char *what = OTA_CERTSTORE_FILE;
    memset(s, 0, sizeof *s);
    if (len > OTA_CERTSTORE_MAX_FILE)
        return ota_err_set(err, OTA_E_LIMIT, "%s: %zu bytes, more than %u", what, len,
                           OTA_CERTSTORE_MAX_FILE);
    json_t *root;
    enum ota_status rc = ota_json_load_object(&root, buf, len, what, err);
    if (rc)
        return rc;
    static const char *const keys[] = {"entries", "format", NULL};
    uint64_t format;
    json_t *a;
    size_t n;
    if ((rc = ota_json_get_u64(&format, 1000, root, "format", what, err)))
        goto out;
    if (format != OTA_CERTSTORE_FORMAT) {
        rc = ota_err_set(err, OTA_E_UNSUPPORTED, "%s: format %llu not supported", what,
                         (unsigned long long)format);
        goto out;
    }
    if ((rc = ota_json_only_keys(root, keys, what, err)))
        goto out;
    a = json_object_get(root, "entries");
    if (!json_is_array(a)) {
        rc = ota_err_set(err, OTA_E_FORMAT, "%s: field 'entries' is %s", what,
                         a ? "not an array" : "missing");
        goto out;
    }
    n = json_array_size(a); /* from the file: bounded before allocation */
    if (n > OTA_CERTSTORE_MAX_ENTRIES) {
        rc = ota_err_set(err, OTA_E_LIMIT, "%s: %zu entries, more than %u", what, n,
                         OTA_CERTSTORE_MAX_ENTRIES);
        goto out;
    }
    if (n && !(s->v = calloc(n, sizeof *s->v))) {
        rc = ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", what);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char ewhat[64];
        snprintf(ewhat, sizeof ewhat, "%s: entry %zu", what, i + 1);
        if ((rc = parse_entry(&s->v[i], json_array_get(a, i), ewhat, err)))
            goto out;
        s->n = i + 1;
        if (i > 0 && strcmp(s->v[i - 1].id, s->v[i].id) >= 0) {
            rc = ota_err_set(err, OTA_E_FORMAT, "%s: entry '%s' %s", what, s->v[i].id,
                             strcmp(s->v[i - 1].id, s->v[i].id) ? "out of order" : "appears twice");
            goto out;
        }
    }
    if (set_used(s) > OTA_CERTSTORE_MAX_CAPACITY) {
        rc = ota_err_set(err, OTA_E_LIMIT, "%s: entries hold %zu bytes, more than %u", what,
                         set_used(s), OTA_CERTSTORE_MAX_CAPACITY);
        goto out;
    }
    rc = OTA_OK;
out:
    wipe_json_keys(root);
    json_decref(root);
    if (rc)
        set_free(s);
    return rc;
}

/* ---- opening and closing ----------------------------------------------------------------- */

static enum ota_status capacity_check(size_t *capacity, struct ota_err *err)
{
    if (*capacity == 0)
        *capacity = OTA_CERTSTORE_DEFAULT_CAPACITY;
    if (*capacity > OTA_CERTSTORE_MAX_CAPACITY)
        return ota_err_set(err, OTA_E_USAGE, "certificate store: capacity %zu bytes, more than %u",
                           *capacity, OTA_CERTSTORE_MAX_CAPACITY);
    return OTA_OK;
}

enum ota_status ota_certstore_parse_mem(struct ota_certstore **cs, const void *buf, size_t len,
                                        size_t capacity, struct ota_err *err)
{
    *cs = NULL;
    enum ota_status rc = capacity_check(&capacity, err);
    if (rc)
        return rc;
    struct ota_certstore *c = calloc(1, sizeof *c);
    if (!c)
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    c->dirfd = -1;
    c->capacity = capacity;
    if ((rc = parse_set(&c->s, buf, len, err))) {
        free(c);
        return rc;
    }
    *cs = c;
    return OTA_OK;
}

enum ota_status ota_certstore_open(struct ota_certstore **cs, int dirfd, size_t capacity,
                                   struct ota_err *err)
{
    *cs = NULL;
    enum ota_status rc = capacity_check(&capacity, err);
    if (rc)
        return rc;
    struct stat st;
    if (fstat(dirfd, &st) != 0)
        return ota_err_sys(err, errno, "certificate store: bad folder descriptor");
    if (!S_ISDIR(st.st_mode))
        return ota_err_set(err, OTA_E_USAGE, "certificate store: not a folder");
    int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return ota_err_sys(err, errno, "certificate store: cannot duplicate folder descriptor");
    struct ota_certstore *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    }
    c->dirfd = fd;
    c->capacity = capacity;
    char *buf = NULL;
    size_t len = 0;
    rc = ota_fs_read_small(&buf, &len, fd, OTA_CERTSTORE_FILE, OTA_CERTSTORE_MAX_FILE, err);
    if (rc == OTA_E_NOENT) {
        rc = OTA_OK; /* no file yet: an empty store */
    } else if (rc == OTA_OK) {
        rc = parse_set(&c->s, buf, len, err);
        OPENSSL_cleanse(buf, len);
    }
    free(buf);
    if (rc) {
        ota_certstore_close(c);
        return ota_err_prefix(err, "certificate store");
    }
    *cs = c;
    return OTA_OK;
}

void ota_certstore_close(struct ota_certstore *cs)
{
    if (!cs)
        return;
    set_free(&cs->s);
    if (cs->dirfd >= 0)
        close(cs->dirfd);
    free(cs);
}

/* ---- changes ----------------------------------------------------------------------------- */

/* Checks id (from outside) for a message that starts with what. */
static enum ota_status check_id(const char *id, const char *what, struct ota_err *err)
{
    const char *why = ota_certops_id_problem(id);
    if (!why)
        return OTA_OK;
    char shown[4 * 24 + 1];
    return ota_err_set(err, OTA_E_USAGE, "%s: certificate id '%s%s' %s", what,
                       id ? ota_printable(shown, sizeof shown, id, 24) : "",
                       id && strnlen(id, 25) > 24 ? "..." : "", why);
}

/* Applies one operation to s. Messages start with the operation and its id. */
static enum ota_status apply_one(struct set *s, const struct ota_certop *o,
                                 enum missing_delete missing, struct ota_err *err)
{
    const char *name = ota_certop_name(o->op);
    enum ota_status rc = check_id(o->id, name, err);
    if (rc)
        return rc;
    struct entry e;
    long at;
    switch (o->op) {
    case OTA_CERTOP_INSTALL_ROOT:
    case OTA_CERTOP_INSTALL_CLIENT: {
        int client = o->op == OTA_CERTOP_INSTALL_CLIENT;
        if (client && !o->key)
            return ota_err_set(err, OTA_E_USAGE, "%s '%s': no private key", name, o->id);
        rc = entry_make(&e, o->id, o->cert, o->cert_len, client ? o->key : NULL,
                        client ? o->key_len : 0, client ? o->password : NULL, err);
        if (rc == OTA_OK && (rc = set_put(s, &e, err)))
            entry_free(&e);
        return rc ? ota_err_prefix(err, "%s '%s'", name, o->id) : OTA_OK;
    }
    case OTA_CERTOP_DELETE:
        at = set_find(s, o->id);
        if (at < 0) {
            if (missing == MISSING_DELETE_IS_DONE)
                return OTA_OK;
            return ota_err_set(err, OTA_E_NOENT, "delete '%s': no such certificate", o->id);
        }
        set_remove(s, (size_t)at);
        return OTA_OK;
    case OTA_CERTOP_MOVE:
        if ((rc = check_id(o->to, name, err)))
            return rc;
        at = set_find(s, o->id);
        if (at < 0)
            return ota_err_set(err, OTA_E_NOENT, "move '%s' to '%s': no certificate '%s'", o->id,
                               o->to, o->id);
        if (!strcmp(o->id, o->to))
            return OTA_OK;
        /* take the entry out, rename it, put it back: set_put replaces an entry named to */
        e = s->v[at];
        memmove(&s->v[at], &s->v[at + 1], (s->n - (size_t)at - 1) * sizeof s->v[0]);
        s->n--;
        snprintf(e.id, sizeof e.id, "%s", o->to);
        if ((rc = set_put(s, &e, err))) {
            entry_free(&e);
            return ota_err_prefix(err, "move '%s' to '%s'", o->id, o->to);
        }
        return OTA_OK;
    }
    return ota_err_set(err, OTA_E_USAGE, "unknown operation %d", (int)o->op);
}

/* Checks the capacity of work against the store, writes it, and swaps it in (taking it). On
 * failure work is freed and the store is unchanged. what starts messages. */
static enum ota_status commit(struct ota_certstore *cs, struct set *work, const char *what,
                              struct ota_err *err)
{
    size_t before = set_used(&cs->s), after = set_used(work);
    enum ota_status rc = OTA_OK;
    /* a change that does not make the store larger is always allowed, even in a store that
     * holds more than its capacity (opened with a smaller one than it was filled with) */
    if (after > before && after > cs->capacity)
        rc = ota_err_set(err, OTA_E_NOSPC,
                         "%s: certificate store full: needs %zu bytes, %zu available "
                         "(capacity %zu)",
                         what, after - before, cs->capacity > before ? cs->capacity - before : 0,
                         cs->capacity);
    else if (work->n > cs->s.n && work->n > OTA_CERTSTORE_MAX_ENTRIES)
        rc = ota_err_set(err, OTA_E_NOSPC, "%s: certificate store full: more than %u entries", what,
                         OTA_CERTSTORE_MAX_ENTRIES);
    if (rc == OTA_OK && cs->dirfd >= 0) {
        char *buf = NULL;
        size_t len = 0;
        if ((rc = serialize(&buf, &len, work, err)) == OTA_OK) {
            rc = ota_fs_write_atomic(cs->dirfd, OTA_CERTSTORE_FILE, buf, len, STORE_MODE, err);
            OPENSSL_cleanse(buf, len);
            free(buf);
        }
        if (rc)
            ota_err_prefix(err, "%s", what);
    }
    if (rc) {
        set_free(work);
        return rc;
    }
    set_free(&cs->s);
    cs->s = *work;
    memset(work, 0, sizeof *work);
    return OTA_OK;
}

static enum ota_status apply_ops(struct ota_certstore *cs, const struct ota_certop *ops, size_t n,
                                 enum missing_delete missing, const char *what, int numbered,
                                 struct ota_err *err)
{
    struct set work;
    enum ota_status rc = set_copy(&work, &cs->s, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if ((rc = apply_one(&work, &ops[i], missing, err))) {
            set_free(&work);
            if (numbered) /* a single call's message already names everything */
                ota_err_prefix(err, "operation %zu", i + 1);
            return rc;
        }
    }
    return commit(cs, &work, what, err);
}

enum ota_status ota_certstore_apply(struct ota_certstore *cs, const struct ota_certops *ops,
                                    struct ota_err *err)
{
    if (ops->n > OTA_CERTOPS_MAX)
        return ota_err_set(err, OTA_E_LIMIT, "certstore operations: %zu, more than %u", ops->n,
                           OTA_CERTOPS_MAX);
    return apply_ops(cs, ops->v, ops->n, MISSING_DELETE_IS_DONE, "certstore operations", 1, err);
}

/* The single calls: one operation, its message naming operation and id. The id was checked
 * by the caller, so it is printable. */
static enum ota_status apply_single(struct ota_certstore *cs, struct ota_certop *o,
                                    struct ota_err *err)
{
    char what[64];
    if (o->op == OTA_CERTOP_MOVE)
        snprintf(what, sizeof what, "move '%s' to '%s'", o->id, o->to);
    else
        snprintf(what, sizeof what, "%s '%s'", ota_certop_name(o->op), o->id);
    return apply_ops(cs, o, 1, MISSING_DELETE_FAILS, what, 0, err);
}

/* Fills a single operation's identifiers, checking them first. */
static enum ota_status single_op(struct ota_certop *o, enum ota_certop_kind kind, const char *id,
                                 const char *to, struct ota_err *err)
{
    memset(o, 0, sizeof *o);
    o->op = kind;
    enum ota_status rc = check_id(id, ota_certop_name(kind), err);
    if (rc == OTA_OK && kind == OTA_CERTOP_MOVE)
        rc = check_id(to, ota_certop_name(kind), err);
    if (rc)
        return rc;
    snprintf(o->id, sizeof o->id, "%s", id);
    if (to)
        snprintf(o->to, sizeof o->to, "%s", to);
    return OTA_OK;
}

enum ota_status ota_certstore_install_root(struct ota_certstore *cs, const char *id,
                                           const char *pem, size_t len, struct ota_err *err)
{
    struct ota_certop o;
    enum ota_status rc = single_op(&o, OTA_CERTOP_INSTALL_ROOT, id, NULL, err);
    if (rc)
        return rc;
    o.cert = (char *)pem; /* borrowed: apply_one only reads it */
    o.cert_len = len;
    return apply_single(cs, &o, err);
}

enum ota_status ota_certstore_install_client(struct ota_certstore *cs, const char *id,
                                             const char *cert_pem, size_t cert_len,
                                             const char *key_pem, size_t key_len,
                                             const char *password, struct ota_err *err)
{
    struct ota_certop o;
    enum ota_status rc = single_op(&o, OTA_CERTOP_INSTALL_CLIENT, id, NULL, err);
    if (rc)
        return rc;
    if (!key_pem)
        return ota_err_set(err, OTA_E_USAGE, "install-client '%s': no private key", o.id);
    /* borrowed: apply_one only reads them */
    o.cert = (char *)cert_pem;
    o.cert_len = cert_len;
    o.key = (char *)key_pem;
    o.key_len = key_len;
    o.password = (char *)password;
    o.password_len = password ? strnlen(password, OTA_CERTSTORE_MAX_PASSWORD + 1) : 0;
    return apply_single(cs, &o, err);
}

enum ota_status ota_certstore_delete(struct ota_certstore *cs, const char *id, struct ota_err *err)
{
    struct ota_certop o;
    enum ota_status rc = single_op(&o, OTA_CERTOP_DELETE, id, NULL, err);
    return rc ? rc : apply_single(cs, &o, err);
}

enum ota_status ota_certstore_move(struct ota_certstore *cs, const char *from, const char *to,
                                   struct ota_err *err)
{
    struct ota_certop o;
    enum ota_status rc = single_op(&o, OTA_CERTOP_MOVE, from, to, err);
    if (rc)
        return rc;
    if (!strcmp(o.id, o.to)) { /* nothing to write; but the entry must exist */
        if (set_find(&cs->s, o.id) < 0)
            return ota_err_set(err, OTA_E_NOENT, "move '%s' to '%s': no certificate '%s'", o.id,
                               o.to, o.id);
        return OTA_OK;
    }
    return apply_single(cs, &o, err);
}

/* ---- queries ----------------------------------------------------------------------------- */

size_t ota_certstore_count(const struct ota_certstore *cs)
{
    return cs->s.n;
}

size_t ota_certstore_used(const struct ota_certstore *cs)
{
    return set_used(&cs->s);
}

size_t ota_certstore_capacity(const struct ota_certstore *cs)
{
    return cs->capacity;
}

size_t ota_certstore_available(const struct ota_certstore *cs)
{
    size_t u = set_used(&cs->s);
    return cs->capacity > u ? cs->capacity - u : 0;
}

enum ota_status ota_certstore_id_at(const struct ota_certstore *cs, size_t index,
                                    char out[OTA_CERTSTORE_ID_MAX + 1], struct ota_err *err)
{
    out[0] = '\0';
    if (index >= cs->s.n)
        return ota_err_set(err, OTA_E_USAGE,
                           "certificate index %zu out of range (the store holds %zu)", index,
                           cs->s.n);
    memcpy(out, cs->s.v[index].id, OTA_CERTSTORE_ID_MAX + 1);
    return OTA_OK;
}

/* The entry named id (from outside). */
static enum ota_status lookup(const struct entry **out, const struct ota_certstore *cs,
                              const char *id, struct ota_err *err)
{
    *out = NULL;
    enum ota_status rc = check_id(id, "certificate store", err);
    if (rc)
        return rc;
    long at = set_find(&cs->s, id);
    if (at < 0)
        return ota_err_set(err, OTA_E_NOENT, "certificate '%s' not found", id);
    *out = &cs->s.v[at];
    return OTA_OK;
}

enum ota_status ota_certstore_kind(const struct ota_certstore *cs, const char *id,
                                   enum ota_certstore_kind *out, struct ota_err *err)
{
    *out = 0;
    const struct entry *e;
    enum ota_status rc = lookup(&e, cs, id, err);
    if (rc)
        return rc;
    *out = e->kind;
    return OTA_OK;
}

static enum ota_status copy_name(const char *name, const char *what, const char *id, char *out,
                                 size_t outsz, struct ota_err *err)
{
    size_t n = strlen(name);
    if (outsz == 0 || n >= outsz) {
        if (outsz)
            out[0] = '\0';
        return ota_err_set(err, OTA_E_USAGE, "certificate '%s': the %s needs %zu bytes, %zu given",
                           id, what, n + 1, outsz);
    }
    memcpy(out, name, n + 1);
    return OTA_OK;
}

enum ota_status ota_certstore_subject(const struct ota_certstore *cs, const char *id, char *out,
                                      size_t outsz, struct ota_err *err)
{
    if (outsz)
        out[0] = '\0';
    const struct entry *e;
    enum ota_status rc = lookup(&e, cs, id, err);
    if (rc)
        return rc;
    return copy_name(e->info.subject, "subject", e->id, out, outsz, err);
}

enum ota_status ota_certstore_issuer(const struct ota_certstore *cs, const char *id, char *out,
                                     size_t outsz, struct ota_err *err)
{
    if (outsz)
        out[0] = '\0';
    const struct entry *e;
    enum ota_status rc = lookup(&e, cs, id, err);
    if (rc)
        return rc;
    return copy_name(e->info.issuer, "issuer", e->id, out, outsz, err);
}

enum ota_status ota_certstore_not_before(const struct ota_certstore *cs, const char *id,
                                         int64_t *out, struct ota_err *err)
{
    *out = 0;
    const struct entry *e;
    enum ota_status rc = lookup(&e, cs, id, err);
    if (rc)
        return rc;
    *out = e->info.not_before;
    return OTA_OK;
}

enum ota_status ota_certstore_not_after(const struct ota_certstore *cs, const char *id,
                                        int64_t *out, struct ota_err *err)
{
    *out = 0;
    const struct entry *e;
    enum ota_status rc = lookup(&e, cs, id, err);
    if (rc)
        return rc;
    *out = e->info.not_after;
    return OTA_OK;
}

enum ota_status ota_certstore_fingerprint(const struct ota_certstore *cs, const char *id,
                                          char out[OTA_SHA256_HEX_LEN], struct ota_err *err)
{
    out[0] = '\0';
    const struct entry *e;
    enum ota_status rc = lookup(&e, cs, id, err);
    if (rc)
        return rc;
    memcpy(out, e->info.fingerprint, OTA_SHA256_HEX_LEN);
    return OTA_OK;
}

enum ota_status ota_certstore_get_pem(const struct ota_certstore *cs, const char *id, char **cert,
                                      size_t *len, struct ota_err *err)
{
    *cert = NULL;
    *len = 0;
    const struct entry *e;
    enum ota_status rc = lookup(&e, cs, id, err);
    if (rc)
        return rc;
    if (!(*cert = dup_mem(e->cert, e->cert_len)))
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    *len = e->cert_len;
    return OTA_OK;
}

enum ota_status ota_certstore_get_key_pem(const struct ota_certstore *cs, const char *id,
                                          char **key, size_t *len, struct ota_err *err)
{
    *key = NULL;
    *len = 0;
    const struct entry *e;
    enum ota_status rc = lookup(&e, cs, id, err);
    if (rc)
        return rc;
    if (!e->key)
        return ota_err_set(err, OTA_E_NOENT, "certificate '%s' is a root: it has no private key",
                           e->id);
    if (!(*key = dup_mem(e->key, e->key_len)))
        return ota_err_set(err, OTA_E_NOMEM, "out of memory");
    *len = e->key_len;
    return OTA_OK;
}

const char *ota_certstore_kind_name(enum ota_certstore_kind kind)
{
    switch (kind) {
    case OTA_CERTSTORE_ROOT:
        return "root";
    case OTA_CERTSTORE_CLIENT:
        return "client";
    }
    return "?";
}
