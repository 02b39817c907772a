/* certops.c — the certstore payload: a strict JSON list of certificate store operations
 * (include/otapack/certops.h has the rules).
 * Owns: the shape of the document and the syntax of certificate identifiers. Must never:
 * parse certificates or keys (the store does, on the device), accept a document or string
 * over its limit, or leave a private key or password it copied in freed memory. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "otapack/certops.h"

_Static_assert(OTA_CERTSTORE_ID_MAX == 16, "identifier messages say 16");

#define WHAT "certstore payload"

const char *ota_certops_id_problem(const char *id)
{
    if (!id)
        return "is missing";
    size_t n = strnlen(id, OTA_CERTSTORE_ID_MAX + 1);
    if (n == 0)
        return "is empty (an identifier has 1 to 16 characters)";
    if (n > OTA_CERTSTORE_ID_MAX)
        return "is longer than 16 characters";
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return "has a character outside A-Z a-z 0-9 . - _";
    }
    return NULL;
}

const char *ota_certop_name(enum ota_certop_kind op)
{
    switch (op) {
    case OTA_CERTOP_INSTALL_ROOT:
        return "install-root";
    case OTA_CERTOP_INSTALL_CLIENT:
        return "install-client";
    case OTA_CERTOP_DELETE:
        return "delete";
    case OTA_CERTOP_MOVE:
        return "move";
    }
    return "?";
}

static void wipe_free(char *p, size_t len)
{
    if (p) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

void ota_certops_free(struct ota_certops *ops)
{
    if (!ops)
        return;
    for (size_t i = 0; i < ops->n; i++) {
        struct ota_certop *o = &ops->v[i];
        free(o->cert);
        wipe_free(o->key, o->key_len);
        wipe_free(o->password, o->password_len);
    }
    free(ops->v);
    ops->v = NULL;
    ops->n = 0;
}

/* Overwrites the private keys and passwords jansson holds in a parsed or built document,
 * before it is freed. jansson owns these buffers; they are writable heap memory. */
static void wipe_json_secrets(json_t *root)
{
    json_t *ops = root ? json_object_get(root, "operations") : NULL;
    if (!json_is_array(ops))
        return;
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o)
    {
        static const char *const secret[] = {"key", "password"};
        for (size_t k = 0; k < 2; k++) {
            json_t *s = json_is_object(o) ? json_object_get(o, secret[k]) : NULL;
            if (json_is_string(s))
                OPENSSL_cleanse((char *)json_string_value(s), json_string_length(s));
        }
    }
}

/* A required identifier member: a string that ota_certops_id_problem accepts. */
static enum ota_status get_id(char out[OTA_CERTSTORE_ID_MAX + 1], const json_t *obj,
                              const char *key, const char *what, struct ota_err *err)
{
    out[0] = '\0';
    json_t *v = json_object_get(obj, key);
    if (!v)
        return ota_err_set(err, OTA_E_FORMAT, "%s: missing field '%s'", what, key);
    if (!json_is_string(v))
        return ota_err_set(err, OTA_E_FORMAT, "%s: field '%s' is not a string", what, key);
    const char *s = json_string_value(v); /* attacker-controlled; jansson refuses NUL */
    const char *why = ota_certops_id_problem(s);
    if (why) {
        char shown[4 * 24 + 1];
        return ota_err_set(err, OTA_E_FORMAT, "%s: %s '%s%s' %s", what, key,
                           ota_printable(shown, sizeof shown, s, 24),
                           json_string_length(v) > 24 ? "..." : "", why);
    }
    memcpy(out, s, json_string_length(v) + 1);
    return OTA_OK;
}

/* A string member of 1 to max bytes, copied into a malloc'd NUL-terminated buffer. A missing
 * member is an error if required, otherwise leaves *out NULL. */
static enum ota_status get_dup(char **out, size_t *len, const json_t *obj, const char *key,
                               size_t max, int required, const char *what, struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return ota_err_set(err, OTA_E_FORMAT, "%s: missing field '%s'", what, key);
        return OTA_OK;
    }
    if (!json_is_string(v))
        return ota_err_set(err, OTA_E_FORMAT, "%s: field '%s' is not a string", what, key);
    size_t n = json_string_length(v); /* attacker-controlled: bounded before the copy */
    if (n > max)
        return ota_err_set(err, OTA_E_LIMIT, "%s: field '%s' is %zu bytes, more than %zu", what,
                           key, n, max);
    if (n == 0 && required)
        return ota_err_set(err, OTA_E_FORMAT, "%s: field '%s' is empty", what, key);
    char *p = malloc(n + 1);
    if (!p)
        return ota_err_set(err, OTA_E_NOMEM, "%s: out of memory", what);
    memcpy(p, json_string_value(v), n);
    p[n] = '\0';
    *out = p;
    *len = n;
    return OTA_OK;
}

static enum ota_status parse_op(struct ota_certop *o, const json_t *j, const char *what,
                                struct ota_err *err)
{
    static const char *const k_root[] = {"op", "id", "cert", NULL};
    static const char *const k_client[] = {"op", "id", "cert", "key", "password", NULL};
    static const char *const k_delete[] = {"op", "id", NULL};
    static const char *const k_move[] = {"op", "from", "to", NULL};
    memset(o, 0, sizeof *o);
    if (!json_is_object(j))
        return ota_err_set(err, OTA_E_FORMAT, "%s: not an object", what);
    json_t *op = json_object_get(j, "op");
    if (!op)
        return ota_err_set(err, OTA_E_FORMAT, "%s: missing field 'op'", what);
    if (!json_is_string(op))
        return ota_err_set(err, OTA_E_FORMAT, "%s: field 'op' is not a string", what);
    const char *name = json_string_value(op);
    const char *const *allowed;
    if (!strcmp(name, "install-root")) {
        o->op = OTA_CERTOP_INSTALL_ROOT;
        allowed = k_root;
    } else if (!strcmp(name, "install-client")) {
        o->op = OTA_CERTOP_INSTALL_CLIENT;
        allowed = k_client;
    } else if (!strcmp(name, "delete")) {
        o->op = OTA_CERTOP_DELETE;
        allowed = k_delete;
    } else if (!strcmp(name, "move")) {
        o->op = OTA_CERTOP_MOVE;
        allowed = k_move;
    } else {
        char shown[4 * 32 + 1];
        return ota_err_set(err, OTA_E_FORMAT,
                           "%s: unknown op '%s' (expected install-root, install-client, "
                           "delete or move)",
                           what, ota_printable(shown, sizeof shown, name, 32));
    }
    enum ota_status rc = ota_json_only_keys(j, allowed, what, err);
    if (rc)
        return rc;
    if (o->op == OTA_CERTOP_MOVE) {
        if ((rc = get_id(o->id, j, "from", what, err)))
            return rc;
        return get_id(o->to, j, "to", what, err);
    }
    if ((rc = get_id(o->id, j, "id", what, err)))
        return rc;
    if (o->op == OTA_CERTOP_DELETE)
        return OTA_OK;
    /* from here on, messages name the entry */
    char named[96];
    snprintf(named, sizeof named, "%s ('%s')", what, o->id);
    if ((rc = get_dup(&o->cert, &o->cert_len, j, "cert", OTA_CERTSTORE_MAX_CERT, 1, named, err)))
        return rc;
    if (o->op == OTA_CERTOP_INSTALL_ROOT)
        return OTA_OK;
    if ((rc = get_dup(&o->key, &o->key_len, j, "key", OTA_CERTSTORE_MAX_KEY, 1, named, err)))
        return rc;
    return get_dup(&o->password, &o->password_len, j, "password", OTA_CERTSTORE_MAX_PASSWORD, 0,
                   named, err);
}

enum ota_status ota_certops_parse_mem(struct ota_certops *out, const void *buf, size_t len,
                                      struct ota_err *err)
{
    memset(out, 0, sizeof *out);
    if (len > OTA_CERTOPS_MAX_SIZE)
        return ota_err_set(err, OTA_E_LIMIT, WHAT ": %zu bytes, more than %u", len,
                           OTA_CERTOPS_MAX_SIZE);
    json_t *root;
    enum ota_status rc = ota_json_load_object(&root, buf, len, WHAT, err);
    if (rc)
        return rc;
    static const char *const keys[] = {"format", "operations", NULL};
    uint64_t format;
    json_t *ops;
    /* the version first, so that a newer document says so instead of "unknown field" */
    if ((rc = ota_json_get_u64(&format, 1000, root, "format", WHAT, err)))
        goto out;
    if (format != OTA_CERTOPS_FORMAT) {
        rc = ota_err_set(err, OTA_E_UNSUPPORTED, WHAT ": format %llu not supported (expected %d)",
                         (unsigned long long)format, OTA_CERTOPS_FORMAT);
        goto out;
    }
    if ((rc = ota_json_only_keys(root, keys, WHAT, err)))
        goto out;
    ops = json_object_get(root, "operations");
    if (!ops) {
        rc = ota_err_set(err, OTA_E_FORMAT, WHAT ": missing field 'operations'");
        goto out;
    }
    if (!json_is_array(ops)) {
        rc = ota_err_set(err, OTA_E_FORMAT, WHAT ": field 'operations' is not an array");
        goto out;
    }
    size_t n = json_array_size(ops); /* attacker-controlled: bounded before allocation */
    if (n > OTA_CERTOPS_MAX) {
        rc = ota_err_set(err, OTA_E_LIMIT, WHAT ": %zu operations, more than %u", n,
                         OTA_CERTOPS_MAX);
        goto out;
    }
    if (n > 0 && !(out->v = calloc(n, sizeof *out->v))) {
        rc = ota_err_set(err, OTA_E_NOMEM, WHAT ": out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char what[64];
        snprintf(what, sizeof what, WHAT ": operation %zu", i + 1);
        rc = parse_op(&out->v[i], json_array_get(ops, i), what, err);
        out->n = i + 1; /* so that ota_certops_free sees what this entry holds */
        if (rc)
            goto out;
    }
    rc = OTA_OK;
out:
    wipe_json_secrets(root);
    json_decref(root);
    if (rc)
        ota_certops_free(out);
    return rc;
}

/* The checks the parser makes, for operations built in memory. */
static enum ota_status check_op(const struct ota_certop *o, size_t i, struct ota_err *err)
{
    char shown[4 * 24 + 1];
    const char *why;
    int client = o->op == OTA_CERTOP_INSTALL_CLIENT;
    switch (o->op) {
    case OTA_CERTOP_INSTALL_ROOT:
    case OTA_CERTOP_INSTALL_CLIENT:
    case OTA_CERTOP_DELETE:
        break;
    case OTA_CERTOP_MOVE:
        if ((why = ota_certops_id_problem(o->to)))
            return ota_err_set(err, OTA_E_USAGE, "operation %zu: to '%s' %s", i + 1,
                               ota_printable(shown, sizeof shown, o->to, 24), why);
        break;
    default:
        return ota_err_set(err, OTA_E_USAGE, "operation %zu: unknown op %d", i + 1, (int)o->op);
    }
    if ((why = ota_certops_id_problem(o->id)))
        return ota_err_set(err, OTA_E_USAGE, "operation %zu: %s '%s' %s", i + 1,
                           o->op == OTA_CERTOP_MOVE ? "from" : "id",
                           ota_printable(shown, sizeof shown, o->id, 24), why);
    if (o->op == OTA_CERTOP_INSTALL_ROOT || client) {
        if (!o->cert || o->cert_len == 0 || o->cert_len > OTA_CERTSTORE_MAX_CERT ||
            strlen(o->cert) != o->cert_len)
            return ota_err_set(err, OTA_E_USAGE,
                               "operation %zu ('%s'): cert must be 1 to %u bytes without NUL",
                               i + 1, o->id, OTA_CERTSTORE_MAX_CERT);
    }
    if (client) {
        if (!o->key || o->key_len == 0 || o->key_len > OTA_CERTSTORE_MAX_KEY ||
            strlen(o->key) != o->key_len)
            return ota_err_set(err, OTA_E_USAGE,
                               "operation %zu ('%s'): key must be 1 to %u bytes without NUL", i + 1,
                               o->id, OTA_CERTSTORE_MAX_KEY);
        if (o->password && (o->password_len > OTA_CERTSTORE_MAX_PASSWORD ||
                            strlen(o->password) != o->password_len))
            return ota_err_set(err, OTA_E_USAGE,
                               "operation %zu ('%s'): password must be at most %u bytes "
                               "without NUL",
                               i + 1, o->id, OTA_CERTSTORE_MAX_PASSWORD);
    }
    return OTA_OK;
}

static int same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || !memcmp(a, b, alen));
}

/* Whether b (parsed back) holds what a says, field by field as the wire carries them. */
static int ops_equal(const struct ota_certops *a, const struct ota_certops *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct ota_certop *x = &a->v[i], *y = &b->v[i];
        if (x->op != y->op || strcmp(x->id, y->id) != 0)
            return 0;
        if (x->op == OTA_CERTOP_MOVE && strcmp(x->to, y->to) != 0)
            return 0;
        if ((x->op == OTA_CERTOP_INSTALL_ROOT || x->op == OTA_CERTOP_INSTALL_CLIENT) &&
            !same_bytes(x->cert, x->cert_len, y->cert, y->cert_len))
            return 0;
        if (x->op == OTA_CERTOP_INSTALL_CLIENT &&
            (!same_bytes(x->key, x->key_len, y->key, y->key_len) || !x->password != !y->password ||
             (x->password &&
              !same_bytes(x->password, x->password_len, y->password, y->password_len))))
            return 0;
    }
    return 1;
}

/* Sets obj[key] to a new string; 0 on success. jansson refuses invalid UTF-8. */
static int set_str(json_t *obj, const char *key, const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    return !v || json_object_set_new(obj, key, v) != 0;
}

enum ota_status ota_certops_serialize(char **out, size_t *len, const struct ota_certops *ops,
                                      struct ota_err *err)
{
    *out = NULL;
    *len = 0;
    if (ops->n > OTA_CERTOPS_MAX)
        return ota_err_set(err, OTA_E_USAGE, WHAT ": %zu operations, more than %u", ops->n,
                           OTA_CERTOPS_MAX);
    for (size_t i = 0; i < ops->n; i++) {
        enum ota_status rc = check_op(&ops->v[i], i, err);
        if (rc)
            return ota_err_prefix(err, WHAT);
    }
    json_t *root = json_object(), *arr = json_array();
    int bad = !root || !arr;
    if (!bad) {
        bad |= json_object_set_new(root, "format", json_integer(OTA_CERTOPS_FORMAT)) != 0;
        bad |= json_object_set(root, "operations", arr) != 0;
    }
    for (size_t i = 0; !bad && i < ops->n; i++) {
        const struct ota_certop *o = &ops->v[i];
        json_t *j = json_object();
        if (!j || json_array_append_new(arr, j) != 0) {
            bad = 1;
            break;
        }
        bad |= set_str(j, "op", ota_certop_name(o->op), strlen(ota_certop_name(o->op)));
        if (o->op == OTA_CERTOP_MOVE) {
            bad |= set_str(j, "from", o->id, strlen(o->id));
            bad |= set_str(j, "to", o->to, strlen(o->to));
            continue;
        }
        bad |= set_str(j, "id", o->id, strlen(o->id));
        if (o->op == OTA_CERTOP_DELETE)
            continue;
        bad |= set_str(j, "cert", o->cert, o->cert_len);
        if (o->op == OTA_CERTOP_INSTALL_CLIENT) {
            bad |= set_str(j, "key", o->key, o->key_len);
            if (o->password)
                bad |= set_str(j, "password", o->password, o->password_len);
        }
    }
    json_decref(arr);
    enum ota_status rc;
    if (bad)
        rc = ota_err_set(err, OTA_E_USAGE,
                         WHAT ": cannot encode (out of memory, or a string is not UTF-8)");
    else
        rc = ota_json_dump(out, len, root, WHAT, err);
    wipe_json_secrets(root);
    json_decref(root);
    if (rc == OTA_OK && *len > OTA_CERTOPS_MAX_SIZE)
        rc = ota_err_set(err, OTA_E_LIMIT, WHAT ": %zu bytes, more than %u", *len,
                         OTA_CERTOPS_MAX_SIZE);
    /* Read the document back: jansson 2.14 can lose a key or a byte when an allocation fails
     * while it dumps or lexes (akheron/jansson issue #362), and what we return must be what
     * ops says, in a form the parser accepts. */
    if (rc == OTA_OK) {
        struct ota_certops back;
        rc = ota_certops_parse_mem(&back, *out, *len, err);
        if (rc == OTA_OK && !ops_equal(ops, &back))
            rc = ota_err_set(err, OTA_E_NOMEM, WHAT ": serialised document does not read back");
        else if (rc)
            ota_err_prefix(err, WHAT ": serialised document does not read back");
        ota_certops_free(&back);
    }
    if (rc && *out) {
        OPENSSL_cleanse(*out, *len);
        free(*out);
        *out = NULL;
        *len = 0;
    }
    return rc;
}
